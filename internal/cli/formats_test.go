package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/internal/cli"
	"github.com/connectsync/connectsync/internal/testcluster"
)

// Every command prints through its view (internal/view), and each format
// keeps to its own stream. TestOutputFormats holds every command to that:
//
//   - --json: standard output is exactly one JSON document, an object with
//     "format_version": 1, and nothing after it; no line of standard error
//     is a JSON document either (it carries only "connectsync: " messages
//     and diagnostics).
//   - text: every line of standard output matches one of the templates of
//     the command's view (the patterns below), and none is JSON; every
//     line of standard error matches the templates of messages,
//     diagnostics and the lists that follow them.
//
// A line printed by the command itself, bypassing the view, matches no
// template, and fails here. Commands that need no cluster run with -short;
// plan, apply, status and import run against the real local cluster, on
// connectors of their own.

// stderrLines are the templates of standard error, for every command:
// messages and hints, diagnostics (file:line:col), and the indented lists
// and section titles that follow some of them (a stale plan's objects,
// apply's "Not applied:", import's report).
var stderrLines = []string{
	`^connectsync: .+$`,
	`^\S+:\d+:\d+: .+$`,
	`^(sink|worker) \S+/\S+: .+$`, // a failed apply step
	`^Not applied:$`,
	`^(Imported \d+ objects? into \d+ files?\.|Nothing to import: .+)$`,
	`^(Could not express exactly|Written under config: \(no typed field\)|Not imported):$`,
	`^  +\S.*$`,
	`^$`,
}

// planLines are the templates of a plan (view.Printer.Plan).
var planLines = []string{
	`^connectsync will perform the following actions:$`,
	`^cluster \S+$`,
	`^  [-+~ ] (sink|worker) \S+( \(.+\))?$`,
	`^      [-+~] \S+ *= .+$`,
	`^Workers to restart after apply, to pick up their new properties \(connectsync does not restart them\):$`,
	`^  \S+/\S+$`,
	`^(Workers|Connectors|Preflight):$`,
	`^  (error|warning|info): .+$`,
	`^(No changes\. Live state matches the manifest\.|Plan: \d+ to create, \d+ to change, \d+ to delete(, \d+ to restart)?\.( No plan for cluster .+)?|No plan for cluster .+)$`,
	`^$`,
}

// applyLines are apply's templates on top of the plan's.
var applyLines = append([]string{
	`^(sink|worker) \S+/\S+: .+$`,
	`^Apply (complete|failed): \d+ applied, \d+ pending, \d+ failed\.$`,
	`^Restart these workers to pick up their new properties:$`,
	`^  \S+/\S+ \(.+\)$`,
}, planLines...)

var statusLines = []string{
	`^cluster \S+$`,
	`^  worker .+$`,
	`^  (no connectors|cannot read the connectors: .+)$`,
	`^  [●✗○] \S+ +\S+( \(not in the manifests\))?$`,
	`^      (connector on|task \d+|kafka:|warning:) .+$`,
	`^$`,
}

type outcome struct {
	stdout, stderr string
	code           int
}

func (o outcome) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", o.code, o.stdout, o.stderr)
}

func run(args ...string) outcome {
	var out, errb bytes.Buffer
	code := cli.Main(args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, LookupEnv: os.LookupEnv})
	return outcome{out.String(), errb.String(), code}
}

// oneDocument checks that s is exactly one JSON object and nothing else
// but white space, and returns it.
func oneDocument(t *testing.T, what, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%s: standard output is not a JSON object: %v\n%s", what, err, s)
		return nil
	}
	var more json.RawMessage
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		t.Errorf("%s: standard output goes on after its JSON document (%v):\n%s", what, err, s)
	}
	return doc
}

func checkJSON(t *testing.T, what string, o outcome) map[string]any {
	t.Helper()
	doc := oneDocument(t, what, o.stdout)
	if doc != nil && doc["format_version"] != float64(1) {
		t.Errorf("%s: format_version is %v, want 1", what, doc["format_version"])
	}
	checkLines(t, what+": standard error", o.stderr, stderrLines)
	return doc
}

func checkText(t *testing.T, what string, o outcome, templates []string) {
	t.Helper()
	checkLines(t, what+": standard output", o.stdout, templates)
	checkLines(t, what+": standard error", o.stderr, stderrLines)
}

// checkLines checks that every line of s matches one of the templates, and
// that none is JSON.
func checkLines(t *testing.T, what, s string, templates []string) {
	t.Helper()
	res := make([]*regexp.Regexp, len(templates))
	for i, p := range templates {
		res[i] = regexp.MustCompile(p)
	}
	if s == "" {
		return
	}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l := strings.TrimSpace(line); l == "{" || l == "[" || (strings.HasPrefix(l, "{") || strings.HasPrefix(l, "[")) && json.Valid([]byte(l)) {
			t.Errorf("%s: a JSON line in text output: %q", what, line)
			continue
		}
		matched := false
		for _, re := range res {
			matched = matched || re.MatchString(line)
		}
		if !matched {
			t.Errorf("%s: a line no template of the view prints: %q\n%s", what, line, s)
		}
	}
}

const offlineManifest = `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka:9092]
    groupId: connect-c
    storage: {config: {topic: c-configs}, offset: {topic: c-offsets}, status: {topic: c-status}}
    converters: {key: {class: org.apache.kafka.connect.storage.StringConverter}, value: {class: org.apache.kafka.connect.json.JsonConverter}}
workers:
  - {name: w1, cluster: c, url: "http://w1:8083"}
sinks:
  - name: orders
    cluster: c
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    topics: {orders: {}}
    config: {file: /tmp/orders.txt}
`

func TestOutputFormatsOffline(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte(offlineManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(offlineManifest, "cluster: c\n    class", "cluster: nowhere\n    class", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	o := run("version")
	checkText(t, "version", o, []string{`^connectsync \S+ \((commit \S+, )?manifest version \d+, go\S+\)$`})
	checkJSON(t, "version --json", run("version", "--json"))

	valid := `^Valid: \d+ files?: \d+ clusters?, \d+ workers?, \d+ sinks?(, \d+ warnings?)?\.$`
	if o = run("validate", "-f", good); o.code != 0 {
		t.Fatalf("validate:\n%s", o)
	}
	checkText(t, "validate", o, []string{valid})
	if doc := checkJSON(t, "validate --json", run("validate", "--json", "-f", good)); doc != nil && doc["valid"] != true {
		t.Errorf("validate --json: valid is %v", doc["valid"])
	}
	if o = run("validate", "-f", bad); o.code != 1 || o.stdout != "" {
		t.Errorf("validate of a bad manifest: want exit 1 and nothing on standard output:\n%s", o)
	}
	checkText(t, "validate (errors)", o, nil)
	if doc := checkJSON(t, "validate --json (errors)", run("validate", "--json", "-f", bad)); doc != nil && doc["valid"] != false {
		t.Errorf("validate --json of a bad manifest: valid is %v", doc["valid"])
	}

	// render has one format: the files on standard output, each under its
	// path, byte for byte what render -o writes (the manifest has no
	// secret to mask).
	out := filepath.Join(dir, "out")
	o = run("render", "-f", good, "-o", out)
	checkText(t, "render -o", o, []string{`^wrote \S+( \(mode 0600: holds a secret\))?$`})
	o = run("render", "-f", good)
	checkLines(t, "render: standard error", o.stderr, stderrLines)
	sections := regexp.MustCompile(`(?m)^# (\S+)\n`).FindAllStringSubmatchIndex(o.stdout, -1)
	if len(sections) == 0 {
		t.Fatalf("render printed no file:\n%s", o)
	}
	for i, s := range sections {
		end := len(o.stdout)
		if i+1 < len(sections) {
			end = sections[i+1][0] - 1 // the blank line between files
		}
		path := o.stdout[s[2]:s[3]]
		want, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(path)))
		if err != nil {
			t.Errorf("render printed %s, which render -o did not write: %v", path, err)
			continue
		}
		if got := o.stdout[s[1]:end]; got != string(want) {
			t.Errorf("render printed %s as\n%s\nwant\n%s", path, got, want)
		}
	}

	// schema's one format is JSON: the schema itself, one document.
	o = run("schema")
	oneDocument(t, "schema", o.stdout)
	checkLines(t, "schema: standard error", o.stderr, stderrLines)

	// Usage, on standard output for help and -h, on standard error without a
	// command.
	for _, args := range [][]string{{"help"}, {"help", "plan"}, {"plan", "-h"}} {
		if o = run(args...); o.code != 0 || o.stdout == "" || o.stderr != "" {
			t.Errorf("%v: want usage on standard output only:\n%s", args, o)
		}
		checkLines(t, fmt.Sprint(args), o.stdout, []string{`^.*$`})
	}
	if o = run(); o.code != 1 || o.stdout != "" || !strings.HasPrefix(o.stderr, "connectsync reconciles") {
		t.Errorf("no command: want usage on standard error:\n%s", o)
	}
}

func clusterUp(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("CONNECTSYNC_CLUSTER") == "" {
		t.Skip("needs the local cluster (CONNECTSYNC_CLUSTER), and not -short")
	}
	resp, err := http.Get(testcluster.WorkerURLs[0] + "/")
	if err != nil {
		t.Skipf("the local cluster does not answer: %v", err)
	}
	resp.Body.Close()
}

func TestOutputFormatsLive(t *testing.T) {
	clusterUp(t)
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())
	dir := t.TempDir()
	prefix := fmt.Sprintf("formats-%d", time.Now().UnixNano()%1e9)
	cl, err := connect.New(testcluster.WorkerURLs[0], connect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	manifest := func(names ...string) string {
		var b strings.Builder
		b.WriteString(testcluster.ManifestHeader())
		for _, n := range names {
			fmt.Fprintf(&b, "  - {name: %s, cluster: local, class: org.apache.kafka.connect.file.FileStreamSinkConnector, topics: {%s-topic: {}}, config: {file: .cluster/%s.txt}}\n", n, n, n)
			t.Cleanup(func() { _ = cl.Delete(context.Background(), n) })
		}
		p := filepath.Join(dir, "connect.yaml")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, second := prefix+"-a", prefix+"-b"
	m := manifest(first)
	target := []string{"--target", "local/" + first, "--target", "local/" + second}
	plan := func(args ...string) outcome {
		return run(append(append([]string{"plan", "-f", m}, target...), args...)...)
	}

	o := plan("--stats", "--detailed-exitcode")
	if o.code != 2 {
		t.Fatalf("plan: want exit 2 (changes):\n%s", o)
	}
	checkText(t, "plan", o, planLines)
	checkStats(t, o.stderr)
	o = plan("--json", "--stats")
	checkJSON(t, "plan --json", o)
	checkStats(t, o.stderr)
	saved := filepath.Join(dir, "plan.out")
	o = plan("-out", saved)
	checkText(t, "plan -out", o, append([]string{`^Saved the plan to \S+\. Apply it with: connectsync apply \S+$`}, planLines...))
	if !strings.Contains(o.stdout, "Saved the plan to "+saved) {
		t.Errorf("plan -out does not say where it saved the plan:\n%s", o)
	}
	o = plan("--json", "-out", saved)
	checkJSON(t, "plan --json -out", o)

	o = run("apply", saved)
	if o.code != 0 {
		t.Fatalf("apply FILE:\n%s", o)
	}
	checkText(t, "apply FILE", o, applyLines)

	m = manifest(first, second)
	o = run(append([]string{"apply", "-f", m, "--auto-approve", "--json"}, target...)...)
	if o.code != 0 {
		t.Fatalf("apply --json:\n%s", o)
	}
	if doc := checkJSON(t, "apply --json", o); doc != nil && doc["applied"] != float64(1) {
		t.Errorf("apply --json: applied is %v, want 1", doc["applied"])
	}
	o = run(append([]string{"apply", "-f", m, "--auto-approve", "--log-format", "json"}, target...)...)
	if o.code != 0 || o.stdout != "" {
		t.Errorf("apply --log-format json: want exit 0 and nothing on standard output:\n%s", o)
	}
	for _, line := range strings.Split(strings.TrimSpace(o.stderr), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("apply --log-format json: a line that is not an event: %q", line)
		}
	}
	o = run(append([]string{"apply", "-f", m, "--auto-approve"}, target...)...)
	checkText(t, "apply (no changes)", o, applyLines)

	o = run("status", "-f", m, "--stall-interval", "0")
	checkText(t, "status", o, statusLines)
	checkJSON(t, "status --json", run("status", "-f", m, "--json", "--stall-interval", "0"))

	// import has one format: the manifest on standard output, the report on
	// standard error.
	o = run("import", "--url", testcluster.WorkerURLs[0], "--cluster", "local", "--connector", prefix+"-*")
	if o.code != 0 {
		t.Fatalf("import:\n%s", o)
	}
	checkLines(t, "import: standard error", o.stderr, stderrLines)
	dec := yaml.NewDecoder(strings.NewReader(o.stdout))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("import: standard output is not YAML: %v\n%s", err, o)
		}
	}
	if !strings.Contains(o.stdout, first) || !strings.Contains(o.stdout, second) {
		t.Errorf("import: the manifest lacks the connectors:\n%s", o)
	}
}

// checkStats checks plan --stats' line: the requests counted, of which
// one read the connectors (the expand read, on a cluster whose first
// worker answers).
func checkStats(t *testing.T, stderr string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^connectsync: read cluster local: (\d+) requests \((\d+) for connectors\), \d+ connectors, \S+$`).FindStringSubmatch(stderr)
	if m == nil {
		t.Errorf("plan --stats: no line for cluster local:\n%s", stderr)
		return
	}
	if m[2] != "1" || m[1] == "1" {
		t.Errorf("plan --stats: %s requests, %s for connectors; want 1 for connectors among more", m[1], m[2])
	}
}
