package apply

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// The rules here are pure: they take live state as values. These table tests
// build that state in memory; the integration tests in e2e_test.go hold the
// same rules against the real workers.

func status(state string, tasks ...string) connect.Connector {
	c := connect.Connector{Name: "s", Status: connect.ConnectorStatus{State: object.State(state), WorkerID: "connect-1:8083"}}
	for i, t := range tasks {
		c.Status.Tasks = append(c.Status.Tasks, connect.TaskStatus{ID: i, State: object.State(t), WorkerID: "connect-2:8083", Trace: "boom\n\tat x"})
	}
	return c
}

// TestSettled: when waitReady calls a connector ready, and when it calls it failed.
func TestSettled(t *testing.T) {
	for _, tc := range []struct {
		name      string
		conn      connect.Connector
		want      object.State
		wantTasks int
		anyCount  bool
		done      bool
		failed    []string
	}{
		{name: "running with its tasks", conn: status("RUNNING", "RUNNING", "RUNNING"), want: object.StateRunning, done: true},
		{name: "running, no task yet", conn: status("RUNNING"), want: object.StateRunning},
		{name: "running, a task still unassigned", conn: status("RUNNING", "RUNNING", "UNASSIGNED"), want: object.StateRunning},
		{name: "running, fewer tasks than tasks.max at first", conn: status("RUNNING", "RUNNING"), want: object.StateRunning, wantTasks: 3},
		{name: "running, fewer tasks than tasks.max after the grace", conn: status("RUNNING", "RUNNING"), want: object.StateRunning, wantTasks: 3, anyCount: true, done: true},
		{name: "running, tasks.max tasks", conn: status("RUNNING", "RUNNING", "RUNNING"), want: object.StateRunning, wantTasks: 2, done: true},
		{name: "still paused, wanted running", conn: status("PAUSED", "PAUSED"), want: object.StateRunning},
		{name: "paused, created paused: no tasks", conn: status("PAUSED"), want: object.StatePaused, done: true},
		{name: "paused with paused tasks", conn: status("PAUSED", "PAUSED"), want: object.StatePaused, done: true},
		{name: "paused, a task still running", conn: status("PAUSED", "PAUSED", "RUNNING"), want: object.StatePaused},
		{name: "stopped, no task left", conn: status("STOPPED"), want: object.StateStopped, done: true},
		{name: "stopped, tasks not gone yet", conn: status("STOPPED", "RUNNING"), want: object.StateStopped},
		{name: "a failed task", conn: status("RUNNING", "RUNNING", "FAILED"), want: object.StateRunning,
			failed: []string{"task 1 on connect-2:8083: boom"}},
		{name: "a failed connector", conn: func() connect.Connector {
			c := status("FAILED")
			c.Status.Trace = "  \n"
			return c
		}(), want: object.StateRunning, failed: []string{"connector on connect-1:8083: (no trace)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done, failed := settled(tc.conn, tc.want, tc.wantTasks, tc.anyCount)
			if done != tc.done {
				t.Errorf("settled = %v, want %v", done, tc.done)
			}
			if d := cmp.Diff(tc.failed, failed); d != "" {
				t.Errorf("failed tasks (-want +got):\n%s", d)
			}
		})
	}
}

func TestResultCounts(t *testing.T) {
	r := &Result{Changes: []ChangeResult{{Outcome: OutcomeApplied}, {Outcome: OutcomeApplied}, {Outcome: OutcomePending}, {Outcome: OutcomeFailed}, {Outcome: OutcomeApplied}}}
	if a, p, f := r.Counts(); a != 3 || p != 1 || f != 1 {
		t.Errorf("Counts = %d applied, %d pending, %d failed; want 3, 1, 1", a, p, f)
	}
}

func TestFirstLine(t *testing.T) {
	for trace, want := range map[string]string{
		"":                                  "(no trace)",
		"\n  \n":                            "(no trace)",
		"org.x.Boom: bad\n\tat a.b(c.java)": "org.x.Boom: bad",
		"  padded  ":                        "padded",
	} {
		if got := FirstLine(trace); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", trace, got, want)
		}
	}
}

// TestSinkHealth: the one-line account status, plan and apply print.
func TestSinkHealth(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       *SinkHealth
		stalled bool
		want    string
	}{
		{name: "not read", h: nil, want: "caught up (lag 0)"},
		{name: "caught up", h: &SinkHealth{Stalled: []string{}}, want: "caught up (lag 0)"},
		{name: "one reading with lag", h: &SinkHealth{Lag: 12}, want: "lag 12 records"},
		{name: "two readings, moving", h: &SinkHealth{Lag: 12, Interval: 62 * time.Second}, want: "lag 12 records, progressing"},
		{name: "stalled", h: &SinkHealth{Lag: 5, Interval: 62400 * time.Millisecond, Stalled: []string{"orders/0", "orders/2"}}, stalled: true,
			want: "stalled: 5 records waiting, committed offsets unmoved for 1m2s on orders/0, orders/2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.h.IsStalled(); got != tc.stalled {
				t.Errorf("IsStalled = %v", got)
			}
			if tc.h == nil {
				return
			}
			if got := tc.h.Summary(); got != tc.want {
				t.Errorf("Summary = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		ok   bool
	}{
		{"3.9.1", Version{3, 9, 1}, true},
		{"4.0.0-ccs", Version{4, 0, 0}, true},
		{"7.9.3-ce", Version{7, 9, 3}, true},
		{"3.5", Version{3, 5, 0}, true},
		{"3", Version{3, 0, 0}, false},
		{"x.1", Version{}, false},
	} {
		got, ok := parseVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	order := []Version{{2, 8, 9}, {3, 4, 1}, {3, 5, 0}, {3, 5, 2}, {4, 0, 0}}
	for i := range order {
		for j := range order {
			if got := order[i].Less(order[j]); got != (i < j) {
				t.Errorf("%v.Less(%v) = %v", order[i], order[j], got)
			}
		}
	}
	if !(Version{3, 5, 0}).AtLeast(3, 5) || (Version{3, 4, 9}).AtLeast(3, 5) || !(Version{4, 0, 0}).AtLeast(3, 7) {
		t.Error("AtLeast")
	}
	cs := &ClusterState{Workers: []*WorkerState{
		{Info: connect.ServerInfo{Version: "3.9.0"}},
		{Info: connect.ServerInfo{Version: "3.4.1"}, Err: errors.New("down")}, // unreachable: not counted
		{Info: connect.ServerInfo{Version: "3.7.2-ccs"}},
		{Info: connect.ServerInfo{Version: "garbage"}},
	}}
	if v, ok := cs.MinVersion(); !ok || v != (Version{3, 7, 2}) {
		t.Errorf("MinVersion = %v, %v; want 3.7.2", v, ok)
	}
	if _, ok := (&ClusterState{}).MinVersion(); ok {
		t.Error("MinVersion of no worker is known")
	}
}

func TestTargeted(t *testing.T) {
	o := PlanOptions{Targets: []string{"orders", "eu/clicks"}}
	for _, tc := range []struct {
		cluster, name string
		want          bool
	}{
		{"eu", "orders", true}, {"us", "orders", true}, {"eu", "clicks", true}, {"us", "clicks", false}, {"eu", "other", false},
	} {
		if got := o.targeted(object.SinkRef(tc.cluster, tc.name)); got != tc.want {
			t.Errorf("targeted(%s, %s) = %v", tc.cluster, tc.name, got)
		}
	}
	if !(PlanOptions{}).targeted(object.SinkRef("any", "thing")) {
		t.Error("no target is everything")
	}
}

func TestWorkerFilePath(t *testing.T) {
	w := &manifest.Worker{Name: "w1", Cluster: "c"}
	if got := (PlanOptions{}).WorkerFilePath(w); got != "" {
		t.Errorf("no workers dir and no propertiesFile: %q", got)
	}
	if got, want := (PlanOptions{WorkersDir: "/srv"}).WorkerFilePath(w), filepath.Join("/srv", "c", "workers", "w1", "connect-distributed.properties"); got != want {
		t.Errorf("under the workers dir: %q, want %q", got, want)
	}
	w.PropertiesFile = "w1.properties"
	if got := (PlanOptions{WorkersDir: "/srv"}).WorkerFilePath(w); got != "w1.properties" {
		t.Errorf("a relative propertiesFile without a source: %q", got)
	}
	w.Src = &manifest.Source{Dir: "/etc/manifests"}
	if got, want := (PlanOptions{}).WorkerFilePath(w), filepath.Join("/etc/manifests", "w1.properties"); got != want {
		t.Errorf("relative to the manifest: %q, want %q", got, want)
	}
	w.PropertiesFile = "/opt/kafka/connect.properties"
	if got := (PlanOptions{WorkersDir: "/srv"}).WorkerFilePath(w); got != "/opt/kafka/connect.properties" {
		t.Errorf("an absolute propertiesFile: %q", got)
	}
}

func TestSensitiveKeys(t *testing.T) {
	cfg := &manifest.Config{
		Values:    map[string]string{"a": "1", "from.secret": "x", "plugin.pw": "y", "auth.password": "z", "my.api.token": "t"},
		Sensitive: map[string]bool{"from.secret": true},
	}
	got := sensitiveKeys(cfg, map[string]bool{"plugin.pw": true, "unset.pw": true}, sensitiveNames{})
	want := map[string]bool{"from.secret": true, "plugin.pw": true, "unset.pw": true, "auth.password": true, "my.api.token": true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sensitive keys (-want +got):\n%s", d)
	}
}

// findingsManifest declares one cluster with two workers and two sinks.
const findingsManifest = `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka:9092]
    groupId: g
    storage: {config: {topic: c}, offset: {topic: o}, status: {topic: s}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
  - {name: w1, cluster: c, url: http://connect-1:8083}
  - {name: w2, cluster: c, url: http://connect-2:8083}
sinks:
  - name: a
    cluster: c
    class: org.example.Sink
    topics: {t: {}}
  - name: b
    cluster: c
    class: org.example.Sink
    topics: {t: {}}
`

func findingsPlan(t *testing.T, live *ClusterState, o PlanOptions) *Session {
	t.Helper()
	m, ds := manifest.Parse("f.yaml", []byte(findingsManifest))
	if ds = append(ds, manifest.Validate(m)...); ds.HasErrors() {
		t.Fatal(ds)
	}
	r, ds := manifest.Render(m, manifest.Unresolved{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return BuildPlan(m, r, map[string]*ClusterState{"c": live}, o)
}

func worker(name, endpoint, clusterID string, plugins ...string) *WorkerState {
	w := &WorkerState{WorkerTarget: WorkerTarget{Name: name, URL: "http://" + endpoint, Endpoint: endpoint},
		Info: connect.ServerInfo{Version: "3.9.0", KafkaClusterID: clusterID}, Plugins: map[string]bool{}}
	for _, p := range plugins {
		w.Plugins[p] = true
	}
	return w
}

// findingLines renders findings as "severity section subject: message" for comparison.
func findingLines(fs []diff.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Severity)+" "+f.Section.String()+" "+f.Subject.String()+": "+f.Message)
	}
	return out
}

// TestPlanFindings: what plan reports about the workers and connectors it read,
// from live state built by hand.
func TestPlanFindings(t *testing.T) {
	const class = "org.example.Sink"
	for _, tc := range []struct {
		name string
		live func() *ClusterState
		o    PlanOptions
		want []string
	}{
		{name: "all well", live: func() *ClusterState {
			return &ClusterState{Workers: []*WorkerState{worker("w1", "connect-1:8083", "k1", class), worker("w2", "connect-2:8083", "k1", class)},
				Connectors: map[string]connect.Connector{}}
		}},
		{name: "a worker down, a plugin missing, a second Kafka cluster, a stranger", live: func() *ClusterState {
			down := worker("w2", "connect-2:8083", "", class)
			down.Err = errors.New("connection refused")
			third := worker("w3", "connect-3:8083", "k2")
			c := status("RUNNING", "RUNNING")
			c.Status.Tasks[0].WorkerID = "stranger:8083"
			return &ClusterState{Workers: []*WorkerState{worker("w1", "connect-1:8083", "k1", class), down, third},
				Connectors: map[string]connect.Connector{"a": c}}
		}, want: []string{
			"warning workers worker c/w2: does not answer at http://connect-2:8083: connection refused",
			"error workers cluster c: workers disagree on kafka_cluster_id: k1 (w1); k2 (w3)",
			"warning workers worker c/stranger:8083: runs connectors or tasks of this cluster but is not declared",
			"error connectors sink c/a: connector class org.example.Sink is not installed on w3",
			"error connectors sink c/b: connector class org.example.Sink is not installed on w3",
		}},
		{name: "failed connector and task", live: func() *ClusterState {
			c := status("FAILED", "RUNNING", "FAILED")
			c.Status.Trace = "org.x.Boom: no\n\tat y"
			return &ClusterState{Workers: []*WorkerState{worker("w1", "connect-1:8083", "k1", class), worker("w2", "connect-2:8083", "k1", class)},
				Connectors: map[string]connect.Connector{"a": c}}
		}, want: []string{
			"warning connectors sink c/a: connector FAILED on connect-1:8083: org.x.Boom: no",
			"warning connectors sink c/a: task 1 FAILED on connect-2:8083: boom",
		}},
		{name: "connectors unread", live: func() *ClusterState {
			return &ClusterState{Workers: []*WorkerState{worker("w1", "connect-1:8083", "k1", class)}, ReadErr: errors.New("timeout")}
		}, want: []string{"error workers cluster c: cannot read the connectors: timeout"}},
		{name: "an unrenderable sink", live: func() *ClusterState {
			return &ClusterState{Workers: []*WorkerState{worker("w1", "connect-1:8083", "k1", class)}, Connectors: map[string]connect.Connector{}}
		}, o: PlanOptions{Unrenderable: map[object.Ref]string{object.SinkRef("c", "b"): "secret PW is not set"}},
			want: []string{"error connectors sink c/b: not planned: secret PW is not set"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := tc.live()
			s := findingsPlan(t, live, tc.o)
			// Compare as sets: the plan's own sort is diff's business.
			got := findingLines(s.Plan.Findings)
			if d := cmp.Diff(slices.Sorted(slices.Values(tc.want)), slices.Sorted(slices.Values(got))); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

// TestPlanUnreadAndUnrenderable: a cluster whose connectors cannot be read is
// listed as unread, with no change; an unrenderable sink gets no change and is
// never pruned.
func TestPlanUnreadAndUnrenderable(t *testing.T) {
	s := findingsPlan(t, &ClusterState{ReadErr: errors.New("x")}, PlanOptions{})
	if d := cmp.Diff([]string{"c"}, s.Plan.Unread); d != "" || len(s.Plan.Changes) != 0 {
		t.Errorf("unread = %v, changes = %v", s.Plan.Unread, s.Plan.Changes)
	}
	s = findingsPlan(t, &ClusterState{Connectors: map[string]connect.Connector{}},
		PlanOptions{Unrenderable: map[object.Ref]string{object.SinkRef("c", "b"): "no"}, Targets: []string{"a", "b"}})
	if len(s.Plan.Changes) != 1 || s.Plan.Changes[0].Name != "a" || s.Sinks[object.SinkRef("c", "b")] != nil || s.Sinks[object.SinkRef("c", "a")] == nil {
		t.Errorf("changes = %+v", s.Plan.Changes)
	}
	if f := s.Plan.Findings; len(f) != 1 || !f[0].Contained {
		t.Errorf("the unrenderable sink's error is not contained: %+v", f)
	}
}

// TestSavedPlanRoundTrip: what plan -out writes, apply FILE reads back as it
// was, with no sensitive value, and Stale finds no difference with itself.
func TestSavedPlanRoundTrip(t *testing.T) {
	p := &diff.Plan{Changes: []diff.Change{
		{Ref: object.SinkRef("c", "a"), Action: diff.Update, StateBefore: object.StateRunning, StateAfter: object.StatePaused,
			Fingerprint: "f1", Fields: []diff.Field{
				{Key: "tasks.max", Before: "1", After: "3", HasBefore: true, HasAfter: true},
				{Key: "auth.password", Before: "old-secret", After: "new-secret", HasBefore: true, HasAfter: true, Sensitive: true},
				{Key: "added", After: "x", HasAfter: true},
			}},
		{Ref: object.SinkRef("c", "b"), Action: diff.NoOp, StateBefore: object.StateRunning, StateAfter: object.StateRunning, Fingerprint: "f2"},
		{Ref: object.WorkerRef("c", "w1"), Action: diff.Create, Path: "/srv/w1.properties", Fingerprint: "f3"},
	}}
	pf := &PlanFile{FormatVersion: PlanFileVersion, Manifests: []string{"m.yaml"}, ManifestDigest: "d", Changes: SaveChanges(p)}
	if len(pf.Changes) != 3 {
		t.Fatalf("no-ops are saved too: %d changes", len(pf.Changes))
	}
	b, err := pf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") {
		t.Fatalf("a sensitive value was saved:\n%s", b)
	}
	if !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("the file does not end with a newline")
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(pf, back); d != "" {
		t.Errorf("round trip (-wrote +read):\n%s", d)
	}
	pw := back.Changes[0].Fields[1]
	if !pw.Sensitive || pw.Before != nil || pw.After != nil || !pw.HasBefore || !pw.HasAfter {
		t.Errorf("the sensitive field: %+v", pw)
	}
	if added := back.Changes[0].Fields[2]; added.Before != nil || added.After == nil || *added.After != "x" {
		t.Errorf("an added field: %+v", added)
	}
	if stale := back.Stale(SaveChanges(p)); len(stale) != 0 {
		t.Errorf("a plan is stale against itself: %v", stale)
	}
}

func TestReadPlanFileRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, want string }{
		{"not json", "plan: yes\n", "is not a connectsync plan"},
		{"another format", `{"format_version": 2, "changes": []}`, "has plan format 2; this connectsync reads 1"},
		{"no format", `{"changes": []}`, "has plan format 0"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadPlanFile(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := ReadPlanFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file reads")
	}
}

// TestStale: every way a saved plan can differ from a fresh one.
func TestStale(t *testing.T) {
	saved := []SavedChange{
		{Action: diff.Update, Kind: object.KindSink, Cluster: "c", Name: "moved", Fingerprint: "f1"},
		{Action: diff.Update, Kind: object.KindSink, Cluster: "c", Name: "same", Fingerprint: "f2", StateAfter: object.StateRunning},
		{Action: diff.Update, Kind: object.KindSink, Cluster: "c", Name: "other", Fingerprint: "f3", StateAfter: object.StateRunning},
		{Action: diff.Delete, Kind: object.KindSink, Cluster: "c", Name: "gone", Fingerprint: "f4"},
	}
	fresh := []SavedChange{
		{Action: diff.Update, Kind: object.KindSink, Cluster: "c", Name: "moved", Fingerprint: "f1-now"},
		{Action: diff.Update, Kind: object.KindSink, Cluster: "c", Name: "same", Fingerprint: "f2", StateAfter: object.StateRunning},
		{Action: diff.Update, Kind: object.KindSink, Cluster: "c", Name: "other", Fingerprint: "f3", StateAfter: object.StatePaused},
		{Action: diff.Create, Kind: object.KindSink, Cluster: "c", Name: "new", Fingerprint: "f5"},
	}
	want := []string{
		"sink c/gone: no longer in the plan",
		"sink c/moved: its live state changed since the plan was made",
		"sink c/new: new in the plan",
		"sink c/other: the change to make is different now",
	}
	if d := cmp.Diff(want, (&PlanFile{Changes: saved}).Stale(fresh)); d != "" {
		t.Errorf("stale (-want +got):\n%s", d)
	}
}

// TestSecretMACsDetectTampering: the saved MACs change with any sensitive
// value, key or presence, with the plan key, and never with the other fields.
func TestSecretMACsDetectTampering(t *testing.T) {
	mk := func(fields ...diff.Field) *diff.Plan {
		return &diff.Plan{Changes: []diff.Change{{Ref: object.SinkRef("c", "a"), Fields: fields}}}
	}
	pw := diff.Field{Key: "auth.password", After: "s1", HasAfter: true, Sensitive: true}
	plain := diff.Field{Key: "tasks.max", After: "1", HasAfter: true}
	dir := t.TempDir()
	k1, err := LoadPlanKey(filepath.Join(dir, "one", "plan.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadPlanKey(filepath.Join(dir, "two", "plan.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID == k2.ID {
		t.Fatal("two keys share an ID")
	}
	again, err := LoadPlanKey(filepath.Join(dir, "one", "plan.key"), true)
	if err != nil || again.ID != k1.ID {
		t.Fatalf("reloading the key with create made another: %v", err)
	}
	base := k1.SecretMACs(mk(pw, plain))
	if len(base) != 1 || base["sink c/a"] == "" {
		t.Fatalf("MACs = %v", base)
	}
	if strings.Contains(base["sink c/a"], "s1") {
		t.Fatal("the MAC holds the value")
	}
	if len(k1.SecretMACs(mk(plain))) != 0 || HasSensitive(mk(plain)) || !HasSensitive(mk(pw)) {
		t.Error("a change without sensitive fields has a MAC")
	}
	pf := &PlanFile{SecretMACs: base}
	if got := pf.StaleSecrets(k1.SecretMACs(mk(pw, diff.Field{Key: "tasks.max", After: "9", HasAfter: true}))); len(got) != 0 {
		t.Errorf("a plain field moved the MAC: %v", got)
	}
	rotated := pw
	rotated.After = "s2"
	renamed := pw
	renamed.Key = "auth.username"
	removed := pw
	removed.HasAfter, removed.After = false, ""
	for name, fresh := range map[string]map[string]string{
		"rotated":       k1.SecretMACs(mk(rotated)),
		"another key":   k1.SecretMACs(mk(renamed)),
		"removed":       k1.SecretMACs(mk(removed)),
		"other machine": k2.SecretMACs(mk(pw)),
		"none now":      {},
	} {
		if got := pf.StaleSecrets(fresh); len(got) != 1 || got[0] != "sink c/a: a secret value changed since the plan was made" {
			t.Errorf("%s: %v", name, got)
		}
	}
	if got := (&PlanFile{}).StaleSecrets(base); len(got) != 1 {
		t.Errorf("a secret new since the plan: %v", got)
	}
}

func TestPlanKeyPath(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name string
		env  func(string) (string, bool)
		want string
	}{
		{"the variable wins", env(PlanKeyEnv, "/k", "XDG_CONFIG_HOME", "/x", "HOME", "/h"), "/k"},
		{"XDG", env("XDG_CONFIG_HOME", "/x", "HOME", "/h"), filepath.Join("/x", "connectsync", "plan.key")},
		{"a relative XDG is ignored", env("XDG_CONFIG_HOME", "x", "HOME", "/h"), filepath.Join("/h", ".config", "connectsync", "plan.key")},
		{"HOME", env("HOME", "/h"), filepath.Join("/h", ".config", "connectsync", "plan.key")},
	} {
		got, err := PlanKeyPath(tc.env)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := PlanKeyPath(env()); err == nil || !strings.Contains(err.Error(), PlanKeyEnv) {
		t.Errorf("no home: %v", err)
	}
}

func TestLoadPlanKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadPlanKey(filepath.Join(dir, "missing"), false); err == nil || !strings.Contains(err.Error(), "made by another user or on another machine") {
		t.Errorf("missing: %v", err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlanKey(short, false); err == nil || !strings.Contains(err.Error(), "is not 32 hex-encoded bytes") {
		t.Errorf("short: %v", err)
	}
	if _, err := LoadPlanKey(dir, false); err == nil {
		t.Error("a directory is a key")
	}
}

// TestApplyWithoutWorkers: with no worker answering, sink changes are pending
// (nothing was written), worker files are still written, and no-ops are skipped.
func TestApplyWithoutWorkers(t *testing.T) {
	dir := t.TempDir()
	s := &Session{
		Plan: &diff.Plan{Changes: []diff.Change{
			{Ref: object.SinkRef("c", "a"), Action: diff.Create},
			{Ref: object.SinkRef("c", "same"), Action: diff.NoOp},
			{Ref: object.WorkerRef("c", "w1"), Action: diff.Update},
			{Ref: object.WorkerRef("c", "unrendered"), Action: diff.Update},
		}},
		Clusters: map[string]*ClusterState{"c": {}},
		Workers:  map[object.Ref]*WorkerDesired{object.WorkerRef("c", "w1"): {Path: filepath.Join(dir, "w1", "x.properties"), Data: []byte("a=1\n"), Mode: 0o644}},
	}
	var steps []string
	res := s.Apply(t.Context(), Options{Progress: func(e Event) { steps = append(steps, e.Change.Name+" "+e.Step) }})
	var got []string
	for _, r := range res.Changes {
		got = append(got, r.Change.Name+" "+string(r.Outcome))
	}
	if d := cmp.Diff([]string{"w1 applied", "unrendered failed", "a pending"}, got); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"w1 written"}, steps); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
	if len(res.RestartWorkers) != 2 {
		t.Errorf("restart workers: %v", res.RestartWorkers)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "w1", "x.properties")); err != nil || string(b) != "a=1\n" {
		t.Errorf("worker file: %q %v", b, err)
	}
}

// TestWriteFilesUnder: render never writes through a link inside its tree.
func TestWriteFilesUnder(t *testing.T) {
	root := t.TempDir()
	write := func(rel string, data []byte, mode fs.FileMode) error {
		return WriteFilesUnder(root, []TreeFile{{Rel: rel, Data: data, Mode: mode}}, 1)
	}
	files := []TreeFile{
		{Rel: "c/workers/w1/x.properties", Data: []byte("a=1\n"), Mode: 0o644},
		{Rel: "c/workers/w2/x.properties", Data: []byte("b=2\n"), Mode: 0o644},
		{Rel: "c/sinks/s.json", Data: []byte("{}\n"), Mode: 0o644},
	}
	if err := WriteFilesUnder(root, files, 4); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Rel))); err != nil || string(b) != string(f.Data) {
			t.Fatalf("%s: %q %v", f.Rel, b, err)
		}
	}
	if err := write("c/workers/w1/x.properties", []byte("a=2\n"), 0o600); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if info, err := os.Stat(filepath.Join(root, "c", "workers", "w1", "x.properties")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("a secret file's mode: %v %v", info.Mode(), err)
	}
	for _, rel := range []string{"../escape", "/abs/path"} {
		if err := write(rel, nil, 0o644); !errors.Is(err, ErrOutsideTree) {
			t.Errorf("%s: %v", rel, err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write("file/x", nil, 0o644); !errors.Is(err, ErrOutsideTree) {
		t.Errorf("through a file: %v", err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(root, "link")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := write("link/x", nil, 0o644); !errors.Is(err, ErrOutsideTree) {
		t.Errorf("through a link: %v", err)
	}
}

// TestReadHealth: a sink that reached RUNNING is ready unless Kafka says its
// records wait while its offsets do not move; an unreadable health leaves it ready.
func TestReadHealth(t *testing.T) {
	results := []ChangeResult{
		{Change: diff.Change{Ref: object.SinkRef("c", "stalled")}, Outcome: OutcomeApplied},
		{Change: diff.Change{Ref: object.SinkRef("c", "moving")}, Outcome: OutcomeApplied},
		{Change: diff.Change{Ref: object.SinkRef("c", "unread")}, Outcome: OutcomeApplied},
		{Change: diff.Change{Ref: object.SinkRef("c", "not-watched")}, Outcome: OutcomeApplied},
	}
	health := func(_ context.Context, sink object.Ref) (*SinkHealth, error) {
		switch sink.Name {
		case "stalled":
			return &SinkHealth{Group: "connect-stalled", Lag: 3, Interval: 2 * time.Second, Stalled: []string{"t/0"}}, nil
		case "moving":
			return &SinkHealth{Group: "connect-moving", Lag: 3, Interval: 2 * time.Second}, nil
		}
		return nil, errors.New("no broker")
	}
	var steps []string
	(&Session{}).readHealth(t.Context(), results, []int{0, 1, 2}, Options{Health: health},
		func(e Event) { steps = append(steps, e.Change.Name+" "+e.Step) })
	if d := cmp.Diff([]string{"stalled stalled", "moving ready", "unread ready"}, steps); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	var got []string
	for _, r := range results {
		got = append(got, r.Change.Name+" "+string(r.Outcome))
	}
	if d := cmp.Diff([]string{"stalled failed", "moving applied", "unread applied", "not-watched applied"}, got); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if err := results[0].Err; err == nil || !strings.Contains(err.Error(), "RUNNING but stalled: 3 records waiting") || !strings.Contains(err.Error(), "consumer group connect-stalled") {
		t.Errorf("the stalled sink's error: %v", err)
	}
	if results[1].Health == nil || results[2].Health != nil {
		t.Errorf("health kept: %v %v", results[1].Health, results[2].Health)
	}
}

func TestClusterClient(t *testing.T) {
	c1, c2 := &connect.Client{}, &connect.Client{}
	down := &WorkerState{Client: c1, Err: errors.New("down")}
	up := &WorkerState{Client: c2}
	if got := (&ClusterState{Workers: []*WorkerState{down, up}}).Client(); got != c2 {
		t.Error("the client is not the first worker that answered")
	}
	if got := (&ClusterState{Workers: []*WorkerState{down, up}, ReadFrom: down}).Client(); got != c1 {
		t.Error("the client is not the worker the connectors were read from")
	}
	if got := (&ClusterState{Workers: []*WorkerState{down}}).Client(); got != nil {
		t.Error("a client with no worker answering")
	}
}

// TestLockPath: the lock is the cluster's identity (its group.id), with a
// readable, file-name-safe label.
func TestLockPath(t *testing.T) {
	a := LockPath("/l", &manifest.Cluster{Name: "prod", GroupID: "connect-prod"})
	b := LockPath("/l", &manifest.Cluster{Name: "other-name", GroupID: "connect-prod"})
	c := LockPath("/l", &manifest.Cluster{Name: "prod", GroupID: "connect-staging"})
	if a != b || a == c {
		t.Errorf("lock paths: %s %s %s", a, b, c)
	}
	if !strings.HasPrefix(a, filepath.Join("/l", "connect-connect-prod-")) || !strings.HasSuffix(a, ".lock") {
		t.Errorf("lock path %s", a)
	}
	if got := LockPath("/l", &manifest.Cluster{Name: "n/../x y"}); !strings.HasPrefix(filepath.Base(got), "connect-n_.._x_y-") {
		t.Errorf("a cluster without group.id: %s", got)
	}
	if got := readable(strings.Repeat("g", 100), ""); got != "connect-"+strings.Repeat("g", 64) {
		t.Errorf("a long group.id: %s", got)
	}
}

// TestLockIsExclusive: a second Acquire fails at once and names the holder;
// after Release it succeeds.
func TestLockIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := LockPath(dir, &manifest.Cluster{Name: "c", GroupID: "g"})
	l, err := Acquire(path, "apply -f m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(path, "second"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "(apply -f m.yaml)") {
		t.Errorf("second acquire: %v", err)
	}
	l.Release()
	l.Release() // twice is harmless
	l2, err := Acquire(path, "third")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

func TestCountOf(t *testing.T) {
	if countOf(3, 3) != "all of them" || countOf(2, 3) != "2 of them" {
		t.Error("countOf")
	}
}

// TestSinkWrites: the order of one connector's writes. A connector that is to
// stop running changes state before its config, so a new config never runs;
// one that is to run gets its config first, and resumes on it.
func TestSinkWrites(t *testing.T) {
	cfg := []diff.Field{{Key: "tasks.max", Before: "1", After: "2", HasBefore: true, HasAfter: true}}
	change := func(a diff.Action, before, after object.State, fields []diff.Field, restart bool) diff.Change {
		return diff.Change{Ref: object.SinkRef("c", "s"), Action: a, StateBefore: before, StateAfter: after, Fields: fields, RestartFailed: restart}
	}
	show := func(ws []sinkWrite) []string {
		var out []string
		for _, w := range ws {
			out = append(out, map[sinkOp]string{opDelete: "delete", opCreate: "create", opState: "state " + w.state.Word(), opConfig: "config", opRestart: "restart"}[w.op])
		}
		return out
	}
	running, paused, stopped := object.StateRunning, object.StatePaused, object.StateStopped
	for _, tc := range []struct {
		name string
		ch   diff.Change
		want []string
	}{
		{"delete", change(diff.Delete, running, "", nil, false), []string{"delete"}},
		{"create paused", change(diff.Create, "", paused, cfg, false), []string{"create"}},
		{"config only", change(diff.Update, running, running, cfg, false), []string{"config"}},
		{"pause with a new config: pause first", change(diff.Update, running, paused, cfg, false), []string{"state paused", "config"}},
		{"stop with a new config: stop first", change(diff.Update, running, stopped, cfg, false), []string{"state stopped", "config"}},
		{"resume with a new config: config first", change(diff.Update, paused, running, cfg, false), []string{"config", "state running"}},
		{"resume only", change(diff.Update, stopped, running, nil, false), []string{"state running"}},
		{"restart failed tasks, last", change(diff.Update, paused, running, cfg, true), []string{"config", "state running", "restart"}},
		{"a no-op restart", change(diff.NoOp, running, running, nil, true), []string{"restart"}},
	} {
		if d := cmp.Diff(tc.want, show(sinkWrites(tc.ch))); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

// TestCreatesInState: initial_state (Kafka 3.7+) creates a connector paused or
// stopped at once; older workers, or none known, get create then pause.
func TestCreatesInState(t *testing.T) {
	cluster := func(versions ...string) *ClusterState {
		cs := &ClusterState{}
		for _, v := range versions {
			cs.Workers = append(cs.Workers, &WorkerState{Info: connect.ServerInfo{Version: v}})
		}
		return cs
	}
	paused := diff.Change{Ref: object.SinkRef("c", "s"), Action: diff.Create, StateAfter: object.StatePaused}
	running := diff.Change{Ref: object.SinkRef("c", "s"), Action: diff.Create, StateAfter: object.StateRunning}
	for _, tc := range []struct {
		name string
		ch   diff.Change
		cs   *ClusterState
		want bool
	}{
		{"paused on 3.7", paused, cluster("3.7.0", "4.0.0"), true},
		{"paused, one worker on 3.6", paused, cluster("3.6.2", "4.0.0"), false},
		{"paused, no version known", paused, cluster(), false},
		{"running", running, cluster("4.0.0"), false},
	} {
		if got := createsInState(tc.ch, tc.cs); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

// TestPlanMaskedAndTargeted: keys a worker masks are not compared, and said so;
// --target plans only the sinks and workers it names; a worker file that
// cannot be read is an error at the worker.
func TestPlanMaskedAndTargeted(t *testing.T) {
	m, ds := manifest.Parse("f.yaml", []byte(findingsManifest+`    config: {api.secret: {secretEnv: API}}
`))
	if ds = append(ds, manifest.Validate(m)...); ds.HasErrors() {
		t.Fatal(ds)
	}
	r, ds := manifest.Render(m, manifest.EnvResolver{Env: func(string) (string, bool) { return "s3cret", true }})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	live := map[string]connect.Connector{"other": status("RUNNING", "RUNNING")}
	for _, rs := range r.Sinks {
		cfg := maps.Clone(rs.Config.Values)
		if _, ok := cfg["api.secret"]; ok {
			cfg["api.secret"] = diff.Masks[0]
		}
		c := status("RUNNING", "RUNNING")
		c.Name, c.Config = rs.Sink.Name, cfg
		live[rs.Sink.Name] = c
	}
	cs := &ClusterState{Connectors: live, Workers: []*WorkerState{
		worker("w1", "connect-1:8083", "k1", "org.example.Sink"), worker("w2", "connect-2:8083", "k1", "org.example.Sink")}}
	s := BuildPlan(m, r, map[string]*ClusterState{"c": cs}, PlanOptions{
		Targets: []string{"b", "c/w1"}, WorkersDir: t.TempDir(),
		ReadFile: func(string) ([]byte, error) { return nil, errors.New("permission denied") },
	})
	var names []string
	for _, ch := range s.Plan.Changes {
		names = append(names, ch.Ref.String()+" "+string(ch.Action))
	}
	if d := cmp.Diff([]string{"sink c/b no-op"}, names); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	want := []string{
		"error workers worker c/w1: cannot read the deployed properties: permission denied",
		"info connectors sink c/b: the worker masks api.secret, so it was not compared",
	}
	if d := cmp.Diff(want, slices.Sorted(slices.Values(findingLines(s.Plan.Findings)))); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}

// TestManifestDigest: a saved plan is stale when a manifest file changes, or
// one is added to a directory it was made from.
func TestManifestDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "version: 1\n")
	d1, err := ManifestDigest([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := ManifestDigest([]string{dir}); again != d1 {
		t.Error("the digest is not stable")
	}
	write("b.yml", "version: 1\n")
	d2, _ := ManifestDigest([]string{dir})
	write("a.yaml", "version: 1 \n")
	d3, _ := ManifestDigest([]string{dir})
	if d1 == d2 || d2 == d3 {
		t.Errorf("digests: %s %s %s", d1, d2, d3)
	}
	if _, err := ManifestDigest([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing manifest has a digest")
	}
}

func TestWriteFileAtomicRefuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(filepath.Join(file, "x"), []byte("a"), 0o644); err == nil {
		t.Error("wrote under a file")
	}
	if err := WriteFileAtomic(filepath.Join(dir, "sub", "x"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(dir, "sub", "x")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode: %v %v", info.Mode(), err)
	}
}

// TestPlannerMatchesBuildPlan: planning clusters one at a time, in any
// order (as their reads end), gives BuildPlan's plan: the same changes,
// findings, unread clusters and desired sinks.
func TestPlannerMatchesBuildPlan(t *testing.T) {
	const class = "org.example.Sink"
	text := strings.Replace(findingsManifest, "clusters:\n", `clusters:
  - name: b2
    bootstrapServers: [kafka:9092]
    groupId: g2
    storage: {config: {topic: c2}, offset: {topic: o2}, status: {topic: s2}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
    prune: {enabled: true}
  - name: a3
    bootstrapServers: [kafka:9092]
    groupId: g3
    storage: {config: {topic: c3}, offset: {topic: o3}, status: {topic: s3}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
`, 1) + `  - {name: x, cluster: b2, class: org.example.Sink, topics: {t: {}}}
  - {name: y, cluster: a3, class: org.example.Sink, topics: {t: {}}}
`
	text = strings.Replace(text, "workers:\n", "workers:\n  - {name: v1, cluster: b2, url: http://connect-4:8083}\n  - {name: u1, cluster: a3, url: http://connect-5:8083}\n", 1)
	m, ds := manifest.Parse("f.yaml", []byte(text))
	if ds = append(ds, manifest.Validate(m)...); ds.HasErrors() {
		t.Fatal(ds)
	}
	r, ds := manifest.Render(m, manifest.Unresolved{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	failed := status("FAILED", "RUNNING", "FAILED")
	failed.Config = map[string]string{"connector.class": class, "topics": "t", "name": "a"}
	live := map[string]*ClusterState{
		"c": {Workers: []*WorkerState{worker("w1", "connect-1:8083", "k1", class), worker("w2", "connect-2:8083", "k2")},
			Connectors: map[string]connect.Connector{"a": failed}},
		"b2": {Workers: []*WorkerState{worker("v1", "connect-4:8083", "k1", class)},
			Connectors: map[string]connect.Connector{"gone": {Name: "gone", Config: map[string]string{"k": "v"}, Status: connect.ConnectorStatus{State: object.StatePaused}}}},
		"a3": {ReadErr: errors.New("timeout")},
	}
	want := BuildPlan(m, r, live, PlanOptions{RestartFailed: true})
	if len(want.Plan.Changes) == 0 || len(want.Plan.Findings) == 0 || len(want.Plan.Unread) == 0 {
		t.Fatalf("the plan should have changes, findings and an unread cluster: %+v", want.Plan)
	}
	for _, order := range [][]string{{"c", "b2", "a3"}, {"a3", "b2", "c"}, {"b2", "a3", "c"}} {
		pl := NewPlanner(m, r, PlanOptions{RestartFailed: true})
		for _, name := range order {
			pl.Cluster(name, live[name])
		}
		got := pl.Session(live)
		if d := cmp.Diff(want.Plan, got.Plan); d != "" {
			t.Errorf("planned in the order %v (-BuildPlan +Planner):\n%s", order, d)
		}
		if d := cmp.Diff(sinkRefs(want), sinkRefs(got)); d != "" {
			t.Errorf("planned in the order %v: desired sinks (-BuildPlan +Planner):\n%s", order, d)
		}
	}
}

func sinkRefs(s *Session) []string {
	var out []string
	for ref := range s.Sinks {
		out = append(out, ref.String())
	}
	slices.Sort(out)
	return out
}
