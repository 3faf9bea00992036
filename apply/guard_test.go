package apply_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// guardSession is a plan over cluster "a", which runs live connectors,
// and deletes dels of them.
func guardSession(live int, dels []string, others ...diff.Change) *apply.Session {
	conns := map[string]connect.Connector{}
	for i := 0; i < live; i++ {
		conns[string(rune('a'+i))+"-live"] = connect.Connector{}
	}
	p := &diff.Plan{}
	for _, d := range dels {
		p.Changes = append(p.Changes, diff.Change{Ref: object.SinkRef("a", d), Action: diff.Delete})
	}
	p.Changes = append(p.Changes, others...)
	return &apply.Session{Plan: p, Clusters: map[string]*apply.ClusterState{"a": {Connectors: conns}}}
}

func TestGuardrails(t *testing.T) {
	update := diff.Change{Ref: object.SinkRef("a", "u"), Action: diff.Update}
	noop := diff.Change{Ref: object.SinkRef("a", "n"), Action: diff.NoOp}
	def := func(declared int) apply.Guardrails {
		return apply.Guardrails{MaxDeletes: apply.DefaultMaxDeletes, Declared: map[string]int{"a": declared}}
	}
	tests := []struct {
		name  string
		s     *apply.Session
		g     apply.Guardrails
		rules []string
		names [][]string
	}{
		{"nothing to delete", guardSession(4, nil, update, noop), def(0), nil, nil},
		{"empty manifests refuse", guardSession(2, []string{"x", "y"}), def(0),
			[]string{"no-sinks-declared"}, [][]string{{"a/x", "a/y"}}},
		{"more than half refuses", guardSession(5, []string{"x", "y", "z"}), def(2),
			[]string{"more-than-half"}, [][]string{{"a/x", "a/y", "a/z"}}},
		{"half is allowed", guardSession(4, []string{"x", "y"}), def(2), nil, nil},
		{"allow-mass-delete lifts the cluster rules", guardSession(2, []string{"x", "y"}),
			apply.Guardrails{MaxDeletes: 10, AllowMassDelete: true}, nil, nil},
		{"a targeted prune is explicit", guardSession(1, []string{"x"}),
			apply.Guardrails{MaxDeletes: 10, Targeted: true}, nil, nil},
		{"max-deletes still caps a targeted run", guardSession(9, []string{"x", "y"}),
			apply.Guardrails{MaxDeletes: 1, Targeted: true}, []string{"max-deletes"}, [][]string{{"a/x", "a/y"}}},
		{"max-deletes 0 refuses any delete", guardSession(9, []string{"x"}),
			apply.Guardrails{MaxDeletes: 0, Declared: map[string]int{"a": 8}}, []string{"max-deletes"}, [][]string{{"a/x"}}},
		{"default cap", guardSession(30, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}), def(20),
			[]string{"max-deletes"}, [][]string{{"a/1", "a/2", "a/3", "a/4", "a/5", "a/6", "a/7", "a/8", "a/9", "a/10", "a/11"}}},
		{"max-changes counts every change but no-ops", guardSession(9, []string{"x"}, update, noop),
			apply.Guardrails{MaxDeletes: -1, MaxChanges: 1, Declared: map[string]int{"a": 8}},
			[]string{"max-changes"}, [][]string{{"a/x", "a/u"}}},
		{"max-changes at the limit", guardSession(9, []string{"x"}, update, noop),
			apply.Guardrails{MaxDeletes: -1, MaxChanges: 2, Declared: map[string]int{"a": 8}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []string
			var names [][]string
			for _, r := range tt.s.Check(tt.g) {
				rules = append(rules, r.Rule)
				var qualified []string
				for _, n := range r.Names {
					qualified = append(qualified, n.Qualified())
				}
				names = append(names, qualified)
				if r.Message == "" || r.Hint == "" {
					t.Errorf("refusal %s without a message or a hint: %+v", r.Rule, r)
				}
			}
			if d := cmp.Diff(tt.rules, rules); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.names, names); d != "" {
				t.Errorf("names (-want +got):\n%s", d)
			}
		})
	}
}

// TestUnrenderableSinkIsNeverPruned: a declared sink whose secret does not
// resolve gets no change and a contained error, and prune, which is on,
// does not take it for an undeclared connector.
func TestUnrenderableSinkIsNeverPruned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.yaml")
	src := testcluster.ManifestHeader("prune: {enabled: true}") + sink("secretive", "running", 1, "      x.password: {secretEnv: UNSET_FOR_THIS_TEST}\n") +
		sink("plain", "running", 1, "")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, ds := manifest.Load(path)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	r, _ := manifest.Render(m, manifest.EnvResolver{Env: func(string) (string, bool) { return "", false }})
	live := map[string]*apply.ClusterState{"local": {Connectors: map[string]connect.Connector{
		"secretive": {Name: "secretive", Config: map[string]string{"connector.class": "x"}, Status: connect.ConnectorStatus{State: object.StateRunning}},
		"stray":     {Name: "stray", Config: map[string]string{"connector.class": "x"}, Status: connect.ConnectorStatus{State: object.StateRunning}},
	}}}
	s := apply.BuildPlan(m, r, live, apply.PlanOptions{Unrenderable: map[object.Ref]string{object.SinkRef("local", "secretive"): "cannot resolve"}})
	var got []string
	for _, ch := range s.Plan.Changes {
		got = append(got, string(ch.Action)+" "+ch.Name)
	}
	if d := cmp.Diff([]string{"create plain", "delete stray"}, got); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	if !s.Plan.HasErrors() || s.Plan.HasBlockingErrors() {
		t.Errorf("want a contained error only: %+v", s.Plan.Findings)
	}
}
