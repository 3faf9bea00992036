package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/connectsync/connectsync/object"
	"github.com/google/go-cmp/cmp"
)

// edgeCaseWorker is an httptest server standing in for a Kafka Connect
// worker only to produce protocol edge cases that a real worker can't be made
// to give on demand (a rebalance 409 at the right moment, a dropped
// connection, a forward that fails). Everything else is tested against the
// real local cluster.
type edgeCaseWorker struct {
	*httptest.Server
	mu      sync.Mutex
	answers []http.HandlerFunc
	seen    []string // "METHOD escaped-path?query", in order
	bodies  []string
}

// newEdgeCaseWorker answers the n-th request with answers[n], and repeats
// the last answer after that.
func newEdgeCaseWorker(t *testing.T, answers ...http.HandlerFunc) *edgeCaseWorker {
	t.Helper()
	w := &edgeCaseWorker{answers: answers}
	w.Server = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.Close)
	return w
}

func (w *edgeCaseWorker) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	n := len(w.seen)
	w.seen = append(w.seen, r.Method+" "+r.URL.RequestURI())
	w.bodies = append(w.bodies, string(body))
	h := w.answers[min(n, len(w.answers)-1)]
	w.mu.Unlock()
	h(rw, r)
}

func (w *edgeCaseWorker) requests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// answer replies as a worker does: JSON, and {"error_code","message"} for
// errors.
func answer(status int, body any) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		if status == http.StatusNoContent {
			rw.WriteHeader(status)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(status)
		json.NewEncoder(rw).Encode(body)
	}
}

func workerError(status int, msg string) http.HandlerFunc {
	return answer(status, map[string]any{"error_code": status, "message": msg})
}

// resetConnection drops the TCP connection with a RST, as a worker process
// that dies mid-request does.
func resetConnection(rw http.ResponseWriter, r *http.Request) {
	conn, _, err := rw.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// hang never answers; the client's per-attempt timeout ends it.
func hang(rw http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

type testClient struct {
	*Client
	mu      sync.Mutex
	retries []Retry
	sent    int // OnRequest calls
}

// logLines are the retries as a log would read them.
func (tc *testClient) logLines() []string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	var lines []string
	for _, r := range tc.retries {
		lines = append(lines, fmt.Sprintf("retrying %s %s in %s: %s (attempt %d)", r.Method, r.Path, r.Delay, r.Reason, r.Attempt))
	}
	return lines
}

// newTestClient retries at most maxRetries times without waiting.
func newTestClient(t *testing.T, url string, maxRetries uint64, o Options) *testClient {
	t.Helper()
	tc := &testClient{}
	o.NewBackOff = func() backoff.BackOff { return backoff.WithMaxRetries(&backoff.ZeroBackOff{}, maxRetries) }
	o.OnRetry = func(r Retry) {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		tc.retries = append(tc.retries, r)
	}
	o.OnRequest = func(method, path string) {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		tc.sent++
	}
	c, err := New(url, o)
	if err != nil {
		t.Fatal(err)
	}
	tc.Client = c
	return tc
}

func TestPutConfigRetriesRebalanceConflict(t *testing.T) {
	w := newEdgeCaseWorker(t,
		workerError(409, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"),
		workerError(409, "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"),
		answer(201, map[string]any{"name": "my orders", "config": map[string]string{}, "tasks": []any{}, "type": "sink"}),
	)
	c := newTestClient(t, w.URL, 5, Options{})

	created, err := c.PutConfig(context.Background(), "my orders", map[string]string{"topics": "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false, want true for a 201")
	}
	wantReq := []string{
		"PUT /connectors/my%20orders/config",
		"PUT /connectors/my%20orders/config",
		"PUT /connectors/my%20orders/config",
	}
	if diff := cmp.Diff(wantReq, w.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`{"topics":"orders"}`, w.bodies[2]); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	wantLogs := []string{
		"retrying PUT /connectors/my%20orders/config in 0s: 409 rebalance in progress (attempt 2)",
		"retrying PUT /connectors/my%20orders/config in 0s: 409 stale configuration (concurrent config change) (attempt 3)",
	}
	if diff := cmp.Diff(wantLogs, c.logLines()); diff != "" {
		t.Errorf("retry log (-want +got):\n%s", diff)
	}
	// The retry names the connector unescaped, and the worker's status.
	if r := c.retries[0]; r.Connector != "my orders" || r.Status != http.StatusConflict {
		t.Errorf("retry = %+v, want connector \"my orders\", status 409", r)
	}
	if c.sent != 3 {
		t.Errorf("OnRequest called %d times, want 3", c.sent)
	}
}

func TestReadRetriesForwardIOErrorAndRebalanceExpected(t *testing.T) {
	w := newEdgeCaseWorker(t,
		workerError(500, "IO Error trying to forward REST request: java.net.SocketTimeoutException: Connect Timeout"),
		workerError(500, "Request cannot be completed because a rebalance is expected"),
		answer(200, map[string]string{"connector.class": "FileStreamSink", "name": "orders"}),
	)
	c := newTestClient(t, w.URL, 5, Options{})

	got, err := c.Config(context.Background(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"connector.class": "FileStreamSink", "name": "orders"}, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	wantLogs := []string{
		"retrying GET /connectors/orders/config in 0s: 500 forwarding to the leader failed (attempt 2)",
		"retrying GET /connectors/orders/config in 0s: 500 rebalance expected (attempt 3)",
	}
	if diff := cmp.Diff(wantLogs, c.logLines()); diff != "" {
		t.Errorf("retry log (-want +got):\n%s", diff)
	}
}

func TestCreateAfterTimeoutReportsAlreadyExistsAsUncertain(t *testing.T) {
	// The first POST reaches the worker but the answer never comes back in
	// time; the retry finds the connector that attempt created.
	w := newEdgeCaseWorker(t, hang, workerError(409, "Connector orders already exists"))
	c := newTestClient(t, w.URL, 5, Options{WriteTimeout: 50 * time.Millisecond})

	err := c.Create(context.Background(), "orders", map[string]string{"topics": "orders", "password": "s3cr3t"}, object.StateStopped)
	if !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("err = %v, want ErrAlreadyExists", err)
	}
	var e *Error
	if !errors.As(err, &e) || !e.AfterUncertainAttempt {
		t.Errorf("AfterUncertainAttempt not set on %#v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error carries the request body: %v", err)
	}
	if diff := cmp.Diff([]string{"POST /connectors", "POST /connectors"}, w.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`{"name":"orders","config":{"password":"s3cr3t","topics":"orders"},"initial_state":"STOPPED"}`, w.bodies[1]); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	for _, l := range c.logLines() {
		if strings.Contains(l, "s3cr3t") {
			t.Errorf("log carries the request body: %s", l)
		}
	}
	if diff := cmp.Diff([]string{"retrying POST /connectors in 0s: timed out (attempt 2)"}, c.logLines()); diff != "" {
		t.Errorf("retry log (-want +got):\n%s", diff)
	}
	if r := c.retries[0]; r.Connector != "orders" || r.Status != 0 {
		t.Errorf("retry = %+v, want connector orders, no status", r)
	}
}

func TestCreateConflicts(t *testing.T) {
	tests := []struct {
		name          string
		answers       []http.HandlerFunc
		wantRequests  int
		wantUncertain bool
	}{
		{
			name:         "exists already: one POST, not retried",
			answers:      []http.HandlerFunc{workerError(409, "Connector orders already exists")},
			wantRequests: 1,
		},
		{
			name: "rebalance, then exists: nothing was applied by the first attempt",
			answers: []http.HandlerFunc{
				workerError(409, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."),
				workerError(409, "Connector orders already exists"),
			},
			wantRequests: 2,
		},
		{
			name: "worker timed out, then exists",
			answers: []http.HandlerFunc{
				workerError(500, "Request timed out"),
				workerError(409, "Connector orders already exists"),
			},
			wantRequests:  2,
			wantUncertain: true,
		},
		{
			name:          "connection reset, then exists",
			answers:       []http.HandlerFunc{resetConnection, workerError(409, "Connector orders already exists")},
			wantRequests:  2,
			wantUncertain: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newEdgeCaseWorker(t, tt.answers...)
			c := newTestClient(t, w.URL, 5, Options{})
			err := c.Create(context.Background(), "orders", map[string]string{"topics": "orders"}, "")
			var e *Error
			if !errors.Is(err, ErrAlreadyExists) || !errors.As(err, &e) {
				t.Fatalf("err = %v, want ErrAlreadyExists", err)
			}
			if e.AfterUncertainAttempt != tt.wantUncertain {
				t.Errorf("AfterUncertainAttempt = %v, want %v", e.AfterUncertainAttempt, tt.wantUncertain)
			}
			if got := len(w.requests()); got != tt.wantRequests {
				t.Errorf("%d requests, want %d", got, tt.wantRequests)
			}
			if strings.Contains(w.bodies[0], "initial_state") {
				t.Errorf("initial_state sent although empty: %s", w.bodies[0])
			}
		})
	}
}

func TestConnectionResetIsRetried(t *testing.T) {
	w := newEdgeCaseWorker(t, resetConnection,
		answer(200, ServerInfo{Version: "3.9.0", Commit: "abc", KafkaClusterID: "cluster-1"}))
	c := newTestClient(t, w.URL, 5, Options{})

	got, err := c.ServerInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ServerInfo{Version: "3.9.0", Commit: "abc", KafkaClusterID: "cluster-1"}, got); diff != "" {
		t.Errorf("server info (-want +got):\n%s", diff)
	}
	logs := c.logLines()
	if len(logs) != 1 || !strings.HasPrefix(logs[0], "retrying GET / in 0s: ") || !strings.HasSuffix(logs[0], "(attempt 2)") {
		t.Errorf("retry log = %q", logs)
	}
}

func TestConnectionRefusedIsRetriedThenGivenUp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	c := newTestClient(t, "http://"+addr, 2, Options{})
	_, err = c.Plugins(context.Background())
	var gaveUp *GaveUpError
	if !errors.As(err, &gaveUp) || gaveUp.Attempts != 3 {
		t.Fatalf("err = %v, want a GaveUpError after 3 attempts", err)
	}
	if ok, reason := Retryable(err); !ok || reason != "connection refused" {
		t.Errorf("Retryable = %v, %q", ok, reason)
	}
	if c.sent != 3 {
		t.Errorf("OnRequest called %d times, want 3", c.sent)
	}
}

func TestNotRetried(t *testing.T) {
	tests := []struct {
		name   string
		answer http.HandlerFunc
		call   func(*Client) error
		want   int // StatusCode(err)
	}{
		{"400 invalid config", workerError(400, "Connector configuration is invalid and contains the following 1 error(s):\nMissing required configuration \"topics\" which has no default value."),
			func(c *Client) error { _, err := c.PutConfig(context.Background(), "orders", nil); return err }, 400},
		{"404 on a read", workerError(404, "No status found for connector orders"),
			func(c *Client) error { _, err := c.Status(context.Background(), "orders"); return err }, 404},
		{"500 plugin missing", workerError(500, "Failed to find any class that implements Connector and which name matches com.example.Missing, available connectors are: "),
			func(c *Client) error { _, err := c.PutConfig(context.Background(), "orders", nil); return err }, 500},
		{"500 other on delete", workerError(500, "java.lang.NullPointerException"),
			func(c *Client) error { return c.Delete(context.Background(), "orders") }, 500},
		{"401", workerError(401, "Unauthorized"),
			func(c *Client) error { _, err := c.Connectors(context.Background()); return err }, 401},
		{"403", workerError(403, "Forbidden"),
			func(c *Client) error { return c.Pause(context.Background(), "orders") }, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newEdgeCaseWorker(t, tt.answer)
			c := newTestClient(t, w.URL, 5, Options{})
			err := tt.call(c.Client)
			if got := StatusCode(err); got != tt.want {
				t.Errorf("StatusCode(%v) = %d, want %d", err, got, tt.want)
			}
			if n := len(w.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			var gaveUp *GaveUpError
			if errors.As(err, &gaveUp) {
				t.Errorf("a non-retryable error is reported as given up: %v", err)
			}
		})
	}
}

func TestDeleteNotFoundIsDone(t *testing.T) {
	w := newEdgeCaseWorker(t, workerError(404, "Connector orders not found"))
	c := newTestClient(t, w.URL, 5, Options{})
	if err := c.Delete(context.Background(), "orders"); err != nil {
		t.Errorf("Delete of a missing connector = %v, want nil", err)
	}
	if diff := cmp.Diff([]string{"DELETE /connectors/orders"}, w.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestDeleteAfterTimeoutThenNotFoundIsDone(t *testing.T) {
	w := newEdgeCaseWorker(t, hang, workerError(404, "Connector orders not found"))
	c := newTestClient(t, w.URL, 5, Options{WriteTimeout: 50 * time.Millisecond})
	if err := c.Delete(context.Background(), "orders"); err != nil {
		t.Errorf("Delete = %v, want nil", err)
	}
}

func TestScrubAppliesToWorkerMessages(t *testing.T) {
	scrub := func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "***") }
	statusWithTrace := map[string]any{
		"orders": map[string]any{
			"status": map[string]any{
				"name":      "orders",
				"connector": map[string]any{"state": "FAILED", "worker_id": "connect-1:8083", "trace": "AuthenticationException: bad password s3cr3t"},
				"tasks":     []any{map[string]any{"id": 0, "state": "FAILED", "worker_id": "connect-2:8083", "trace": "login s3cr3t refused"}},
				"type":      "sink",
			},
			// no "info": the connector is being deleted
		},
	}
	w := newEdgeCaseWorker(t,
		workerError(400, "Connector configuration is invalid: Invalid value s3cr3t for configuration auth.password"),
		answer(200, statusWithTrace),
	)
	c := newTestClient(t, w.URL, 5, Options{Scrub: scrub})

	_, err := c.PutConfig(context.Background(), "orders", map[string]string{"auth.password": "s3cr3t"})
	want := "PUT /connectors/orders/config: 400 Bad Request: Connector configuration is invalid: Invalid value *** for configuration auth.password"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}

	got, err := c.Connectors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantConn := map[string]Connector{"orders": {
		Name: "orders",
		Type: "sink",
		Status: ConnectorStatus{
			State: "FAILED", WorkerID: "connect-1:8083", Trace: "AuthenticationException: bad password ***",
			Tasks: []TaskStatus{{ID: 0, State: "FAILED", WorkerID: "connect-2:8083", Trace: "login *** refused"}},
		},
	}}
	if diff := cmp.Diff(wantConn, got); diff != "" {
		t.Errorf("connectors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("GET /connectors?expand=info&expand=status", w.requests()[1]); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestGivesUpWhenRetriesRunOut(t *testing.T) {
	w := newEdgeCaseWorker(t, workerError(503, ""))
	c := newTestClient(t, w.URL, 2, Options{})
	err := c.Resume(context.Background(), "orders")
	var gaveUp *GaveUpError
	if !errors.As(err, &gaveUp) || gaveUp.Attempts != 3 || StatusCode(err) != 503 {
		t.Fatalf("err = %v, want a 503 given up after 3 attempts", err)
	}
	if !strings.HasPrefix(err.Error(), "PUT /connectors/orders/resume: 503 Service Unavailable (gave up after 3 attempts in ") {
		t.Errorf("err = %v", err)
	}
}

func TestCallerCancelKeepsLastError(t *testing.T) {
	w := newEdgeCaseWorker(t, workerError(409, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"))
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(w.URL, Options{
		// Cancel while waiting for the second attempt.
		Retry:   RetryPolicy{InitialInterval: time.Hour, MaxInterval: time.Hour, MaxElapsedTime: -1},
		OnRetry: func(Retry) { cancel() },
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Stop(ctx, "orders")
	if !errors.Is(err, context.Canceled) || StatusCode(err) != http.StatusConflict {
		t.Errorf("err = %v, want context.Canceled wrapping the 409", err)
	}
	if n := len(w.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRequestShape(t *testing.T) {
	var got http.Header
	w := newEdgeCaseWorker(t, func(rw http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		rw.WriteHeader(http.StatusAccepted)
	})
	c := newTestClient(t, w.URL+"/prefix/", 0, Options{
		Username: "admin", Password: "pw",
		Headers: map[string]string{"X-Team": "data"},
	})
	if err := c.Restart(context.Background(), "a/b c", true, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"POST /prefix/connectors/a%2Fb%20c/restart?includeTasks=true&onlyFailed=true"}, w.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	user, pass, ok := (&http.Request{Header: got}).BasicAuth()
	if !ok || user != "admin" || pass != "pw" || got.Get("X-Team") != "data" {
		t.Errorf("headers = %v", got)
	}
	if c.URL() != w.URL+"/prefix" {
		t.Errorf("URL() = %q", c.URL())
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		url  string
		o    Options
		want string
	}{
		{"connect-1:8083", Options{}, `connect: worker URL "connect-1:8083": scheme must be http or https`},
		{"http://admin:hunter2@connect-1:8083", Options{}, "connect: worker URL must not carry credentials; set Options.Username and Options.Password"},
		{"http://connect-1:8083", Options{Password: "x"}, "connect: a password is set without a username"},
		{"http://connect-1:8083", Options{HTTPClient: http.DefaultClient, TLS: TLSConfig{InsecureSkipVerify: true}}, "connect: set either Options.HTTPClient or Options.TLS, not both"},
	}
	for _, tt := range tests {
		_, err := New(tt.url, tt.o)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("New(%q) (-want +got):\n%s", tt.url, diff)
		}
	}
}
