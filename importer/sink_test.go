package importer

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// canary is a password that must appear in no output.
const canary = "CANARY-pw-4f1c9e"

// liveConnectors is a representative live state: what curl users create.
func liveConnectors() []Connector {
	return []Connector{
		{Cluster: "prod", Name: "orders-to-cassandra", State: "RUNNING", Config: map[string]string{
			"name":                                   "orders-to-cassandra",
			"connector.class":                        manifest.DataStaxClass,
			"tasks.max":                              "3",
			"topics":                                 "orders,payments",
			"contactPoints":                          "10.0.0.5,10.0.0.6",
			"port":                                   "9042",
			"loadBalancing.localDc":                  "dc1",
			"auth.provider":                          "PLAIN",
			"auth.username":                          "connect",
			"auth.password":                          canary,
			"ssl.provider":                           "JDK",
			"ssl.hostnameValidation":                 "false",
			"ssl.keystore.path":                      "/etc/cassandra/keystore.jks",
			"ssl.keystore.password":                  "ks-" + canary,
			"ssl.truststore.path":                    "/etc/cassandra/truststore.jks",
			"ssl.truststore.password":                "${file:/etc/kafka/secrets.properties:truststore}",
			"maxConcurrentRequests":                  "100",
			"jmx":                                    "false",
			"compression":                            "LZ4",
			"topic.orders.shop.orders_by_id.mapping": "id=key, total=value.total",
			"topic.orders.shop.orders_by_id.consistencyLevel":          "LOCAL_QUORUM",
			"topic.orders.shop.orders_by_id.ttl":                       "86400",
			"topic.orders.shop.orders_by_day.mapping":                  "day=value.day, id=key",
			"topic.orders.shop.orders_by_day.deletesEnabled":           "false",
			"topic.orders.codec.timestamp":                             "UNITS_SINCE_EPOCH",
			"topic.orders.codec.unit":                                  "MILLISECONDS",
			"topic.payments.shop.payments.mapping":                     "id=key, amount=value.amount",
			"topic.payments.shop.payments.nullToUnset":                 "False",
			"datastax-java-driver.basic.request.timeout":               "10 seconds",
			"datastax-java-driver.advanced.connection.pool.local.size": "2",
			"errors.tolerance":                                         "all",
			"__internal.config.version":                                "1",
		}},
		{Cluster: "prod", Name: "clicks-to-file", State: "PAUSED", Config: map[string]string{
			"name": "clicks-to-file", "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
			"tasks.max": "1", "topics": "clicks", "file": "/tmp/clicks.txt",
		}},
		{Cluster: "prod", Name: "audit-to-file", State: "STOPPED", Config: map[string]string{
			"name": "audit-to-file", "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
			"tasks.max": "2", "topics": "b-audit,a-audit", "file": "${file:/etc/kafka/paths.properties:audit}",
		}},
		{Cluster: "prod", Name: "masked", State: "FAILED", Passwords: map[string]bool{"db.pass": true},
			Config: map[string]string{
				"connector.class": "com.example.JdbcSink", "tasks.max": "1", "topics": "x",
				"db.pass": "[hidden]", "db.user": "app", "api.token": canary,
			}},
	}
}

func importAll(t *testing.T) ([]*sinkResult, document) {
	t.Helper()
	var namer envNamer
	var doc document
	var out []*sinkResult
	for _, c := range liveConnectors() {
		r := importSink(c, &namer)
		out = append(out, r)
		doc.Sinks = append(doc.Sinks, r.Sink)
	}
	return out, doc
}

// TestSinkRoundTrip is the specification: the imported manifest, parsed
// from the bytes import writes, renders every live config back exactly.
func TestSinkRoundTrip(t *testing.T) {
	results, doc := importAll(t)
	data := doc.Marshal()
	m, ds := manifest.Parse("imported.yaml", data)
	if ds.HasErrors() {
		t.Fatalf("the imported manifest does not parse:\n%s\n%s", ds.Error(), data)
	}
	env := map[string]string{}
	for _, r := range results {
		for k, v := range r.secretValues {
			env[k] = v
		}
	}
	res := manifest.EnvResolver{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	for i, c := range liveConnectors() {
		cfg, rds := manifest.RenderSink(m.Sinks[i], res)
		if rds.HasErrors() {
			t.Fatalf("%s: %s", c.Name, rds.Error())
		}
		want := map[string]string{}
		for k, v := range c.Config {
			if !ignoredKey(k) {
				want[k] = v
			}
		}
		if d := cmp.Diff(want, cfg.Values); d != "" {
			t.Errorf("%s: render(import(live)) differs (-live +rendered):\n%s", c.Name, d)
		}
	}
}

func TestSinkGolden(t *testing.T) {
	results, doc := importAll(t)
	var b strings.Builder
	b.Write(doc.Marshal())
	b.WriteString("---- secrets\n")
	for _, r := range results {
		for _, s := range r.Secrets {
			b.WriteString(s.Subject.String() + " " + s.Key + " -> " + s.Env)
			if s.Masked {
				b.WriteString(" (masked)")
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("---- notes\n")
	for _, r := range results {
		for _, n := range r.Notes {
			b.WriteString(n.Subject.String() + ": " + n.Message + "\n")
		}
	}
	got := b.String()
	if strings.Contains(got, canary) {
		t.Fatalf("the canary password is in the output:\n%s", got)
	}
	golden(t, "sinks.golden", got)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (hint: go test ./importer -update writes it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// TestWorkersRoundTrip imports the worker files of the quickstart, as
// render -o lays them out, and checks that the cluster and workers render the
// same files, byte for byte.
func TestWorkersRoundTrip(t *testing.T) {
	dir := t.TempDir()
	qm, ds := manifest.Load(filepath.Join("..", "examples", "quickstart.yaml"))
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	qr, _ := manifest.Render(qm, manifest.Unresolved{})
	for _, f := range qr.WorkerFiles() {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ReadWorkersDir(dir, "local")
	if err != nil {
		t.Fatal(err)
	}
	var namer envNamer
	res := importCluster("local", files, &namer)
	if bad := res.Check(); len(bad) > 0 {
		t.Fatalf("render(import(files)) differs: %v", bad)
	}
	data := document{Clusters: []*manifest.Cluster{res.Cluster}, Workers: res.Workers}.Marshal()
	m, ds := manifest.Parse("imported.yaml", data)
	if ds.HasErrors() {
		t.Fatalf("%s\n%s", ds.Error(), data)
	}
	r, rds := manifest.Render(m, manifest.EnvResolver{Env: func(k string) (string, bool) { v, ok := res.secretValues[k]; return v, ok }})
	if rds.HasErrors() {
		t.Fatal(rds.Error())
	}
	for _, f := range r.Files() {
		want, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), string(f.Data)); d != "" {
			t.Errorf("%s differs (-deployed +rendered):\n%s", f.Path, d)
		}
	}
	golden(t, "workers.golden", string(data))
}

// TestWorkersSecretsAndDifferences: a shared secret and a per-worker one
// become references; properties that differ stay on their worker.
func TestWorkersSecretsAndDifferences(t *testing.T) {
	base := func(port string) map[string]string {
		return map[string]string{
			"bootstrap.servers": "k1:9093,k2:9093", "group.id": "connect-eu",
			"config.storage.topic": "_cfg", "offset.storage.topic": "_off", "status.storage.topic": "_st",
			"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
			"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
			"value.converter.decimal.format":               "NUMERIC",
			"config.providers":                             "env,file",
			"config.providers.file.class":                  "org.apache.kafka.common.config.provider.FileConfigProvider",
			"config.providers.env.class":                   "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
			"config.providers.env.param.allowlist.pattern": "^CONNECT_.*",
			"security.protocol":                            "SSL", "ssl.truststore.password": canary,
			"listeners": "https://0.0.0.0:" + port, "rest.advertised.host.name": "connect-" + port + ".internal",
			"rest.advertised.port": port, "rest.advertised.listener": "https",
			"listeners.https.ssl.keystore.password": "w-" + port + "-" + canary,
			"offset.flush.interval.ms":              "10000",
		}
	}
	a, b := base("8443"), base("8444")
	b["offset.flush.interval.ms"] = "20000"
	var namer envNamer
	res := importCluster("eu", []WorkerFile{{Name: "eu-2", Props: b}, {Name: "eu-1", Props: a}}, &namer)
	if bad := res.Check(); len(bad) > 0 {
		t.Fatalf("render(import(files)) differs: %v", bad)
	}
	data := string(document{Clusters: []*manifest.Cluster{res.Cluster}, Workers: res.Workers}.Marshal())
	var sb strings.Builder
	sb.WriteString(data + "---- secrets\n")
	for _, s := range res.Secrets {
		sb.WriteString(s.Subject.String() + " " + s.Key + " -> " + s.Env + "\n")
	}
	sb.WriteString("---- notes\n")
	for _, n := range res.Notes {
		sb.WriteString(n.Subject.String() + ": " + n.Message + "\n")
	}
	if strings.Contains(sb.String(), canary) {
		t.Fatalf("the canary is in the output:\n%s", sb.String())
	}
	golden(t, "workers-secrets.golden", sb.String())
}
