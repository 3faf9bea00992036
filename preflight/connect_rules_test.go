package preflight_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/manifest"
)

// TestConnectSinkRulesAgreeWithWorker confirms each of Kafka Connect's own
// sink rules that validate mirrors offline (manifest.CheckConnect, corpus
// cases 98 to 110) against the real worker: the raw config that validate
// rejects is PUT to the worker's validate endpoint (which saves nothing),
// and the worker must report an error on the same key. A valid config is
// the control: neither side may complain about it.
func TestConnectSinkRulesAgreeWithWorker(t *testing.T) {
	c := testcluster.Get(t)
	const class = "org.apache.kafka.connect.file.FileStreamSinkConnector"
	cases := []struct {
		file string
		keys []string // the worker must report an error on one of these
	}{
		{"98-connect-topics-and-regex", []string{"topics", "topics.regex"}},
		{"99-connect-dlq-in-topics", []string{"topics"}},
		{"100-connect-dlq-matches-regex", []string{"topics.regex"}},
		{"101-connect-errors-tolerance-case", []string{"errors.tolerance"}},
		{"102-connect-errors-tolerance-unknown", []string{"errors.tolerance"}},
		{"103-connect-errors-retry-timeout", []string{"errors.retry.timeout"}},
		{"104-connect-errors-retry-delay", []string{"errors.retry.delay.max.ms"}},
		{"105-connect-errors-log-enable", []string{"errors.log.enable"}},
		{"106-connect-transform-without-type", []string{"transforms.route.type"}},
		{"107-connect-transform-twice", []string{"transforms"}},
		{"108-connect-predicate-without-type", []string{"predicates.isTombstone.type"}},
		{"109-connect-converter-not-a-class", []string{"value.converter"}},
		{"110-connect-dlq-replication-factor", []string{"errors.deadletterqueue.topic.replication.factor"}},
		{"tasks-max-zero", []string{"tasks.max"}},
		{"valid", nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var path string
			switch tc.file {
			case "tasks-max-zero", "valid":
				tasks := map[string]string{"tasks-max-zero": "0", "valid": "2"}[tc.file]
				path = filepath.Join(t.TempDir(), tc.file+".yaml")
				src := strings.Replace(connectRulesBase, "TASKS", tasks, 1)
				if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			default:
				path = filepath.Join("..", "manifest", "testdata", "invalid", tc.file+".yaml")
			}
			m, ds := manifest.Load(path)
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			offline := manifest.Validate(m).Errors()
			switch {
			case tc.keys == nil && len(offline) > 0:
				t.Fatalf("validate rejects the valid config: %v", offline)
			case tc.keys != nil && len(offline) == 0:
				t.Fatal("validate accepts the broken config")
			}
			cfg, _ := manifest.RenderSink(m.Sinks[0], manifest.Unresolved{})
			body := map[string]string{"name": "files-rules-check"}
			for k, v := range cfg.Values {
				body[k] = v
			}
			errs := workerValidate(t, c.WorkerURLs[0], class, body)
			if tc.keys == nil {
				if len(errs) > 0 {
					t.Fatalf("the worker rejects the valid config: %v", errs)
				}
				return
			}
			for _, k := range tc.keys {
				if len(errs[k]) > 0 {
					t.Logf("offline: %s\nworker:  %s: %s", offline[0].Message, k, errs[k][0])
					return
				}
			}
			t.Fatalf("validate says %q, but the worker reports no error on %v (it reports %v)", offline[0].Message, tc.keys, errs)
		})
	}
}

const connectRulesBase = `version: 1
clusters:
  - name: main
    groupId: connect-main
    bootstrapServers: [kafka-1:9092]
    storage:
      config: {topic: connect-main-configs}
      offset: {topic: connect-main-offsets}
      status: {topic: connect-main-status}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
  - {name: w1, cluster: main, url: http://connect-1:8083}
sinks:
  - name: orders-file
    cluster: main
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    tasksMax: TASKS
    config:
      file: /tmp/orders.txt
      topics: orders
      errors.tolerance: all
      errors.deadletterqueue.topic.name: orders-dlq
      transforms: route
      transforms.route.type: org.apache.kafka.connect.transforms.RegexRouter
      transforms.route.regex: "(.*)"
      transforms.route.replacement: "$1-x"
`

// workerValidate PUTs a raw config to the worker's validate endpoint and
// returns the errors it reports, by key.
func workerValidate(t *testing.T, worker, class string, config map[string]string) map[string][]string {
	t.Helper()
	b, _ := json.Marshal(config)
	req, err := http.NewRequest(http.MethodPut, worker+"/connector-plugins/"+class+"/config/validate", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string   `json:"name"`
				Errors []string `json:"errors"`
			} `json:"value"`
		} `json:"configs"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("validate: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	errs := map[string][]string{}
	for _, c := range out.Configs {
		if len(c.Value.Errors) > 0 {
			errs[c.Value.Name] = c.Value.Errors
		}
	}
	if (out.ErrorCount > 0) != (len(errs) > 0) {
		t.Fatalf("error_count %d, but errors on %d keys", out.ErrorCount, len(errs))
	}
	return errs
}
