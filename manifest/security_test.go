package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Security cases of issue 9 for the manifest. docs/security.md maps each
// defect to its test.

const userinfoHeader = `version: 1
clusters:
  - name: main
    bootstrapServers: [kafka-1:9092]
    groupId: connect-main
    storage:
      config: {topic: connect-main-configs}
      offset: {topic: connect-main-offsets}
      status: {topic: connect-main-status}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
`

// Defect 3: a URL with user:password@ is rejected at validate, at its
// location, pointing to rest.basicAuth, and the credentials are never
// echoed, whether the URL parses or not, whatever its scheme.
func TestSecurityURLCredentialsRejectedAndNeverEchoed(t *testing.T) {
	for _, tc := range []struct{ worker, where string }{
		{`{name: w1, cluster: main, url: "http://admin:Pw-CANARY@connect-1:8083"}`, "workers[0].url"},
		{`{name: w1, cluster: main, url: "https://admin:Pw-CANARY@connect-1:8443/prefix"}`, "workers[0].url"},
		{`{name: w1, cluster: main, url: "ftp://admin:Pw-CANARY@connect-1"}`, "workers[0].url"},
		{`{name: w1, cluster: main, url: "http://Pw-CANARY@connect-1:8083"}`, "workers[0].url"},
		{`{name: w1, cluster: main, url: "http://admin:Pw-CANARY@[::1:8083"}`, "workers[0].url"},
		{`{name: w1, cluster: main, url: "http://admin:Pw%zzCANARY@connect-1:8083"}`, "workers[0].url"},
		{`{name: w1, cluster: main, url: "http://connect-1:8083", listeners: ["http://admin:Pw-CANARY@0.0.0.0:8083"]}`, "workers[0].listeners[0]"},
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "connect.yaml")
		if err := os.WriteFile(p, []byte(userinfoHeader+"  - "+tc.worker+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, ds := check(p)
		all := strings.Join(lines(ds), "\n")
		if strings.Contains(all, "CANARY") || strings.Contains(all, "admin") {
			t.Errorf("%s: a diagnostic echoes the credentials:\n%s", tc.worker, all)
		}
		found := false
		for _, d := range ds.Errors() {
			if d.Path == tc.where && strings.Contains(d.Message, "credentials") && d.Pos.Line == 14 {
				found = true
				if tc.where == "workers[0].url" && !strings.Contains(d.Hint, "rest.basicAuth") {
					t.Errorf("%s: the hint does not point to rest.basicAuth: %s", tc.worker, d)
				}
			}
		}
		if !found {
			t.Errorf("%s: no located error at %s about credentials:\n%s", tc.worker, tc.where, all)
		}
	}
}
