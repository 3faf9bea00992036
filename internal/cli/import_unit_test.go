package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// import's flags and targets are decided before any request: these tests
// need no worker.

func TestImportFlagsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    importFlags
		want string // "" for valid
	}{
		{name: "a URL and a cluster", f: importFlags{urls: files{"http://127.0.0.1:38083"}, cluster: "c"}},
		{name: "manifests", f: importFlags{files: files{"m.yaml"}}},
		{name: "nothing", f: importFlags{}, want: "nothing to read"},
		{name: "a URL without a cluster", f: importFlags{urls: files{"http://w:8083"}}, want: "--url needs --cluster NAME"},
		{name: "REST flags with -f", f: importFlags{files: files{"m.yaml"}, user: "u"}, want: "the REST flags go with --url"},
		{name: "a cert without its key", f: importFlags{urls: files{"https://w:8443"}, cluster: "c", certFile: "c.pem"}, want: "--cert-file and --key-file go together"},
		{name: "a password without a user", f: importFlags{urls: files{"http://w:8083"}, cluster: "c", passwordEnv: "PW"}, want: "--password-env needs --user"},
		{name: "a negative timeout", f: importFlags{urls: files{"http://w:8083"}, cluster: "c", timeout: -time.Second}, want: "--timeout must be positive"},
		{name: "not an http URL", f: importFlags{urls: files{"ftp://w:21"}, cluster: "c"}, want: "not an http(s)://host:port URL"},
		{name: "a URL without a host", f: importFlags{urls: files{"http://"}, cluster: "c"}, want: "not an http(s)://host:port URL"},
		{name: "a header without a colon", f: importFlags{urls: files{"http://w:8083"}, cluster: "c", headers: files{"X-Token"}}, want: "write NAME: VALUE"},
		{name: "a bad glob", f: importFlags{files: files{"m.yaml"}, connectors: files{"orders-["}}, want: `--connector "orders-["`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("check: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("check = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWorkerName(t *testing.T) {
	for u, want := range map[string]string{
		"http://127.0.0.1:38083":      "127.0.0.1-38083",
		"https://connect.example.com": "connect.example.com-443",
		"http://connect-1":            "connect-1-80",
		"http://[::1]:8083":           "--1-8083",
		"http://w%zz":                 "worker",
	} {
		if got := workerName(u); got != want {
			t.Errorf("workerName(%q) = %q, want %q", u, got, want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	if !matchAny(nil, "anything") {
		t.Error("no glob matches everything")
	}
	globs := []string{"orders-*", "clicks"}
	for name, want := range map[string]bool{"orders-eu": true, "clicks": true, "clicks-2": false, "other": false} {
		if got := matchAny(globs, name); got != want {
			t.Errorf("matchAny(%q) = %v", name, got)
		}
	}
}

func TestRestFromFlags(t *testing.T) {
	r := restFromFlags(importFlags{caFile: "ca.pem", certFile: "c.pem", keyFile: "k.pem", insecure: true,
		user: "admin", passwordEnv: "CONNECT_PW", headers: files{"X-Team: data ", "X-Env:prod"}})
	if r.TLS != (manifest.RESTTLS{CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem", InsecureSkipVerify: true}) {
		t.Errorf("TLS = %+v", r.TLS)
	}
	if r.Auth == nil || r.Auth.Username.Text != "admin" || r.Auth.Password.SecretEnv() != "CONNECT_PW" {
		t.Errorf("auth = %+v", r.Auth)
	}
	if len(r.Headers) != 2 || r.Headers["X-Team"].Text != "data" || r.Headers["X-Env"].Text != "prod" {
		t.Errorf("headers = %+v", r.Headers)
	}
	if r := restFromFlags(importFlags{}); r.Auth != nil || r.Headers != nil {
		t.Errorf("no flags: %+v", r)
	}
}

const importTargetsManifest = `version: 1
clusters:
  - name: a
    bootstrapServers: [kafka:9092]
    groupId: connect-a
    storage: {config: {topic: a-configs}, offset: {topic: a-offsets}, status: {topic: a-status}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
    rest: {basicAuth: {username: ops, password: {secretEnv: OPS_PW}}}
  - name: empty
    bootstrapServers: [kafka:9092]
    groupId: connect-empty
    storage: {config: {topic: e-configs}, offset: {topic: e-offsets}, status: {topic: e-status}}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
  - {name: a-1, cluster: a, url: http://connect-1:8083}
  - {name: a-2, cluster: a, url: http://connect-2:8083/}
`

// TestImportTargets: which clusters and workers import reads, and with which
// REST settings.
func TestImportTargets(t *testing.T) {
	m, ds := manifest.Parse("m.yaml", []byte(importTargetsManifest))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	names := func(ts []importTarget) []string {
		var out []string
		for _, t := range ts {
			s := t.name + ":"
			for _, w := range t.workers {
				s += " " + w.Name
			}
			out = append(out, s)
		}
		return out
	}
	ts, err := importTargets(m, importFlags{})
	if err != nil || !cmp.Equal([]string{"a: a-1 a-2"}, names(ts)) {
		t.Errorf("every cluster with workers: %v %v", names(ts), err)
	}
	if _, err := importTargets(m, importFlags{cluster: "empty"}); err == nil || !strings.Contains(err.Error(), "cluster empty declares no worker") {
		t.Errorf("a cluster without workers: %v", err)
	}
	if _, err := importTargets(m, importFlags{cluster: "nope"}); err == nil || !strings.Contains(err.Error(), "no manifest declares cluster nope") {
		t.Errorf("an unknown cluster: %v", err)
	}
	if _, err := importTargets(&manifest.Manifest{}, importFlags{}); err == nil || !strings.Contains(err.Error(), "declare no cluster with workers") {
		t.Errorf("no cluster: %v", err)
	}

	// --url: a declared worker keeps its name, another is named after its
	// address; the declared cluster's REST settings apply unless flags say otherwise.
	ts, err = importTargets(m, importFlags{cluster: "a", urls: files{"http://connect-2:8083", "http://10.0.0.9:8083/"}})
	if err != nil || !cmp.Equal([]string{"a: a-2 10.0.0.9-8083"}, names(ts)) {
		t.Fatalf("by URL: %v %v", names(ts), err)
	}
	if ts[0].cluster.REST.Auth == nil || ts[0].cluster.REST.Auth.Username.Text != "ops" {
		t.Errorf("the declared cluster's REST settings were not used: %+v", ts[0].cluster.REST)
	}
	ts, _ = importTargets(m, importFlags{cluster: "a", urls: files{"http://connect-1:8083"}, user: "other"})
	if ts[0].cluster.REST.Auth == nil || ts[0].cluster.REST.Auth.Username.Text != "other" {
		t.Errorf("the flags did not win: %+v", ts[0].cluster.REST)
	}
	ts, _ = importTargets(nil, importFlags{cluster: "new", urls: files{"http://connect-1:8083"}})
	if !cmp.Equal([]string{"new: connect-1-8083"}, names(ts)) {
		t.Errorf("without manifests: %v", names(ts))
	}
}

// TestWorkerFiles: the workers' properties come from --workers-dir, or from
// every worker's propertiesFile; a worker given by URL finds its file by the
// endpoint it advertises.
func TestWorkerFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	props := "bootstrap.servers=kafka:9092\ngroup.id=connect-a\nrest.advertised.host.name=10.0.0.9\nrest.advertised.port=8083\n"
	write("out/a/workers/w9/connect-distributed.properties", props)
	tg := importTarget{name: "a", workers: []*manifest.Worker{{Name: "10.0.0.9-8083", Cluster: "a", URL: "http://10.0.0.9:8083"}}}
	fs, err := workerFiles(tg, importFlags{workersDir: filepath.Join(dir, "out")})
	if err != nil || len(fs) != 1 || fs[0].Name != "w9" || fs[0].URL != "http://10.0.0.9:8083" {
		t.Fatalf("from --workers-dir: %+v %v", fs, err)
	}

	p := write("w1.properties", props)
	tg = importTarget{name: "a", workers: []*manifest.Worker{{Name: "w1", Cluster: "a", URL: "http://connect-1:8083", PropertiesFile: p}}}
	fs, err = workerFiles(tg, importFlags{})
	if err != nil || len(fs) != 1 || fs[0].Name != "w1" || fs[0].URL != "http://connect-1:8083" {
		t.Fatalf("from propertiesFile: %+v %v", fs, err)
	}
	tg.workers = append(tg.workers, &manifest.Worker{Name: "w2", Cluster: "a", URL: "http://connect-2:8083"})
	if fs, err := workerFiles(tg, importFlags{}); fs != nil || err != nil {
		t.Errorf("a worker without a file: none is read: %+v %v", fs, err)
	}
	tg.workers = tg.workers[:1]
	tg.workers[0].PropertiesFile = filepath.Join(dir, "missing.properties")
	if _, err := workerFiles(tg, importFlags{}); err == nil {
		t.Error("a missing propertiesFile is no error")
	}
}

func TestStallIntervalFlag(t *testing.T) {
	var f durationFlag
	if f.interval() != -1 {
		t.Error("unset: the workers' commit interval")
	}
	if err := f.Set("10s"); err != nil || f.interval() != 10*time.Second || f.String() != "10s" {
		t.Errorf("10s: %v %v", f.interval(), err)
	}
	if err := f.Set("0s"); err != nil || f.interval() != 0 {
		t.Errorf("0s (one reading): %v %v", f.interval(), err)
	}
	for _, bad := range []string{"-1s", "ten", "10"} {
		if err := f.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
