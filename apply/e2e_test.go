package apply_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/internal/cli"
	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// These tests drive the connectsync CLI against the real local cluster:
// a KRaft broker and three distributed workers started from Maven Central
// jars (internal/testcluster). Nothing here is a fake.
func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

const fileSink = "org.apache.kafka.connect.file.FileStreamSinkConnector"

// clusterYAML is the local cluster with short REST timeouts, so that a
// frozen worker costs seconds, not minutes, and prune on (tests limit it to
// their own connectors with --target).
var clusterYAML = testcluster.ManifestHeader("rest: {timeout: 5s, retryFor: 30s}", "prune: {enabled: true}")

// sink returns a FileStreamSink declaration for the test manifest.
func sink(name, state string, tasks int, extra string) string {
	return fmt.Sprintf(`  - name: %s
    cluster: local
    class: %s
    state: %s
    tasksMax: %d
    topics: {%s-topic: {}}
    config:
      file: .cluster/%s.txt
%s`, name, fileSink, state, tasks, name, name, extra)
}

type run struct {
	stdout, stderr string
	code           int
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// connectsync runs the CLI in-process with the given environment variables,
// without a terminal.
func connectsync(t *testing.T, env map[string]string, args ...string) run {
	t.Helper()
	return connectsyncOn(t, env, nil, args...)
}

// connectsyncOn runs the CLI as if stdin were a terminal on which the user
// types terminal, or without a terminal when terminal is nil.
func connectsyncOn(t *testing.T, env map[string]string, terminal *string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	stdin := ""
	if terminal != nil {
		stdin = *terminal
	}
	code := cli.Main(args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, StdinIsTTY: terminal != nil,
		LookupEnv: func(k string) (string, bool) {
			if v, ok := env[k]; ok {
				return v, true
			}
			if k == apply.PlanKeyEnv {
				// Keep the tests' plan key out of the user's config dir.
				return testPlanKey(), true
			}
			return os.LookupEnv(k)
		},
	})
	r := run{out.String(), errb.String(), code}
	t.Logf("connectsync %s: exit %d", strings.Join(args, " "), code)
	return r
}

var (
	planKeyOnce sync.Once
	planKeyPath string
)

// testPlanKey is the plan key file the tests' runs share, in a directory
// of their own.
func testPlanKey() string {
	planKeyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "connectsync-e2e-plankey-")
		if err != nil {
			panic(err)
		}
		planKeyPath = filepath.Join(dir, "plan.key")
	})
	return planKeyPath
}

func writeManifest(t *testing.T, dir, sinks string) string {
	t.Helper()
	p := filepath.Join(dir, "connect.yaml")
	if err := os.WriteFile(p, []byte(clusterYAML+sinks), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// uniqueName returns a connector name for this test, and deletes the
// connector when the test ends, pass or fail.
func uniqueName(t *testing.T, prefix string) string {
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		cl, err := connect.New(testcluster.WorkerURLs[0], connect.Options{})
		if err == nil {
			_ = cl.Delete(context.Background(), name)
		}
	})
	return name
}

func client(t *testing.T, c *testcluster.Cluster) *connect.Client {
	t.Helper()
	cl, err := connect.New(c.WorkerURLs[0], connect.Options{Retry: connect.RetryPolicy{MaxElapsedTime: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// mustApply applies (a run with nothing to do is fine: it has converged) and
// then checks that the next plan is empty.
func mustApply(t *testing.T, manifest string, env map[string]string, args ...string) run {
	t.Helper()
	r := connectsync(t, env, append([]string{"apply", "-f", manifest, "--auto-approve"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Apply complete:") && !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("apply failed:\n%s", r)
	}
	assertNoChanges(t, manifest, env, args...)
	return r
}

func assertNoChanges(t *testing.T, manifest string, env map[string]string, args ...string) {
	t.Helper()
	r := connectsync(t, env, append([]string{"plan", "-f", manifest, "--detailed-exitcode"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "No changes. Live state matches the manifest.") {
		t.Fatalf("the plan after apply is not empty:\n%s", r)
	}
}

func liveState(t *testing.T, cl *connect.Client, name string) (object.State, []connect.TaskStatus) {
	t.Helper()
	conns, err := cl.Connectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := conns[name]
	if !ok {
		return "", nil
	}
	return c.Status.State, c.Status.Tasks
}

// TestLifecycle walks one connector through create, update, tasks.max,
// pause, resume, stop and prune, and checks after each apply that the next
// plan is empty and the live state is what the manifest says.
func TestLifecycle(t *testing.T) {
	c := testcluster.Get(t)
	cl := client(t, c)
	dir := t.TempDir()
	name := uniqueName(t, "lifecycle")
	target := []string{"--target", "local/" + name}
	step := func(what, sinks string, wantState object.State, wantTasks int) {
		t.Helper()
		m := writeManifest(t, dir, sinks)
		plan := connectsync(t, nil, append([]string{"plan", "-f", m, "--detailed-exitcode"}, target...)...)
		if plan.code != 2 {
			t.Fatalf("%s: plan should show changes (exit 2):\n%s", what, plan)
		}
		mustApply(t, m, nil, target...)
		state, tasks := liveState(t, cl, name)
		if state != wantState || len(tasks) != wantTasks {
			t.Fatalf("%s: live state %s with %d tasks, want %s with %d", what, state, len(tasks), wantState, wantTasks)
		}
		t.Logf("%s: %s, %d tasks; next plan empty", what, state, len(tasks))
	}
	step("create", sink(name, "running", 1, ""), "RUNNING", 1)
	step("update a key", sink(name, "running", 1, "      flush.note: changed\n"), "RUNNING", 1)
	step("tasks.max 1 -> 3", sink(name, "running", 3, "      flush.note: changed\n"), "RUNNING", 3)
	step("pause", sink(name, "paused", 3, "      flush.note: changed\n"), "PAUSED", 3)
	step("resume with a config change", sink(name, "running", 2, ""), "RUNNING", 2)
	step("stop", sink(name, "stopped", 2, ""), "STOPPED", 0)
	step("start again", sink(name, "running", 2, ""), "RUNNING", 2)

	// Prune: the connector leaves the manifest. --target keeps the prune to
	// this test's connector; the cluster runs others.
	m := writeManifest(t, dir, "")
	plan := connectsync(t, nil, "plan", "-f", m, "--target", "local/"+name)
	if !strings.Contains(plan.stdout, "- sink "+name) || !strings.Contains(plan.stdout, "Plan: 0 to create, 0 to change, 1 to delete.") {
		t.Fatalf("prune plan:\n%s", plan)
	}
	mustApply(t, m, nil, "--target", "local/"+name)
	if state, _ := liveState(t, cl, name); state != "" {
		t.Fatalf("pruned connector still there: %s", state)
	}
}

// TestSecretCanary runs every command with a secret whose value must appear
// in no output and no plan file.
func TestSecretCanary(t *testing.T) {
	c := testcluster.Get(t)
	_ = c
	dir := t.TempDir()
	name := uniqueName(t, "sec-canary")
	const canary = "CANARY-7f3a9c-s3cr3t"
	env := map[string]string{"CONNECTSYNC_TEST_CANARY": canary}
	m := writeManifest(t, dir, sink(name, "running", 1, "      sasl.jaas.password: {secretEnv: CONNECTSYNC_TEST_CANARY}\n"))
	planFile := filepath.Join(dir, "plan.out")
	target := []string{"--target", "local/" + name}
	runs := []run{
		connectsync(t, env, "validate", "-f", m),
		connectsync(t, env, "render", "-f", m),
		connectsync(t, env, append([]string{"plan", "-f", m, "-out", planFile}, target...)...),
		connectsync(t, env, append([]string{"plan", "-f", m, "--json"}, target...)...),
		connectsync(t, env, "apply", planFile),
		connectsync(t, env, append([]string{"plan", "-f", m, "--json"}, target...)...),
	}
	// Every other command and format, now that the connector exists; and
	// apply's error path, a saved plan that is stale.
	runs = append(runs,
		connectsync(t, env, "status", "-f", m),
		connectsync(t, env, "status", "--json", "-f", m),
		connectsync(t, env, append([]string{"apply", "-f", m, "--auto-approve", "--json"}, target...)...),
		connectsync(t, env, append([]string{"apply", "-f", m, "--auto-approve"}, target...)...),
		connectsync(t, env, "apply", planFile),
	)
	if r := runs[len(runs)-1]; r.code != 1 || !strings.Contains(r.stderr, "stale") {
		t.Errorf("a used plan is not refused as stale:\n%s", r)
	}
	// Change the secret: the plan shows the key changed, never the values.
	env["CONNECTSYNC_TEST_CANARY"] = canary + "-rotated"
	runs = append(runs, connectsync(t, env, append([]string{"plan", "-f", m}, target...)...))
	last := runs[len(runs)-1]
	if !strings.Contains(last.stdout, "~ sasl.jaas.password = (sensitive value) (changed)") {
		t.Errorf("rotated secret not shown as a sensitive change:\n%s", last)
	}
	for i, r := range runs {
		if strings.Contains(r.stdout+r.stderr, canary) {
			t.Errorf("run %d printed the canary:\n%s", i, r)
		}
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(canary)) {
		t.Errorf("the plan file holds the canary:\n%s", b)
	}
	if runs[4].code != 0 {
		t.Fatalf("apply of the saved plan failed:\n%s", runs[4])
	}
	// Clean up through prune.
	mustApply(t, writeManifest(t, dir, ""), env, target...)
}

// TestStalePlanRefused saves a plan, moves the live state behind its back,
// and expects apply FILE to refuse and say what moved.
func TestStalePlanRefused(t *testing.T) {
	c := testcluster.Get(t)
	cl := client(t, c)
	dir := t.TempDir()
	name := uniqueName(t, "stale")
	target := []string{"--target", "local/" + name}
	m := writeManifest(t, dir, sink(name, "running", 1, ""))
	mustApply(t, m, nil, target...)

	m = writeManifest(t, dir, sink(name, "running", 2, ""))
	planFile := filepath.Join(dir, "plan.out")
	if r := connectsync(t, nil, append([]string{"plan", "-f", m, "-out", planFile}, target...)...); r.code != 0 {
		t.Fatalf("plan -out:\n%s", r)
	}
	cfg, err := cl.Config(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	cfg["file"] = ".cluster/moved-by-hand.txt"
	if _, err := cl.PutConfig(context.Background(), name, cfg); err != nil {
		t.Fatal(err)
	}
	r := connectsync(t, nil, "apply", planFile)
	if r.code != 1 || !strings.Contains(r.stderr, "stale") || !strings.Contains(r.stderr, "sink local/"+name+": its live state changed") {
		t.Fatalf("a stale plan was not refused:\n%s", r)
	}
	if got, _ := cl.Config(context.Background(), name); got["tasks.max"] != "1" {
		t.Fatalf("the refused apply wrote tasks.max=%s", got["tasks.max"])
	}
	mustApply(t, writeManifest(t, dir, ""), nil, target...)
}

// TestMissingPluginReportedBeforeAnyWrite declares a class no worker has.
func TestMissingPluginReportedBeforeAnyWrite(t *testing.T) {
	c := testcluster.Get(t)
	cl := client(t, c)
	dir := t.TempDir()
	name := uniqueName(t, "noplugin")
	m := writeManifest(t, dir, strings.Replace(sink(name, "running", 1, ""), fileSink, "com.example.MissingSinkConnector", 1))
	for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
		r := connectsync(t, nil, append(args, "-f", m, "--target", "local/"+name)...)
		want := "sink local/" + name + ": connector class com.example.MissingSinkConnector is not installed on worker-1, worker-2, worker-3"
		if r.code != 1 || !strings.Contains(r.stdout+r.stderr, want) {
			t.Fatalf("%s: want exit 1 and %q:\n%s", args[0], want, r)
		}
	}
	if state, _ := liveState(t, cl, name); state != "" {
		t.Fatalf("the connector was written despite the missing plugin: %s", state)
	}
}

// TestSecondApplyFailsFast holds a cluster's apply lock and expects a
// second apply to fail at once, naming the holder.
func TestSecondApplyFailsFast(t *testing.T) {
	testcluster.Get(t)
	dir := t.TempDir()
	t.Setenv("CONNECTSYNC_LOCK_DIR", dir)
	mf := writeManifest(t, dir, "")
	m, ds := manifest.Load(mf)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	lock, err := apply.Acquire(apply.LockPath(dir, m.Clusters[0]), "held by the test")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	start := time.Now()
	r := connectsync(t, nil, "apply", "-f", mf, "--auto-approve")
	if r.code != 1 || !strings.Contains(r.stderr, "another apply holds the lock: pid") || !strings.Contains(r.stderr, "held by the test") {
		t.Fatalf("second apply:\n%s", r)
	}
	t.Logf("second apply refused in %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(r.stderr))
}

// TestApplyDuringWorkerRestartAndFreeze applies while a worker restarts, and
// while one is frozen (SIGSTOP, like a partition). Each apply finishes or
// fails cleanly; once the worker is back, a re-run converges.
func TestApplyDuringWorkerRestartAndFreeze(t *testing.T) {
	c := testcluster.Get(t)
	c.Exclusive(t)
	dir := t.TempDir()
	var names []string
	var sinks string
	for i := 0; i < 4; i++ {
		n := uniqueName(t, fmt.Sprintf("fault%d", i))
		names = append(names, n)
		sinks += sink(n, "running", 2, "")
	}
	var targets []string
	for _, n := range names {
		targets = append(targets, "--target", "local/"+n)
	}
	m := writeManifest(t, dir, sinks)

	restarted := make(chan error, 1)
	go func() { restarted <- c.RestartWorker(1) }()
	r := connectsync(t, nil, append([]string{"apply", "-f", m, "--auto-approve"}, targets...)...)
	t.Logf("apply during the restart of worker-2: exit %d\n%s", r.code, lastLines(r.stdout, 3))
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	mustApply(t, m, nil, targets...)

	if err := c.FreezeWorker(2); err != nil {
		t.Fatal(err)
	}
	frozen := true
	defer func() {
		if frozen {
			c.ThawWorker(2)
		}
	}()
	m = writeManifest(t, dir, strings.ReplaceAll(sinks, "tasksMax: 2", "tasksMax: 1"))
	start := time.Now()
	r = connectsync(t, nil, append([]string{"apply", "-f", m, "--auto-approve", "--wait", "45s"}, targets...)...)
	t.Logf("apply with worker-3 frozen: exit %d after %s\n%s", r.code, time.Since(start).Round(time.Second), lastLines(r.stdout+r.stderr, 6))
	if !strings.Contains(r.stdout, "worker local/worker-3: does not answer") {
		t.Errorf("the frozen worker is not reported:\n%s", r)
	}
	if err := c.ThawWorker(2); err != nil {
		t.Fatal(err)
	}
	frozen = false
	if err := c.WaitWorkerReady(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	// Re-running converges.
	mustApply(t, m, nil, targets...)
	mustApply(t, writeManifest(t, dir, ""), nil, targets...)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestLiveStateReadIsConstant reads the cluster with 0 and then 25 more
// connectors and counts the requests: the count must not grow with the
// number of connectors. (make bench prints the same figures for 500.)
func TestLiveStateReadIsConstant(t *testing.T) {
	c := testcluster.Get(t)
	dir := t.TempDir()
	// count reads the cluster once, and returns the requests and the
	// connections that took, and the connectors read.
	count := func() (int64, int64, int) {
		var n, dials atomic.Int64
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		dial := tr.DialContext
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dial(ctx, network, addr)
		}
		defer tr.CloseIdleConnections()
		var clients []*connect.Client
		var targets []apply.WorkerTarget
		for i, u := range c.WorkerURLs {
			cl, err := connect.New(u, connect.Options{HTTPClient: &http.Client{Transport: tr}, OnRequest: func(string, string) { n.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, cl)
			targets = append(targets, apply.WorkerTarget{Name: c.WorkerName(i), URL: u, Endpoint: c.WorkerID(i)})
		}
		cs := apply.ReadCluster(context.Background(), targets, clients, []string{fileSink})
		if cs.ReadErr != nil {
			t.Fatal(cs.ReadErr)
		}
		return n.Load(), dials.Load(), len(cs.Connectors)
	}
	before, dials, conns := count()
	// A connection costs a worker more than a request: one per worker,
	// for its probe, its plugin list and (on the first) the plugin
	// config, one after the other, and one for the connectors' read.
	if want := int64(len(c.WorkerURLs) + 1); dials != want {
		t.Fatalf("reading the cluster opened %d connections; want %d", dials, want)
	}
	var sinks string
	var args []string
	for i := 0; i < 25; i++ {
		n := uniqueName(t, fmt.Sprintf("count%02d", i))
		sinks += sink(n, "stopped", 1, "")
		args = append(args, "--target", "local/"+n)
	}
	m := writeManifest(t, dir, sinks)
	if r := connectsync(t, nil, append([]string{"apply", "-f", m, "--auto-approve", "--parallelism", "8"}, args...)...); r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	after, _, connsAfter := count()
	t.Logf("requests to read the cluster: %d with %d connectors, %d with %d", before, conns, after, connsAfter)
	// One wave: 3 workers x (GET / + GET /connector-plugins) + 1 connectors
	// read + 1 plugin config.
	if before != 8 || after != before {
		t.Fatalf("reading the cluster took %d then %d requests; want 8 both times", before, after)
	}
	// plan reads the same way, starting before the manifest is loaded
	// (from its preview), and --stats prints the count its clients made.
	r := connectsync(t, nil, append([]string{"plan", "-f", m, "--stats"}, args...)...)
	if want := fmt.Sprintf("read cluster local: 8 requests (1 for connectors), %d connectors,", connsAfter); r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Fatalf("plan --stats does not say %q:\n%s", want, r)
	}
	// Prune the 25 again: more deletes than apply's default --max-deletes allows.
	empty := writeManifest(t, dir, "")
	if r := connectsync(t, nil, append([]string{"apply", "-f", empty, "--auto-approve", "--max-deletes", "25"}, args...)...); r.code != 0 {
		t.Fatalf("apply of the empty manifest:\n%s", r)
	}
	assertNoChanges(t, empty, nil, args...)
}

// TestLiveStateReadSkipsUnreachableFirstWorker declares, before the real
// workers, one at a port where nothing listens. The read starts the
// connectors' read on that first worker without waiting for its probe;
// when the probe fails it must move to the next worker that answered, the
// plugin configs must come from that worker too, and every check they feed
// must still hold.
func TestLiveStateReadSkipsUnreachableFirstWorker(t *testing.T) {
	c := testcluster.Get(t)
	budget := apply.ProbeBudget
	apply.ProbeBudget = 2 * time.Second
	t.Cleanup(func() { apply.ProbeBudget = budget })
	urls := append([]string{"http://127.0.0.1:1"}, c.WorkerURLs...)
	var clients []*connect.Client
	var targets []apply.WorkerTarget
	for i, u := range urls {
		cl, err := connect.New(u, connect.Options{Retry: connect.RetryPolicy{InitialInterval: 50 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cl)
		if i == 0 {
			targets = append(targets, apply.WorkerTarget{Name: "nowhere", URL: u, Endpoint: "127.0.0.1:1"})
			continue
		}
		targets = append(targets, apply.WorkerTarget{Name: c.WorkerName(i - 1), URL: u, Endpoint: c.WorkerID(i - 1)})
	}
	cs := apply.ReadCluster(context.Background(), targets, clients, []string{fileSink, "org.example.NoSuchConnector"})
	if cs.Workers[0].Reachable() || cs.Workers[0].Plugins != nil {
		t.Fatalf("the worker at port 1 reads as reachable: %+v", cs.Workers[0])
	}
	if cs.ReadErr != nil || cs.ReadFrom == nil || cs.ReadFrom.Name != c.WorkerName(0) {
		t.Fatalf("connectors: err %v, read from %+v; want them from %s", cs.ReadErr, cs.ReadFrom, c.WorkerName(0))
	}
	if _, ok := cs.PasswordKeys[fileSink]; !ok {
		t.Fatalf("no plugin config read for %s: %v", fileSink, cs.PasswordKeys)
	}
	if _, ok := cs.PasswordKeys["org.example.NoSuchConnector"]; ok {
		t.Fatal("a class no worker has got password keys")
	}
	for _, w := range cs.Workers[1:] {
		if !w.Reachable() || !w.Plugins[fileSink] || w.Info.KafkaClusterID == "" {
			t.Fatalf("worker %s: reachable %v, plugins %d, cluster id %q", w.Name, w.Reachable(), len(w.Plugins), w.Info.KafkaClusterID)
		}
	}
	if got := cs.WorkersMissing(fileSink); len(got) != 0 {
		t.Fatalf("workers missing %s: %v", fileSink, got)
	}
}

// TestPlanCatchesRenamedColumn is issue 5's acceptance check: the quickstart
// with one mapped column renamed to a column that does not exist in the real
// Cassandra table fails the plan, naming the sink, topic, table, column and
// manifest line, and nothing is written to any worker.
func TestPlanCatchesRenamedColumn(t *testing.T) {
	c := testcluster.Get(t)
	cql, err := c.CQLSession()
	if err != nil {
		t.Fatal(err)
	}
	defer cql.Close()
	for _, stmt := range []string{
		`CREATE KEYSPACE IF NOT EXISTS shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`CREATE TABLE IF NOT EXISTS shop.orders_by_id (order_id text PRIMARY KEY, customer text, amount decimal, created timestamp)`,
	} {
		if err := cql.Query(stmt).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	cl := client(t, c)
	before, err := cl.Connectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/quickstart-cassandra.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "customer=value.customer", "buyer=value.customer", 1)
	dir := t.TempDir()
	m := filepath.Join(dir, "quickstart-cassandra.yaml")
	if err := os.WriteFile(m, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(broken, "\n") {
		if strings.Contains(l, "buyer=value.customer") {
			line = i + 1
		}
	}
	r := connectsync(t, nil, "plan", "-f", "../examples/quickstart.yaml", "-f", m)
	t.Logf("plan output:\n%s", r)
	if r.code != 1 {
		t.Fatalf("plan exit %d, want 1", r.code)
	}
	for _, want := range []string{
		fmt.Sprintf("%s:%d:", m, line), // the manifest line of the mapping
		"sink local/orders-to-cassandra",
		`"buyer"`, "shop.orders_by_id", "orders", // column, table, topic
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan does not name %q", want)
		}
	}
	after, err := cl.Connectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("plan wrote to the workers: %d connectors before, %d after", len(before), len(after))
	}
}

// TestFailedTasksReportedAndRestarted makes a task fail for real: a
// FileStreamSink writing into a directory that does not exist fails when its
// task starts. apply reports the failure with the first trace line, plan
// shows it as a finding, and --restart-failed restarts the failed tasks
// (which fail again, and are reported again) without touching the config.
func TestFailedTasksReportedAndRestarted(t *testing.T) {
	c := testcluster.Get(t)
	cl := client(t, c)
	dir := t.TempDir()
	name := uniqueName(t, "failing")
	target := []string{"--target", "local/" + name}
	m := writeManifest(t, dir, strings.Replace(sink(name, "running", 1, ""),
		"file: .cluster/"+name+".txt", "file: /nonexistent-connectsync-dir/"+name+".txt", 1))

	r := connectsync(t, nil, append([]string{"apply", "-f", m, "--auto-approve", "--wait", "60s"}, target...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "task 0 on 127.0.0.1:") || !strings.Contains(r.stdout, "Apply failed: 0 applied, 0 pending, 1 failed.") {
		t.Fatalf("apply of a failing sink:\n%s", r)
	}
	t.Logf("apply reported:\n%s", lastLines(r.stderr, 2))

	plan := connectsync(t, nil, append([]string{"plan", "-f", m, "--detailed-exitcode"}, target...)...)
	if plan.code != 0 || !strings.Contains(plan.stdout, "task 0 FAILED on") || !strings.Contains(plan.stdout, "--restart-failed") {
		t.Fatalf("plan should show the failed task as a finding, with no change:\n%s", plan)
	}
	plan = connectsync(t, nil, append([]string{"plan", "-f", m, "--restart-failed", "--detailed-exitcode"}, target...)...)
	if plan.code != 2 || !strings.Contains(plan.stdout, "Plan: 0 to create, 0 to change, 0 to delete, 1 to restart.") {
		t.Fatalf("plan --restart-failed:\n%s", plan)
	}
	before, err := cl.Config(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	r = connectsync(t, nil, append([]string{"apply", "-f", m, "--auto-approve", "--restart-failed", "--wait", "60s"}, target...)...)
	if !strings.Contains(r.stdout, "restarted failed tasks") {
		t.Fatalf("apply --restart-failed did not restart:\n%s", r)
	}
	after, err := cl.Config(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if before["file"] != after["file"] || before["tasks.max"] != after["tasks.max"] {
		t.Errorf("--restart-failed changed the config: %v -> %v", before, after)
	}
}

// TestQuickstartConverges applies examples/quickstart.yaml with its fallback
// sink, quickstart-file.yaml (FileStreamSink, for workers without the DataStax
// plugin), and expects the next plan to be empty. The quickstart with its
// DataStax sink converges in internal/datastaxe2e.
func TestQuickstartConverges(t *testing.T) {
	testcluster.Get(t)
	mustApply(t, "../examples/quickstart.yaml", nil, "-f", "../examples/quickstart-file.yaml")
	r := connectsync(t, nil, "status", "-f", "../examples/quickstart.yaml", "-f", "../examples/quickstart-file.yaml")
	if r.code != 0 || !strings.Contains(r.stdout, "orders-to-file") {
		t.Fatalf("status:\n%s", r)
	}
	t.Logf("status:\n%s", r.stdout)
}

// TestApplyAsksOnATerminal: without --auto-approve, apply asks on a
// terminal and changes nothing unless the answer is yes; without a terminal
// it refuses to ask.
func TestApplyAsksOnATerminal(t *testing.T) {
	c := testcluster.Get(t)
	cl := client(t, c)
	name := uniqueName(t, "confirm")
	m := writeManifest(t, t.TempDir(), sink(name, "running", 1, ""))
	args := []string{"apply", "-f", m, "--target", "local/" + name}
	no, yes := "no\n", "yes\n"

	r := connectsync(t, nil, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to ask for confirmation without a terminal") {
		t.Fatalf("without a terminal:\n%s", r)
	}
	r = connectsyncOn(t, nil, &no, args...)
	if r.code != 1 || !strings.Contains(r.stdout, "Apply these changes? Only 'yes' is accepted:") || !strings.Contains(r.stderr, "apply cancelled") {
		t.Fatalf("answer no:\n%s", r)
	}
	if state, _ := liveState(t, cl, name); state != "" {
		t.Fatalf("apply wrote after a no: %s", state)
	}
	r = connectsyncOn(t, nil, &yes, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "Apply complete: 1 applied") {
		t.Fatalf("answer yes:\n%s", r)
	}
}

// TestWorkerErrorsAreScrubbed puts a secret where the real worker echoes
// it back: the worker's validation answers "Invalid value <the value> for
// configuration errors.tolerance". plan must report the error without the
// value, and apply's 400 from the PUT must not carry it either.
func TestWorkerErrorsAreScrubbed(t *testing.T) {
	testcluster.Get(t)
	const canary = "CANARY-echoed-9d2e61"
	env := map[string]string{"CONNECTSYNC_TEST_CANARY": canary}
	name := uniqueName(t, "echo")
	m := writeManifest(t, t.TempDir(), sink(name, "running", 1, "      errors.tolerance: {secretEnv: CONNECTSYNC_TEST_CANARY}\n"))
	target := []string{"--target", "local/" + name}
	plan := connectsync(t, env, append([]string{"plan", "-f", m}, target...)...)
	if plan.code != 1 || !strings.Contains(plan.stdout, `config["errors.tolerance"]: the worker rejects it`) {
		t.Fatalf("plan should report the worker's verdict on errors.tolerance:\n%s", plan)
	}
	apply := connectsync(t, env, append([]string{"apply", "-f", m, "--auto-approve", "--no-validate"}, target...)...)
	if apply.code != 1 || !strings.Contains(apply.stdout+apply.stderr, "400") {
		t.Fatalf("apply should fail with the worker's 400:\n%s", apply)
	}
	for _, r := range []run{plan, apply} {
		if strings.Contains(r.stdout+r.stderr, canary) {
			t.Errorf("a worker's message leaked the secret:\n%s", r)
		}
	}
	t.Logf("plan: %s", lastLines(plan.stdout, 3))
	t.Logf("apply: %s", lastLines(apply.stdout+apply.stderr, 3))
}

// TestApplyJSON: apply --json prints nothing but one JSON document, with
// each change's outcome.
func TestApplyJSON(t *testing.T) {
	testcluster.Get(t)
	name := uniqueName(t, "json")
	m := writeManifest(t, t.TempDir(), sink(name, "paused", 2, ""))
	args := []string{"apply", "-f", m, "--json", "--target", "local/" + name}
	if r := connectsync(t, nil, args...); r.code != 1 || !strings.Contains(r.stderr, "--json cannot ask for confirmation") {
		t.Fatalf("--json without --auto-approve:\n%s", r)
	}
	r := connectsync(t, nil, append(args, "--auto-approve")...)
	var doc struct {
		FormatVersion int `json:"format_version"`
		Plan          struct {
			Summary struct{ Create int } `json:"summary"`
		} `json:"plan"`
		Results []struct {
			Name, Action, Outcome string
		} `json:"results"`
		Applied, Pending, Failed int
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r)
	}
	if r.code != 0 || doc.FormatVersion != 1 || doc.Plan.Summary.Create != 1 || doc.Applied != 1 || len(doc.Results) != 1 ||
		doc.Results[0].Name != name || doc.Results[0].Action != "create" || doc.Results[0].Outcome != "applied" {
		t.Fatalf("apply --json:\n%s", r)
	}
	assertNoChanges(t, m, nil, "--target", "local/"+name)
}
