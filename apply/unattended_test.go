package apply_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/connectsync/connectsync/internal/testcluster"
)

// Unattended runs (issue 12) against the real local cluster. Every
// connector is named cron-*, and no test here lets prune reach a connector
// that is not its own.

// cronHeader is the local cluster without prune: the cron run below may
// run without --target and must never delete what other tests run.
var cronHeader = testcluster.ManifestHeader("rest: {timeout: 5s, retryFor: 30s}")

// logEvents parses stderr as JSON lines and fails on any other line.
func logEvents(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stderr line is not JSON: %q: %v", sc.Text(), err)
		}
		if e["log_version"] != float64(1) || e["time"] == nil || e["event"] == nil || e["level"] == nil {
			t.Errorf("event without log_version, time, event or level: %s", sc.Text())
		}
		out = append(out, e)
	}
	return out
}

func readMetrics(t *testing.T, path string) map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the metrics: %v\n%s", err, b)
	}
	got := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "cluster" && l.GetValue() == "local" {
					got[name] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return got
}

// TestCronRun is issue 12's cron-style run: apply --auto-approve --quiet
// --log-format json --metrics-file prints JSON lines when something changed,
// nothing when nothing did, and writes metrics the Prometheus parser reads.
func TestCronRun(t *testing.T) {
	testcluster.Get(t)
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())
	dir := t.TempDir()
	name := uniqueName(t, "cron-run")
	m := filepath.Join(dir, "connect.yaml")
	if err := os.WriteFile(m, []byte(cronHeader+sink(name, "running", 1, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := filepath.Join(dir, "m.prom")
	cron := []string{"apply", "-f", m, "--auto-approve", "--quiet", "--log-format", "json", "--metrics-file", prom}

	first := connectsync(t, nil, cron...)
	if first.code != 0 || first.stdout != "" {
		t.Fatalf("first run: want exit 0 and nothing on stdout:\n%s", first)
	}
	events := logEvents(t, first.stderr)
	var seq []string
	for _, e := range events {
		ev := e["event"].(string)
		// Retries (a rebalance caused by another test) may come in between.
		if (e["object"] == "sink/"+name && ev != "retry") || ev == "start" || ev == "summary" {
			seq = append(seq, ev+":"+str(e["step"])+str(e["outcome"]))
		}
		if (ev == "change" || ev == "step") && (e["cluster"] != "local" || e["object"] == nil) {
			t.Errorf("%s event without cluster or object: %v", ev, e)
		}
	}
	want := []string{"start:", "change:", "step:created", "step:ready", "change:applied", "summary:"}
	if strings.Join(seq, " ") != strings.Join(want, " ") {
		t.Errorf("events of %s: got %v, want %v\n%s", name, seq, want, first.stderr)
	}
	if !strings.Contains(first.stderr, `"event":"wait"`) {
		t.Errorf("no wait event:\n%s", first.stderr)
	}
	last := events[len(events)-1]
	if s, _ := last["summary"].(map[string]any); s == nil || s["applied"] != float64(1) || s["exit_code"] != float64(0) {
		t.Errorf("summary: %v", last)
	}
	got := readMetrics(t, prom)
	if got["connectsync_last_run_success"] != 1 || got["connectsync_changes_applied"] != 1 || got["connectsync_drift_objects"] != 1 ||
		got["connectsync_last_run_timestamp_seconds"] == 0 {
		t.Errorf("metrics after the first run: %v", got)
	}

	second := connectsync(t, nil, cron...)
	if second.code != 0 || second.stdout != "" || second.stderr != "" {
		t.Fatalf("second run changed nothing and must print nothing:\n%s", second)
	}
	got = readMetrics(t, prom)
	if got["connectsync_last_run_success"] != 1 || got["connectsync_changes_applied"] != 0 || got["connectsync_drift_objects"] != 0 {
		t.Errorf("metrics after the second run: %v", got)
	}
	if _, ok := got["connectsync_failed_tasks"]; !ok {
		t.Errorf("no failed_tasks metric: %v", got)
	}

	// The text output of a quiet run that changes something is the usual one.
	if err := os.WriteFile(m, []byte(cronHeader+sink(name, "paused", 1, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	third := connectsync(t, nil, "apply", "-f", m, "--auto-approve", "--quiet")
	if third.code != 0 || !strings.Contains(third.stdout, "~ sink "+name) || !strings.Contains(third.stdout, "Apply complete: 1 applied, 0 pending, 0 failed.") {
		t.Fatalf("quiet text run with a change:\n%s", third)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// deleteCountingProxy passes every request to a real worker, and answers
// 403 to every DELETE instead of passing it on, counting them. It stands
// between the guardrail tests and the shared cluster, whose connectors
// belong to other tests too: a broken guardrail must fail the test, not
// delete them.
func deleteCountingProxy(t *testing.T, worker string, deletes *atomic.Int64) string {
	t.Helper()
	u, err := url.Parse(worker)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes.Add(1)
			http.Error(w, `{"error_code":403,"message":"this test forbids deletes"}`, http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEmptyManifestDirectoryPrunesNothing is issue 12's done-when: with
// prune on, emptying the manifest directory and applying deletes nothing,
// exits 1 and names what it refused to delete.
func TestEmptyManifestDirectoryPrunesNothing(t *testing.T) {
	c := testcluster.Get(t)
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())
	var deletes atomic.Int64
	proxy := deleteCountingProxy(t, c.WorkerURLs[0], &deletes)
	dir := t.TempDir()
	header := strings.Replace(testcluster.ManifestHeader("rest: {timeout: 5s, retryFor: 30s}", "prune: {enabled: true}"),
		"workers:\n", "workers:\n  - {name: via-proxy, cluster: local, url: "+proxy+"}\n", 1)
	// Only the proxy: no write reaches a worker any other way.
	var kept []string
	for _, line := range strings.Split(header, "\n") {
		if !strings.Contains(line, "name: worker-") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cluster.yaml"), []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	sinks := filepath.Join(dir, "sinks")
	if err := os.Mkdir(sinks, 0o755); err != nil {
		t.Fatal(err)
	}
	a, b := uniqueName(t, "cron-guard-a"), uniqueName(t, "cron-guard-b")
	decl := "version: 1\nsinks:\n" + sink(a, "running", 1, "") + sink(b, "running", 1, "")
	if err := os.WriteFile(filepath.Join(sinks, "sinks.yaml"), []byte(decl), 0o644); err != nil {
		t.Fatal(err)
	}
	// Create them with --target: a targeted run deletes nothing else.
	r := connectsync(t, nil, "apply", "-f", filepath.Join(dir, "cluster.yaml"), "-f", sinks, "--auto-approve",
		"--target", "local/"+a, "--target", "local/"+b)
	if r.code != 0 {
		t.Fatalf("create:\n%s", r)
	}

	// A directory with no manifest at all is refused when loading, before
	// any cluster is read.
	if err := os.Remove(filepath.Join(sinks, "sinks.yaml")); err != nil {
		t.Fatal(err)
	}
	r = connectsync(t, nil, "apply", "-f", filepath.Join(dir, "cluster.yaml"), "-f", sinks, "--auto-approve")
	if r.code != 1 || !strings.Contains(r.stderr, "directory holds no .yaml or .yml file") {
		t.Fatalf("apply of an empty directory must exit 1:\n%s", r)
	}
	// A directory whose manifests declare no sink any more (emptied by a
	// bad merge, a git-sync of the wrong branch) is the guardrail's case.
	if err := os.WriteFile(filepath.Join(sinks, "sinks.yaml"), []byte("version: 1\nsinks: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		r = connectsync(t, nil, "apply", "-f", filepath.Join(dir, "cluster.yaml"), "-f", sinks, "--auto-approve", "--log-format", format)
		if r.code != 1 {
			t.Fatalf("%s: apply of an empty directory with prune on must exit 1:\n%s", format, r)
		}
		t.Logf("%s", r)
		if !strings.Contains(r.stderr, "refused") || !strings.Contains(r.stderr, a) || !strings.Contains(r.stderr, b) {
			t.Errorf("%s: the refusal does not name what it refused to delete:\n%s", format, r)
		}
		if format == "text" && !strings.Contains(r.stderr, "the manifests declare no sink for it") {
			t.Errorf("text refusal:\n%s", r)
		}
		if format == "json" {
			logEvents(t, r.stderr)
			if !strings.Contains(r.stderr, `"rule":"no-sinks-declared"`) {
				t.Errorf("json refusal has no rule:\n%s", r.stderr)
			}
		}
	}
	if n := deletes.Load(); n != 0 {
		t.Fatalf("%d DELETE requests reached the cluster's proxy", n)
	}
	for _, name := range []string{a, b} {
		if state, _ := liveState(t, client(t, c), name); state == "" {
			t.Errorf("%s was deleted", name)
		}
	}
}

// TestFailuresStayContained: a sink whose secret cannot be resolved fails
// its own change and no other, and a cluster that cannot be read fails
// only its own changes; the other clusters are still reconciled, and the
// run exits 1 naming what it did not apply.
func TestFailuresStayContained(t *testing.T) {
	c := testcluster.Get(t)
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())
	dir := t.TempDir()
	good, bad := uniqueName(t, "cron-contained-ok"), uniqueName(t, "cron-contained-secret")
	// A second cluster whose only worker does not answer (port 9 on
	// loopback: discard, refused).
	gone := `  - name: gone
    bootstrapServers: [127.0.0.1:9]
    groupId: connectsync-gone
    storage:
      config: {topic: gone-configs, replicationFactor: 1}
      offset: {topic: gone-offsets, replicationFactor: 1}
      status: {topic: gone-status, replicationFactor: 1}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.json.JsonConverter, schemasEnable: false}
    rest: {timeout: 1s, retryFor: 1s}
workers:
  - {name: gone-1, cluster: gone, url: "http://127.0.0.1:9"}
`
	header := strings.Replace(cronHeader, "workers:\n", gone, 1)
	m := filepath.Join(dir, "connect.yaml")
	body := header + sink(good, "running", 1, "") + sink(bad, "running", 1, "      some.password: {secretEnv: CRON_UNSET_SECRET_VARIABLE}\n") +
		sink("cron-on-gone", "running", 1, "")
	body = strings.Replace(body, "name: cron-on-gone\n    cluster: local", "name: cron-on-gone\n    cluster: gone", 1)
	if err := os.WriteFile(m, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := connectsync(t, nil, "apply", "-f", m, "--auto-approve", "--wait", "30s")
	t.Logf("%s", r)
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	if !strings.Contains(r.stdout, "+ sink "+good) || !strings.Contains(r.stdout, "Apply complete: 1 applied, 0 pending, 0 failed.") {
		t.Errorf("the sink that can be rendered, on the cluster that can be read, must be applied:\n%s", r)
	}
	for _, want := range []string{"cannot resolve secretEnv CRON_UNSET_SECRET_VARIABLE", "not everything was planned", "sink local/" + bad, "cluster gone"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output does not say %q:\n%s", want, r)
		}
	}
	cl := client(t, c)
	if state, _ := liveState(t, cl, good); state != "RUNNING" {
		t.Errorf("%s is %q, want RUNNING", good, state)
	}
	if state, _ := liveState(t, cl, bad); state != "" {
		t.Errorf("%s, whose secret does not resolve, was created: %s", bad, state)
	}
}
