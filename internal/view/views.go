package view

import (
	"fmt"
	"strings"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// Each command that has a machine format prints through a view: an
// interface of what the command has to say, with a human implementation
// (text, coloured on a terminal) and a JSON one (exactly one document on
// standard output, nothing else there), chosen once from the command's
// flags by New*View, the way Terraform's internal/command/views does. In
// both, errors and diagnostics that stop a command go to standard error
// (Printer.Errorf, Printer.Diagnostics), so that standard output holds
// either the whole document or nothing.
//
// Commands with one format only (render, import, schema, help) print
// through the Printer's methods of the same names.

// ValidateView is what validate says.
type ValidateView interface {
	// Result reports every problem of the manifests, or that they are
	// valid.
	Result(m *manifest.Manifest, ds manifest.Diagnostics) error
}

// NewValidateView returns validate's view: JSON with --json.
func NewValidateView(p *Printer, asJSON bool) ValidateView {
	if asJSON {
		return validateJSON{p}
	}
	return validateHuman{p}
}

type validateHuman struct{ p *Printer }

func (v validateHuman) Result(m *manifest.Manifest, ds manifest.Diagnostics) error {
	v.p.Diagnostics(ds)
	if !ds.HasErrors() {
		v.p.Valid(m, ds)
	}
	return nil
}

type validateJSON struct{ p *Printer }

func (v validateJSON) Result(m *manifest.Manifest, ds manifest.Diagnostics) error {
	files := []string{}
	if m != nil && m.Files != nil {
		files = m.Files
	}
	return v.p.JSON(ValidateJSON{JSONFormatVersion, !ds.HasErrors(), files, JSONDiagnostics(ds)})
}

// VersionView is what version says.
type VersionView interface {
	// Version prints the version, and the commit when the build recorded
	// one.
	Version(version, commit, goVersion string) error
}

// NewVersionView returns version's view: JSON with --json.
func NewVersionView(p *Printer, asJSON bool) VersionView {
	if asJSON {
		return versionJSON{p}
	}
	return versionHuman{p}
}

type versionHuman struct{ p *Printer }

func (v versionHuman) Version(version, commit, goVersion string) error {
	if commit != "" {
		fmt.Fprintf(v.p.out, "connectsync %s (commit %s, manifest version %d, %s)\n", version, commit, manifest.Version, goVersion)
		return nil
	}
	fmt.Fprintf(v.p.out, "connectsync %s (manifest version %d, %s)\n", version, manifest.Version, goVersion)
	return nil
}

type versionJSON struct{ p *Printer }

func (v versionJSON) Version(version, commit, goVersion string) error {
	return v.p.JSON(VersionJSON{JSONFormatVersion, version, commit, manifest.Version, goVersion})
}

// StatusView is what status says.
type StatusView interface {
	// Status shows each cluster's workers and connectors, with their
	// tasks; health holds, per connector, its progress read from Kafka.
	Status(clusters []string, live map[string]*apply.ClusterState, declared map[object.Ref]bool, health map[object.Ref]HealthResult) error
}

// NewStatusView returns status's view: JSON with --json.
func NewStatusView(p *Printer, asJSON bool) StatusView {
	if asJSON {
		return statusJSONView{p}
	}
	return statusHuman{p}
}

type statusHuman struct{ p *Printer }

func (v statusHuman) Status(clusters []string, live map[string]*apply.ClusterState, declared map[object.Ref]bool, health map[object.Ref]HealthResult) error {
	v.p.Status(clusters, live, declared, health)
	return nil
}

type statusJSONView struct{ p *Printer }

func (v statusJSONView) Status(clusters []string, live map[string]*apply.ClusterState, declared map[object.Ref]bool, health map[object.Ref]HealthResult) error {
	return v.p.JSON(statusJSON(clusters, live, declared, health))
}

// ReadStat is what reading one cluster's live state cost (plan --stats).
type ReadStat struct {
	Cluster string
	// Requests counts every HTTP attempt, retries included;
	// ConnectorRequests those of them to /connectors.
	Requests, ConnectorRequests int64
	Connectors                  int
	Took                        time.Duration
}

// PlanView is what plan says.
type PlanView interface {
	// Stats reports, on standard error, what reading each cluster cost.
	Stats(stats []ReadStat)
	// Plan shows the plan.
	Plan(plan *diff.Plan) error
	// Saved says where plan -out saved the plan.
	Saved(path string)
}

// NewPlanView returns plan's view: JSON with --json.
func NewPlanView(p *Printer, asJSON bool) PlanView {
	if asJSON {
		return planJSONView{p}
	}
	return planHuman{p}
}

type planHuman struct{ p *Printer }

func (v planHuman) Stats(stats []ReadStat) { v.p.readStats(stats) }
func (v planHuman) Plan(plan *diff.Plan) error {
	v.p.Plan(plan)
	return nil
}
func (v planHuman) Saved(path string) {
	fmt.Fprintf(v.p.out, "\nSaved the plan to %s. Apply it with: connectsync apply %s\n", path, path)
}

type planJSONView struct{ p *Printer }

func (v planJSONView) Stats(stats []ReadStat)     { v.p.readStats(stats) }
func (v planJSONView) Plan(plan *diff.Plan) error { return v.p.JSON(planJSON(plan)) }

// Saved says nothing: the document is all of standard output, and the
// path is the one -out was given.
func (v planJSONView) Saved(string) {}

func (p *Printer) readStats(stats []ReadStat) {
	for _, s := range stats {
		fmt.Fprintf(p.errw, "connectsync: read cluster %s: %d requests (%d for connectors), %d connectors, %s\n",
			s.Cluster, s.Requests, s.ConnectorRequests, s.Connectors, s.Took.Round(time.Millisecond))
	}
}

// ApplyFormat is how apply reports: text, one JSON document (--json), or
// JSON events on standard error (--log-format json).
type ApplyFormat int

// Apply formats.
const (
	ApplyText ApplyFormat = iota
	ApplyDocument
	ApplyEvents
)

// ApplyView is what apply says, from its start to its summary.
type ApplyView interface {
	// Start begins the run, once the manifests are loaded.
	Start(version string, clusters []string)
	// Plan shows what apply is about to do.
	Plan(plan *diff.Plan)
	// Refused reports a guardrail that stops the run.
	Refused(r apply.Refusal)
	// AskApproval asks for "yes" on the terminal; the command reads it.
	AskApproval()
	// Applying says the writes begin.
	Applying()
	// Progress reports one step as it happens (apply.Options.Progress).
	Progress(e apply.Event)
	// Waiting says apply waits for a cluster's changed connectors
	// (apply.Options.Waiting).
	Waiting(cluster string, changes []diff.Change, budget time.Duration)
	// Result reports what became of each change.
	Result(plan *diff.Plan, r *apply.Result) error
	// Done ends the run; plan or r is nil when the run stopped before it.
	Done(plan *diff.Plan, r *apply.Result, exitCode int, took time.Duration)
}

// NewApplyView returns apply's view for a format. ApplyEvents turns the
// Printer's messages into events too (see LogJSON); now is the clock.
func NewApplyView(p *Printer, f ApplyFormat, now func() time.Time) ApplyView {
	switch f {
	case ApplyDocument:
		return applyDocument{p}
	case ApplyEvents:
		p.LogJSON(now)
		return applyEvents{p}
	}
	return applyHuman{p}
}

type applyHuman struct{ p *Printer }

func (v applyHuman) Start(string, []string) {}
func (v applyHuman) Plan(plan *diff.Plan)   { v.p.Plan(plan) }
func (v applyHuman) Refused(r apply.Refusal) {
	v.p.Errorf(r.Hint, "apply: refused: %s", r.Message)
}
func (v applyHuman) AskApproval() {
	fmt.Fprint(v.p.out, "\nApply these changes? Only 'yes' is accepted: ")
}
func (v applyHuman) Applying()                                          { fmt.Fprintln(v.p.out) }
func (v applyHuman) Progress(e apply.Event)                             { v.p.Progress(e) }
func (v applyHuman) Waiting(string, []diff.Change, time.Duration)       {}
func (v applyHuman) Done(*diff.Plan, *apply.Result, int, time.Duration) {}
func (v applyHuman) Result(_ *diff.Plan, r *apply.Result) error {
	v.p.ApplyResult(r)
	return nil
}

// applyDocument prints nothing on standard output but the one document,
// at the end.
type applyDocument struct{ p *Printer }

func (v applyDocument) Start(string, []string) {}
func (v applyDocument) Plan(*diff.Plan)        {}
func (v applyDocument) Refused(r apply.Refusal) {
	v.p.Errorf(r.Hint, "apply: refused: %s", r.Message)
}
func (v applyDocument) AskApproval()                                       {}
func (v applyDocument) Applying()                                          {}
func (v applyDocument) Progress(apply.Event)                               {}
func (v applyDocument) Waiting(string, []diff.Change, time.Duration)       {}
func (v applyDocument) Done(*diff.Plan, *apply.Result, int, time.Duration) {}
func (v applyDocument) Result(plan *diff.Plan, r *apply.Result) error {
	return v.p.JSON(applyJSON(plan, r))
}

// applyEvents writes one JSON event per line on standard error, and
// nothing on standard output.
type applyEvents struct{ p *Printer }

func (v applyEvents) Start(version string, clusters []string) { v.p.LogStart(version, clusters) }
func (v applyEvents) Plan(plan *diff.Plan)                    { v.p.LogPlan(plan) }
func (v applyEvents) Refused(r apply.Refusal)                 { v.p.LogRefusal(r) }
func (v applyEvents) AskApproval()                            {}
func (v applyEvents) Applying()                               {}
func (v applyEvents) Progress(e apply.Event)                  { v.p.LogProgress(e) }
func (v applyEvents) Waiting(cluster string, changes []diff.Change, budget time.Duration) {
	v.p.LogWait(cluster, changes, budget)
}
func (v applyEvents) Result(*diff.Plan, *apply.Result) error { return nil }
func (v applyEvents) Done(plan *diff.Plan, r *apply.Result, exitCode int, took time.Duration) {
	v.p.LogResult(plan, r, exitCode, took)
}

// CommandSummary is one line of the main usage.
type CommandSummary struct{ Name, Summary string }

// MainUsage is connectsync's usage without a command.
func MainUsage(commands []CommandSummary) string {
	var b strings.Builder
	b.WriteString("connectsync reconciles Kafka Connect clusters with YAML manifests.\n\n")
	b.WriteString("usage: connectsync <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.Name, c.Summary)
	}
	b.WriteString("  help      Show help for a command: connectsync help plan\n")
	b.WriteString("\nEvery command reads manifests given with -f (a file or a directory, repeatable).\n")
	return b.String()
}

// Usage prints a usage text on standard output (help, -h).
func (p *Printer) Usage(text string) { fmt.Fprint(p.out, text) }

// UsageError prints a usage text on standard error, for a command line
// that names no command.
func (p *Printer) UsageError(text string) { fmt.Fprint(p.errw, text) }

// Manifest prints import's manifest on standard output, as it is.
func (p *Printer) Manifest(data []byte) error {
	_, err := p.out.Write(data)
	return err
}
