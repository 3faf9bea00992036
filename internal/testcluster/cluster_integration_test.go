package testcluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectsync/connectsync/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

// rest is a bare REST client for these tests: the connect package is written apart, and
// this test checks the cluster, not that client.
var rest = &http.Client{Timeout: 30 * time.Second}

func call(method, url string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := rest.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func TestWorkersShareKafkaClusterID(t *testing.T) {
	c := testcluster.Get(t)
	ids := map[string][]string{}
	for i, u := range c.WorkerURLs {
		code, b, err := call("GET", u+"/", nil)
		if err != nil || code != 200 {
			t.Fatalf("GET %s/: %d %v %s", u, code, err, b)
		}
		var info struct {
			Version        string `json:"version"`
			KafkaClusterID string `json:"kafka_cluster_id"`
		}
		if err := json.Unmarshal(b, &info); err != nil {
			t.Fatal(err)
		}
		if info.KafkaClusterID == "" {
			t.Fatalf("%s: empty kafka_cluster_id in %s", c.WorkerName(i), b)
		}
		ids[info.KafkaClusterID] = append(ids[info.KafkaClusterID], c.WorkerName(i))
		t.Logf("%s %s: version %s, kafka_cluster_id %s", c.WorkerName(i), u, info.Version, info.KafkaClusterID)
	}
	if len(ids) != 1 {
		t.Fatalf("workers disagree on kafka_cluster_id: %v", ids)
	}
}

type connectorStatus struct {
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []struct {
		ID       int    `json:"id"`
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"tasks"`
}

func (s connectorStatus) placement() string {
	var p []string
	for _, t := range s.Tasks {
		p = append(p, fmt.Sprintf("task %d %s on %s", t.ID, t.State, t.WorkerID))
	}
	sort.Strings(p)
	return strings.Join(p, ", ")
}

// waitStatus polls the connector's status on url until ok accepts it.
func waitStatus(t *testing.T, url, name string, timeout time.Duration, ok func(connectorStatus) bool) (connectorStatus, time.Duration) {
	t.Helper()
	start := time.Now()
	var last connectorStatus
	var lastErr string
	for time.Since(start) < timeout {
		code, b, err := call("GET", url+"/connectors/"+name+"/status", nil)
		switch {
		case err != nil:
			lastErr = err.Error()
		case code != 200: // 404 right after a create, 500/409 during a rebalance
			lastErr = fmt.Sprintf("%d %s", code, b)
		default:
			var s connectorStatus
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			last = s
			if ok(s) {
				return s, time.Since(start)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("connector %s: condition not met after %s; last status: %s (connector %s) %s", name, timeout, last.placement(), last.Connector.State, lastErr)
	return last, 0
}

func allRunning(n int, avoid string) func(connectorStatus) bool {
	return func(s connectorStatus) bool {
		if s.Connector.State != "RUNNING" || len(s.Tasks) != n {
			return false
		}
		for _, t := range s.Tasks {
			if t.State != "RUNNING" || (avoid != "" && t.WorkerID == avoid) {
				return false
			}
		}
		return avoid == "" || s.Connector.WorkerID != avoid
	}
}

// putConfig creates or updates a connector, retrying the 409s and 500s of a rebalance.
func putConfig(t *testing.T, url, name string, cfg map[string]string) int {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, b, err := call("PUT", url+"/connectors/"+name+"/config", cfg)
		if err == nil && (code == 200 || code == 201) {
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUT %s config: %d %v %s", name, code, err, b)
		}
		time.Sleep(time.Second)
	}
}

func TestFileSinkTasksSpreadAndFailOver(t *testing.T) {
	c := testcluster.Get(t)
	c.Exclusive(t) // it kills a worker
	name := fmt.Sprintf("it-filesink-%d", time.Now().UnixNano())
	topic := name + "-in"
	cfg := map[string]string{
		"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
		"tasks.max":       "3",
		"topics":          topic,
		"file":            filepath.Join(c.Dir, "data", name+".txt"),
	}
	t.Cleanup(func() {
		// Leave three workers and no connector behind for the tests after this one.
		for i := range c.WorkerURLs {
			if err := c.StartWorker(i); err != nil {
				t.Errorf("restarting %s: %v", c.WorkerName(i), err)
			}
		}
		code, b, err := call("DELETE", c.WorkerURLs[0]+"/connectors/"+name, nil)
		if err != nil || (code != 204 && code != 404) {
			t.Errorf("DELETE %s: %d %v %s", name, code, err, b)
		}
	})

	created := putConfig(t, c.WorkerURLs[0], name, cfg)
	t.Logf("PUT /connectors/%s/config: %d", name, created)
	s, took := waitStatus(t, c.WorkerURLs[0], name, 90*time.Second, allRunning(3, ""))
	t.Logf("3 tasks RUNNING after %.1fs: %s; connector on %s", took.Seconds(), s.placement(), s.Connector.WorkerID)

	hosts := map[string]int{}
	for _, task := range s.Tasks {
		hosts[task.WorkerID]++
	}
	if len(hosts) < 2 {
		t.Fatalf("tasks not spread over the workers: %s", s.placement())
	}

	// Kill -9 a worker that runs a task; watch from another.
	victim, watcher := -1, -1
	for i := range c.WorkerURLs {
		if hosts[c.WorkerID(i)] > 0 && victim < 0 {
			victim = i
		} else if watcher < 0 {
			watcher = i
		}
	}
	if victim < 0 || watcher < 0 {
		t.Fatalf("no victim/watcher pair in %s", s.placement())
	}
	if err := c.KillWorker(victim); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s (%s, kill -9), which ran %d task(s); watching from %s",
		c.WorkerName(victim), c.WorkerID(victim), hosts[c.WorkerID(victim)], c.WorkerName(watcher))

	s, took = waitStatus(t, c.WorkerURLs[watcher], name, 120*time.Second, allRunning(3, c.WorkerID(victim)))
	t.Logf("failover: all 3 tasks RUNNING on the survivors %.1fs after the kill: %s; connector on %s",
		took.Seconds(), s.placement(), s.Connector.WorkerID)

	restart := time.Now()
	if err := c.StartWorker(victim); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s back and ready in %.1fs", c.WorkerName(victim), time.Since(restart).Seconds())
	t.Logf("cluster RSS now %d MiB over %d JVMs", c.RSS()>>20, len(c.PIDs()))
}

func TestFreezeAndThawWorker(t *testing.T) {
	c := testcluster.Get(t)
	c.Exclusive(t) // it freezes a worker
	const w = 2
	if err := c.FreezeWorker(w); err != nil {
		t.Fatal(err)
	}
	thawed := false
	defer func() {
		if !thawed {
			_ = c.ThawWorker(w)
		}
	}()
	short := &http.Client{Timeout: 2 * time.Second}
	if resp, err := short.Get(c.WorkerURLs[w] + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("frozen %s answered %s", c.WorkerName(w), resp.Status)
	} else {
		t.Logf("frozen %s does not answer: %v", c.WorkerName(w), err)
	}
	if err := c.ThawWorker(w); err != nil {
		t.Fatal(err)
	}
	thawed = true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	if err := c.WaitWorkerReady(ctx, w); err != nil {
		t.Fatal(err)
	}
	t.Logf("thawed %s answers again after %.1fs", c.WorkerName(w), time.Since(start).Seconds())
}

func TestCassandraRowRoundTrip(t *testing.T) {
	c := testcluster.Get(t)
	s, err := c.CQLSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var release string
	if err := s.Query("SELECT release_version FROM system.local").WithContext(ctx).Scan(&release); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"CREATE KEYSPACE IF NOT EXISTS connectsync_it WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS connectsync_it.kv (id text PRIMARY KEY, amount int, note text)",
	} {
		if err := s.Query(stmt).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	id := fmt.Sprintf("row-%d", time.Now().UnixNano())
	if err := s.Query("INSERT INTO connectsync_it.kv (id, amount, note) VALUES (?, ?, ?)", id, 42, "hello").WithContext(ctx).Exec(); err != nil {
		t.Fatal(err)
	}
	var amount int
	var note string
	if err := s.Query("SELECT amount, note FROM connectsync_it.kv WHERE id = ?", id).WithContext(ctx).Scan(&amount, &note); err != nil {
		t.Fatal(err)
	}
	if amount != 42 || note != "hello" {
		t.Fatalf("read back (%d, %q), want (42, \"hello\")", amount, note)
	}
	t.Logf("Cassandra %s at %s: wrote and read back connectsync_it.kv[%s] = (%d, %q)", release, c.CassandraAddr, id, amount, note)
}
