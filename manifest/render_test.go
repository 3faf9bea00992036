package manifest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// testEnv is the environment the render tests resolve secrets from.
var testEnv = map[string]string{
	"CASSANDRA_PASSWORD":        "cassandra-secret-from-env",
	"KAFKA_TRUSTSTORE_PASSWORD": "kafka-truststore-secret",
	"AWS_SECRET_ACCESS_KEY":     "aws-secret-from-env",
}

func testResolver() manifest.Resolver {
	return manifest.EnvResolver{Env: func(name string) (string, bool) {
		v, ok := testEnv[name]
		return v, ok
	}}
}

// renderFiles loads, validates and renders manifests, failing the test on
// any error. Warnings are allowed.
func renderFiles(t *testing.T, res manifest.Resolver, paths ...string) []manifest.File {
	t.Helper()
	m, ds := check(paths...)
	if ds.HasErrors() {
		t.Fatalf("manifest has errors:\n%v", ds)
	}
	r, rds := manifest.Render(m, res)
	if rds.HasErrors() {
		t.Fatalf("render failed:\n%v", rds)
	}
	return r.Files()
}

// TestRenderGolden renders every manifest under testdata/render and compares
// each file with testdata/render/<name>.golden/<path>, and the file modes
// with <name>.golden/MODES. go test ./manifest -update rewrites them.
func TestRenderGolden(t *testing.T) {
	manifests, err := filepath.Glob("testdata/render/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(manifests) == 0 {
		t.Fatal("no manifest under testdata/render")
	}
	for _, file := range manifests {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata/render", name+".golden")
			files := renderFiles(t, testResolver(), file)
			got := map[string]string{}
			var modes []string
			for _, f := range files {
				got[f.Path] = string(f.Data)
				modes = append(modes, fmt.Sprintf("%04o %s", f.Mode, f.Path))
			}
			sort.Strings(modes)
			got["MODES"] = strings.Join(modes, "\n") + "\n"
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for p, data := range got {
					path := filepath.Join(dir, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := readTree(t, dir)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rendered files differ from %s (-want +got):\n%s", dir, diff)
			}
		})
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatalf("%v (run go test ./manifest -update to create the golden files)", err)
	}
	return out
}

// TestRenderDeterministic renders every manifest in testdata/render (and,
// in TestExamples, the examples) several times, each from a fresh load, and
// compares the bytes.
func TestRenderDeterministic(t *testing.T) {
	manifests, _ := filepath.Glob("testdata/render/*.yaml")
	for _, file := range manifests {
		t.Run(filepath.Base(file), func(t *testing.T) {
			checkDeterministic(t, file)
		})
	}
}

func checkDeterministic(t *testing.T, paths ...string) {
	t.Helper()
	first := renderFiles(t, dummySecrets{}, paths...)
	for i := 0; i < 5; i++ {
		again := renderFiles(t, dummySecrets{}, paths...)
		if len(again) != len(first) {
			t.Fatalf("render %d gave %d files, the first %d", i+2, len(again), len(first))
		}
		for j := range first {
			if first[j].Path != again[j].Path || first[j].Mode != again[j].Mode ||
				!bytes.Equal(first[j].Data, again[j].Data) {
				t.Fatalf("render %d differs in %s", i+2, first[j].Path)
			}
		}
	}
}

// dummySecrets resolves every secret reference to a fixed text, for
// manifests whose secrets the test does not have.
type dummySecrets struct{}

func (dummySecrets) Resolve(v manifest.Value) (string, error) {
	if v.IsSecret() {
		return "dummy-secret-for-" + strings.ReplaceAll(v.Ref(), " ", "-"), nil
	}
	return v.Text, nil
}

// TestRenderSecretModes checks that exactly the files holding a resolved
// secret get mode 0600, and that the secret is in them.
func TestRenderSecretModes(t *testing.T) {
	files := renderFiles(t, testResolver(), "testdata/render/two-clusters.yaml")
	want := map[string]fs.FileMode{
		"eu/workers/eu-1/connect-distributed.properties": 0o600, // worker secretFile, cluster secretEnv
		"eu/workers/eu-2/connect-distributed.properties": 0o600, // cluster secretEnv
		"us/workers/us-1/connect-distributed.properties": 0o644,
		"us/workers/us-2/connect-distributed.properties": 0o644,
		"eu/connectors/orders.json":                      0o600,
		"us/connectors/audit.json":                       0o644,
		"us/connectors/audit-archive.json":               0o600,
	}
	got := map[string]fs.FileMode{}
	for _, f := range files {
		got[f.Path] = f.Mode
		hasSecret := false
		for _, s := range []string{"cassandra-secret-from-env", "kafka-truststore-secret", "aws-secret-from-env", "truststore-secret-from-file"} {
			hasSecret = hasSecret || strings.Contains(string(f.Data), s)
		}
		if hasSecret != (f.Mode == 0o600) {
			t.Errorf("%s: mode %04o, holds a secret: %v", f.Path, f.Mode, hasSecret)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
}

// TestRenderPassesProviderPlaceholders checks that Connect's own
// ${provider:path:key} placeholders reach the worker untouched.
func TestRenderPassesProviderPlaceholders(t *testing.T) {
	for _, f := range renderFiles(t, testResolver(), "testdata/render/two-clusters.yaml") {
		if f.Path != "eu/workers/eu-1/connect-distributed.properties" {
			continue
		}
		line := "sasl.jaas.config=${file:/etc/kafka/jaas.properties:connect}\n"
		if !strings.Contains(string(f.Data), line) {
			t.Errorf("%s lacks %q:\n%s", f.Path, line, f.Data)
		}
		return
	}
	t.Fatal("worker eu-1 not rendered")
}

// datastaxSample is the configuration of the DataStax distribution's
// conf/cassandra-sink-distributed.json.sample, key for key, as the REST API
// takes it: every value a string.
var datastaxSample = map[string]string{
	"connector.class":                       "com.datastax.oss.kafka.sink.CassandraSinkConnector",
	"tasks.max":                             "1",
	"topics":                                "my_topic",
	"contactPoints":                         "",
	"loadBalancing.localDc":                 "",
	"port":                                  "9042",
	"cloud.secureConnectBundle":             "",
	"ignoreErrors":                          "None",
	"maxConcurrentRequests":                 "500",
	"maxNumberOfRecordsInBatch":             "32",
	"queryExecutionTimeout":                 "30",
	"connectionPoolLocalSize":               "4",
	"jmx":                                   "true",
	"compression":                           "None",
	"auth.provider":                         "None",
	"auth.username":                         "",
	"auth.password":                         "",
	"auth.gssapi.keyTab":                    "",
	"auth.gssapi.principal":                 "",
	"auth.gssapi.service":                   "dse",
	"ssl.provider":                          "None",
	"ssl.hostnameValidation":                "true",
	"ssl.keystore.password":                 "",
	"ssl.keystore.path":                     "",
	"ssl.openssl.keyCertChain":              "",
	"ssl.openssl.privateKey":                "",
	"ssl.truststore.password":               "",
	"ssl.truststore.path":                   "",
	"ssl.cipherSuites":                      "",
	"socks.proxyHost":                       "",
	"socks.proxyPort":                       "",
	"topic.my_topic.my_ks.my_table.mapping": "col1=key.f1, col2=value.f1, __ttl=value.f2, __timestamp=value.f3, col3=header.f1, col4=now()",
	"topic.my_topic.my_ks.my_table.consistencyLevel":  "LOCAL_ONE",
	"topic.my_topic.my_ks.my_table.ttl":               "-1",
	"topic.my_topic.my_ks.my_table.ttlTimeUnit":       "SECONDS",
	"topic.my_topic.my_ks.my_table.timestampTimeUnit": "MICROSECONDS",
	"topic.my_topic.my_ks.my_table.nullToUnset":       "true",
	"topic.my_topic.my_ks.my_table.deletesEnabled":    "true",
	"topic.my_topic.codec.locale":                     "en_US",
	"topic.my_topic.codec.timeZone":                   "UTC",
	"topic.my_topic.codec.timestamp":                  "CQL_TIMESTAMP",
	"topic.my_topic.codec.date":                       "ISO_LOCAL_DATE",
	"topic.my_topic.codec.time":                       "ISO_LOCAL_TIME",
	"topic.my_topic.codec.unit":                       "MILLISECONDS",
}

// TestDataStaxSample renders the vendor's sample, written as a manifest, and
// checks that the JSON parses and carries exactly the sample's keys and
// values, every value a JSON string. The sample is the vendor's own and
// valid, so it must draw no error (its ttl -1 with a mapped __ttl draws no
// warning either: -1 means no table TTL).
func TestDataStaxSample(t *testing.T) {
	const file = "testdata/render/datastax-sample.yaml"
	_, ds := check(file)
	if len(ds) != 0 {
		t.Errorf("diagnostics for the vendor's sample:\n%v", ds)
	}
	files := renderFiles(t, testResolver(), file)
	var sink *manifest.File
	for i := range files {
		if files[i].Ref == object.SinkRef("sample", "cassandra-sink") {
			sink = &files[i]
		}
	}
	if sink == nil {
		t.Fatal("sink cassandra-sink not rendered")
	}
	if sink.Path != "sample/connectors/cassandra-sink.json" {
		t.Errorf("path %s", sink.Path)
	}
	var body struct {
		Name   string                     `json:"name"`
		Config map[string]json.RawMessage `json:"config"`
	}
	dec := json.NewDecoder(bytes.NewReader(sink.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("rendered JSON does not parse: %v\n%s", err, sink.Data)
	}
	if body.Name != "cassandra-sink" {
		t.Errorf("name %q, want cassandra-sink", body.Name)
	}
	got := map[string]string{}
	for k, raw := range body.Config {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Errorf("config[%q] = %s is not a JSON string", k, raw)
		}
		got[k] = s
	}
	if diff := cmp.Diff(datastaxSample, got); diff != "" {
		t.Errorf("config differs from the DataStax sample (-want +got):\n%s", diff)
	}
	if len(got) != 44 {
		t.Errorf("%d keys, the sample has 44", len(got))
	}
}
