package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/connectsync/connectsync/internal/view"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

const statusUsage = `usage: connectsync status -f PATH [-f PATH ...] [--json] [--stall-interval D]

Shows what is deployed: every connector of every cluster the manifests
declare, with its state, its tasks and the workers they run on, whether the
manifests declare it, and the first line of any failure. It reads each
cluster in one request and writes nothing.

For each declared sink it also reads its consumer group (connect-NAME) from
Kafka, read-only: the lag (records waiting) per partition and, when records
wait, whether the committed offsets moved over an interval. A RUNNING sink
whose offsets do not move is "stalled": a warning.

flags:
  -f PATH             a manifest file or directory (repeatable)
  --json              print JSON
  --stall-interval D  the time between the two readings of a lagging sink's offsets
                      (default: the workers' offset.flush.interval.ms plus 2s; 0: one
                      reading, lag only)
`

type statusFlags struct {
	files         files
	asJSON        bool
	stallInterval durationFlag
}

// durationFlag is a duration that remembers whether it was set.
type durationFlag struct {
	d   time.Duration
	set bool
}

func (f *durationFlag) String() string { return f.d.String() }
func (f *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("want a duration such as 10s, got %q", s)
	}
	f.d, f.set = d, true
	return nil
}

// interval is the flag's value, or -1 (the workers' commit interval).
func (f *durationFlag) interval() time.Duration {
	if !f.set {
		return -1
	}
	return f.d
}

func (f *statusFlags) check() error { return f.files.required() }

func runStatus(a *app, args []string) int {
	var f statusFlags
	fs := a.newFlagSet("status")
	fs.Var(&f.files, "f", "")
	fs.BoolVar(&f.asJSON, "json", false, "")
	fs.Var(&f.stallInterval, "stall-interval", "")
	if _, code, ok := a.parseFlags(fs, statusUsage, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		a.p.Errorf("", "status: %v", err)
		return ExitError
	}
	checked, ds := loadAndCheck(f.files)
	if ds.HasErrors() {
		a.p.Diagnostics(ds)
		return ExitError
	}
	m := checked.Manifest()
	// Resolve the manifests' secrets, only so that the printer masks them
	// wherever a worker echoes one (a task trace, an error). A secret that
	// cannot be resolved here cannot be masked: say so, and go on.
	r, rds := checked.Render(a.resolver())
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
	live, err := a.readLive(context.Background(), m, defaultClusters, nil)
	if err != nil {
		a.p.Errorf("check the manifest's rest settings", "status: %v", err)
		return ExitError
	}
	declared := map[object.Ref]bool{}
	for _, s := range m.Sinks {
		declared[object.SinkRef(s.Cluster, s.Name)] = true
	}
	var names []string
	for _, c := range m.Clusters {
		names = append(names, c.Name)
	}
	health := a.sinkHealth(context.Background(), m, live, f.stallInterval.interval())
	if err := view.NewStatusView(a.p, f.asJSON).Status(names, live, declared, health); err != nil {
		return ExitError
	}
	if f.asJSON {
		return ExitOK
	}
	for _, n := range names {
		if live[n] == nil || live[n].Connectors == nil {
			return ExitError
		}
	}
	return ExitOK
}
