package cli

const planUsage = "usage: connectsync plan -f PATH [flags]\n"
const applyUsage = "usage: connectsync apply -f PATH [flags]\n"

func runPlan(a *app, args []string) int {
	a.p.Errorf("", "plan: not built yet")
	return ExitError
}

func runApply(a *app, args []string) int {
	a.p.Errorf("", "apply: not built yet")
	return ExitError
}
