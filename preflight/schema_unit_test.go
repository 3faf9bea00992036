package preflight

import (
	"strings"
	"testing"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/kafka"
	"github.com/connectsync/connectsync/manifest"
)

// The schema checks are pure: a sink's rendered config against a schema read once.
// These table tests build the schema in memory; the integration tests in
// preflight_test.go hold the same rules against the real Cassandra, and
// internal/datastaxe2e against the real connector.

func unitSchema() *schema {
	cols := func(cs ...column) *table {
		t := &table{columns: map[string]column{}}
		for _, c := range cs {
			t.columns[c.name] = c
		}
		return t
	}
	return &schema{
		dcs: map[string]bool{"datacenter1": true},
		keyspaces: map[string]map[string]*table{
			"shop": {
				"orders": cols(
					column{name: "id", kind: "partition_key", typ: "text"},
					column{name: "day", kind: "clustering", typ: "date", position: 0},
					column{name: "customer", kind: "regular", typ: "text"},
					column{name: "event", kind: "regular", typ: "timeuuid"},
					column{name: "Mixed", kind: "regular", typ: "text"},
				),
				"hits": cols(
					column{name: "id", kind: "partition_key", typ: "text"},
					column{name: "n", kind: "regular", typ: "counter"},
				),
			},
		},
	}
}

// unitCluster is the start of the manifests of these tests: one cluster, c,
// with one worker and the converters of a plain-JSON pipeline, and the
// sinks: key, whose entries the tests append.
const unitCluster = `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka:9092]
    groupId: connect-c
    storage: {config: {topic: c-configs}, offset: {topic: c-offsets}, status: {topic: c-status}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.json.JsonConverter, schemasEnable: false}
workers:
  - {name: w1, cluster: c, url: http://connect-1:8083}
sinks:
`

// unitTarget renders one DataStax sink whose only table is shop.<table>, with
// extra table settings, into a preflight target.
func unitTarget(t *testing.T, table, mapping, extra string) (target, manifest.TableRef) {
	t.Helper()
	src := unitCluster + `  - name: s
    cluster: c
    cassandra: {contactPoints: [127.0.0.1], localDc: datacenter1}
    topics:
      orders:
        tables:
          - keyspace: shop
            table: ` + table + `
            mapping: "` + mapping + `"
` + extra
	m, ds := manifest.Parse("m.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("manifest: %v", ds)
	}
	cfg, ds := manifest.RenderSink(m.Sinks[0], nil)
	if ds.HasErrors() {
		t.Fatalf("render: %v", ds)
	}
	tg := target{cluster: m.Clusters[0], desired: &apply.Desired{Sink: m.Sinks[0], Config: cfg}}
	refs := manifest.Tables(cfg.Values)
	if len(refs) != 1 {
		t.Fatalf("tables: %v", refs)
	}
	return tg, refs[0]
}

func TestCheckTable(t *testing.T) {
	for _, tc := range []struct {
		name, table, mapping, extra string
		want                        []string // substrings of the findings' messages, in order; none for a clean table
	}{
		{name: "every key mapped", table: "orders", mapping: "id=key, day=value.day, customer=value.c"},
		{name: "now() into a timeuuid", table: "orders", mapping: "id=key, day=value.day, event=now()"},
		{name: "a quoted mixed-case column", table: "orders", mapping: `id=key, day=value.day, \"Mixed\"=value.m`},
		{name: "unknown column", table: "orders", mapping: "id=key, day=value.day, buyer=value.c",
			want: []string{`column "buyer" does not exist`}},
		{name: "unquoted mixed case is looked up as written", table: "orders", mapping: "id=key, day=value.day, mixed=value.m",
			want: []string{`column "mixed" does not exist`}},
		{name: "clustering column not mapped", table: "orders", mapping: "id=key, customer=value.c",
			want: []string{`primary-key column is not mapped: "day" (clustering)`}},
		{name: "now() into text", table: "orders", mapping: "id=key, day=value.day, customer=now()",
			want: []string{`column "customer" is text, but now() makes a TIMEUUID`}},
		{name: "a counter table", table: "hits", mapping: "id=key, n=value.n",
			want: []string{"fails every record it writes to a counter table"}},
		{name: "ttl on a counter table", table: "hits", mapping: "id=key, n=value.n", extra: "            ttl: 60\n",
			want: []string{"cannot set a TTL when it updates a counter table"}},
		{name: "__ttl on a counter table", table: "hits", mapping: "id=key, n=value.n, __ttl=value.t",
			want: []string{"cannot set a TTL when it updates a counter table"}},
		{name: "table missing, with the near miss named", table: "Orders", mapping: "id=key",
			want: []string{`table "Orders" does not exist in keyspace "shop"`}},
		{name: "a custom query is not checked column by column", table: "orders", mapping: "a=key, b=value.b",
			extra: "            deletesEnabled: false\n            query: 'INSERT INTO shop.orders (id, day) VALUES (:a, :b)'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, tr := unitTarget(t, tc.table, tc.mapping, tc.extra)
			got := checkTable(tg, unitSchema(), tr)
			if len(got) != len(tc.want) {
				t.Fatalf("%d findings, want %d:\n%s", len(got), len(tc.want), dumpFindings(got))
			}
			for i, w := range tc.want {
				f := got[i]
				if !strings.Contains(f.Message, w) || f.Severity != diff.SevError || f.Hint == "" {
					t.Errorf("finding %d = %s, want an error with a hint, saying %q", i, dumpFindings(got[i:i+1]), w)
				}
				if !strings.HasPrefix(f.Where, "m.yaml:") {
					t.Errorf("finding %d is not located in the manifest: %q", i, f.Where)
				}
			}
		})
	}
}

func dumpFindings(fs []diff.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Where + ": " + f.Message + " (hint: " + f.Hint + ")\n")
	}
	return b.String()
}

// sinkTarget renders a DataStax sink with the given cassandra: block (YAML flow
// map) and one table, shop.orders, into a preflight target.
func sinkTarget(t *testing.T, cassandra string) target {
	t.Helper()
	src := unitCluster + `  - name: s
    cluster: c
    cassandra: ` + cassandra + `
    topics:
      orders:
        tables:
          - {keyspace: shop, table: orders, mapping: "id=key, day=value.day"}
`
	m, ds := manifest.Parse("m.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("manifest: %v", ds)
	}
	res := manifest.EnvResolver{Env: func(name string) (string, bool) { return "pw-from-" + name, true }}
	cfg, ds := manifest.RenderSink(m.Sinks[0], res)
	if ds.HasErrors() {
		t.Fatalf("render: %v", ds)
	}
	return target{cluster: m.Clusters[0], desired: &apply.Desired{Sink: m.Sinks[0], Config: cfg}}
}

// TestEndpointOf: how the schema check reaches Cassandra, as the sink would, or why
// it can't (a warning at the field that stops it, and the tables unchecked).
func TestEndpointOf(t *testing.T) {
	for _, tc := range []struct {
		name, cassandra string
		hosts           []string
		port            int
		dc, user        string
		tls             bool
		warn            string // the warning when the check can't run
	}{
		{name: "no contact points means the driver's 127.0.0.1", cassandra: "{localDc: dc1}",
			hosts: []string{"127.0.0.1"}, port: 9042, dc: "dc1"},
		{name: "hosts and port", cassandra: "{contactPoints: [c1, c2], port: 9142, localDc: dc1}",
			hosts: []string{"c1", "c2"}, port: 9142, dc: "dc1"},
		{name: "a username implies PLAIN", cassandra: "{contactPoints: [c1], localDc: dc1, auth: {username: app, password: {secretEnv: PW}}}",
			hosts: []string{"c1"}, port: 9042, dc: "dc1", user: "app"},
		{name: "TLS with the system's roots", cassandra: "{contactPoints: [c1], localDc: dc1, ssl: {provider: JDK}}",
			hosts: []string{"c1"}, port: 9042, dc: "dc1", tls: true},
		{name: "a Java truststore can't be read from Go", cassandra: "{contactPoints: [c1], localDc: dc1, ssl: {provider: JDK, truststore: {path: /x.jks, password: {secretEnv: TS}}}}",
			warn: "ssl.truststore.path is a Java keystore"},
		{name: "GSSAPI can't be reproduced", cassandra: "{contactPoints: [c1], localDc: dc1, auth: {provider: GSSAPI, gssapi: {keyTab: /k, principal: p}}}",
			warn: "cannot log in with GSSAPI"},
		{name: "a cloud bundle can't be reproduced", cassandra: "{cloudSecureConnectBundle: /b.zip}",
			warn: "cloud secure connect bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep, fs, ok := endpointOf(sinkTarget(t, tc.cassandra), Options{})
			if tc.warn != "" {
				if ok || len(fs) != 1 || fs[0].Severity != diff.SevWarning || !strings.Contains(fs[0].Message, tc.warn) ||
					!strings.Contains(fs[0].Message, "the tables were not checked") || !strings.HasPrefix(fs[0].Where, "m.yaml:") {
					t.Fatalf("want one located warning saying %q, got ok=%v:\n%s", tc.warn, ok, dumpFindings(fs))
				}
				return
			}
			if !ok || len(fs) != 0 {
				t.Fatalf("want an endpoint, got ok=%v:\n%s", ok, dumpFindings(fs))
			}
			if strings.Join(ep.hosts, ",") != strings.Join(tc.hosts, ",") || ep.port != tc.port || ep.localDC != tc.dc ||
				ep.username != tc.user || (ep.tls != nil) != tc.tls {
				t.Errorf("endpoint = %+v", ep)
			}
			if tc.user != "" && ep.password != "pw-from-PW" {
				t.Errorf("the password was not resolved through the resolver")
			}
		})
	}
}

// TestCheckSinkLocalDC: a local DC no node is in is an error at localDc.
func TestCheckSinkLocalDC(t *testing.T) {
	tg := sinkTarget(t, "{contactPoints: [c1], localDc: dc-nowhere}")
	ep, _, ok := endpointOf(tg, Options{})
	if !ok {
		t.Fatal("no endpoint")
	}
	fs := checkSink(tg, ep, unitSchema())
	if len(fs) != 1 || !strings.Contains(fs[0].Message, `is in datacenter "dc-nowhere": the nodes are in "datacenter1"`) ||
		!strings.HasPrefix(fs[0].Where, "m.yaml:") {
		t.Fatalf("got:\n%s", dumpFindings(fs))
	}
	tg = sinkTarget(t, "{contactPoints: [c1], localDc: datacenter1}")
	ep, _, _ = endpointOf(tg, Options{})
	if fs := checkSink(tg, ep, unitSchema()); len(fs) != 0 {
		t.Fatalf("a known DC and a good table: got\n%s", dumpFindings(fs))
	}
}

// TestBuildSchema: readSchema's pure half, from the rows of its five queries.
func TestBuildSchema(t *testing.T) {
	s := buildSchema(schemaRows{
		dcs:       []string{"dc1", "dc2", "dc1"},
		keyspaces: []string{"shop", "empty"},
		tables:    [][2]string{{"shop", "orders"}, {"gone", "t"}},
		columns: []columnRow{
			{keyspace: "shop", table: "orders", column: column{name: "id", kind: "partition_key", typ: "text"}},
			{keyspace: "shop", table: "orders", column: column{name: "day", kind: "clustering", typ: "date"}},
			{keyspace: "shop", table: "dropped", column: column{name: "x", kind: "regular", typ: "int"}},
		},
	})
	if len(s.dcs) != 2 || !s.dcs["dc1"] || !s.dcs["dc2"] {
		t.Errorf("dcs = %v", s.dcs)
	}
	if len(s.keyspaces) != 2 || len(s.keyspaces["empty"]) != 0 || s.keyspaces["gone"] != nil {
		t.Errorf("keyspaces = %v", s.keyspaces)
	}
	orders := s.keyspaces["shop"]["orders"]
	if orders == nil || len(orders.columns) != 2 || s.keyspaces["shop"]["dropped"] != nil {
		t.Fatalf("tables = %v", s.keyspaces["shop"])
	}
	if pk := orders.primaryKey(); len(pk) != 2 || pk[0].name != "id" || pk[1].name != "day" {
		t.Errorf("primary key = %v", pk)
	}
	if orders.isCounter() {
		t.Errorf("orders is not a counter table")
	}
}

// TestPredictSink: sampled records against the live column types, without Kafka or
// Cassandra; the end-to-end tests in internal/datastaxe2e confirm each prediction on
// the real connector.
func TestPredictSink(t *testing.T) {
	sch := &schema{dcs: map[string]bool{"datacenter1": true}, keyspaces: map[string]map[string]*table{
		"shop": {"orders": {columns: map[string]column{
			"id":      {name: "id", kind: "partition_key", typ: "text"},
			"day":     {name: "day", kind: "clustering", typ: "date"},
			"created": {name: "created", kind: "regular", typ: "timestamp"},
			"n":       {name: "n", kind: "regular", typ: "int"},
		}}},
	}}
	worker := map[string]string{
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	}
	recs := func(values ...string) *kafka.Sample {
		s := &kafka.Sample{Records: map[string][]kafka.Record{}, Partitions: map[string]int{"orders": 1}}
		for i, v := range values {
			s.Records["orders"] = append(s.Records["orders"], kafka.Record{Offset: int64(i), Key: []byte("k"), Value: []byte(v)})
		}
		return s
	}
	for _, tc := range []struct {
		name, mapping string
		values        []string
		want          []string // substrings of the findings, in order
	}{
		{name: "ISO-8601 text into a timestamp", mapping: "id=key, day=value.day, created=value.created",
			values: []string{`{"day":"2026-11-25","created":"2026-11-25T10:00:00Z"}`}},
		{name: "a JSON number into a timestamp under default codecs", mapping: "id=key, day=value.day, created=value.created",
			values: []string{`{"day":"2026-11-25","created":1764000000000}`, `{"day":"2026-11-25","created":"2026-11-25T10:00:00Z"}`},
			want:   []string{`column "created" (timestamp) from value.created: 1 of 2 sampled records`}},
		{name: "a missing field", mapping: "id=key, day=value.day, n=value.n",
			values: []string{`{"day":"2026-11-25"}`},
			want:   []string{"value.n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, _ := unitTarget(t, "orders", tc.mapping, "")
			got := predictSink(tg, sch, &sampled{n: len(tc.values), worker: worker, records: recs(tc.values...)})
			if len(got) != len(tc.want) {
				t.Fatalf("%d findings, want %d:\n%s", len(got), len(tc.want), dumpFindings(got))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i].Message, w) || !strings.HasPrefix(got[i].Where, "m.yaml:") {
					t.Errorf("finding %d = %s, want it located and saying %q", i, dumpFindings(got[i:i+1]), w)
				}
			}
		})
	}
}

// TestKafkaSettingsFromTheManifest: how plan and status reach the brokers, from the
// cluster's rendered worker properties, and the commit interval they wait on.
func TestKafkaSettingsFromTheManifest(t *testing.T) {
	tg, _ := unitTarget(t, "orders", "id=key, day=value.day", "")
	m := &manifest.Manifest{Clusters: []*manifest.Cluster{tg.cluster}, Workers: nil}
	if _, err := WorkerProperties(m, tg.cluster, nil); err == nil || !strings.Contains(err.Error(), "declares no worker") {
		t.Errorf("a cluster without workers: %v", err)
	}
	src := `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka-1:9092, kafka-2:9092]
    groupId: connect-c
    storage: {config: {topic: c-configs}, offset: {topic: c-offsets}, status: {topic: c-status}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.json.JsonConverter, schemasEnable: false}
    properties: {offset.flush.interval.ms: 5000}
workers:
  - {name: w1, cluster: c, url: http://connect-1:8083}
`
	mm, ds := manifest.Parse("m.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	props, err := WorkerProperties(mm, mm.Clusters[0], nil)
	if err != nil || props["bootstrap.servers"] != "kafka-1:9092,kafka-2:9092" {
		t.Fatalf("worker properties: %v %v", props, err)
	}
	if got := StallInterval(props); got != 7*time.Second {
		t.Errorf("StallInterval = %s, want the 5 s commit interval + 2 s", got)
	}
	if got := StallInterval(map[string]string{}); got != 62*time.Second {
		t.Errorf("StallInterval without the key = %s, want Connect's 60 s + 2 s", got)
	}
	s, err := KafkaSettings(mm, mm.Clusters[0], map[string]string{"topics": "a, b,"}, nil)
	if err != nil || strings.Join(s.Bootstrap, ",") != "kafka-1:9092,kafka-2:9092" {
		t.Errorf("settings: %+v %v", s, err)
	}
	if got := SinkTopics(map[string]string{"topics": "a, b,"}); strings.Join(got, "|") != "a|b" {
		t.Errorf("SinkTopics = %q", got)
	}
}
