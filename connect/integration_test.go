package connect_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/object"
	"github.com/google/go-cmp/cmp"
)

// These tests run against the real local cluster (see internal/testcluster);
// with -short, or when no cluster can be had outside CI, they are skipped.
func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

const fileSink = "org.apache.kafka.connect.file.FileStreamSinkConnector"

// newClusterClient returns a client for worker i that counts its requests.
func newClusterClient(t *testing.T, c *testcluster.Cluster, i int) (*connect.Client, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	client, err := connect.New(c.WorkerURLs[i], connect.Options{
		OnRetry: func(r connect.Retry) {
			t.Logf("retrying %s %s in %s: %s (attempt %d)", r.Method, r.Path, r.Delay, r.Reason, r.Attempt)
		},
		OnRequest: func(method, path string) { n.Add(1) },
		Retry:     connect.RetryPolicy{MaxElapsedTime: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client, &n
}

// uniqueName has a space and a slash-free punctuation mix, so the path
// escaping is checked by the real worker.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("connect it %s %d", strings.ToLower(t.Name()), time.Now().UnixNano())
}

// waitState polls the connector's status until the connector and all its
// tasks are in state. A 404 right after a create is expected.
func waitState(t *testing.T, client *connect.Client, name string, state object.State) connect.ConnectorStatus {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	var last connect.ConnectorStatus
	var lastErr error
	for time.Now().Before(deadline) {
		s, err := client.Status(ctx, name)
		lastErr = err
		if err == nil {
			last = s
			done := s.State == state
			for _, task := range s.Tasks {
				done = done && task.State == state
			}
			if state == object.StateStopped {
				done = s.State == state && len(s.Tasks) == 0
			}
			if done {
				return s
			}
		} else if !connect.IsNotFound(err) {
			t.Fatalf("status of %q: %v", name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("connector %q not %s after 90s: last %+v, err %v", name, state, last, lastErr)
	return last
}

func TestIntegrationLifecycle(t *testing.T) {
	c := testcluster.Get(t)
	// worker-2: writes reach the leader through the follower's forwarding
	// whenever worker-2 is not the leader.
	client, requests := newClusterClient(t, c, 1)
	ctx := context.Background()
	name := uniqueName(t)
	t.Cleanup(func() { client.Delete(context.Background(), name) })

	info, err := client.ServerInfo(ctx)
	if err != nil || info.Version == "" || info.KafkaClusterID == "" {
		t.Fatalf("ServerInfo = %+v, %v", info, err)
	}
	t.Logf("worker-2: Kafka %s, cluster %s", info.Version, info.KafkaClusterID)

	plugins, err := client.Plugins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !containsPlugin(plugins, fileSink) {
		t.Fatalf("plugins %+v lack %s", plugins, fileSink)
	}
	keys, err := client.PluginConfig(ctx, fileSink)
	if err != nil {
		t.Fatal(err)
	}
	if k := findKey(keys, "file"); k == nil || k.Type != "STRING" {
		t.Errorf("config key %q of %s = %+v", "file", fileSink, k)
	}

	cfg := map[string]string{
		"connector.class": fileSink,
		"topics":          "connect-it",
		"file":            os.DevNull,
		"tasks.max":       "1",
	}
	v, err := client.Validate(ctx, fileSink, map[string]string{"file": os.DevNull})
	if err != nil {
		t.Fatal(err)
	}
	if v.ErrorCount == 0 {
		t.Errorf("validation of a sink config without topics found no error: %+v", v)
	}

	created, err := client.PutConfig(ctx, name, cfg)
	if err != nil || !created {
		t.Fatalf("PutConfig (create) = %v, %v", created, err)
	}
	waitState(t, client, name, object.StateRunning)

	cfg["tasks.max"] = "2"
	created, err = client.PutConfig(ctx, name, cfg)
	if err != nil || created {
		t.Fatalf("PutConfig (update) = %v, %v", created, err)
	}
	got, err := client.Config(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": name}
	for k, v := range cfg {
		want[k] = v
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	before := requests.Load()
	all, err := client.Connectors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := requests.Load() - before; n != 1 {
		t.Errorf("Connectors made %d requests, want 1", n)
	}
	if conn, ok := all[name]; !ok || conn.Type != "sink" || conn.Config["tasks.max"] != "2" {
		t.Errorf("Connectors()[%q] = %+v", name, conn)
	}

	if err := client.Pause(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitState(t, client, name, object.StatePaused)
	if err := client.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitState(t, client, name, object.StateStopped)
	if err := client.Resume(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitState(t, client, name, object.StateRunning)
	if err := client.Restart(ctx, name, true, true); err != nil {
		t.Fatal(err)
	}

	// The real worker's 409 for a taken name: never retried.
	before = requests.Load()
	err = client.Create(ctx, name, cfg, "")
	var e *connect.Error
	if !errors.Is(err, connect.ErrAlreadyExists) || !errors.As(err, &e) || e.AfterUncertainAttempt {
		t.Errorf("Create of an existing connector = %v, want ErrAlreadyExists", err)
	}
	if n := requests.Load() - before; n != 1 {
		t.Errorf("Create of an existing connector made %d requests, want 1", n)
	}

	if err := client.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := client.Delete(ctx, name); err != nil {
		t.Errorf("second Delete = %v, want nil (404 counts as done)", err)
	}
	if _, err := client.Config(ctx, name); !connect.IsNotFound(err) {
		t.Errorf("Config after delete = %v, want a 404", err)
	}
}

func TestIntegrationCreateStopped(t *testing.T) {
	c := testcluster.Get(t)
	client, _ := newClusterClient(t, c, 0)
	name := uniqueName(t)
	t.Cleanup(func() { client.Delete(context.Background(), name) })

	cfg := map[string]string{"connector.class": fileSink, "topics": "connect-it", "file": os.DevNull}
	if err := client.Create(context.Background(), name, cfg, object.StateStopped); err != nil {
		t.Fatal(err)
	}
	waitState(t, client, name, object.StateStopped)
}

func TestIntegrationMissingPluginIsNotRetried(t *testing.T) {
	c := testcluster.Get(t)
	client, requests := newClusterClient(t, c, 2)
	name := uniqueName(t)
	t.Cleanup(func() { client.Delete(context.Background(), name) })

	_, err := client.PutConfig(context.Background(), name, map[string]string{
		"connector.class": "com.example.MissingSinkConnector",
		"topics":          "connect-it",
	})
	if err == nil {
		t.Fatal("PutConfig with a missing plugin succeeded")
	}
	t.Logf("worker's answer: %v", err)
	if ok, reason := connect.Retryable(err); ok {
		t.Errorf("retryable (%s), want not: %v", reason, err)
	}
	if !connect.IsPluginMissing(err) {
		t.Errorf("IsPluginMissing(%v) = false", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if !strings.Contains(err.Error(), "com.example.MissingSinkConnector") {
		t.Errorf("error does not name the class: %v", err)
	}
}

func containsPlugin(ps []connect.Plugin, class string) bool {
	for _, p := range ps {
		if p.Class == class {
			return true
		}
	}
	return false
}

func findKey(keys []connect.ConfigKey, name string) *connect.ConfigKey {
	for i := range keys {
		if keys[i].Name == name {
			return &keys[i]
		}
	}
	return nil
}
