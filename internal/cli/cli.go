// Package cli implements the connectsync commands. It parses arguments into
// a flags struct per command, checks them before any I/O, and wires the
// manifest, diff, apply and connect packages together. All output goes
// through package view.
package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/connectsync/connectsync/internal/view"
	"github.com/connectsync/connectsync/schema"
)

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = ""

func version() string {
	v, _ := buildVersion()
	return v
}

// buildVersion returns the module version and the VCS commit the binary
// was built from, as the Go toolchain recorded them: go install
// module@v1.2.3 records the version; a build in a git checkout records
// the commit (with "-dirty" when the tree had changes). Version, set with
// -ldflags, wins over the recorded version.
func buildVersion() (string, string) {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(bi)
}

func versionFrom(bi *debug.BuildInfo) (version, commit string) {
	version = "dev"
	if bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if commit != "" && dirty {
			commit += "-dirty"
		}
	}
	if Version != "" {
		version = Version
	}
	return version, commit
}

// Env is what a command may touch of its environment. Tests fill it in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	// StdinIsTTY, StdoutIsTTY and StderrIsTTY say whether to prompt and
	// whether to use colour on each output.
	StdinIsTTY, StdoutIsTTY, StderrIsTTY bool
}

// OSEnv returns the process's real environment.
func OSEnv() Env {
	stderr := os.Stderr
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: stderr, LookupEnv: os.LookupEnv,
		StdinIsTTY: isTerminal(os.Stdin), StdoutIsTTY: isTerminal(os.Stdout), StderrIsTTY: isTerminal(stderr),
	}
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2 // plan --detailed-exitcode only
)

type command struct {
	name, summary, usage string
	run                  func(app *app, args []string) int
}

var commands = []command{
	{"validate", "Check manifests offline and report every problem", validateUsage, runValidate},
	{"render", "Write each worker's properties and each sink's connector JSON", renderUsage, runRender},
	{"plan", "Show what apply would change on the live clusters", planUsage, runPlan},
	{"apply", "Change the live clusters to match the manifests", applyUsage, runApply},
	{"status", "Show the deployed connectors, their tasks and workers", statusUsage, runStatus},
	{"import", "Write the manifests of what already runs on live clusters", importUsage, runImport},
	{"schema", "Print the JSON Schema of the manifest, for editors", schemaUsage, runSchema},
	{"version", "Print the version", "usage: connectsync version [--json]\n", runVersion},
}

// app carries what every command shares.
type app struct {
	env Env
	p   *view.Printer
	// secrets holds every secret value resolved in this run. The printer
	// is made from it and the resolver registers into it, so no command
	// can print a secret it resolved (see resolver).
	secrets *view.Secrets
}

// Main runs connectsync with args (without the program name) and returns the
// exit code.
func Main(args []string, env Env) int {
	secrets := &view.Secrets{}
	a := &app{env: env, secrets: secrets}
	// NO_COLOR set and not empty turns colour off (no-color.org).
	v, _ := env.LookupEnv("NO_COLOR")
	noColor := v != ""
	a.p = view.NewPrinter(env.Stdout, env.Stderr, env.StdoutIsTTY && !noColor, secrets)
	a.p.SetStderrColor(env.StderrIsTTY && !noColor)
	if len(args) == 0 {
		a.p.UsageError(mainUsage())
		return ExitError
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				a.p.Usage(c.usage)
				return ExitOK
			}
		}
		a.p.Usage(mainUsage())
		return ExitOK
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		a.p.Errorf("run connectsync help for the list of commands", "unknown command %q", name)
		return ExitError
	}
	return c.run(a, args[1:])
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func mainUsage() string {
	summaries := make([]view.CommandSummary, len(commands))
	for i, c := range commands {
		summaries[i] = view.CommandSummary{Name: c.name, Summary: c.summary}
	}
	return view.MainUsage(summaries)
}

// files is a repeatable -f flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(s string) error { *f = append(*f, s); return nil }

// required reports a missing -f.
func (f files) required() error {
	if len(f) == 0 {
		return errors.New("no manifest given: pass -f FILE or -f DIR")
	}
	return nil
}

// parse parses flags that may come before or after positional arguments, as
// in "apply plan.out --auto-approve", and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// newFlagSet returns a flag set that prints nothing itself: parseFlags
// reports its errors in connectsync's format, and -h prints the command's
// usage.
func (a *app) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args and reports a usage error. It returns false when
// the command should exit with code ExitError, or with ExitOK for -h.
func (a *app) parseFlags(fs *flag.FlagSet, usage string, args []string) ([]string, int, bool) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		a.p.Usage(usage)
		return nil, ExitOK, false
	}
	if err != nil {
		a.p.Errorf("run connectsync help "+fs.Name(), "%s: %v", fs.Name(), err)
		return nil, ExitError, false
	}
	return pos, 0, true
}

func runVersion(a *app, args []string) int {
	fs := a.newFlagSet("version")
	asJSON := fs.Bool("json", false, "")
	if _, code, ok := a.parseFlags(fs, "usage: connectsync version [--json]\n", args); !ok {
		return code
	}
	v, commit := buildVersion()
	if err := view.NewVersionView(a.p, *asJSON).Version(v, commit, runtime.Version()); err != nil {
		return ExitError
	}
	return ExitOK
}

const schemaUsage = `usage: connectsync schema

Prints the JSON Schema (draft 2020-12) of manifest version 1 on standard
output: the same bytes as schema/manifest-v1.json in the repository,
generated from the manifest's Go types and their documentation. Point an
editor at it, for instance with the yaml-language-server modeline as the
first line of a manifest:

  # yaml-language-server: $schema=manifest-v1.json

connectsync validate checks more than the schema can (references between
objects, Connect's and the DataStax sink's rules); the schema is for
completion and early feedback while typing.
`

func runSchema(a *app, args []string) int {
	fs := a.newFlagSet("schema")
	pos, code, ok := a.parseFlags(fs, schemaUsage, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		a.p.Errorf("run connectsync help schema", "schema: takes no arguments")
		return ExitError
	}
	if err := a.p.Schema(schema.ManifestV1); err != nil {
		return ExitError
	}
	return ExitOK
}
