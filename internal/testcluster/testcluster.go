// Package testcluster gives integration tests the real local cluster of
// examples/quickstart.yaml: one KRaft broker, one Cassandra node and three distributed
// Kafka Connect workers, started by cluster/up.sh from Maven Central jars.
//
// A test package uses it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		c := testcluster.Get(t)
//		resp, err := http.Get(c.WorkerURLs[0] + "/connectors")
//		...
//	}
//
// Which cluster the tests get:
//
//   - CONNECTSYNC_CLUSTER=<state dir> (what `make cluster-up` prints) or
//     CONNECTSYNC_CLUSTER=external (the state dir of cluster/up.sh's default, or
//     CONNECTSYNC_CLUSTER_DIR): a cluster somebody else started. The tests use it and
//     never stop it. `make test` works this way, so the cluster starts once per run.
//   - CONNECTSYNC_CLUSTER unset: Main runs cluster/up.sh, and cluster/down.sh after the
//     tests. Test binaries of several packages that do this at the same time share one
//     cluster: a lock file and a list of user PIDs in the state dir make the first one
//     start it and the last one stop it. A cluster that was already fully up before is
//     left running.
//
// When no cluster can be had (no Java, Maven failed, a part did not start): with
// CI=true, Main fails the run; otherwise Get skips the tests that need the cluster.
// With -short outside CI the cluster is not started and those tests are skipped.
package testcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// The addresses of examples/quickstart.yaml's cluster `local`; cluster/common.sh uses the
// same ports.
const (
	BrokerAddr    = "127.0.0.1:39092"
	CassandraHost = "127.0.0.1"
	CassandraPort = 39042
	LocalDC       = "datacenter1"
)

// WorkerURLs are the REST URLs of worker-1, worker-2 and worker-3, in that order.
var WorkerURLs = []string{"http://127.0.0.1:38083", "http://127.0.0.1:38084", "http://127.0.0.1:38085"}

// Cluster is a running local cluster. Worker indexes are 0-based: worker i is
// WorkerURLs[i], named "worker-<i+1>" by the scripts and logs.
type Cluster struct {
	// Dir is the cluster's state dir (logs/, pids/, data/, render/).
	Dir string
	// Repo is the repository root, the workers' working directory.
	Repo string
	// WorkerURLs are the workers' REST base URLs, without a trailing slash.
	WorkerURLs []string
	// BrokerAddr is the broker's PLAINTEXT bootstrap address, host:port.
	BrokerAddr string
	// CassandraAddr is Cassandra's CQL address, host:port; CassandraHost and
	// CassandraPort are its parts.
	CassandraAddr string
	CassandraHost string
	CassandraPort int
	// LocalDC is Cassandra's data center name.
	LocalDC string

	started  bool // this process counts as a user of a cluster it may have to stop
	external bool // named by CONNECTSYNC_CLUSTER: never stopped here

	mu    sync.Mutex
	holds map[string]*os.File // per test: its flock on the faults lock
}

var (
	shared   *Cluster
	setupErr error
	skipped  string
)

// InCI reports whether CI=true: then a cluster that can't be had fails the run.
func InCI() bool { return os.Getenv("CI") == "true" }

// Main sets up the cluster, runs the tests and tears down what it set up. It returns the
// exit code for os.Exit. With CI=true, a cluster that can't be had makes it return 1
// without running the tests.
func Main(m *testing.M) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	if testing.Short() && !InCI() {
		skipped = "-short: the local cluster is not started"
		return m.Run()
	}
	c, teardown, err := Setup()
	if err != nil {
		if InCI() {
			fmt.Fprintf(os.Stderr, "testcluster: FAIL: no cluster, and CI=true: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "testcluster: no cluster, tests that need it will be skipped: %v\n", err)
		setupErr = err
		return m.Run()
	}
	shared = c
	defer teardown()
	return m.Run()
}

// Get returns the cluster that Main set up. When there is none it fails the test under
// CI=true and skips it otherwise.
//
// Get also holds a shared lock on the cluster until the test ends, so that a test that
// breaks the cluster on purpose (Exclusive) never runs during it, in this process or in
// another test binary (go test runs packages in parallel) using the same state dir.
func Get(t testing.TB) *Cluster {
	t.Helper()
	switch {
	case shared != nil:
		shared.hold(t, lockSH)
		return shared
	case skipped != "":
		t.Skip(skipped)
	case setupErr != nil && InCI():
		t.Fatalf("no local cluster: %v", setupErr)
	case setupErr != nil:
		t.Skipf("no local cluster: %v", setupErr)
	default:
		t.Fatal("testcluster.Get without testcluster.Main in TestMain")
	}
	return nil
}

// Setup finds or starts the cluster (see the package doc) and waits until every part
// answers. The returned func releases it; it stops the cluster only if this process
// was the last user of a cluster a testcluster started.
func Setup() (*Cluster, func(), error) {
	repo, err := repoRoot()
	if err != nil {
		return nil, nil, err
	}
	c := newCluster(repo)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	if name := os.Getenv("CONNECTSYNC_CLUSTER"); name != "" {
		if name != "external" {
			c.Dir, err = filepath.Abs(name)
			if err != nil {
				return nil, nil, err
			}
			// A named cluster is up already: say at once when it is not.
			if out, err := c.ctl(ctx, "status"); err != nil || strings.Contains(out, " down") {
				return nil, nil, fmt.Errorf("CONNECTSYNC_CLUSTER=%s is not (fully) running; start it with make cluster-up: %v\n%s", name, err, out)
			}
		}
		c.external = true
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := c.WaitReady(ctx); err != nil {
			return nil, nil, fmt.Errorf("CONNECTSYNC_CLUSTER=%s: %w", name, err)
		}
		return c, func() {}, nil
	}

	if err := c.join(ctx); err != nil {
		return nil, nil, err
	}
	return c, c.leave, nil
}

func newCluster(repo string) *Cluster {
	dir := os.Getenv("CONNECTSYNC_CLUSTER_DIR")
	if dir == "" {
		dir = filepath.Join(repo, ".cluster")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(repo, dir)
	}
	return &Cluster{
		Dir:           dir,
		Repo:          repo,
		WorkerURLs:    append([]string(nil), WorkerURLs...),
		BrokerAddr:    BrokerAddr,
		CassandraAddr: fmt.Sprintf("%s:%d", CassandraHost, CassandraPort),
		CassandraHost: CassandraHost,
		CassandraPort: CassandraPort,
		LocalDC:       LocalDC,
	}
}

// repoRoot walks up from the working directory (a package dir under `go test`) to the
// directory holding cluster/up.sh and go.mod.
func repoRoot() (string, error) {
	starts := []string{}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, d := range starts {
		for {
			if fileExists(filepath.Join(d, "cluster", "up.sh")) && fileExists(filepath.Join(d, "go.mod")) {
				return d, nil
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return "", errors.New("repository root (with cluster/up.sh) not found above the working directory")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// --- sharing one cluster between test binaries -------------------------------------

// Exclusive upgrades the test's hold on the cluster to an exclusive one, until the test
// ends: call it first in a test that kills, stops or freezes a part, so no other test
// (in any test binary using this state dir) sees the cluster while it is broken. Such a
// test must leave the cluster whole again (StartWorker, ThawWorker) before it returns.
func (c *Cluster) Exclusive(t testing.TB) {
	t.Helper()
	c.hold(t, lockEX)
}

// hold takes a flock on the state dir's faults lock (the test's own shared lock first
// released when it asks for an exclusive one) and releases it when the test ends.
func (c *Cluster) hold(t testing.TB, how int) {
	t.Helper()
	name := t.Name()
	c.mu.Lock()
	f := c.holds[name]
	c.mu.Unlock()
	if f != nil {
		if how == lockEX {
			// Drop the shared lock first, so two tests upgrading at once can't deadlock.
			_ = flock(int(f.Fd()), lockUN)
			start := time.Now()
			if err := flock(int(f.Fd()), lockEX); err != nil {
				t.Fatalf("testcluster: exclusive lock: %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Logf("testcluster: waited %.1fs for other tests to finish with the cluster", d.Seconds())
			}
		}
		return
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "testcluster.faults.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("testcluster: %v", err)
	}
	if err := flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("testcluster: lock: %v", err)
	}
	c.mu.Lock()
	if c.holds == nil {
		c.holds = map[string]*os.File{}
	}
	c.holds[name] = f
	c.mu.Unlock()
	t.Cleanup(func() {
		c.mu.Lock()
		delete(c.holds, name)
		c.mu.Unlock()
		_ = flock(int(f.Fd()), lockUN)
		f.Close()
	})
}

// lock takes an exclusive flock on the state dir's lock file.
func (c *Cluster) lock() (func(), error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "testcluster.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := flock(int(f.Fd()), lockEX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = flock(int(f.Fd()), lockUN)
		f.Close()
	}, nil
}

func (c *Cluster) usersFile() string { return filepath.Join(c.Dir, "testcluster.users") }
func (c *Cluster) ownedFile() string { return filepath.Join(c.Dir, "testcluster.owned") }

// users returns the PIDs of live test processes using the cluster.
func (c *Cluster) users() []int {
	b, _ := os.ReadFile(c.usersFile())
	var live []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err == nil && alive(pid) {
			live = append(live, pid)
		}
	}
	return live
}

func (c *Cluster) writeUsers(pids []int) error {
	var b strings.Builder
	for _, p := range pids {
		fmt.Fprintln(&b, p)
	}
	return os.WriteFile(c.usersFile(), []byte(b.String()), 0o644)
}

func (c *Cluster) join(ctx context.Context) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	users := c.users()
	if len(users) == 0 {
		// Nobody of ours uses it. A cluster fully up without our mark was started by
		// hand: use it, leave it.
		if !fileExists(c.ownedFile()) && c.allRunning() {
			fmt.Fprintf(os.Stderr, "testcluster: using the cluster already up in %s; it stays up\n", c.Dir)
			c.external = true
			return c.WaitReady(ctx)
		}
		_ = os.Remove(c.ownedFile())
		if err := c.script(ctx, os.Stderr, "up.sh"); err != nil {
			return fmt.Errorf("cluster/up.sh: %w", err)
		}
		if err := os.WriteFile(c.ownedFile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return err
		}
	} else if !fileExists(c.ownedFile()) {
		c.external = true
	}
	if err := c.WaitReady(ctx); err != nil {
		return err
	}
	if !c.external {
		c.started = true
		return c.writeUsers(append(users, os.Getpid()))
	}
	return nil
}

func (c *Cluster) leave() {
	if !c.started {
		return
	}
	unlock, err := c.lock()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
		return
	}
	defer unlock()
	var rest []int
	for _, p := range c.users() {
		if p != os.Getpid() {
			rest = append(rest, p)
		}
	}
	if err := c.writeUsers(rest); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: %v\n", err)
	}
	if len(rest) > 0 || !fileExists(c.ownedFile()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.script(ctx, os.Stderr, "down.sh"); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: cluster/down.sh: %v\n", err)
	}
	_ = os.Remove(c.ownedFile())
	_ = os.Remove(c.usersFile())
}

func (c *Cluster) allRunning() bool {
	out, err := c.ctl(context.Background(), "status")
	return err == nil && !strings.Contains(out, " down")
}

// --- scripts -------------------------------------------------------------------------

func (c *Cluster) script(ctx context.Context, out io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(c.Repo, "cluster", name)}, args...)...)
	cmd.Dir = c.Repo
	cmd.Env = append(os.Environ(), "CONNECTSYNC_CLUSTER_DIR="+c.Dir)
	cmd.Stdout = out
	cmd.Stderr = out
	return cmd.Run()
}

func (c *Cluster) ctl(ctx context.Context, args ...string) (string, error) {
	var buf bytes.Buffer
	err := c.script(ctx, &buf, "ctl.sh", args...)
	if err != nil {
		return buf.String(), fmt.Errorf("cluster/ctl.sh %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.String(), nil
}

// WorkerName is the scripts' name of worker i (0-based): "worker-<i+1>".
func (c *Cluster) WorkerName(i int) string { return fmt.Sprintf("worker-%d", i+1) }

// WorkerID is worker i's worker_id in status responses: its advertised host:port.
func (c *Cluster) WorkerID(i int) string { return strings.TrimPrefix(c.WorkerURLs[i], "http://") }

func (c *Cluster) workerCtl(verb string, i int) error {
	if i < 0 || i >= len(c.WorkerURLs) {
		return fmt.Errorf("no worker %d", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := c.ctl(ctx, verb, c.WorkerName(i))
	return err
}

// StopWorker stops worker i with SIGTERM (SIGKILL after a grace period), so it leaves the
// group cleanly.
func (c *Cluster) StopWorker(i int) error { return c.workerCtl("stop", i) }

// KillWorker kills worker i with SIGKILL: it vanishes without leaving the group.
func (c *Cluster) KillWorker(i int) error { return c.workerCtl("kill", i) }

// StartWorker starts worker i again on its rendered properties and waits until it
// answers GET / and GET /connectors. A running worker is left alone.
func (c *Cluster) StartWorker(i int) error { return c.workerCtl("start", i) }

// RestartWorker stops worker i (SIGTERM) and starts it again.
func (c *Cluster) RestartWorker(i int) error { return c.workerCtl("restart", i) }

// FreezeWorker stops worker i with SIGSTOP: it keeps its sockets but answers nothing,
// like a partitioned host.
func (c *Cluster) FreezeWorker(i int) error { return c.workerCtl("freeze", i) }

// ThawWorker resumes a frozen worker i with SIGCONT.
func (c *Cluster) ThawWorker(i int) error { return c.workerCtl("thaw", i) }

// WorkerLog returns worker i's log (all its runs, appended).
func (c *Cluster) WorkerLog(i int) (string, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "logs", c.WorkerName(i)+".log"))
	return string(b), err
}

// --- readiness -----------------------------------------------------------------------

var probe = &http.Client{Timeout: 3 * time.Second}

func get200(url string) error {
	resp, err := probe.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// WaitWorkerReady waits until worker i answers 200 on GET / and GET /connectors.
func (c *Cluster) WaitWorkerReady(ctx context.Context, i int) error {
	for {
		err := get200(c.WorkerURLs[i] + "/")
		if err == nil {
			err = get200(c.WorkerURLs[i] + "/connectors")
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v)", c.WorkerName(i), ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// WaitCQL waits until Cassandra answers a CQL query.
func (c *Cluster) WaitCQL(ctx context.Context) error {
	for {
		s, err := c.CQLSession()
		if err == nil {
			var v string
			err = s.Query("SELECT release_version FROM system.local").WithContext(ctx).Scan(&v)
			s.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cassandra at %s not answering CQL: %w (last: %v)", c.CassandraAddr, ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

// WaitReady waits until every worker and Cassandra answer.
func (c *Cluster) WaitReady(ctx context.Context) error {
	for i := range c.WorkerURLs {
		if err := c.WaitWorkerReady(ctx, i); err != nil {
			return err
		}
	}
	return c.WaitCQL(ctx)
}

// CQLSession opens a CQL session to the cluster's Cassandra; the caller closes it.
func (c *Cluster) CQLSession() (*gocql.Session, error) {
	cc := gocql.NewCluster(c.CassandraHost)
	cc.Port = c.CassandraPort
	cc.Consistency = gocql.LocalOne
	cc.Timeout = 10 * time.Second
	cc.ConnectTimeout = 5 * time.Second
	cc.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(c.LocalDC)
	return cc.CreateSession()
}

// --- measurements --------------------------------------------------------------------

// PIDs returns the PIDs of the cluster's running JVMs by component name (broker,
// cassandra, worker-N).
func (c *Cluster) PIDs() map[string]int {
	m := map[string]int{}
	for _, n := range []string{"broker", "cassandra", "worker-1", "worker-2", "worker-3"} {
		b, err := os.ReadFile(filepath.Join(c.Dir, "pids", n+".pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && alive(pid) {
			m[n] = pid
		}
	}
	return m
}

// RSS returns the summed resident memory of the cluster's running JVMs, in bytes.
func (c *Cluster) RSS() int64 {
	var total int64
	for _, pid := range c.PIDs() {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				total += kb * 1024
			}
		}
		f.Close()
	}
	return total
}

// ManifestHeader returns a manifest that declares this cluster (cluster
// `local` of examples/quickstart.yaml and its three workers) and ends with
// "sinks:", for a test to append its own sinks to. Each extra line is added
// to the cluster's settings, as in "prune: {enabled: true}".
func ManifestHeader(extra ...string) string {
	var b strings.Builder
	b.WriteString(`version: 1
clusters:
  - name: local
    bootstrapServers: [` + BrokerAddr + `]
    groupId: connectsync-local
    brokers: 1
    storage:
      config: {topic: connectsync-local-configs, replicationFactor: 1}
      offset: {topic: connectsync-local-offsets, replicationFactor: 1, partitions: 5}
      status: {topic: connectsync-local-status, replicationFactor: 1, partitions: 1}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.json.JsonConverter, schemasEnable: false}
    pluginPath: [.cluster/plugins]
    properties: {scheduled.rebalance.max.delay.ms: 10000, offset.flush.interval.ms: 5000}
`)
	for _, e := range extra {
		b.WriteString("    " + e + "\n")
	}
	b.WriteString("workers:\n")
	for i, u := range WorkerURLs {
		fmt.Fprintf(&b, "  - {name: worker-%d, cluster: local, url: %s, listeners: [%s]}\n", i+1, u, u)
	}
	b.WriteString("sinks:\n")
	return b.String()
}
