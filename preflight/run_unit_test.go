package preflight

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/kafka"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// Which sinks preflight looks at, and what it asks of each, is decided from the
// plan and the manifest alone. These tests build both in memory; none of the
// sinks below makes preflight reach a worker, Cassandra or Kafka.

const runManifest = unitCluster + `  - name: plain
    cluster: c
    cassandra: {contactPoints: [c1], localDc: dc1}
    topics: {orders: {tables: [{keyspace: shop, table: orders, mapping: "id=key"}]}}
  - name: bundle
    cluster: c
    preflight: {cassandraSchema: true}
    cassandra: {cloudSecureConnectBundle: /b.zip}
    topics: {orders: {tables: [{keyspace: shop, table: orders, mapping: "id=key"}]}}
  - name: file
    cluster: c
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    topics: {orders: {}}
  - name: sampled
    cluster: c
    preflight: {sampleRecords: 5}
    cassandra: {contactPoints: [c1], localDc: dc1}
    topics: {orders: {tables: [{keyspace: shop, table: orders, mapping: "id=key"}]}}
`

// runSession renders runManifest and plans the given changes against live
// connectors, all built by hand.
func runSession(t *testing.T, changes []diff.Change, live map[string]connect.Connector) (*apply.Session, *manifest.Manifest) {
	t.Helper()
	m, ds := manifest.Parse("m.yaml", []byte(runManifest))
	if ds.HasErrors() {
		t.Fatalf("manifest: %v", ds)
	}
	s := &apply.Session{Plan: &diff.Plan{Changes: changes}, Sinks: map[object.Ref]*apply.Desired{},
		Clusters: map[string]*apply.ClusterState{"c": {Connectors: live}}}
	for _, sk := range m.Sinks {
		cfg, ds := manifest.RenderSink(sk, nil)
		if ds.HasErrors() {
			t.Fatalf("render %s: %v", sk.Name, ds)
		}
		s.Sinks[object.SinkRef("c", sk.Name)] = &apply.Desired{Sink: sk, Config: cfg}
	}
	return s, m
}

func sinkChange(a diff.Action, name string) diff.Change {
	return diff.Change{Ref: object.SinkRef("c", name), Action: a}
}

func targetNames(ts []target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.desired.Sink.Name)
	}
	return out
}

// TestTargets: preflight checks the sinks plan creates or updates, in the
// plan's order, and nothing else.
func TestTargets(t *testing.T) {
	s, m := runSession(t, []diff.Change{
		sinkChange(diff.Update, "bundle"),
		sinkChange(diff.NoOp, "plain"),
		sinkChange(diff.Create, "file"),
		sinkChange(diff.Delete, "sampled"),
		sinkChange(diff.Create, "undeclared"),
		{Ref: object.WorkerRef("c", "w1"), Action: diff.Create},
		sinkChange(diff.Create, "plain"),
	}, nil)
	if d := cmp.Diff([]string{"bundle", "file", "plain"}, targetNames(targets(s, m))); d != "" {
		t.Errorf("targets (-want +got):\n%s", d)
	}
	if targets(nil, m) != nil || targets(&apply.Session{}, m) != nil {
		t.Error("targets without a plan")
	}
}

// TestLiveRunning: the health check reads the sinks in the plan, but not being
// deleted, whose connector RUNS and that opt in to sampling.
func TestLiveRunning(t *testing.T) {
	running := connect.Connector{Status: connect.ConnectorStatus{State: object.StateRunning}}
	paused := connect.Connector{Status: connect.ConnectorStatus{State: object.StatePaused}}
	changes := []diff.Change{sinkChange(diff.NoOp, "sampled"), sinkChange(diff.NoOp, "plain")}
	for _, tc := range []struct {
		name    string
		changes []diff.Change
		live    map[string]connect.Connector
		want    []string
	}{
		{name: "running and sampled", changes: changes, live: map[string]connect.Connector{"sampled": running, "plain": running}, want: []string{"sampled"}},
		{name: "paused", changes: changes, live: map[string]connect.Connector{"sampled": paused}},
		{name: "not deployed", changes: changes, live: map[string]connect.Connector{}},
		{name: "being deleted", changes: []diff.Change{sinkChange(diff.Delete, "sampled")}, live: map[string]connect.Connector{"sampled": running}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, m := runSession(t, tc.changes, tc.live)
			if d := cmp.Diff(tc.want, targetNames(liveRunning(s, m))); d != "" {
				t.Errorf("live running (-want +got):\n%s", d)
			}
		})
	}
}

// TestWantsSchema: --cassandra-schema, else the sink's setting, else its cluster's.
func TestWantsSchema(t *testing.T) {
	s, m := runSession(t, []diff.Change{sinkChange(diff.Create, "plain"), sinkChange(diff.Create, "bundle")}, nil)
	ts := targets(s, m)
	if wantsSchema(ts[0], Options{}) || !wantsSchema(ts[0], Options{CassandraSchema: true}) || !wantsSchema(ts[1], Options{}) {
		t.Error("wantsSchema")
	}
}

// TestRunWithoutIO: with validation off and no sink sampling, Run reads nothing,
// and a sink whose schema check cannot run gets a warning in its place.
func TestRunWithoutIO(t *testing.T) {
	s, m := runSession(t, []diff.Change{sinkChange(diff.Create, "plain"), sinkChange(diff.Update, "bundle"), sinkChange(diff.Create, "file")}, nil)
	got := Run(t.Context(), s, m, Options{})
	if len(got) != 1 || got[0].Subject != object.SinkRef("c", "bundle") || got[0].Section != diff.SectionPreflight || got[0].Severity != diff.SevWarning ||
		!strings.Contains(got[0].Message, "cloud secure connect bundle") || !strings.HasPrefix(got[0].Where, "m.yaml:") {
		t.Fatalf("findings:\n%s", dumpFindings(got))
	}
	if got := Run(t.Context(), &apply.Session{}, m, Options{Validate: true}); len(got) != 0 {
		t.Errorf("an empty plan: %s", dumpFindings(got))
	}
}

// TestValidateSkipsWithoutWorkers: a sink of a cluster no worker answers, or
// whose plugin a worker lacks, is not sent for validation: plan reports both.
func TestValidateSkipsWithoutWorkers(t *testing.T) {
	s, m := runSession(t, []diff.Change{sinkChange(diff.Create, "plain")}, nil)
	tg := targets(s, m)[0]
	if fs := validate(t.Context(), tg, Options{}); fs != nil {
		t.Errorf("no worker answers: %s", dumpFindings(fs))
	}
	tg.state = nil
	if fs := validate(t.Context(), tg, Options{}); fs != nil {
		t.Errorf("no cluster state: %s", dumpFindings(fs))
	}
	tg.state = &apply.ClusterState{Workers: []*apply.WorkerState{{Client: &connect.Client{}, Plugins: map[string]bool{}}}}
	if fs := validate(t.Context(), tg, Options{}); fs != nil {
		t.Errorf("the plugin is missing: %s", dumpFindings(fs))
	}
}

func TestOptionsDefaults(t *testing.T) {
	if (Options{}).timeout() != defaultTimeout || (Options{Timeout: time.Second}).timeout() != time.Second {
		t.Error("timeout")
	}
	if (Options{}).sampleTimeout() != defaultSampleTimeout || (Options{SampleTimeout: time.Second}).sampleTimeout() != time.Second {
		t.Error("sample timeout")
	}
}

// TestLocate: a worker's verdict on a key is placed at the manifest field the
// key came from, or at the sink when the manifest does not set it.
func TestLocate(t *testing.T) {
	tg := sinkTarget(t, "{contactPoints: [c1], localDc: dc1}")
	for _, tc := range []struct{ key, field string }{
		{"tasks.max", "sinks[0].tasksMax (tasks.max)"},
		{"loadBalancing.localDc", "sinks[0].cassandra.localDc (loadBalancing.localDc)"},
		{"not.set", "sinks[0]: not.set (not set by the manifest)"},
	} {
		where, field := locate(tg.desired, tc.key)
		if field != tc.field || !strings.HasPrefix(where.String(), "m.yaml:") {
			t.Errorf("locate(%s) = %s, %q; want %q", tc.key, where, field, tc.field)
		}
	}
}

// fakeResolver resolves every reference to a fixed value, or fails.
type fakeResolver struct{ err error }

func (r fakeResolver) Resolve(v manifest.Value) (string, error) {
	if r.err != nil {
		return "", r.err
	}
	return "resolved", nil
}

// TestSecret: the schema check logs in with the values render resolves.
func TestSecret(t *testing.T) {
	tg := sinkTarget(t, "{contactPoints: [c1], localDc: dc1, auth: {username: app, password: {secretEnv: PW}}}")
	if got, err := secret(tg.desired, Options{}, "auth.password"); err != nil || got != "pw-from-PW" {
		t.Errorf("without a resolver, the rendered value: %q %v", got, err)
	}
	if got, err := secret(tg.desired, Options{Resolver: fakeResolver{}}, "auth.password"); err != nil || got != "resolved" {
		t.Errorf("through the resolver: %q %v", got, err)
	}
	if got, err := secret(tg.desired, Options{Resolver: fakeResolver{}}, "auth.username"); err != nil || got != "resolved" {
		t.Errorf("the username through the resolver: %q %v", got, err)
	}
	_, fs, ok := endpointOf(tg, Options{Resolver: fakeResolver{err: errors.New("PW is not set")}})
	if ok || len(fs) != 1 || !strings.Contains(fs[0].Message, "cannot resolve auth.username: PW is not set") {
		t.Errorf("a secret that does not resolve: ok=%v\n%s", ok, dumpFindings(fs))
	}
	plain := sinkTarget(t, "{contactPoints: [c1], localDc: dc1}")
	if got, err := secret(plain.desired, Options{Resolver: fakeResolver{}}, "auth.password"); err != nil || got != "" {
		t.Errorf("an unset key: %q %v", got, err)
	}
}

// writeKeyPair writes a self-signed certificate and its key as PEM files.
func writeKeyPair(t *testing.T, dir string) (chain, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	chain, key = filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return chain, key
}

// TestTLSConfig: the client TLS the schema check builds from a sink's settings.
func TestTLSConfig(t *testing.T) {
	cfg, err := tlsConfig(map[string]string{})
	if err != nil || cfg.InsecureSkipVerify || len(cfg.Certificates) != 0 || cfg.VerifyConnection != nil {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
	chain, key := writeKeyPair(t, t.TempDir())
	cfg, err = tlsConfig(map[string]string{"ssl.openssl.keyCertChain": chain, "ssl.openssl.privateKey": key, "ssl.hostnameValidation": " False "})
	if err != nil || len(cfg.Certificates) != 1 || !cfg.InsecureSkipVerify || cfg.VerifyConnection == nil {
		t.Fatalf("a key pair, no hostname validation: %+v %v", cfg, err)
	}
	// Without hostname validation the chain is still verified.
	if err := cfg.VerifyConnection(tlsState(t, chain)); err == nil {
		t.Error("a self-signed certificate passed verification")
	}
	if _, err := tlsConfig(map[string]string{"ssl.openssl.keyCertChain": chain, "ssl.openssl.privateKey": chain}); err == nil {
		t.Error("a certificate as its own key")
	}
	tg := sinkTarget(t, "{contactPoints: [c1], localDc: dc1, ssl: {provider: OpenSSL, openssl: {keyCertChain: /nowhere/chain.pem, privateKey: /nowhere/key.pem}}}")
	if _, fs, ok := endpointOf(tg, Options{}); ok || len(fs) != 1 || !strings.Contains(fs[0].Message, "cannot reproduce this TLS setup") {
		t.Errorf("unreadable PEM files: ok=%v\n%s", ok, dumpFindings(fs))
	}
}

func TestConverterDescriptions(t *testing.T) {
	for _, tc := range []struct {
		c          converter
		text, hint string
	}{
		{converter{side: "value", class: jsonConverter, schemas: true}, "JsonConverter (schemas.enable=true)", "set value.converter.schemas.enable: false"},
		{converter{side: "key", class: jsonConverter}, "JsonConverter (schemas.enable=false)", "errors.tolerance: all"},
		{converter{side: "key", class: stringConverter}, "StringConverter", "errors.tolerance: all"},
	} {
		if got := tc.c.String(); got != tc.text {
			t.Errorf("String = %q, want %q", got, tc.text)
		}
		if got := converterHint(tc.c); !strings.Contains(got, tc.hint) {
			t.Errorf("hint = %q, want it to say %q", got, tc.hint)
		}
	}
	if orUnset("") != "(not set)" || orUnset("x") != "x" || clip(strings.Repeat("a", 70)) != strings.Repeat("a", 57)+"..." {
		t.Error("orUnset, clip")
	}
	entries, _ := manifest.ParseMapping("id=key, n=value.n")
	if !mapsSide(entries, manifest.FromKey) || !mapsSide(entries, manifest.FromValue) {
		t.Error("mapsSide")
	}
	entries, _ = manifest.ParseMapping("id=value.id")
	if mapsSide(entries, manifest.FromKey) {
		t.Error("mapsSide: no key field")
	}
}

// TestPredictSinkConverters: records the converter rejects fail the task before
// the mapping matters; a converter preflight cannot decode is said once.
func TestPredictSinkConverters(t *testing.T) {
	sch := &schema{dcs: map[string]bool{"datacenter1": true}, keyspaces: map[string]map[string]*table{
		"shop": {"orders": {columns: map[string]column{
			"id":  {name: "id", kind: "partition_key", typ: "text"},
			"day": {name: "day", kind: "clustering", typ: "date"},
		}}},
	}}
	recs := &kafka.Sample{Records: map[string][]kafka.Record{"orders": {
		{Offset: 7, Key: []byte("k"), Value: []byte(`{"day":"2026-11-25"}`)},
		{Offset: 8, Key: []byte("k"), Value: []byte(`not json`)},
		{Offset: 9, Key: []byte("k"), Value: nil},
	}}}
	tg, _ := unitTarget(t, "orders", "id=key, day=value.day", "")
	for _, tc := range []struct {
		name   string
		worker map[string]string
		want   []string
	}{
		{name: "plain JSON, one record not JSON", worker: map[string]string{
			"key.converter": stringConverter, "value.converter": jsonConverter, "value.converter.schemas.enable": "false",
		}, want: []string{"topic orders: 1 of 3 sampled records are rejected by the value converter JsonConverter (schemas.enable=false) before the connector sees them (e.g. partition 0, offset 8)"}},
		{name: "schemas enabled, plain JSON", worker: map[string]string{
			"key.converter": stringConverter, "value.converter": jsonConverter,
		}, want: []string{"topic orders: 2 of 3 sampled records are rejected by the value converter JsonConverter (schemas.enable=true)"}},
		{name: "an Avro key", worker: map[string]string{
			"key.converter": "io.confluent.connect.avro.AvroConverter", "value.converter": stringConverter,
		}, want: []string{"records are not sampled through the key converter io.confluent.connect.avro.AvroConverter"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := predictSink(tg, sch, &sampled{n: 5, worker: tc.worker, records: recs})
			if len(got) != len(tc.want) {
				t.Fatalf("%d findings, want %d:\n%s", len(got), len(tc.want), dumpFindings(got))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i].Message, w) || !strings.HasPrefix(got[i].Where, "m.yaml:") || got[i].Hint == "" {
					t.Errorf("finding %d = %s, want it located, with a hint, saying %q", i, dumpFindings(got[i:i+1]), w)
				}
			}
		})
	}
}

func TestNewest(t *testing.T) {
	var rs []kafka.Record
	for p := 0; p < 2; p++ {
		for o := 0; o < 4; o++ {
			rs = append(rs, kafka.Record{Partition: int32(p), Offset: int64(o)})
		}
	}
	var got []string
	for _, r := range newest(rs, 2) {
		got = append(got, strings.Repeat("p", int(r.Partition)+1)+string(rune('0'+r.Offset)))
	}
	if d := cmp.Diff([]string{"p2", "p3", "pp2", "pp3"}, got); d != "" {
		t.Errorf("newest (-want +got):\n%s", d)
	}
}

func tlsState(t *testing.T, chain string) tls.ConnectionState {
	t.Helper()
	b, err := os.ReadFile(chain)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
}

// TestVerdictFindings: the worker's verdict on a config, each error at the
// manifest field its key came from, with the worker's recommendation as hint.
func TestVerdictFindings(t *testing.T) {
	tg := sinkTarget(t, "{contactPoints: [c1], localDc: dc1}")
	got := verdictFindings(tg, &connect.Validation{ErrorCount: 2, Configs: []connect.ValidatedKey{
		{Name: "tasks.max"},
		{Name: "loadBalancing.localDc", Errors: []string{"no such datacenter"}, RecommendedValues: []string{"dc1", "dc2"}},
		{Name: "required.key", Errors: []string{"Missing required configuration"}},
	}})
	want := []string{
		"sinks[0].cassandra.localDc (loadBalancing.localDc): the worker rejects it: no such datacenter (hint: the worker recommends: dc1, dc2)",
		"sinks[0]: required.key (not set by the manifest): the worker rejects it: Missing required configuration (hint: correct the value in the manifest)",
	}
	var lines []string
	for _, f := range got {
		if f.Severity != diff.SevError || !strings.HasPrefix(f.Where, "m.yaml:") {
			t.Errorf("not a located error: %+v", f)
		}
		lines = append(lines, f.Message+" (hint: "+f.Hint+")")
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	got = verdictFindings(tg, &connect.Validation{ErrorCount: 1})
	if len(got) != 1 || got[0].Message != "the worker reports 1 error(s) in the config without naming a key" {
		t.Errorf("an error without a key: %s", dumpFindings(got))
	}
	if got := verdictFindings(tg, &connect.Validation{Configs: []connect.ValidatedKey{{Name: "topics"}}}); len(got) != 0 {
		t.Errorf("a clean verdict: %s", dumpFindings(got))
	}
}
