package apply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// TestReaderReadsItsPreview: a reader made from a manifest's preview
// reads what the loaded manifest declares, REST secrets and durations
// included, so that plan keeps the read it started early; and it does
// not when a worker or a REST setting differs.
func TestReaderReadsItsPreview(t *testing.T) {
	const text = `version: 1
clusters:
  - name: c
    bootstrapServers: [127.0.0.1:39092]
    groupId: g
    storage:
      config: {topic: c-configs}
      offset: {topic: c-offsets}
      status: {topic: c-status}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
    rest:
      basicAuth: {username: admin, password: {secretEnv: PW}}
      headers: {X-Token: {secretFile: token.txt}}
      timeout: 30s
      retryFor: 2m
workers:
  - {name: w1, cluster: c, url: "http://127.0.0.1:38083"}
sinks:
  - {name: s, cluster: c, class: org.example.Sink, topics: {t: {}}}
`
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "m.yaml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte("t0k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := manifest.EnvResolver{Env: func(string) (string, bool) { return "pw", true }}
	pre := manifest.Preview(write(text))
	if pre == nil {
		t.Fatal("no preview")
	}
	r, err := NewReader(pre, ReaderOptions{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		want       bool
	}{
		{"the same", text, true},
		{"another url", strings.Replace(text, "38083", "38084", 1), false},
		{"another timeout", strings.Replace(text, "timeout: 30s", "timeout: 31s", 1), false},
		{"another secret", strings.Replace(text, "secretEnv: PW", "secretEnv: PW2", 1), false},
	} {
		m, ds := manifest.Load(write(tc.text))
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tc.name, ds)
		}
		if got := r.Reads(m); got != tc.want {
			t.Errorf("%s: Reads = %v, want %v", tc.name, got, tc.want)
		}
	}
}
