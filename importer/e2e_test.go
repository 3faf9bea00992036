package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/internal/cli"
	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

const fileSink = "org.apache.kafka.connect.file.FileStreamSinkConnector"

// canary is the password of the DataStax sinks: it must appear in no
// output and no file import writes.
const canary = "imp-CANARY-7d2e91"

type run struct {
	stdout, stderr string
	code           int
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// connectsync runs the CLI in-process, without a terminal, with env added
// to the process environment.
func connectsync(t *testing.T, env map[string]string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		LookupEnv: func(k string) (string, bool) {
			if v, ok := env[k]; ok {
				return v, true
			}
			return os.LookupEnv(k)
		},
	})
	t.Logf("connectsync %s: exit %d", strings.Join(args, " "), code)
	return run{out.String(), errb.String(), code}
}

// handMade creates connectors the way users do: plain HTTP PUTs, bypassing
// connectsync. Each is deleted when the test ends.
type handMade struct {
	t      *testing.T
	url    string
	prefix string
	names  []string
}

func (h *handMade) put(name string, cfg map[string]string) string {
	h.t.Helper()
	full := h.prefix + name
	body, _ := json.Marshal(cfg)
	h.do(http.MethodPut, "/connectors/"+full+"/config", body)
	h.names = append(h.names, full)
	h.t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, h.url+"/connectors/"+full, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return full
}

func (h *handMade) do(method, path string, body []byte) {
	h.t.Helper()
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(method, h.url+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return
			}
			err = fmt.Errorf("%s", resp.Status)
		}
		// A rebalance answers 409 for a moment; give it a few tries.
		if attempt == 20 {
			h.t.Fatalf("%s %s: %v", method, path, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitStates waits until every connector reports the wanted state.
func (h *handMade) waitStates(want map[string]object.State) {
	h.t.Helper()
	cl, err := connect.New(h.url, connect.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		conns, err := cl.Connectors(context.Background())
		ok := err == nil
		for name, state := range want {
			if !ok {
				break
			}
			c, found := conns[name]
			ok = found && c.Config != nil && c.Status.State == state
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("connectors did not reach %v (last error %v)", want, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// clusterOnly is the local cluster's settings, without workers: the part
// a user declares by hand when import could not read the workers' files.
func clusterOnly() string {
	h := testcluster.ManifestHeader()
	return h[:strings.Index(h, "workers:\n")]
}

// secretEnv reads the variables import lists on stderr: "  NAME  sink
// local/x key".
var secretLine = regexp.MustCompile(`(?m)^  ([A-Z0-9_]+)\s+sink local/(\S+) (\S+)`)

func TestImportRoundTrip(t *testing.T) {
	c := testcluster.Get(t)
	h := &handMade{t: t, url: c.WorkerURLs[0], prefix: fmt.Sprintf("imp-%d-", time.Now().UnixNano()%1e9)}
	p := h.prefix
	fsCfg := func(topics string, extra ...string) map[string]string {
		cfg := map[string]string{"connector.class": fileSink, "tasks.max": "1", "topics": topics,
			"file": ".cluster/" + p + strings.ReplaceAll(topics, ",", "_") + ".txt"}
		for i := 0; i+1 < len(extra); i += 2 {
			cfg[extra[i]] = extra[i+1]
		}
		return cfg
	}
	running := h.put("fs-running", fsCfg(p+"a", "tasks.max", "2"))
	paused := h.put("fs-paused", fsCfg(p+"b"))
	stopped := h.put("fs-stopped", fsCfg(p+"c"))
	// The workers have no config provider, so they keep the placeholders
	// as they are; import must keep them too, even in a password key.
	placeholder := h.put("fs-placeholder", fsCfg(p+"d", "imp.source.path", "${file:/etc/imp/paths.properties:path}",
		"imp.db.password", "${file:/etc/imp/secrets.properties:db}"))
	untyped := h.put("fs-untyped", fsCfg(p+"f,"+p+"e", "errors.tolerance", "all", "imp.custom.setting", "kept as is"))
	dsBase := func(extra map[string]string) map[string]string {
		cfg := map[string]string{
			"connector.class": manifest.DataStaxClass, "tasks.max": "1",
			"contactPoints": testcluster.CassandraHost, "port": fmt.Sprint(testcluster.CassandraPort),
			"loadBalancing.localDc": testcluster.LocalDC,
		}
		for k, v := range extra {
			cfg[k] = v
		}
		return cfg
	}
	dsAuth := h.put("ds-auth", dsBase(map[string]string{
		"tasks.max":     "2",
		"topics":        p + "orders," + p + "payments",
		"auth.provider": "PLAIN", "auth.username": "imp_user", "auth.password": canary,
		"topic." + p + "orders.imp_ks.orders_by_id.mapping":          "id=key, total=value.total",
		"topic." + p + "orders.imp_ks.orders_by_id.consistencyLevel": "LOCAL_QUORUM",
		"topic." + p + "orders.imp_ks.orders_by_id.ttl":              "3600",
		"topic." + p + "orders.imp_ks.orders_by_day.mapping":         "day=value.day, id=key",
		"topic." + p + "orders.imp_ks.orders_by_day.deletesEnabled":  "false",
		"topic." + p + "orders.codec.timestamp":                      "UNITS_SINCE_EPOCH",
		"topic." + p + "orders.codec.unit":                           "MILLISECONDS",
		"topic." + p + "orders.codec.timeZone":                       "UTC",
		"topic." + p + "payments.imp_ks.payments.mapping":            "id=key, amount=value.amount",
		"topic." + p + "payments.imp_ks.payments.nullToUnset":        "false",
		"datastax-java-driver.basic.request.timeout":                 "10 seconds",
		"datastax-java-driver.advanced.connection.pool.local.size":   "2",
		"maxConcurrentRequests":                                      "100", "compression": "LZ4", "jmx": "false",
		"errors.tolerance": "all",
	}))
	dsSSL := h.put("ds-ssl", dsBase(map[string]string{
		"topics":       p + "ssl",
		"ssl.provider": "JDK", "ssl.hostnameValidation": "false",
		"ssl.cipherSuites":        "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384",
		"ssl.keystore.path":       "/etc/imp/keystore.jks",
		"ssl.keystore.password":   "ks-" + canary,
		"ssl.truststore.path":     "/etc/imp/truststore.jks",
		"ssl.truststore.password": "ts-" + canary,
		"auth.username":           "imp_ssl", "auth.password": canary,
		"topic." + p + "ssl.imp_ks.events.mapping": "id=key, body=value",
	}))
	h.do(http.MethodPut, "/connectors/"+paused+"/pause", nil)
	h.do(http.MethodPut, "/connectors/"+stopped+"/stop", nil)
	h.waitStates(map[string]object.State{paused: "PAUSED", stopped: "STOPPED", running: "RUNNING",
		placeholder: "RUNNING", untyped: "RUNNING", dsAuth: "RUNNING", dsSSL: "RUNNING"})
	glob := p + "*"

	// The "done when": import from one worker into a directory.
	dir := t.TempDir()
	imp := connectsync(t, nil, "import", "--url", c.WorkerURLs[0], "--cluster", "local", "--connector", glob, "-o", dir)
	if imp.code != 0 {
		t.Fatalf("import:\n%s", imp)
	}
	t.Logf("import:\n%s", imp)
	for _, n := range h.names {
		if !strings.Contains(imp.stdout, "sink local/"+n) {
			t.Errorf("import did not report sink %s:\n%s", n, imp)
		}
	}
	if !strings.Contains(imp.stdout, "cluster local: not declared") {
		t.Errorf("import did not say the cluster is undeclared:\n%s", imp)
	}

	// Every secret is listed with its variable; the values are known here.
	values := map[string]string{
		dsAuth + " auth.password": canary, dsSSL + " auth.password": canary,
		dsSSL + " ssl.keystore.password": "ks-" + canary, dsSSL + " ssl.truststore.password": "ts-" + canary,
	}
	env := map[string]string{}
	for _, m := range secretLine.FindAllStringSubmatch(imp.stderr, -1) {
		v, ok := values[m[2]+" "+m[3]]
		if !ok {
			t.Errorf("unexpected secret %s for %s %s", m[1], m[2], m[3])
		}
		env[m[1]] = v
	}
	if len(env) != len(values) {
		t.Fatalf("want %d secret variables, got %v:\n%s", len(values), env, imp)
	}

	// The typed DataStax form, and placeholders kept as they are.
	ds, err := os.ReadFile(filepath.Join(dir, "local", dsAuth+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cassandra:", "localDc: datacenter1", "tables:", "codec:", "driver:",
		"password: {secretEnv: ", "errors.tolerance: all"} {
		if !strings.Contains(string(ds), want) {
			t.Errorf("%s lacks %q:\n%s", dsAuth, want, ds)
		}
	}
	ph, _ := os.ReadFile(filepath.Join(dir, "local", placeholder+".yaml"))
	if !strings.Contains(string(ph), "imp.db.password: ${file:/etc/imp/secrets.properties:db}") {
		t.Errorf("the placeholder was not kept:\n%s", ph)
	}

	// The user declares the cluster; then plan finds nothing to change,
	// and apply writes nothing.
	if err := os.WriteFile(filepath.Join(dir, "cluster.yaml"), []byte(clusterOnly()), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := connectsync(t, env, "plan", "-f", dir, "--detailed-exitcode")
	if plan.code != 0 || !strings.Contains(plan.stdout, "No changes. Live state matches the manifest.") {
		t.Fatalf("plan after import:\n%s", plan)
	}
	ap := connectsync(t, env, "apply", "-f", dir, "--auto-approve")
	if ap.code != 0 || !strings.Contains(ap.stdout, "No changes.") || strings.Contains(ap.stdout, "Apply complete") {
		t.Fatalf("apply after import:\n%s", ap)
	}

	// Import twice: the same bytes. Into the same directory: nothing new,
	// nothing rewritten.
	dir2 := t.TempDir()
	if r := connectsync(t, nil, "import", "--url", c.WorkerURLs[0], "--cluster", "local", "--connector", glob, "-o", dir2); r.code != 0 {
		t.Fatalf("second import:\n%s", r)
	}
	if err := os.WriteFile(filepath.Join(dir2, "cluster.yaml"), []byte(clusterOnly()), 0o644); err != nil {
		t.Fatal(err)
	}
	sameTree(t, dir, dir2)
	again := connectsync(t, nil, "import", "--url", c.WorkerURLs[0], "--cluster", "local", "--connector", glob, "-o", dir)
	if again.code != 0 || !strings.Contains(again.stdout, "Nothing to import") {
		t.Fatalf("import into the imported directory:\n%s", again)
	}
	sameTree(t, dir, dir2)

	// A directory that covers half the connectors gets only the other half.
	half := t.TempDir()
	copyFile(t, filepath.Join(dir, "cluster.yaml"), filepath.Join(half, "cluster.yaml"))
	copyFile(t, filepath.Join(dir, "local.yaml"), filepath.Join(half, "local.yaml"))
	sort.Strings(h.names)
	for _, n := range h.names[:len(h.names)/2] {
		copyFile(t, filepath.Join(dir, "local", n+".yaml"), filepath.Join(half, "local", n+".yaml"))
	}
	rest := connectsync(t, nil, "import", "--url", c.WorkerURLs[0], "--cluster", "local", "--connector", glob, "-o", half)
	if rest.code != 0 {
		t.Fatalf("import into half:\n%s", rest)
	}
	for i, n := range h.names {
		wrote := strings.Contains(rest.stdout, "wrote "+filepath.Join(half, "local", n+".yaml"))
		if wrote != (i >= len(h.names)/2) {
			t.Errorf("sink %s: wrote=%v, want %v:\n%s", n, wrote, i >= len(h.names)/2, rest)
		}
	}
	sameTree(t, dir, half)

	// A file in the way is never rewritten without --overwrite.
	clash := t.TempDir()
	if err := os.WriteFile(filepath.Join(clash, "local.yaml"), []byte("version: 1\n"), 0o644); err == nil {
		r := connectsync(t, nil, "import", "--url", c.WorkerURLs[0], "--cluster", "local", "--connector", glob, "-o", clash)
		if r.code != 1 || !strings.Contains(r.stderr, "already exists; nothing was written") {
			t.Errorf("import over a foreign file:\n%s", r)
		}
	}

	// The canary: in no output, in no file.
	for _, r := range []run{imp, plan, ap, again, rest} {
		if strings.Contains(r.stdout+r.stderr, canary[4:]) {
			t.Fatalf("the canary password leaked into output:\n%s", r)
		}
	}
	for _, d := range []string{dir, dir2, half} {
		noCanary(t, d)
	}
}

// TestImportWorkerFiles imports the cluster's settings from the workers'
// deployed files (the quickstart's, rendered by cluster/up.sh), then plans
// the workers' files against them: nothing to change.
func TestImportWorkerFiles(t *testing.T) {
	c := testcluster.Get(t)
	h := &handMade{t: t, url: c.WorkerURLs[0], prefix: fmt.Sprintf("imp-%d-", time.Now().UnixNano()%1e9)}
	name := h.put("fs-w", map[string]string{"connector.class": fileSink, "tasks.max": "1",
		"topics": h.prefix + "w", "file": ".cluster/" + h.prefix + "w.txt"})
	h.waitStates(map[string]object.State{name: "RUNNING"})
	workers := filepath.Join(c.Dir, "render")
	dir := t.TempDir()
	args := []string{"import", "--cluster", "local", "--connector", h.prefix + "*", "--workers-dir", workers, "-o", dir}
	for _, u := range c.WorkerURLs {
		args = append(args, "--url", u)
	}
	r := connectsync(t, nil, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "cluster local, worker local/worker-1, worker local/worker-2, worker local/worker-3") {
		t.Fatalf("import:\n%s", r)
	}
	if strings.Contains(r.stdout, "not declared") {
		t.Errorf("the cluster came from the worker files, yet import says it is not declared:\n%s", r)
	}
	plan := connectsync(t, nil, "plan", "-f", dir, "--workers-dir", workers, "--detailed-exitcode")
	if plan.code != 0 || !strings.Contains(plan.stdout, "No changes. Live state matches the manifest.") {
		t.Fatalf("plan with the worker files:\n%s", plan)
	}
	// Render the imported manifest: the same worker files, byte for byte.
	out := t.TempDir()
	if rr := connectsync(t, nil, "render", "-f", dir, "-o", out); rr.code != 0 {
		t.Fatalf("render:\n%s", rr)
	}
	for i := range c.WorkerURLs {
		rel := filepath.Join("local", "workers", c.WorkerName(i), "connect-distributed.properties")
		want, err1 := os.ReadFile(filepath.Join(workers, rel))
		got, err2 := os.ReadFile(filepath.Join(out, rel))
		if err1 != nil || err2 != nil || !bytes.Equal(want, got) {
			t.Errorf("%s: the imported manifest renders a different file (%v, %v)", rel, err1, err2)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := readTree(t, a), readTree(t, b)
	for p, da := range ta {
		if db, ok := tb[p]; !ok || db != da {
			t.Errorf("%s differs between %s and %s", p, a, b)
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok {
			t.Errorf("%s is only in %s", p, b)
		}
	}
}

func noCanary(t *testing.T, dir string) {
	t.Helper()
	for p, data := range readTree(t, dir) {
		if strings.Contains(data, canary[4:]) {
			t.Errorf("the canary password is in %s", filepath.Join(dir, p))
		}
	}
}

// TestImportFromManifest reads the cluster a manifest declares, and writes
// to standard output only the sinks it does not declare: the same bytes
// every time, and a plan of both files finds nothing to change.
func TestImportFromManifest(t *testing.T) {
	c := testcluster.Get(t)
	h := &handMade{t: t, url: c.WorkerURLs[0], prefix: fmt.Sprintf("imp-%d-", time.Now().UnixNano()%1e9)}
	cfg := func(topic string) map[string]string {
		return map[string]string{"connector.class": fileSink, "tasks.max": "1",
			"topics": h.prefix + topic, "file": ".cluster/" + h.prefix + topic + ".txt"}
	}
	declared := h.put("fs-declared", cfg("x"))
	other := h.put("fs-other", cfg("y"))
	h.waitStates(map[string]object.State{declared: "RUNNING", other: "RUNNING"})
	dir := t.TempDir()
	m := filepath.Join(dir, "connect.yaml")
	sinks := fmt.Sprintf("  - {name: %s, cluster: local, class: %s, topics: {%sx: {}}, config: {file: .cluster/%sx.txt}}\n",
		declared, fileSink, h.prefix, h.prefix)
	if err := os.WriteFile(m, []byte(testcluster.ManifestHeader()+sinks), 0o644); err != nil {
		t.Fatal(err)
	}
	first := connectsync(t, nil, "import", "-f", m, "--connector", h.prefix+"*")
	second := connectsync(t, nil, "import", "-f", m, "--connector", h.prefix+"*")
	if first.code != 0 || second.code != 0 || first.stdout != second.stdout {
		t.Fatalf("two imports differ:\n%s\n%s", first, second)
	}
	if strings.Contains(first.stdout, declared) || !strings.Contains(first.stdout, "name: "+other) ||
		strings.Contains(first.stdout, "workers:") || strings.Contains(first.stdout, "clusters:") {
		t.Fatalf("import should write only %s:\n%s", other, first)
	}
	if !strings.Contains(first.stderr, "sink local/"+declared+": already declared in "+m) {
		t.Errorf("import did not say %s is declared:\n%s", declared, first)
	}
	out := filepath.Join(dir, "imported.yaml")
	if err := os.WriteFile(out, []byte(first.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := connectsync(t, nil, "plan", "-f", m, "-f", out, "--detailed-exitcode")
	if plan.code != 0 || !strings.Contains(plan.stdout, "No changes. Live state matches the manifest.") {
		t.Fatalf("plan:\n%s", plan)
	}
}
