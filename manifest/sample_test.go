package manifest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// TestSampleRecords: preflight.sampleRecords is the sink's, else its
// cluster's, else 0 (no sampling, no Kafka I/O); out-of-range values are
// errors at the field.
func TestSampleRecords(t *testing.T) {
	const head = `version: 1
clusters:
  - name: c
    groupId: g
    bootstrapServers: [127.0.0.1:9092]
    storage: {config: {topic: cfg}, offset: {topic: off}, status: {topic: st}}
    converters: {key: {class: org.apache.kafka.connect.storage.StringConverter}, value: {class: org.apache.kafka.connect.storage.StringConverter}}
%s
workers:
  - {name: w, cluster: c, url: http://127.0.0.1:8083}
sinks:
  - name: s
    cluster: c
    topics:
      t:
        tables: [{keyspace: ks, table: tb, mapping: "id=key"}]
%s
`
	cases := []struct {
		name, cluster, sink string
		want                int
		problem             string
	}{
		{"unset", "", "", 0, ""},
		{"cluster", "    preflight: {sampleRecords: 20}", "", 20, ""},
		{"sink overrides", "    preflight: {sampleRecords: 20}", "    preflight: {sampleRecords: 0}", 0, ""},
		{"sink only", "", "    preflight: {sampleRecords: 5}", 5, ""},
		{"cassandraSchema alone keeps the cluster's", "    preflight: {sampleRecords: 7}", "    preflight: {cassandraSchema: true}", 7, ""},
		{"negative", "", "    preflight: {sampleRecords: -1}", 0, "m.yaml:17:32: sinks[0].preflight.sampleRecords: sampleRecords -1 is out of range"},
		{"too many", "    preflight: {sampleRecords: 10001}", "", 10000, "m.yaml:8:32: clusters[0].preflight.sampleRecords: sampleRecords 10001 is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, ds := manifest.Parse("m.yaml", []byte(fmt.Sprintf(head, c.cluster, c.sink)))
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			vs := manifest.Validate(m)
			var errs []string
			for _, d := range vs {
				if d.Severity == manifest.Error {
					errs = append(errs, d.String())
				}
			}
			if c.problem == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				if got := manifest.SampleRecords(m.Clusters[0], m.Sinks[0]); got != c.want {
					t.Errorf("SampleRecords = %d, want %d", got, c.want)
				}
				return
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0], c.problem) || !strings.Contains(errs[0], "hint:") {
				t.Errorf("errors = %q, want one starting %q with a hint", errs, c.problem)
			}
		})
	}
}
