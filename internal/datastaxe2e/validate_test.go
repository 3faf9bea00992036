package datastaxe2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestValidateEndpoint records what PUT /connector-plugins/{class}/config/validate
// answers for the DataStax class: the connector's global ConfigDef keys and Connect's
// own are checked there, the topic, table and mapping settings are not (they fail only
// when a task starts: TestConnectorVerdict). Then plan places the worker's answer at the
// manifest line of the key, for a key only the worker can judge: a converter class
// that is not on its plugin path.
func TestValidateEndpoint(t *testing.T) {
	e := setup(t)
	cfg := map[string]string{
		"connector.class": dsClass, "name": "validate-probe", "topics": "orders", "tasks.max": "1",
		"contactPoints": "127.0.0.1", "loadBalancing.localDc": "datacenter1",
		"port": "0", "compression": "Zip", "jmx": "maybe",
		"header.converter":                        "com.example.NoSuchConverter",
		"topic.orders.shop.orders_by_id.ttl":      "-2",      // task-start only
		"topic.orders.shop.orders_by_id.mapping":  "id=valu", // task-start only
		"topic.orders.shop.orders_by_id.bogusKey": "1",       // task-start only
	}
	code, body, err := do(http.MethodPut, e.c.WorkerURLs[0]+"/connector-plugins/"+dsClass+"/config/validate", cfg)
	if err != nil || code != 200 {
		t.Fatalf("validate: %d %s %v", code, body, err)
	}
	var answer struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string
				Errors []string
			}
		}
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range answer.Configs {
		if len(c.Value.Errors) > 0 {
			got[c.Value.Name] = strings.Join(c.Value.Errors, "; ")
		}
	}
	for k, msg := range got {
		t.Logf("%s %s: %s", e.version, k, msg)
	}
	// compression is in the ConfigDef's validator on 1.5.0 only; 1.4.0 checks it when a
	// task starts (the verdict table shows both).
	for _, k := range []string{"port", "jmx", "header.converter"} {
		if got[k] == "" {
			t.Errorf("the worker does not flag %s", k)
		}
	}
	if e.version == "1.5.0" && got["compression"] == "" {
		t.Errorf("the worker does not flag compression")
	}
	for k := range cfg {
		if strings.HasPrefix(k, "topic.") && got[k] != "" {
			t.Errorf("the worker flags %s, which the notes say only a task checks: update docs/preflight.md", k)
		}
	}
	if answer.ErrorCount != len(got) {
		t.Errorf("error_count %d, but %d keys carry errors", answer.ErrorCount, len(got))
	}

	// plan maps the worker's answer to the manifest line of the key.
	name := "ds-validate"
	e.cleanup(name)
	m := e.manifest(fmt.Sprintf(`  - name: %s
    cluster: local
    cassandra: {contactPoints: [127.0.0.1], port: 39042, localDc: datacenter1}
    topics:
      orders:
        tables:
          - {keyspace: shop, table: orders_by_id, mapping: "order_id=key, customer=value.customer"}
    config:
      header.converter: com.example.NoSuchConverter
`, name))
	r := connectsync(nil, "plan", "-f", m, "--target", "local/"+name)
	src, _ := os.ReadFile(m)
	line := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "com.example.NoSuchConverter") {
			line = i + 1
		}
	}
	want := fmt.Sprintf("%s:%d:", m, line)
	if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "header.converter") {
		t.Fatalf("plan should fail at %s with the worker's verdict on header.converter:\n%s", want, r)
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Contains(l, want) {
			t.Logf("plan: %s", strings.TrimSpace(l))
		}
	}
}
