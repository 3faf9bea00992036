package manifest_test

import (
	"fmt"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// TestExplicitFalse covers the boolean fields that are not rendered: an
// explicit false is honoured, and an absent value (preflight: {}) is not
// taken for false. A sink's preflight: {} used to switch off its cluster's
// cassandraSchema: true.
func TestExplicitFalse(t *testing.T) {
	const head = `version: 1
clusters:
  - name: c
    groupId: g
%s
sinks:
  - name: s
    cluster: c
%s
`
	cases := []struct {
		name, cluster, sink string
		want                bool
	}{
		{"both unset", "", "", false},
		{"cluster true, sink unset", "    preflight: {cassandraSchema: true}", "", true},
		{"cluster true, sink empty preflight", "    preflight: {cassandraSchema: true}", "    preflight: {}", true},
		{"cluster true, sink false", "    preflight: {cassandraSchema: true}", "    preflight: {cassandraSchema: false}", false},
		{"cluster false, sink true", "    preflight: {cassandraSchema: false}", "    preflight: {cassandraSchema: true}", true},
		{"cluster false, sink unset", "    preflight: {cassandraSchema: false}", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte(fmt.Sprintf(head, c.cluster, c.sink))
			m, ds := manifest.Parse("m.yaml", src)
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			if got := manifest.WantsCassandraSchema(m.Clusters[0], m.Sinks[0]); got != c.want {
				t.Errorf("WantsCassandraSchema = %v, want %v", got, c.want)
			}
		})
	}
	m, ds := manifest.Parse("m.yaml", []byte("version: 1\nclusters:\n  - name: c\n    rest: {tls: {insecureSkipVerify: false}}\n    prune: {enabled: false}\n"))
	if ds.HasErrors() || m.Clusters[0].REST.TLS.InsecureSkipVerify || m.Clusters[0].Prune.Enabled {
		t.Fatalf("explicit false read as true: %v", ds)
	}
}
