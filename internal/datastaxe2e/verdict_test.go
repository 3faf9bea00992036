package datastaxe2e

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A verdictCase is one DataStax rule that validate or preflight enforces (or one
// config that must pass), as a change to a config that runs.
type verdictCase struct {
	rule string // the row of the table in docs/preflight.md
	// set changes the base config: "{t}" in a key is the case's table prefix,
	// topic.<topic>.e2e.verdict.; "{topic}" in a key or value is the case's topic. An
	// empty value deletes the key.
	set   map[string]string
	table string // the table the mapping writes, e2e.verdict unless set
}

var verdictCases = []verdictCase{
	{rule: "a config that runs (control)"},
	{rule: "consistency level in lower case", set: map[string]string{"{t}consistencyLevel": "local_one"}},
	{rule: "contactPoints without a local DC", set: map[string]string{"loadBalancing.localDc": ""}},
	{rule: "a contact point with a port", set: map[string]string{"contactPoints": "127.0.0.1:39042"}},
	{rule: "a cloud bundle with contactPoints", set: map[string]string{"cloud.secureConnectBundle": "/nonexistent/secure-connect.zip", "loadBalancing.localDc": ""}},
	{rule: "a topic key outside the grammar", set: map[string]string{"{t}bogus": "1"}},
	{rule: "a topic without a table", set: map[string]string{"topics": "{topic},{topic}-orphan"}},
	{rule: "a table without a mapping", set: map[string]string{"{t}mapping": "", "{t}consistencyLevel": "LOCAL_ONE"}},
	{rule: "an unknown consistency level", set: map[string]string{"{t}consistencyLevel": "SOMETIMES"}},
	{rule: "ttl below -1", set: map[string]string{"{t}ttl": "-2"}},
	{rule: "a time unit not in capitals", set: map[string]string{"{t}ttlTimeUnit": "seconds"}},
	{rule: "a codec unit that is not a time unit", set: map[string]string{"topic.{topic}.codec.unit": "FORTNIGHTS"}},
	{rule: "a query with deletes enabled", set: map[string]string{"{t}query": "INSERT INTO e2e.verdict (id, name) VALUES (:id, :name)"}},
	{rule: "an auth provider not in its exact case", set: map[string]string{"auth.provider": "plain", "auth.username": "app", "auth.password": "pw"}},
	{rule: "a password without a username", set: map[string]string{"auth.password": "pw"}},
	{rule: "an unknown SSL provider", set: map[string]string{"ssl.provider": "TLS"}},
	{rule: "OpenSSL with a key chain but no private key", set: map[string]string{"ssl.provider": "OpenSSL", "ssl.openssl.keyCertChain": "/nonexistent/chain.pem"}},
	{rule: "mapping: a field that is not key, value, header or now()", set: map[string]string{"{t}mapping": "id=key, name=valu.name"}},
	{rule: "mapping: a column mapped twice", set: map[string]string{"{t}mapping": "id=key, name=value.name, name=value.n"}},
	{rule: "mapping: __ttl from now()", set: map[string]string{"{t}mapping": "id=key, name=value.name, __ttl=now()"}},
	{rule: "mapping: a dotted field name without Flatten", set: map[string]string{"{t}mapping": "id=key, name=value.address.city"}},
	{rule: "port 0", set: map[string]string{"port": "0"}},
	{rule: "an unknown compression", set: map[string]string{"compression": "Zip"}},
	{rule: "jmx that is not a boolean", set: map[string]string{"jmx": "maybe"}},
	{rule: "an unknown ignoreErrors", set: map[string]string{"ignoreErrors": "Sometimes"}},
	{rule: "schema: the keyspace does not exist", set: map[string]string{"{t}mapping": "", "topic.{topic}.nosuchks.verdict.mapping": "id=key, name=value.name"}},
	{rule: "schema: the table does not exist", set: map[string]string{"{t}mapping": "", "topic.{topic}.e2e.nosuchtable.mapping": "id=key, name=value.name"}},
	{rule: "schema: a mapped column does not exist", set: map[string]string{"{t}mapping": "id=key, buyer=value.name"}},
	{rule: "schema: an unquoted column with capitals", set: map[string]string{"{t}mapping": "id=key, Name=value.name"}},
	{rule: "schema: a primary-key column not mapped", set: map[string]string{"{t}mapping": "name=value.name"}},
	{rule: "schema: now() into a text column", set: map[string]string{"{t}mapping": "id=key, name=now()"}},
	{rule: "schema: a counter table", table: "verdict_counter", set: map[string]string{"{t}mapping": "id=key, c=value.n"}},
	{rule: "schema: ttl on a counter table", table: "verdict_counter", set: map[string]string{"{t}mapping": "id=key, c=value.n", "{t}ttl": "100"}},
	{rule: "schema: a local DC no node is in", set: map[string]string{"loadBalancing.localDc": "dc-nowhere"}},
}

// slug is the case's connector, topic and record key.
func (vc verdictCase) slug(i int) string { return fmt.Sprintf("verdict-%02d", i) }

// config returns the raw connector config of the case.
func (vc verdictCase) config(i int) map[string]string {
	topic, table := vc.slug(i), vc.table
	if table == "" {
		table = "verdict"
	}
	prefix := "topic." + topic + ".e2e." + table + "."
	cfg := map[string]string{
		"connector.class": dsClass, "tasks.max": "1", "topics": topic,
		"contactPoints": "127.0.0.1", "port": "39042", "loadBalancing.localDc": "datacenter1",
		prefix + "mapping": "id=key, name=value.name",
	}
	for k, v := range vc.set {
		k = strings.ReplaceAll(strings.ReplaceAll(k, "{t}", prefix), "{topic}", topic)
		v = strings.ReplaceAll(v, "{topic}", topic)
		if v == "" {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	return cfg
}

// manifest returns the case as a manifest sink: its class, tasksMax and topics typed,
// every other key under config:, the password as a secret reference.
func (vc verdictCase) manifest(i int) string {
	cfg := vc.config(i)
	var b strings.Builder
	fmt.Fprintf(&b, "  - name: %s\n    cluster: local\n    class: %s\n    tasksMax: 1\n    topics:\n", vc.slug(i), dsClass)
	for _, t := range strings.Split(cfg["topics"], ",") {
		fmt.Fprintf(&b, "      %s: {}\n", t)
	}
	b.WriteString("    config:\n")
	for _, k := range slices.Sorted(mapsKeys(cfg)) {
		switch k {
		case "connector.class", "tasks.max", "topics":
			continue
		case "auth.password":
			fmt.Fprintf(&b, "      %s: {secretEnv: VERDICT_PASSWORD}\n", k)
		default:
			fmt.Fprintf(&b, "      %q: %q\n", k, cfg[k])
		}
	}
	return b.String()
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// verdict is what one side made of a case.
type verdict struct {
	kind string // connector: "rejected", "failed", "no rows", "rows"; connectsync: "error", "warning", "none"
	text string // the message, as the table shows it
}

func (v verdict) String() string {
	if v.text == "" {
		return v.kind
	}
	return v.kind + ": " + v.text
}

// TestConnectorVerdict sends each case's raw config straight to a worker, bypassing
// connectsync, and records what the real connector does with it: the PUT rejected, a
// task (or the connector) FAILED, or the sink RUNNING, writing the case's record as a
// row or not. connectsync must have caught every config the connector can't run, at a
// manifest line, and must not reject one it runs. The table in docs/preflight.md is
// checked against what was seen (CONNECTSYNC_UPDATE_DOCS=1 rewrites this version's
// column).
func TestConnectorVerdict(t *testing.T) {
	e := setup(t)
	e.exec(`CREATE TABLE IF NOT EXISTS e2e.verdict (id text PRIMARY KEY, name text, n int)`,
		`CREATE TABLE IF NOT EXISTS e2e.verdict_counter (id text PRIMARY KEY, c counter)`)

	// connectsync first: plan, with the schema check, before any connector exists.
	ours := make([]verdict, len(verdictCases))
	for i, vc := range verdictCases {
		e.cleanup(vc.slug(i))
	}
	for i, vc := range verdictCases {
		single := e.manifest(vc.manifest(i))
		r := connectsync(map[string]string{"VERDICT_PASSWORD": "pw"}, "plan", "-f", single, "--target", "local/"+vc.slug(i), "--cassandra-schema")
		ours[i] = ourVerdict(t, single, r)
	}

	// Then the connector, a few cases at a time.
	theirs := make([]verdict, len(verdictCases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for i, vc := range verdictCases {
		e.topic(vc.slug(i), 1)
		e.produce(vc.slug(i), record{key: vc.slug(i), value: map[string]any{"name": "x", "n": 1, "address.city": "Paris"}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			theirs[i] = e.connectorVerdict(vc, i)
			e.deleteConnector(vc.slug(i))
		}()
	}
	wg.Wait()

	rows := map[string][2]string{}
	for i, vc := range verdictCases {
		t.Logf("%-58s connector %s: %s\n%58s connectsync: %s", vc.rule, e.version, theirs[i], "", ours[i])
		rows[vc.rule] = [2]string{theirs[i].String(), clean(ours[i].String())}
		switch {
		case ours[i].kind == "error" && theirs[i].kind == "rows":
			t.Errorf("%s: connectsync rejects a config the connector %s runs and writes with: %s", vc.rule, e.version, ours[i])
		case (theirs[i].kind == "rejected" || theirs[i].kind == "failed") && ours[i].kind != "error":
			t.Errorf("%s: the connector %s refuses it (%s), connectsync lets it through (%s)", vc.rule, e.version, theirs[i], ours[i])
		case theirs[i].kind == "no rows" && ours[i].kind == "none":
			t.Errorf("%s: the connector %s runs it but writes no row (%s); connectsync says nothing", vc.rule, e.version, theirs[i])
		}
	}
	checkVerdictDoc(t, e.version, rows)
}

var location = regexp.MustCompile(`^(?:\s*(?:error|warning): )?(\S+):(\d+):(\d+): (?:warning: )?`)

// ourVerdict reads plan's output: the first error at a manifest line, else the first
// warning, else none. Every diagnostic must carry the manifest's file:line:col.
func ourVerdict(t *testing.T, manifest string, r run) verdict {
	t.Helper()
	var errs, warns []string
	for _, line := range strings.Split(r.stdout+"\n"+r.stderr, "\n") {
		loc := location.FindStringSubmatch(line)
		isErr := strings.HasPrefix(strings.TrimSpace(line), "error: ") || (loc != nil && !strings.Contains(line, "warning: "))
		if loc == nil {
			if strings.HasPrefix(strings.TrimSpace(line), "error: ") {
				t.Errorf("a finding without a manifest location: %s", line)
			}
			continue
		}
		if loc[1] != manifest {
			t.Errorf("a finding located in %s, not the manifest: %s", loc[1], line)
		}
		msg := line[len(loc[0]):]
		if _, rest, ok := strings.Cut(msg, ": "); ok { // the field path, or "sink local/NAME"
			msg = rest
		}
		if i := strings.LastIndex(msg, " (hint: "); i > 0 {
			msg = msg[:i]
		}
		if isErr {
			errs = append(errs, msg)
		} else {
			warns = append(warns, msg)
		}
	}
	switch {
	case len(errs) > 0:
		if r.code != 1 {
			t.Errorf("plan reported an error but exited %d", r.code)
		}
		return verdict{"error", errs[0]}
	case len(warns) > 0:
		return verdict{"warning", warns[0]}
	}
	if r.code == 1 {
		t.Errorf("plan failed without a located finding:\n%s", r)
	}
	return verdict{kind: "none"}
}

// connectorVerdict PUTs the raw config and watches what the connector does with it.
func (e *env) connectorVerdict(vc verdictCase, i int) verdict {
	name := vc.slug(i)
	code, body, err := do(http.MethodPut, e.c.WorkerURLs[i%len(e.c.WorkerURLs)]+"/connectors/"+name+"/config", vc.config(i))
	if err != nil {
		return verdict{"error", err.Error()}
	}
	if code >= 400 {
		return verdict{"rejected", fmt.Sprintf("PUT %d, %s", code, putMessage(body))}
	}
	table := vc.table
	if table == "" {
		table = "verdict"
	}
	var since time.Time
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		s, err := e.status(name)
		if err != nil {
			continue
		}
		if s.Connector.State == "FAILED" {
			return verdict{"failed", "connector FAILED, " + traceLine(s.Connector.Trace)}
		}
		running := s.Connector.State == "RUNNING" && len(s.Tasks) == 1 && s.Tasks[0].State == "RUNNING"
		if len(s.Tasks) == 1 && s.Tasks[0].State == "FAILED" {
			return verdict{"failed", "task FAILED, " + traceLine(s.Tasks[0].Trace)}
		}
		if !running {
			since = time.Time{}
			continue
		}
		if since.IsZero() {
			since = time.Now()
		}
		if rs, err := e.cql.Query(`SELECT id FROM e2e.`+table+` WHERE id = ?`, name).Iter().SliceMap(); err == nil && len(rs) == 1 {
			return verdict{kind: "rows"}
		}
		if time.Since(since) > 15*time.Second {
			return verdict{"no rows", "RUNNING, " + e.recordWarning(name)}
		}
	}
	return verdict{"failed", "not RUNNING after 90 s"}
}

var putError = regexp.MustCompile(`"message":"((?:[^"\\]|\\.)*)"`)

func putMessage(body []byte) string {
	msg := string(body)
	if m := putError.FindSubmatch(body); m != nil {
		msg = strings.NewReplacer(`\"`, `"`, `\n`, "\n").Replace(string(m[1]))
	}
	// "Connector configuration is invalid and contains the following 1 error(s):\n<the
	// errors>\nYou can also find the above list of errors at the endpoint ..."
	if _, rest, ok := strings.Cut(msg, "error(s):\n"); ok {
		msg, _, _ = strings.Cut(rest, "\nYou can also find")
	}
	return clean(msg)
}

// traceLine is the most telling line of a Java trace: the deepest "Caused by", else
// the first line.
func traceLine(trace string) string {
	lines := strings.Split(trace, "\n")
	at := 0
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "Caused by: ") {
			at = i
		}
	}
	best := strings.TrimPrefix(strings.TrimSpace(lines[at]), "Caused by: ")
	// A message that goes on below its first line ("Encountered the following errors:").
	for _, l := range lines[at+1:] {
		if strings.HasPrefix(strings.TrimSpace(l), "at ") || !strings.HasSuffix(best, ":") && !strings.HasPrefix(l, "\t") {
			break
		}
		best += " " + strings.TrimSpace(l)
	}
	return clean(best)
}

// recordWarning finds the newest WARN the workers logged for the case's record (the
// logs are appended to across runs, and the topic names repeat).
func (e *env) recordWarning(topic string) string {
	newest := ""
	for i := range e.c.WorkerURLs {
		log, _ := e.c.WorkerLog(i)
		for _, l := range strings.Split(log, "\n") {
			// Lines start with their time, "[2026-11-25 16:27:01,123]": they sort.
			if strings.Contains(l, " WARN ") && strings.Contains(l, "originalTopic="+topic+",") && l > newest {
				newest = l
			}
		}
	}
	if j := strings.LastIndex(newest, "}: "); j > 0 {
		msg := newest[j+3:]
		if k := strings.LastIndex(msg, " (com."); k > 0 {
			msg = msg[:k]
		}
		return "the record fails: " + clean(msg)
	}
	return "no row and no WARN for the record"
}

var volatile = regexp.MustCompile(`@[0-9a-f]{6,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|verdict-\d\d`)

// clean makes a message fit a table cell and stay the same from run to run.
func clean(s string) string {
	s = volatile.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "verdict-") {
			return "TOPIC"
		}
		return "…"
	})
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if len(s) > 220 {
		s = s[:220] + "…"
	}
	return s
}

const (
	docPath    = "../../docs/preflight.md"
	tableBegin = "<!-- connector-verdict:begin (internal/datastaxe2e TestConnectorVerdict) -->"
	tableEnd   = "<!-- connector-verdict:end -->"
)

var docVersions = []string{"1.5.0", "1.4.0"}

// checkVerdictDoc compares the table in docs/preflight.md with what was seen on this
// version; CONNECTSYNC_UPDATE_DOCS=1 rewrites the version's column and ours instead.
func checkVerdictDoc(t *testing.T, version string, seen map[string][2]string) {
	t.Helper()
	col := slices.Index(docVersions, version)
	if col < 0 {
		t.Logf("the DataStax connector %s has no column in %s; not checked", version, docPath)
		return
	}
	src, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	begin, end := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no %q ... %q block", docPath, tableBegin, tableEnd)
	}
	// rule -> [connectsync, connector per version...]
	old := map[string][]string{}
	for _, l := range strings.Split(doc[begin+len(tableBegin):end], "\n") {
		cells := splitRow(l)
		if len(cells) == len(docVersions)+2 && cells[0] != "rule" && !strings.HasPrefix(cells[0], "-") {
			old[cells[0]] = cells[1:]
		}
	}
	var b strings.Builder
	b.WriteString("\n| rule | connectsync | " + strings.Join(prefixAll("connector ", docVersions), " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("---|", len(docVersions)) + "\n")
	for _, vc := range verdictCases {
		// connectsync's answer, then the connector's per version; only this
		// version's column and ours are rewritten.
		cells := make([]string, len(docVersions)+1)
		copy(cells, old[vc.rule])
		cells[0] = seen[vc.rule][1]
		cells[col+1] = seen[vc.rule][0]
		for j := range cells {
			if cells[j] == "" {
				cells[j] = "not run"
			}
		}
		fmt.Fprintf(&b, "| %s | %s |\n", vc.rule, strings.Join(cells, " | "))
	}
	updated := doc[:begin+len(tableBegin)] + b.String() + doc[end:]
	if updated == doc {
		return
	}
	if os.Getenv("CONNECTSYNC_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(docPath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s for the connector %s", docPath, version)
		return
	}
	t.Errorf("the connector-verdict table in docs/preflight.md does not match what the connector %s and connectsync did; "+
		"look at the log above, and if it is right: CONNECTSYNC_UPDATE_DOCS=1 go test ./internal/datastaxe2e -run TestConnectorVerdict", version)
}

func splitRow(l string) []string {
	l = strings.TrimSpace(l)
	if !strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|") {
		return nil
	}
	l = strings.ReplaceAll(l[1:len(l)-1], `\|`, "\x00")
	var cells []string
	for _, c := range strings.Split(l, "|") {
		cells = append(cells, strings.ReplaceAll(strings.TrimSpace(c), "\x00", `\|`))
	}
	return cells
}

func prefixAll(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}
