package apply

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
)

// Worker files are planned and written locally: no cluster is involved.
const workerManifest = `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka:9092]
    groupId: g
    storage:
      config: {topic: cfg}
      offset: {topic: off}
      status: {topic: st}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
    properties:
      sasl.jaas.config: {secretEnv: JAAS}
workers:
  - {name: w1, cluster: c, url: http://connect-1:8083}
  - {name: w2, cluster: c, url: http://connect-2:8083}
`

func renderWorkers(t *testing.T, jaas string) (*manifest.Manifest, *manifest.Rendered) {
	t.Helper()
	m, ds := manifest.Parse("connect.yaml", []byte(workerManifest))
	ds = append(ds, manifest.Validate(m)...)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	r, ds := manifest.Render(m, manifest.EnvResolver{Env: func(string) (string, bool) { return jaas, true }})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return m, r
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func TestWorkerFilesPlanAndApply(t *testing.T) {
	dir := t.TempDir()
	m, r := renderWorkers(t, "secret-one")
	opts := PlanOptions{WorkersDir: dir, ReadFile: readIfExists}

	s := BuildPlan(m, r, map[string]*ClusterState{}, opts)
	if c, u, d, _ := s.Plan.Counts(); c != 2 || u != 0 || d != 0 {
		t.Fatalf("first plan: %d create, %d update, %d delete; want 2 creates", c, u, d)
	}
	res := s.Apply(t.Context(), Options{Wait: -1})
	if applied, _, failed := res.Counts(); applied != 2 || failed != 0 || len(res.RestartWorkers) != 2 {
		t.Fatalf("apply: %+v", res)
	}
	path := filepath.Join(dir, "c", "workers", "w1", "connect-distributed.properties")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("a file holding a secret has mode %v, want 0600", info.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "c", "workers", "w1", ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	// Applied: the next plan is empty.
	if s := BuildPlan(m, r, map[string]*ClusterState{}, opts); s.Plan.HasChanges() {
		t.Fatalf("plan after apply has changes: %+v", s.Plan.Changes)
	}

	// Drift by hand on one worker, and a rotated secret on both.
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "group.id=g", "group.id=other", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, r = renderWorkers(t, "secret-two")
	s = BuildPlan(m, r, map[string]*ClusterState{}, opts)
	var w1 diff.Change
	for _, ch := range s.Plan.Changes {
		if ch.Name == "w1" {
			w1 = ch
		}
	}
	if w1.Action != diff.Update || len(w1.Fields) != 2 {
		t.Fatalf("w1: %+v", w1)
	}
	for _, f := range w1.Fields {
		if f.Key == "sasl.jaas.config" && !f.Sensitive {
			t.Error("the rotated secret is not marked sensitive")
		}
	}
}

// TestStoppedNeedsKafka35 plans a stop on a cluster whose workers run Kafka
// 3.4, which has no stopped state: the plan has an error with a hint. The
// live state is built by hand: the local cluster runs a newer Kafka.
func TestStoppedNeedsKafka35(t *testing.T) {
	const doc = `version: 1
clusters:
  - name: old
    bootstrapServers: [kafka:9092]
    groupId: g
    storage: {config: {topic: c}, offset: {topic: o}, status: {topic: s}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
  - {name: w1, cluster: old, url: http://connect-1:8083}
sinks:
  - name: s
    cluster: old
    class: org.example.Sink
    state: stopped
    topics: {t: {}}
`
	m, ds := manifest.Parse("old.yaml", []byte(doc))
	if ds = append(ds, manifest.Validate(m)...); ds.HasErrors() {
		t.Fatal(ds)
	}
	r, _ := manifest.Render(m, manifest.Unresolved{})
	live := map[string]*ClusterState{"old": {
		Workers: []*WorkerState{{WorkerTarget: WorkerTarget{Name: "w1"},
			Info: connect.ServerInfo{Version: "3.4.1"}, Plugins: map[string]bool{"org.example.Sink": true}}},
		Connectors: map[string]connect.Connector{"s": {Name: "s", Config: r.Sinks[0].Config.Values,
			Status: connect.ConnectorStatus{State: "RUNNING"}}},
	}}
	s := BuildPlan(m, r, live, PlanOptions{})
	if !s.Plan.HasErrors() {
		t.Fatalf("no error finding: %+v", s.Plan.Findings)
	}
	f := s.Plan.Findings[0]
	if f.Where != "old.yaml:16:12" || !strings.Contains(f.Message, "needs Kafka Connect 3.5") || f.Hint == "" {
		t.Errorf("finding: %+v", f)
	}
}
