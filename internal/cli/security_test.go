package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectsync/connectsync/internal/cli"
)

// Security cases of issue 9 for the commands. docs/security.md maps each
// defect to its test. The workers here are httptest servers that stand for
// something at a worker's URL misbehaving in ways a real worker can't be
// made to on demand (echoing secrets in escaped forms and non-JSON pages,
// redirecting, streaming without end, hanging). What a real worker does is
// covered against the local cluster in apply/security_test.go.

// canaryValue holds characters that JSON, Go and HTML escape, and a run of
// two spaces. canaryMarks are substrings of every form it can be printed
// in but the fully \u-escaped one, which the scrubber also covers.
const canaryValue = `Kx9w<7f3a>"q  z/w\b`

var canaryMarks = []string{"Kx9w", "7f3a", `q  z`, `q z`}

type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d in %s\n--- stdout\n%s--- stderr\n%s", r.code, r.took, r.stdout, r.stderr)
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code := cli.Main(args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	return result{out.String(), errb.String(), code, time.Since(start)}
}

// assertClean fails if the canary, in any form, or a control character
// other than newline and tab is in r's output.
func assertClean(t *testing.T, what string, r result) {
	t.Helper()
	all := r.stdout + r.stderr
	for _, m := range canaryMarks {
		if strings.Contains(all, m) {
			t.Errorf("%s printed the canary (%q):\n%s", what, m, r)
			break
		}
	}
	for _, c := range all {
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 && c <= 0x9f {
			t.Errorf("%s printed control character %U:\n%q", what, c, all)
			break
		}
	}
}

// manifestFor declares one cluster whose workers are at urls, with the
// canary as the REST password, a secret header, and a sink's secret. rest
// lists more settings of the cluster's rest: key, one a line.
func manifestFor(t *testing.T, dir string, urls []string, rest ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`version: 1
clusters:
  - name: c
    bootstrapServers: [127.0.0.1:39092]
    groupId: sec-c
    storage:
      config: {topic: sec-configs}
      offset: {topic: sec-offsets}
      status: {topic: sec-status}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
    rest:
      basicAuth: {username: admin, password: {secretEnv: CANARY}}
      headers: {X-Token: {secretEnv: CANARY_HEADER}}
`)
	for _, r := range rest {
		b.WriteString("      " + r + "\n")
	}
	b.WriteString("workers:\n")
	for i, u := range urls {
		fmt.Fprintf(&b, "  - {name: w%d, cluster: c, url: %q}\n", i+1, u)
	}
	b.WriteString(`sinks:
  - name: sec-echo
    cluster: c
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    topics: {sec-echo: {}}
    config:
      file: {secretEnv: CANARY_FILE}
`)
	p := filepath.Join(dir, "connect.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func canaryEnv() map[string]string {
	return map[string]string{"CANARY": canaryValue, "CANARY_HEADER": canaryValue + "-h", "CANARY_FILE": canaryValue + "-f"}
}

// newEchoingWorker answers like a worker, but puts every secret it was sent
// back into its answers, in raw, JSON-escaped, doubly escaped and
// whitespace-squeezed forms, with terminal escape sequences, in traces, in
// JSON error messages and in non-JSON error pages.
//
// With redirectWrites set, it answers every write (PUT, POST, DELETE) with
// a 307 to redirectWrites instead: reads work, writes are sent elsewhere.
func newEchoingWorker(t *testing.T, redirectWrites string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirectWrites != "" && r.Method != http.MethodGet {
			http.Redirect(w, r, redirectWrites+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_, pw, _ := r.BasicAuth()
		secrets := pw + " | " + r.Header.Get("X-Token") + " | " + string(body)
		once, _ := json.Marshal(secrets)
		twice, _ := json.Marshal(string(once))
		hostile := "\x1b]0;owned\x07\x1b[2J\u009b31m\r"
		trace := "org.apache.kafka.connect.errors.ConnectException: " + secrets + " " + string(once) + hostile + "\n\tat x"
		switch {
		case r.Method == "GET" && r.URL.Path == "/":
			fmt.Fprintf(w, `{"version":"4.3.1%s","commit":"c","kafka_cluster_id":"id"}`, jsonEsc(hostile))
		case r.Method == "GET" && r.URL.Path == "/connector-plugins":
			io.WriteString(w, `[{"class":"org.apache.kafka.connect.file.FileStreamSinkConnector","type":"sink","version":"4.3.1"}]`)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/connector-plugins/"):
			io.WriteString(w, `[]`)
		case r.Method == "GET" && r.URL.Path == "/connectors":
			st := map[string]any{"state": "FAILED", "worker_id": "w:1" + hostile, "trace": trace}
			task := map[string]any{"id": 0, "state": "FAILED", "worker_id": "w:1", "trace": trace}
			doc := map[string]any{
				"sec-echo": map[string]any{
					"info":   map[string]any{"name": "sec-echo", "type": "sink", "config": map[string]string{"connector.class": "x", "file": secrets}, "tasks": []any{}},
					"status": map[string]any{"name": "sec-echo", "type": "sink", "connector": st, "tasks": []any{task}},
				},
				"sec-other" + hostile: map[string]any{"status": map[string]any{"connector": st, "tasks": []any{task}}},
			}
			json.NewEncoder(w).Encode(doc)
		case strings.HasSuffix(r.URL.Path, "/config/validate"):
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "<html><body><pre>%s\n%s\n%s%s</pre></body></html>", secrets, once, twice, hostile)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error_code":400,"message":%s}`, twice)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// newRedirectingWorker redirects every request to target with a 307, which
// keeps the method and the body.
func newRedirectingWorker(t *testing.T, target string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// newSecretCollector counts the requests that reach it.
func newSecretCollector(t *testing.T, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, `{"version":"4.3.1","commit":"c","kafka_cluster_id":"id"}`)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// newStreamingWorker answers GET / normally and every other GET with an
// endless 200 body.
func newStreamingWorker(t *testing.T) *httptest.Server {
	t.Helper()
	chunk := []byte(strings.Repeat(`{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",`, 2048))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			io.WriteString(w, `{"version":"4.3.1","commit":"c","kafka_cluster_id":"id"}`)
			return
		}
		io.WriteString(w, "{")
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// newHangingWorker accepts connections and never answers.
func newHangingWorker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(done)
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// everyCommand runs every command that contacts workers, in every output
// format, plus validate and render, and returns the runs by name.
func everyCommand(t *testing.T, m, dir string) map[string]result {
	t.Helper()
	env := canaryEnv()
	planFile := filepath.Join(dir, "plan.out")
	runs := map[string]result{
		"validate":       runCLI(t, env, "validate", "-f", m),
		"validate json":  runCLI(t, env, "validate", "--json", "-f", m),
		"render":         runCLI(t, env, "render", "-f", m),
		"render -o":      runCLI(t, env, "render", "-f", m, "-o", filepath.Join(dir, "out")),
		"plan":           runCLI(t, env, "plan", "-f", m),
		"plan json":      runCLI(t, env, "plan", "--json", "-f", m),
		"plan -out":      runCLI(t, env, "plan", "-f", m, "-out", planFile),
		"apply":          runCLI(t, env, "apply", "-f", m, "--auto-approve", "--no-validate", "--wait", "5s"),
		"apply json":     runCLI(t, env, "apply", "-f", m, "--auto-approve", "--json", "--no-validate", "--wait", "5s"),
		"status":         runCLI(t, env, "status", "-f", m),
		"status json":    runCLI(t, env, "status", "--json", "-f", m),
		"apply planfile": runCLI(t, env, "apply", planFile),
		"import":         runCLI(t, env, "import", "-f", m, "--cluster", "c"),
		"import -o":      runCLI(t, env, "import", "-f", m, "--cluster", "c", "-o", filepath.Join(dir, "imported")),
	}
	files := []string{planFile}
	_ = filepath.WalkDir(filepath.Join(dir, "imported"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			for _, mk := range canaryMarks {
				if bytes.Contains(b, []byte(mk)) {
					t.Errorf("%s holds the canary:\n%s", f, b)
				}
			}
		}
	}
	return runs
}

// Defects 1, 2, 5, 6, 7 and the canary run: every command, in every format,
// against workers that echo secrets, redirect, stream without end or hang.
// The canary appears nowhere, no control character reaches the output, and
// no command waits long on a broken worker.
func TestSecurityCanaryAgainstMisbehavingWorkers(t *testing.T) {
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())
	var collected atomic.Int64
	collector := newSecretCollector(t, &collected)
	for _, tc := range []struct {
		name string
		url  string
		rest []string
		// want is a text every command that reads the cluster must print.
		want string
	}{
		{"echoing", newEchoingWorker(t, "").URL, []string{"timeout: 5s"}, ""},
		{"redirecting writes", newEchoingWorker(t, collector.URL).URL, []string{"retryFor: 60s"}, ""},
		{"redirecting", newRedirectingWorker(t, collector.URL).URL, []string{"retryFor: 60s"}, "does not follow redirects"},
		{"streaming", newStreamingWorker(t).URL, []string{"retryFor: 60s"}, "larger than"},
		{"hanging", newHangingWorker(t), []string{"timeout: 1s", "retryFor: 2s"}, "no answer within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := manifestFor(t, dir, []string{tc.url}, tc.rest...)
			runs := everyCommand(t, m, dir)
			for name, r := range runs {
				if testing.Verbose() {
					t.Logf("%s: %s", name, r)
				}
				assertClean(t, tc.name+": "+name, r)
				if r.took > 45*time.Second {
					t.Errorf("%s: %s took %s on a broken worker", tc.name, name, r.took)
				}
				live := strings.HasPrefix(name, "plan") || strings.HasPrefix(name, "status") || strings.HasPrefix(name, "import") ||
					name == "apply" || name == "apply json"
				if live && tc.want != "" && !strings.Contains(r.stdout+r.stderr, tc.want) {
					t.Errorf("%s: %s does not say %q:\n%s", tc.name, name, tc.want, r)
				}
				if live && strings.Contains(r.stdout, "No changes. Live state matches the manifest.") && tc.name != "echoing" {
					t.Errorf("%s: %s claims no changes:\n%s", tc.name, name, r)
				}
			}
			if tc.name == "echoing" && !strings.Contains(runs["status"].stdout, "ConnectException: ***") {
				t.Errorf("status does not show the echoed trace masked:\n%s", runs["status"])
			}
			if tc.name == "redirecting writes" {
				// apply fails at once, naming the connector, the worker and
				// the status, rather than retrying or waiting its budget.
				for _, name := range []string{"apply", "apply json"} {
					r := runs[name]
					out := r.stdout + r.stderr
					if r.code != 1 || r.took > 10*time.Second || !strings.Contains(out, "sec-echo") ||
						!strings.Contains(out, "307 Temporary Redirect") || !strings.Contains(out, "does not follow redirects") ||
						!strings.Contains(out, tc.url) {
						t.Errorf("%s with writes redirected:\n%s", name, r)
					}
				}
			}
		})
	}
	if collected.Load() != 0 {
		t.Errorf("a redirect was followed: %d requests reached the redirect's target", collected.Load())
	}
}

// Defect 16: a plan that could not read a cluster never says "No changes",
// in text or JSON.
func TestSecurityNoChangesNeverClaimedForUnreadCluster(t *testing.T) {
	dir := t.TempDir()
	m := manifestFor(t, dir, []string{"http://127.0.0.1:1"}, "timeout: 1s", "retryFor: 1s")
	env := canaryEnv()
	r := runCLI(t, env, "plan", "-f", m, "--detailed-exitcode")
	if r.code != 1 || strings.Contains(r.stdout, "No changes") || !strings.Contains(r.stdout, "No plan for cluster c: its live state could not be read.") {
		t.Errorf("plan of an unreadable cluster:\n%s", r)
	}
	r = runCLI(t, env, "plan", "-f", m, "--json")
	var doc struct {
		Summary struct {
			Unread []string `json:"unread_clusters"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Summary.Unread) != 1 || doc.Summary.Unread[0] != "c" {
		t.Errorf("plan --json of an unreadable cluster does not list it as unread (%v):\n%s", err, r)
	}
}

// Defect 17: every run that skips TLS verification warns, and the lock
// hint says "wait for it to finish" only when another apply holds the lock.
func TestSecurityInsecureSkipVerifyWarnsAndLockHint(t *testing.T) {
	dir := t.TempDir()
	m := manifestFor(t, dir, []string{"https://127.0.0.1:1"}, "timeout: 1s", "retryFor: 1s", "tls: {insecureSkipVerify: true}")
	env := canaryEnv()
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())
	for _, args := range [][]string{
		{"plan", "-f", m}, {"plan", "--json", "-f", m}, {"status", "-f", m}, {"status", "--json", "-f", m},
		{"apply", "-f", m, "--auto-approve"},
	} {
		r := runCLI(t, env, args...)
		if !strings.Contains(r.stderr, "warning: cluster c: rest.tls.insecureSkipVerify is on") {
			t.Errorf("%s: no warning about insecureSkipVerify:\n%s", strings.Join(args, " "), r)
		}
	}

	// A lock directory that cannot be created: not "wait for it".
	notADir := filepath.Join(dir, "file")
	os.WriteFile(notADir, nil, 0o644)
	t.Setenv("CONNECTSYNC_LOCK_DIR", filepath.Join(notADir, "locks"))
	r := runCLI(t, env, "apply", "-f", m, "--auto-approve")
	if r.code != 1 || strings.Contains(r.stderr, "wait for it to finish") || !strings.Contains(r.stderr, "CONNECTSYNC_LOCK_DIR") {
		t.Errorf("apply with an unusable lock directory:\n%s", r)
	}
}

// Defect 1, by construction: nothing in the commands writes to the
// process's output but through the Printer (made from the run's Secrets in
// Main), and nothing resolves a secret but the app's resolver, which
// registers it. A new command that bypassed either would fail here.
func TestSecurityOutputAndSecretsOnlyThroughTheirGuards(t *testing.T) {
	allowed := map[string]int{
		`\benv\.Stdout\b[^I]`: 1, // view.NewPrinter(env.Stdout, env.Stderr, ...) in Main
		`\benv\.Stderr\b`:     1,
		`\bos\.Stdout\b`:      2, // OSEnv
		`\bos\.Stderr\b`:      1,
		`EnvResolver\{`:       1, // app.resolver, wrapped in registeringResolver
		`view\.Printer\{`:     0,
		// A Value resolved straight from the environment, bypassing the
		// registering resolver.
		`\.Resolve\([a-z.]*(env|LookupEnv)`: 0,
	}
	got := map[string]int{}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for pattern := range allowed {
			got[pattern] += len(regexp.MustCompile(pattern).FindAll(b, -1))
		}
	}
	for needle, n := range allowed {
		if got[needle] != n {
			t.Errorf("internal/cli uses %q %d times, want %d: print through a.p, resolve through a.resolver()", needle, got[needle], n)
		}
	}
}
