package preflight_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
	"github.com/connectsync/connectsync/preflight"
)

// These tests run against the real local cluster (internal/testcluster): its
// three workers and its Cassandra. The DataStax connector is not installed
// on the workers (it is not on Maven Central, see cluster/README.md), so no
// DataStax config can be PUT here; each broken case below cites the rule of
// the connector's source it mirrors instead.
func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

var header = testcluster.ManifestHeader()

// goodSink is a DataStax sink that matches the tables setupKeyspace creates.
const goodSink = `  - name: NAME
    cluster: local
    preflight: {cassandraSchema: true}
    cassandra:
      contactPoints: [127.0.0.1]
      port: 39042
      localDc: datacenter1
    topics:
      orders:
        tables:
          - keyspace: KS
            table: orders_by_id
            mapping: order_id=key, created=value.created, customer=value.customer, amount=value.amount, loaded_at=now()
            consistencyLevel: LOCAL_ONE
`

// setupKeyspace creates a keyspace of its own in the real Cassandra, with
// the tables the cases write to, and drops it when the test ends.
func setupKeyspace(t *testing.T, c *testcluster.Cluster) string {
	t.Helper()
	s, err := c.CQLSession()
	if err != nil {
		t.Fatal(err)
	}
	ks := fmt.Sprintf("preflight_%d", time.Now().UnixNano())
	stmts := []string{
		"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE " + ks + ".orders_by_id (order_id text, created timestamp, customer text, amount decimal, loaded_at timeuuid, note text, PRIMARY KEY ((order_id), created))",
		"CREATE TABLE " + ks + ".page_views (page text PRIMARY KEY, views counter)",
	}
	for _, q := range stmts {
		if err := s.Query(q).Exec(); err != nil {
			s.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		if err := s.Query("DROP KEYSPACE IF EXISTS " + ks).Exec(); err != nil {
			t.Errorf("drop keyspace %s: %v", ks, err)
		}
		s.Close()
	})
	return ks
}

// requests records what preflight asks the workers, to prove it writes
// nothing.
type requests struct {
	mu   sync.Mutex
	list []string
}

func (r *requests) add(method, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, method+" "+path)
}

// writes returns every request other than a GET or a validation.
func (r *requests) writes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.list {
		if !strings.HasPrefix(q, "GET ") && !(strings.HasPrefix(q, "PUT /connector-plugins/") && strings.HasSuffix(q, "/config/validate")) {
			out = append(out, q)
		}
	}
	return out
}

type planned struct {
	file  string
	text  string
	m     *manifest.Manifest
	diags manifest.Diagnostics // Validate's
	s     *apply.Session
	reqs  *requests
}

// plan writes the manifest, validates it as connectsync validate does, and
// plans it against the real workers as connectsync plan does.
func plan(t *testing.T, c *testcluster.Cluster, sinks string) *planned {
	t.Helper()
	p := &planned{file: filepath.Join(t.TempDir(), "connect.yaml"), text: header + sinks, reqs: &requests{}}
	if err := os.WriteFile(p.file, []byte(p.text), 0o644); err != nil {
		t.Fatal(err)
	}
	m, ds := manifest.Load(p.file)
	if ds.HasErrors() {
		t.Fatalf("load: %v", ds)
	}
	p.m, p.diags = m, manifest.Validate(m)
	r, ds := manifest.Render(m, manifest.EnvResolver{})
	if ds.HasErrors() {
		t.Fatalf("render: %v", ds)
	}
	var targets []apply.WorkerTarget
	var clients []*connect.Client
	for _, w := range m.WorkersOf("local") {
		cl, err := connect.New(w.URL, connect.Options{
			Timeout: 10 * time.Second, Retry: connect.RetryPolicy{MaxElapsedTime: 20 * time.Second},
			OnRequest: p.reqs.add,
		})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cl)
		targets = append(targets, apply.WorkerTarget{Name: w.Name, URL: w.URL, Endpoint: manifest.AdvertisedEndpoint(w)})
	}
	classes := map[string]bool{}
	for _, s := range m.Sinks {
		classes[s.ConnectorClass()] = true
	}
	var list []string
	for k := range classes {
		list = append(list, k)
	}
	live := map[string]*apply.ClusterState{"local": apply.ReadCluster(context.Background(), targets, clients, list)}
	p.s = apply.BuildPlan(m, r, live, apply.PlanOptions{})
	return p
}

func (p *planned) run(o preflight.Options) []diff.Finding {
	return preflight.Run(context.Background(), p.s, p.m, o)
}

// at returns file:line:col of the value that follows marker ("key: ") in the
// sinks part of the manifest, or of marker itself when it does not end in
// ": " (a block list is placed at its key).
func (p *planned) at(t *testing.T, marker string) string {
	t.Helper()
	start := strings.Index(p.text, "\nsinks:\n")
	i := strings.Index(p.text[start:], marker)
	if i < 0 {
		t.Fatalf("marker %q not in the manifest", marker)
	}
	i += start
	line := strings.Count(p.text[:i], "\n") + 1
	col := i - strings.LastIndex(p.text[:i], "\n")
	if strings.HasSuffix(marker, ": ") {
		col += len(marker)
	}
	return fmt.Sprintf("%s:%d:%d", p.file, line, col)
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

func name(t *testing.T) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	return fmt.Sprintf("%s-%d", n, time.Now().UnixNano()%1e6)
}

// brokenCase is a DataStax sink config that a PUT accepts (the connector's
// ConfigDef does not cover the key) but a task rejects when it starts.
type brokenCase struct {
	name string
	// edit turns the good sink into the broken one.
	edit func(sink string) string
	// by is "validate" (manifest.Validate) or "preflight" (the schema check).
	by string
	// marker locates the field the problem is reported at: the value after it.
	marker string
	// message is a part of the diagnostic's message.
	message string
	// source is the connector rule the case mirrors (messaging-connectors-
	// commons 1.0.16, which kafka-sink 1.4.x runs; or the driver).
	source string
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("no " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

var brokenCases = []brokenCase{
	{
		name: "contactPoints without localDc", by: "validate",
		edit:   replace("      localDc: datacenter1\n", ""),
		marker: "contactPoints", message: "contactPoints requires loadBalancing.localDc",
		source: "CassandraSinkConfig(): contact points non-empty and getLocalDc() absent → ConfigException",
	},
	{
		name: "unknown consistency level", by: "validate",
		edit:   replace("consistencyLevel: LOCAL_ONE", "consistencyLevel: MAJORITY"),
		marker: "consistencyLevel: ", message: `unknown consistency level "MAJORITY"`,
		source: "TableConfig(): DefaultConsistencyLevel.valueOf(cl.toUpperCase()) → ConfigException",
	},
	{
		name: "cloud bundle with contactPoints", by: "validate",
		edit:   replace("      localDc: datacenter1\n", "      cloudSecureConnectBundle: /etc/bundle.zip\n"),
		marker: "contactPoints", message: "contactPoints cannot be used with cloud.secureConnectBundle",
		source: "CassandraSinkConfig.validateCloudSettings: bundle excludes contactPoints, localDc, ssl.*",
	},
	{
		name: "ttl below -1", by: "validate",
		edit:   replace("consistencyLevel: LOCAL_ONE", "consistencyLevel: LOCAL_ONE\n            ttl: -5"),
		marker: "ttl: ", message: "ttl must be an integer >= -1",
		source: "TableConfig ConfigDef: ttl INT, Range.atLeast(-1), checked when the task builds TableConfig",
	},
	{
		name: "time unit in lower case", by: "validate",
		edit:   replace("consistencyLevel: LOCAL_ONE", "consistencyLevel: LOCAL_ONE\n            ttlTimeUnit: seconds"),
		marker: "ttlTimeUnit: ", message: `unknown time unit "seconds"`,
		source: "TableConfig(): TimeUnit.valueOf(ttlTimeUnit), case-sensitive",
	},
	{
		name: "custom query with deletes enabled", by: "validate",
		edit:   replace("consistencyLevel: LOCAL_ONE", "consistencyLevel: LOCAL_ONE\n            query: 'INSERT INTO KS.orders_by_id (order_id, created) VALUES (:order_id, :created)'"),
		marker: "query: ", message: "a custom query requires deletesEnabled=false",
		source: "TableConfig.validateQuery: query and deletesEnabled=true → ConfigException",
	},
	{
		name: "auth provider in the wrong case", by: "validate",
		edit:   replace("      localDc: datacenter1\n", "      localDc: datacenter1\n      auth: {provider: plain, username: u, password: p}\n"),
		marker: "provider: ", message: `unknown auth provider "plain"`,
		source: "AuthenticatorConfig ConfigDef: auth.provider ValidString.in(None, PLAIN, GSSAPI)",
	},
	{
		name: "password without username", by: "validate",
		edit:   replace("      localDc: datacenter1\n", "      localDc: datacenter1\n      auth: {password: p}\n"),
		marker: "password: ", message: "auth.password was specified without auth.username",
		source: "AuthenticatorConfig(): PLAIN (coerced from None) with a password and no username",
	},
	{
		name: "OpenSSL with only the cert chain", by: "validate",
		edit:   replace("      localDc: datacenter1\n", "      localDc: datacenter1\n      ssl: {provider: OpenSSL, openssl: {keyCertChain: /etc/chain.pem}}\n"),
		marker: "provider: ", message: "ssl.openssl.privateKey is missing",
		source: "SslConfig(): OpenSSL needs both keyCertChain and privateKey or neither",
	},
	{
		name: "raw topic key that fits no grammar", by: "validate",
		edit:   func(s string) string { return s + "    config:\n      topic.orders.KS.orders_by_id.mappings: id=key\n" },
		marker: "mappings: ", message: "is not a valid DataStax topic setting",
		source: "CassandraSinkConfig.tryMatchTopicName: topic.* key matches neither pattern → IllegalArgumentException",
	},
	{
		name: "column mapped twice", by: "validate",
		edit:   replace("customer=value.customer,", "customer=value.customer, customer=value.name,"),
		marker: "mapping: ", message: `column "customer" appears twice`,
		source: "MappingInspector.visitMappedEntry: \"Mapping already defined for column\"",
	},
	{
		name: "mapping field that is not key, value or header", by: "validate",
		edit:   replace("amount=value.amount", "amount=amount"),
		marker: "mapping: ", message: `"amount" is not a field`,
		source: "MappingInspector.visitMappedEntry: field must be key, value, key.*, value.*, header.* or now()",
	},
	{
		name: "contact point with a port", by: "validate",
		edit:   replace("contactPoints: [127.0.0.1]", "contactPoints: ['127.0.0.1:39042']"),
		marker: "contactPoints", message: `contact point "127.0.0.1:39042" is neither an IP address nor a host name`,
		source: "ContactPointsValidator.validateContactPoints, called by LifeCycleManager.buildCqlSession",
	},
	{
		name: "mapped column does not exist", by: "preflight",
		edit:   replace("customer=value.customer", "custmer=value.customer"),
		marker: "mapping: ", message: `topic orders, table KS.orders_by_id: column "custmer" does not exist`,
		source: "LifeCycleManager.validateMappingColumns: \"The following columns do not exist in table\"",
	},
	{
		name: "unquoted capitals name another column", by: "preflight",
		edit:   replace("customer=value.customer", "Customer=value.customer"),
		marker: "mapping: ", message: `column "Customer" does not exist`,
		source: "MappingInspector.visitColumn takes unquoted names literally (CqlIdentifier.fromInternal); validateMappingColumns",
	},
	{
		name: "clustering column not mapped", by: "preflight",
		edit:   replace(" created=value.created,", ""),
		marker: "mapping: ", message: `primary-key column is not mapped: "created" (clustering)`,
		source: "LifeCycleManager.validateMappingColumns: \"part of the primary key but are not mapped\"",
	},
	{
		name: "keyspace does not exist", by: "preflight",
		edit:   replace("keyspace: KS", "keyspace: KS_missing"),
		marker: "keyspace: ", message: "does not exist",
		source: "LifeCycleManager.getTableMetadata: \"Keyspace %s does not exist.\"",
	},
	{
		name: "keyspace in capitals", by: "preflight",
		edit:   func(s string) string { return strings.Replace(s, "keyspace: KS", "keyspace: KSUPPER", 1) },
		marker: "keyspace: ", message: "does not exist",
		source: "LifeCycleManager.getTableMetadata: \"however a keyspace %s was found\" (parseLoosely keeps case)",
	},
	{
		name: "table does not exist", by: "preflight",
		edit:   replace("table: orders_by_id", "table: orders_by_ids"),
		marker: "table: ", message: `table "orders_by_ids" does not exist`,
		source: "LifeCycleManager.getTableMetadata: \"Table %s does not exist.\"",
	},
	{
		name: "now() into a text column", by: "preflight",
		edit:   replace("loaded_at=now()", "loaded_at=now(), note=now()"),
		marker: "mapping: ", message: `column "note" is text, but now() makes a TIMEUUID`,
		source: "FunctionMapper: now() is a java.util.UUID; no codec writes one into text (fails on the first record)",
	},
	{
		name: "ttl on a counter table", by: "preflight",
		edit: func(s string) string {
			s = strings.Replace(s, "table: orders_by_id", "table: page_views", 1)
			s = strings.Replace(s, "mapping: order_id=key, created=value.created, customer=value.customer, amount=value.amount, loaded_at=now()", "mapping: page=key, views=value.views", 1)
			return strings.Replace(s, "consistencyLevel: LOCAL_ONE", "consistencyLevel: LOCAL_ONE\n            ttl: 60", 1)
		},
		marker: "ttl: ", message: "cannot set a TTL when it updates a counter table",
		source: "LifeCycleManager.makeUpdateCounterStatement: \"Cannot set ttl when updating a counter table\"",
	},
	{
		name: "localDc that no node is in", by: "preflight",
		edit:   replace("localDc: datacenter1", "localDc: dc1"),
		marker: "localDc: ", message: `is in datacenter "dc1"`,
		source: "Java driver 4 load balancing: no node in the local DC, so no node to prepare or write on (driver behaviour, not the connector's code)",
	},
}

// TestBrokenSinks checks each broken DataStax config is caught, at its
// manifest field, by validate or by preflight, and that the other of the two
// says nothing about it.
func TestBrokenSinks(t *testing.T) {
	c := testcluster.Get(t)
	ks := setupKeyspace(t, c)
	if len(brokenCases) < 15 {
		t.Fatalf("%d cases, want at least 15", len(brokenCases))
	}
	for _, tc := range brokenCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("mirrors %s", tc.source)
			sink := strings.ReplaceAll(tc.edit(goodSink), "NAME", name(t))
			sink = strings.ReplaceAll(sink, "KSUPPER", strings.ToUpper(ks))
			sink = strings.ReplaceAll(sink, "KS", ks)
			p := plan(t, c, sink)
			where := p.at(t, tc.marker)
			msg := strings.ReplaceAll(tc.message, "KS", ks)
			switch tc.by {
			case "validate":
				found := false
				for _, d := range p.diags {
					if d.Severity == manifest.Error && d.Pos.String() == where && strings.Contains(d.Message, msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("validate: no error %q at %s; got:\n%v", msg, where, p.diags)
				}
			case "preflight":
				if p.diags.HasErrors() {
					t.Fatalf("validate already rejects it, so this case proves nothing about preflight:\n%v", p.diags)
				}
				fs := p.run(preflight.Options{Validate: true})
				t.Logf("findings:\n%s", dump(fs))
				found := false
				for _, f := range fs {
					if f.Severity == diff.SevError && f.Where == where && strings.Contains(f.Message, msg) && f.Hint != "" &&
						f.Section == diff.SectionPreflight && f.Subject.Kind == object.KindSink {
						found = true
					}
				}
				if !found {
					t.Errorf("preflight: no error %q at %s; got:\n%s", msg, where, dump(fs))
				}
				if w := p.reqs.writes(); len(w) > 0 {
					t.Errorf("preflight wrote to a worker: %v", w)
				}
			}
		})
	}
}

func dump(fs []diff.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s: %s (hint: %s)\n", f.Severity, f.Subject, f.Where, f.Message, f.Hint)
	}
	return b.String()
}

// TestCorrectSinkHasNoFindings: a sink that matches its table draws nothing
// from validate or preflight, and the missing DataStax plugin is not
// reported twice (BuildPlan reports it).
func TestCorrectSinkHasNoFindings(t *testing.T) {
	c := testcluster.Get(t)
	ks := setupKeyspace(t, c)
	p := plan(t, c, strings.ReplaceAll(strings.ReplaceAll(goodSink, "NAME", name(t)), "KS", ks))
	if len(p.diags) > 0 {
		t.Fatalf("validate: %v", p.diags)
	}
	if fs := p.run(preflight.Options{Validate: true, CassandraSchema: true}); len(fs) > 0 {
		t.Errorf("want no findings, got:\n%s", dump(fs))
	}
	if w := p.reqs.writes(); len(w) > 0 {
		t.Errorf("preflight wrote to a worker: %v", w)
	}
}

// TestSchemaCheckIsOptIn: without the flag or a manifest setting, no schema
// check runs; a sink's preflight setting overrides its cluster's.
func TestSchemaCheckIsOptIn(t *testing.T) {
	c := testcluster.Get(t)
	ks := setupKeyspace(t, c)
	broken := strings.Replace(goodSink, "customer=value.customer", "custmer=value.customer", 1)
	off := strings.Replace(broken, "preflight: {cassandraSchema: true}", "preflight: {cassandraSchema: false}", 1)
	p := plan(t, c, strings.ReplaceAll(strings.ReplaceAll(off, "NAME", name(t)), "KS", ks))
	if fs := p.run(preflight.Options{}); len(fs) > 0 {
		t.Errorf("opted out: want no findings, got:\n%s", dump(fs))
	}
	if fs := p.run(preflight.Options{CassandraSchema: true}); len(fs) != 1 {
		t.Errorf("forced by the flag: want 1 finding, got:\n%s", dump(fs))
	}
}

// TestCassandraUnreachable: one warning per sink, with the error, no crash.
func TestCassandraUnreachable(t *testing.T) {
	c := testcluster.Get(t)
	var sinks string
	for i := 0; i < 2; i++ {
		s := strings.Replace(goodSink, "port: 39042", "port: 1", 1)
		sinks += strings.ReplaceAll(strings.ReplaceAll(s, "NAME", fmt.Sprintf("%s-%d", name(t), i)), "KS", "shop")
	}
	p := plan(t, c, sinks)
	fs := p.run(preflight.Options{Timeout: 3 * time.Second})
	if len(fs) != 2 {
		t.Fatalf("want one finding per sink, got:\n%s", dump(fs))
	}
	for _, f := range fs {
		if f.Severity != diff.SevWarning || !strings.Contains(f.Message, "cannot read the Cassandra schema at 127.0.0.1:1") || f.Where == "" {
			t.Errorf("unexpected finding: %+v", f)
		}
	}
}

// TestJKSTruststoreIsAWarning: Go cannot read a Java keystore, so the check
// says it did not run rather than guessing.
func TestJKSTruststoreIsAWarning(t *testing.T) {
	c := testcluster.Get(t)
	s := strings.Replace(goodSink, "      localDc: datacenter1\n",
		"      localDc: datacenter1\n      ssl: {provider: JDK, truststore: {path: /etc/cassandra/truststore.jks, password: x}}\n", 1)
	p := plan(t, c, strings.ReplaceAll(strings.ReplaceAll(s, "NAME", name(t)), "KS", "shop"))
	fs := p.run(preflight.Options{})
	if len(fs) != 1 || fs[0].Severity != diff.SevWarning || !strings.Contains(fs[0].Message, "Java keystore") ||
		fs[0].Where != p.at(t, "truststore: {path: ") {
		t.Errorf("want one warning at the truststore path, got:\n%s", dump(fs))
	}
}

const fileSink = `  - name: NAME
    cluster: local
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    tasksMax: 1
    config:
      topics: preflight-file
      file: /tmp/preflight-file.txt
`

// TestServerSideValidation proves the worker's verdict against the real
// workers: a FileStreamSink config the worker rejects, mapped back to the
// manifest line it came from; the same sink with a good config draws
// nothing. The bad key is a transform class the worker does not have:
// only the worker can judge that, where validate's offline Connect rules
// (errors.tolerance among them) would answer first.
func TestServerSideValidation(t *testing.T) {
	c := testcluster.Get(t)
	good := plan(t, c, strings.ReplaceAll(fileSink, "NAME", name(t)))
	if fs := good.run(preflight.Options{Validate: true}); len(fs) > 0 {
		t.Errorf("good config: want no findings, got:\n%s", dump(fs))
	}
	bad := strings.ReplaceAll(fileSink, "NAME", name(t)) + "      transforms: t\n      transforms.t.type: com.example.NoSuchTransform\n"
	p := plan(t, c, bad)
	if p.diags.HasErrors() {
		t.Fatalf("validate must accept it (only the worker knows): %v", p.diags)
	}
	fs := p.run(preflight.Options{Validate: true})
	t.Logf("findings:\n%s", dump(fs))
	where := p.at(t, "transforms.t.type: ")
	found := false
	for _, f := range fs {
		if f.Severity == diff.SevError && f.Where == where && f.Section == diff.SectionPreflight &&
			strings.Contains(f.Message, `config["transforms.t.type"]`) && strings.Contains(f.Message, "com.example.NoSuchTransform") {
			found = true
		}
	}
	if !found {
		t.Errorf("want the worker's error at %s, got:\n%s", where, dump(fs))
	}
	if fs := p.run(preflight.Options{Validate: false}); len(fs) > 0 {
		t.Errorf("--no-validate: want no findings, got:\n%s", dump(fs))
	}
	if w := p.reqs.writes(); len(w) > 0 {
		t.Errorf("preflight wrote to a worker: %v", w)
	}
}
