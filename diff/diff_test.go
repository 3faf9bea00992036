package diff

import (
	"testing"

	"github.com/connectsync/connectsync/object"
	"github.com/google/go-cmp/cmp"
)

func TestConfigsNormalises(t *testing.T) {
	desired := map[string]string{"connector.class": "X", "tasks.max": "3", "port": "9042", "auth.password": "new", "keep.me": "a"}
	live := map[string]string{
		"connector.class": "X", "tasks.max": "1", "port": "9042",
		"name":                      "orders", // Connect adds it
		"__internal.config.version": "2",      // vendor builds add it
		"auth.password":             "[hidden]",
		"stale.key":                 "gone",
		"ignored.by.user":           "whatever",
		"ignored.prefix.a":          "x",
	}
	rules := Rules{
		Ignore:    []string{"ignored.by.user", "ignored.prefix.*"},
		Sensitive: func(k string) bool { return k == "auth.password" },
	}
	fields, unverifiable := Configs(live, desired, rules)
	want := []Field{
		{Key: "keep.me", After: "a", HasAfter: true},
		{Key: "stale.key", Before: "gone", HasBefore: true},
		{Key: "tasks.max", Before: "1", After: "3", HasBefore: true, HasAfter: true},
	}
	if d := cmp.Diff(want, fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"auth.password"}, unverifiable); d != "" {
		t.Errorf("unverifiable (-want +got):\n%s", d)
	}
}

func TestConfigsMarksSensitive(t *testing.T) {
	fields, _ := Configs(map[string]string{"p": "a"}, map[string]string{"p": "b"}, Rules{Sensitive: func(string) bool { return true }})
	if len(fields) != 1 || !fields[0].Sensitive {
		t.Fatalf("got %+v", fields)
	}
}

func TestPlanSinks(t *testing.T) {
	cfg := map[string]string{"connector.class": "X", "tasks.max": "1"}
	liveCfg := map[string]string{"connector.class": "X", "tasks.max": "1", "name": "n"}
	for _, tc := range []struct {
		name        string
		desired     object.State
		live        *Connector
		o           SinkOptions
		wantAction  Action
		wantBefore  object.State
		wantRestart bool
	}{
		{"absent is created", object.StateRunning, nil, SinkOptions{}, Create, "", false},
		{"running stays", object.StateRunning, &Connector{Config: liveCfg, State: object.StateRunning}, SinkOptions{}, NoOp, object.StateRunning, false},
		{"unassigned is not resumed", object.StateRunning, &Connector{Config: liveCfg, State: object.StateUnassigned}, SinkOptions{}, NoOp, object.StateRunning, false},
		{"failed is not resumed", object.StateRunning, &Connector{Config: liveCfg, State: object.StateFailed}, SinkOptions{}, NoOp, object.StateRunning, false},
		{"failed is restarted on request", object.StateRunning, &Connector{Config: liveCfg, State: object.StateFailed}, SinkOptions{RestartFailed: true}, NoOp, object.StateRunning, true},
		{"failed task is restarted on request", object.StateRunning, &Connector{Config: liveCfg, State: object.StateRunning, Tasks: []Task{{ID: 0, State: object.StateFailed}}}, SinkOptions{RestartFailed: true}, NoOp, object.StateRunning, true},
		{"paused is resumed", object.StateRunning, &Connector{Config: liveCfg, State: object.StatePaused}, SinkOptions{}, Update, object.StatePaused, false},
		{"running is paused", object.StatePaused, &Connector{Config: liveCfg, State: object.StateRunning}, SinkOptions{}, Update, object.StateRunning, false},
		{"paused is stopped", object.StateStopped, &Connector{Config: liveCfg, State: object.StatePaused}, SinkOptions{}, Update, object.StatePaused, false},
		{"stopped stays", object.StateStopped, &Connector{Config: liveCfg, State: object.StateStopped}, SinkOptions{}, NoOp, object.StateStopped, false},
		{"unassigned is paused", object.StatePaused, &Connector{Config: liveCfg, State: object.StateUnassigned}, SinkOptions{}, Update, object.StateUnassigned, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := map[string]Connector{}
			if tc.live != nil {
				live["n"] = *tc.live
			}
			got := PlanSinks("c", []Sink{{Cluster: "c", Name: "n", Config: cfg, State: tc.desired}}, live, tc.o)
			if len(got) != 1 {
				t.Fatalf("got %d changes", len(got))
			}
			ch := got[0]
			if ch.Action != tc.wantAction || ch.StateBefore != tc.wantBefore || ch.RestartFailed != tc.wantRestart {
				t.Errorf("got action %s, state before %q, restart %v; want %s, %q, %v",
					ch.Action, ch.StateBefore, ch.RestartFailed, tc.wantAction, tc.wantBefore, tc.wantRestart)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	live := map[string]Connector{
		"declared":       {Config: map[string]string{"a": "1"}, State: object.StateRunning},
		"made-by-hand":   {Config: map[string]string{"a": "1", "db.password": "p"}, State: object.StateRunning},
		"manual-keep-me": {Config: map[string]string{"a": "1"}, State: object.StateRunning},
	}
	desired := []Sink{{Cluster: "c", Name: "declared", Config: map[string]string{"a": "1"}, State: object.StateRunning}}
	if got := PlanSinks("c", desired, live, SinkOptions{}); len(got) != 1 {
		t.Fatalf("prune off: got %d changes, want only the declared one", len(got))
	}
	got := PlanSinks("c", desired, live, SinkOptions{
		Prune:     Prune{Enabled: true, Keep: []string{"manual-*"}},
		Sensitive: func(k string) bool { return k == "db.password" },
	})
	if len(got) != 2 || got[1].Action != Delete || got[1].Name != "made-by-hand" {
		t.Fatalf("got %+v", got)
	}
	for _, f := range got[1].Fields {
		if f.Key == "db.password" && !f.Sensitive {
			t.Error("a pruned connector's password is not marked sensitive")
		}
	}
}

func TestFingerprintLeavesSensitiveValuesOut(t *testing.T) {
	sens := func(k string) bool { return k == "pw" }
	a := Fingerprint(map[string]string{"pw": "one", "x": "1"}, object.StateRunning, sens)
	b := Fingerprint(map[string]string{"pw": "two", "x": "1"}, object.StateRunning, sens)
	c := Fingerprint(map[string]string{"pw": "one", "x": "2"}, object.StateRunning, sens)
	d := Fingerprint(map[string]string{"pw": "one", "x": "1"}, object.StatePaused, sens)
	if a != b {
		t.Error("the fingerprint depends on a sensitive value")
	}
	if a == c || a == d {
		t.Error("the fingerprint misses a change of a value or of the state")
	}
}

func TestPlanWorker(t *testing.T) {
	ch := PlanWorker(WorkerFile{Cluster: "c", Name: "w", Rendered: map[string]string{"a": "1", "name": "x"}})
	if ch.Action != Create || len(ch.Fields) != 2 {
		t.Fatalf("absent file: %+v", ch)
	}
	ch = PlanWorker(WorkerFile{Cluster: "c", Name: "w", Rendered: map[string]string{"a": "1"}, Deployed: map[string]string{"a": "1"}})
	if ch.Action != NoOp {
		t.Fatalf("same file: %+v", ch)
	}
	ch = PlanWorker(WorkerFile{Cluster: "c", Name: "w", Rendered: map[string]string{"a": "2"}, Deployed: map[string]string{"a": "1"}})
	if ch.Action != Update || len(ch.Fields) != 1 {
		t.Fatalf("changed file: %+v", ch)
	}
}
