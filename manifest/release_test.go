package manifest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// TestDecodedItemsSurviveAliases loads manifests whose top-level lists
// share nodes through anchors and aliases. The decoder drops each list
// item from the node tree once it has decoded it, to keep memory flat in
// the number of sinks; what an alias points at must still decode in full,
// wherever the alias is.
func TestDecodedItemsSurviveAliases(t *testing.T) {
	const src = `version: 1
clusters:
  - name: c
    groupId: g
    bootstrapServers: [k:9092]
workers:
  - &w {name: w1, cluster: c, url: "http://h:8083"}
sinks:
  - &s
    name: a
    cluster: c
    class: org.example.Sink
    topics: &t {orders: {}}
    config: &cfg {file: /dev/null}
  - *s
  - {name: b, cluster: c, class: org.example.Sink, topics: *t, config: *cfg}
`
	m, ds := manifest.Parse("m.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("diagnostics:\n%s", ds.Error())
	}
	if len(m.Sinks) != 3 || len(m.Workers) != 1 {
		t.Fatalf("got %d sinks and %d workers, want 3 and 1", len(m.Sinks), len(m.Workers))
	}
	for i, want := range []string{"a", "a", "b"} {
		s := m.Sinks[i]
		got := []any{s.Name, s.Cluster, s.Class, len(s.Topics), s.Config["file"].Text}
		if d := cmp.Diff([]any{want, "c", "org.example.Sink", 1, "/dev/null"}, got); d != "" {
			t.Errorf("sinks[%d] (-want +got):\n%s", i, d)
		}
	}
}
