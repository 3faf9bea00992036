package cli

import (
	"context"

	"github.com/connectsync/connectsync/manifest"
)

const statusUsage = `usage: connectsync status -f PATH [-f PATH ...] [--json]

Shows what is deployed: every connector of every cluster the manifests
declare, with its state, its tasks and the workers they run on, whether the
manifests declare it, and the first line of any failure. It reads each
cluster in one request and writes nothing.

flags:
  -f PATH   a manifest file or directory (repeatable)
  --json    print JSON
`

type statusFlags struct {
	files  files
	asJSON bool
}

func (f *statusFlags) check() error { return f.files.required() }

func runStatus(a *app, args []string) int {
	var f statusFlags
	fs := a.newFlagSet("status")
	fs.Var(&f.files, "f", "")
	fs.BoolVar(&f.asJSON, "json", false, "")
	if _, code, ok := a.parseFlags(fs, statusUsage, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		a.p.Errorf("", "status: %v", err)
		return ExitError
	}
	m, ds := loadAndValidate(f.files)
	if ds.HasErrors() {
		a.p.Diagnostics(ds)
		return ExitError
	}
	// Resolve the manifests' secrets, only so that the printer masks them
	// wherever a worker echoes one (a task trace, an error). A secret that
	// cannot be resolved here cannot be masked: say so, and go on.
	r, rds := manifest.Render(m, a.resolver())
	if rds.HasErrors() {
		warn := make(manifest.Diagnostics, 0, len(rds))
		for _, d := range rds {
			d.Severity = manifest.Warning
			d.Message += " (status cannot mask this secret if a worker echoes it)"
			warn = append(warn, d)
		}
		a.p.Diagnostics(warn)
	}
	if r != nil {
		a.registerSecrets(r)
	}
	live, err := a.readLive(context.Background(), m, defaultClusters, false)
	if err != nil {
		a.p.Errorf("check the manifest's rest settings", "status: %v", err)
		return ExitError
	}
	declared := map[string]bool{}
	for _, s := range m.Sinks {
		declared[s.Cluster+"/"+s.Name] = true
	}
	var names []string
	for _, c := range m.Clusters {
		names = append(names, c.Name)
	}
	if f.asJSON {
		if err := a.p.StatusJSON(names, live, declared); err != nil {
			return ExitError
		}
		return ExitOK
	}
	a.p.Status(names, live, declared)
	for _, n := range names {
		if live[n] == nil || live[n].Connectors == nil {
			return ExitError
		}
	}
	return ExitOK
}
