package view

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/object"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// samplePlan has one change of every kind, sensitive fields, state
// transitions, a restart, worker files and findings of every section.
func samplePlan() *diff.Plan {
	p := &diff.Plan{
		Changes: []diff.Change{
			{Action: diff.NoOp, Ref: object.SinkRef("prod-eu", "unchanged"), StateBefore: "RUNNING", StateAfter: "RUNNING"},
			{Action: diff.Create, Ref: object.SinkRef("prod-eu", "orders-to-cassandra"), StateAfter: "PAUSED",
				Fields: []diff.Field{
					{Key: "auth.password", After: "s3cret", HasAfter: true, Sensitive: true},
					{Key: "connector.class", After: "com.datastax.oss.kafka.sink.CassandraSinkConnector", HasAfter: true},
					{Key: "tasks.max", After: "3", HasAfter: true},
				}},
			{Action: diff.Update, Ref: object.SinkRef("prod-eu", "clicks"), StateBefore: "RUNNING", StateAfter: "STOPPED",
				Fields: []diff.Field{
					{Key: "auth.password", Before: "old", After: "new", HasBefore: true, HasAfter: true, Sensitive: true},
					{Key: "old.key", Before: "x", HasBefore: true},
					{Key: "tasks.max", Before: "3", After: "6", HasBefore: true, HasAfter: true},
				}},
			{Action: diff.NoOp, Ref: object.SinkRef("prod-eu", "flaky"), StateBefore: "RUNNING", StateAfter: "RUNNING", RestartFailed: true},
			{Action: diff.Delete, Ref: object.SinkRef("prod-us", "made-by-hand"), StateBefore: "RUNNING",
				Fields: []diff.Field{{Key: "connector.class", Before: "org.example.Sink", HasBefore: true}}},
			{Action: diff.Update, Ref: object.WorkerRef("prod-eu", "connect-1"), Path: "/etc/kafka/connect-distributed.properties",
				Fields: []diff.Field{{Key: "offset.flush.interval.ms", Before: "60000", After: "10000", HasBefore: true, HasAfter: true}}},
		},
		Findings: []diff.Finding{
			{Severity: diff.SevWarning, Section: diff.SectionWorkers, Subject: object.WorkerRef("prod-eu", "connect-3"), Message: "does not answer at http://connect-3:8083: connection refused", Hint: "start it, or correct its url"},
			{Severity: diff.SevError, Section: diff.SectionConnectors, Subject: object.SinkRef("prod-eu", "clicks"), Where: "prod.yaml:40:5", Message: "connector class X is not installed on connect-2", Hint: "install the plugin"},
			{Severity: diff.SevWarning, Section: diff.SectionConnectors, Subject: object.SinkRef("prod-eu", "flaky"), Message: "task 1 FAILED on connect-2:8083: java.lang.RuntimeException: boom"},
			{Severity: diff.SevError, Section: diff.SectionPreflight, Subject: object.SinkRef("prod-eu", "orders-to-cassandra"), Where: "prod.yaml:52:22", Message: `column "totl" does not exist in shop.orders`, Hint: "columns: id, total"},
		},
	}
	p.Sort()
	return p
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/view -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func render(f func(p *Printer)) []byte {
	var out bytes.Buffer
	f(NewPrinter(&out, &out, false, &Secrets{}))
	return out.Bytes()
}

func TestPlanText(t *testing.T) {
	got := render(func(p *Printer) { p.Plan(samplePlan()) })
	golden(t, "plan.golden", got)
	// A second rendering of the same plan is byte-identical.
	if again := render(func(p *Printer) { p.Plan(samplePlan()) }); !bytes.Equal(got, again) {
		t.Error("the plan text is not stable across renderings")
	}
	if bytes.Contains(got, []byte("s3cret")) || bytes.Contains(got, []byte(`"old"`)) {
		t.Error("a sensitive value was printed")
	}
}

func TestPlanJSON(t *testing.T) {
	got := render(func(p *Printer) { _ = NewPlanView(p, true).Plan(samplePlan()) })
	golden(t, "plan.json.golden", got)
	if bytes.Contains(got, []byte("s3cret")) {
		t.Error("a sensitive value is in the JSON")
	}
}

func TestNoChanges(t *testing.T) {
	got := render(func(p *Printer) { p.Plan(&diff.Plan{}) })
	golden(t, "no-changes.golden", got)
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		plan *diff.Plan
		want string
	}{
		{&diff.Plan{}, "No changes. Live state matches the manifest."},
		{samplePlan(), "Plan: 1 to create, 2 to change, 1 to delete, 1 to restart."},
	} {
		if got := Summary(tc.plan); got != tc.want {
			t.Errorf("Summary = %q, want %q", got, tc.want)
		}
	}
}
