// Package datastaxe2e runs the real DataStax Apache Kafka Connector on the real local
// cluster (internal/testcluster): records produced to Kafka become rows read back from
// Cassandra, tasks spread over the workers and survive a worker's death, and every
// DataStax rule that validate and preflight enforce is held against what the connector
// itself does with the same broken config.
//
// The plugin is installed by cluster/up.sh from DATASTAX_CONNECTOR (cluster/README.md).
// With CI=true a cluster without it fails these tests; elsewhere they are skipped.
package datastaxe2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectsync/connectsync/internal/cli"
	"github.com/connectsync/connectsync/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

const (
	dsClass  = "com.datastax.oss.kafka.sink.CassandraSinkConnector"
	keyspace = "e2e"
)

// env is one test's handle on the cluster, with the DataStax plugin checked.
type env struct {
	t       *testing.T
	c       *testcluster.Cluster
	version string // the DataStax connector's version, as the workers report it
	cql     *gocql.Session
	kafka   *kgo.Client
}

// setup returns the cluster, failing under CI=true (skipping elsewhere) when a worker
// lacks the DataStax plugin. DATASTAX_VERSION, when set, is the version every worker
// must report (the 1.4.0 run of make test-datastax sets it).
func setup(t *testing.T) *env {
	t.Helper()
	c := testcluster.Get(t)
	e := &env{t: t, c: c}
	for i, u := range c.WorkerURLs {
		var plugins []struct{ Class, Version string }
		if err := getJSON(u+"/connector-plugins", &plugins); err != nil {
			t.Fatalf("worker-%d: %v", i+1, err)
		}
		v := ""
		for _, p := range plugins {
			if p.Class == dsClass {
				v = p.Version
			}
		}
		if v == "" {
			msg := fmt.Sprintf("worker-%d has no DataStax plugin (%s): set DATASTAX_CONNECTOR and run cluster/up.sh (cluster/README.md)", i+1, dsClass)
			if testcluster.InCI() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		if e.version != "" && v != e.version {
			t.Fatalf("the workers run different DataStax versions: %s and %s", e.version, v)
		}
		e.version = v
	}
	if want := os.Getenv("DATASTAX_VERSION"); want != "" && want != e.version {
		t.Fatalf("DATASTAX_VERSION=%s, but the workers run the DataStax connector %s", want, e.version)
	}
	s, err := c.CQLSession()
	if err != nil {
		t.Fatal(err)
	}
	e.cql = s
	t.Cleanup(s.Close)
	e.exec(`CREATE KEYSPACE IF NOT EXISTS ` + keyspace + ` WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)
	k, err := kgo.NewClient(kgo.SeedBrokers(c.BrokerAddr), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.kafka = k
	t.Cleanup(k.Close)
	return e
}

// exec runs CQL statements, failing the test on an error.
func (e *env) exec(stmts ...string) {
	e.t.Helper()
	for _, s := range stmts {
		if err := e.cql.Query(s).Exec(); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

// topic creates a topic with n partitions (deleting an older one of the same name).
func (e *env) topic(name string, partitions int) {
	e.t.Helper()
	adm := kadm.NewClient(e.kafka)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = adm.DeleteTopics(ctx, name)
	for {
		r, err := adm.CreateTopic(ctx, int32(partitions), 1, nil, name)
		if err == nil && r.Err == nil {
			return
		}
		if ctx.Err() != nil {
			e.t.Fatalf("create topic %s: %v %v", name, err, r.Err)
		}
		time.Sleep(300 * time.Millisecond) // a deleted topic of that name is still going away
	}
}

// record is one Kafka record to produce: a string key, a JSON value (nil for a
// tombstone) and headers.
type record struct {
	key     string
	value   any
	headers map[string]string
}

func (e *env) produce(topic string, recs ...record) {
	e.t.Helper()
	krs := make([]*kgo.Record, 0, len(recs))
	for _, r := range recs {
		kr := &kgo.Record{Topic: topic, Key: []byte(r.key)}
		if r.value != nil {
			b, err := json.Marshal(r.value)
			if err != nil {
				e.t.Fatal(err)
			}
			kr.Value = b
		}
		for k, v := range r.headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		krs = append(krs, kr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.kafka.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		e.t.Fatalf("produce to %s: %v", topic, err)
	}
}

// rows returns the rows of a query, as maps.
func (e *env) rows(q string, args ...any) []map[string]any {
	e.t.Helper()
	rows, err := e.cql.Query(q, args...).Iter().SliceMap()
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// waitFor polls cond every 500 ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// --- connectsync, in process -------------------------------------------------------------

type run struct {
	stdout, stderr string
	code           int
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// connectsync runs the CLI in process, without a terminal, with extra environment
// variables on top of the process's own.
func connectsync(vars map[string]string, args ...string) run {
	var out, errb bytes.Buffer
	code := cli.Main(args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		LookupEnv: func(k string) (string, bool) {
			if v, ok := vars[k]; ok {
				return v, true
			}
			return os.LookupEnv(k)
		},
	})
	return run{out.String(), errb.String(), code}
}

// manifest writes the local cluster's manifest with the given sinks (YAML list items,
// indented by two spaces) and returns its path.
func (e *env) manifest(sinks string) string {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), "connect.yaml")
	if err := os.WriteFile(p, []byte(testcluster.ManifestHeader("rest: {timeout: 10s, retryFor: 60s}")+sinks), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// apply applies a manifest limited to one sink, failing the test unless it succeeds.
func (e *env) apply(m, sink string, vars map[string]string) run {
	e.t.Helper()
	r := connectsync(vars, "apply", "-f", m, "--auto-approve", "--target", "local/"+sink, "--wait", "90s")
	if r.code != 0 {
		e.t.Fatalf("apply:\n%s", r)
	}
	return r
}

// noChanges asserts that plan, limited to one sink, finds nothing to do.
func (e *env) noChanges(m, sink string, vars map[string]string) {
	e.t.Helper()
	r := connectsync(vars, "plan", "-f", m, "--target", "local/"+sink, "--detailed-exitcode")
	if r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		e.t.Fatalf("plan after apply should find no changes:\n%s", r)
	}
}

// --- the worker's REST API, raw, bypassing connectsync -----------------------------------

// getJSON reads url into v. Like connectsync's client, it waits out the answers
// a worker gives while the group rebalances (409 and 500 "rebalance", 503), for
// up to 30 s: other tests create and delete connectors on the same cluster.
func getJSON(url string, v any) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, b, err := get(url)
		transient := status == 503 || (status == 409 || status == 500) && bytes.Contains(b, []byte("rebalance"))
		if err == nil && status == 200 {
			return json.Unmarshal(b, v)
		}
		if !transient || time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return fmt.Errorf("GET %s: %d %s", url, status, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func get(url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// do sends a request with a JSON body to a worker and returns the status and body.
func do(method, url string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// status is GET /connectors/NAME/status.
type status struct {
	Connector struct {
		State    string
		WorkerID string `json:"worker_id"`
		Trace    string
	}
	Tasks []struct {
		ID       int
		State    string
		WorkerID string `json:"worker_id"`
		Trace    string
	}
}

func (e *env) status(name string) (status, error) {
	var s status
	err := getJSON(e.c.WorkerURLs[0]+"/connectors/"+name+"/status", &s)
	return s, err
}

// deleteConnector removes a connector if it exists.
func (e *env) deleteConnector(name string) {
	_, _, _ = do(http.MethodDelete, e.c.WorkerURLs[0]+"/connectors/"+name, nil)
}

// cleanup deletes the connector when the test ends.
func (e *env) cleanup(name string) {
	e.deleteConnector(name)
	e.t.Cleanup(func() { e.deleteConnector(name) })
}

// taskLoad counts the tasks assigned to each worker, of every connector of
// the cluster (whatever their state: the assignor balances assignments),
// from one read of GET /connectors?expand=status; ok is false when the read
// fails or a task is not assigned yet.
func (e *env) taskLoad() (load map[string]int, ok bool) {
	var all map[string]struct {
		Status status `json:"status"`
	}
	if err := getJSON(e.c.WorkerURLs[0]+"/connectors?expand=status", &all); err != nil {
		return nil, false
	}
	load = map[string]int{}
	for _, c := range all {
		for _, t := range c.Status.Tasks {
			if t.WorkerID == "" || t.State == "UNASSIGNED" {
				return load, false
			}
			load[t.WorkerID]++
		}
	}
	return load, true
}

// balanced reports whether no worker of n runs two tasks more than another
// (a worker missing from load runs none).
func balanced(load map[string]int, n int) bool {
	lo, hi := 0, 0
	if len(load) == n {
		lo = math.MaxInt
	}
	for _, k := range load {
		lo, hi = min(lo, k), max(hi, k)
	}
	return hi-lo <= 1
}

// otherTasks is how many of load's tasks are not the ones listed in on.
func otherTasks(load map[string]int, on []string) int {
	n := -len(on)
	for _, k := range load {
		n += k
	}
	return n
}

// runningOn waits until the connector and n tasks are RUNNING and returns the
// workers the tasks run on, in task order.
func (e *env) runningOn(name string, n int, timeout time.Duration) []string {
	e.t.Helper()
	var on []string
	waitFor(e.t, timeout, fmt.Sprintf("%s RUNNING with %d tasks", name, n), func() bool {
		s, err := e.status(name)
		if err != nil || s.Connector.State != "RUNNING" || len(s.Tasks) != n {
			return false
		}
		on = on[:0]
		for _, t := range s.Tasks {
			if t.State != "RUNNING" {
				return false
			}
			on = append(on, t.WorkerID)
		}
		return true
	})
	return on
}
