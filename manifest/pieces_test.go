package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestPiecesMatchWholeFile parses large files in pieces and whole, and
// checks that both give the same manifest: the same values, the same
// positions of every path, the same diagnostics in the same order.
func TestPiecesMatchWholeFile(t *testing.T) {
	head := `version: 1
clusters:
  - name: local
    bootstrapServers: [127.0.0.1:39092]
    groupId: g
    prune: {enabled: true, keep: ["perf-*"]}
workers:
  - {name: w1, cluster: local, url: "http://127.0.0.1:38083"}
`
	var flow, block, broken strings.Builder
	flow.WriteString(head + "sinks:\n")
	block.WriteString(head + "# the sinks\nsinks:\n")
	broken.WriteString(head + "sinks:\n")
	for i := range 1203 {
		fmt.Fprintf(&flow, "  - {name: perf-%04d, cluster: local, class: org.example.Sink, state: stopped, topics: {perf-%d: {}}, config: {file: /dev/null}}\n", i, i)
		fmt.Fprintf(&block, "  - name: ds-%04d # a comment: \"quoted\n    cluster: local\n\n    topics:\n      orders-%d:\n        tables:\n          - {keyspace: shop, table: t%d, mapping: 'id=key, it''s=value.x'}\n    config:\n      note: |\n        - not an item\n        it's text\n", i, i, i)
		if i%97 == 0 {
			fmt.Fprintf(&broken, "  - {name: bad-%d, cluster: local, tasksMax: many, nosuch: field}\n", i)
		} else {
			fmt.Fprintf(&broken, "  - {name: ok-%d, cluster: local}\n  -\n", i)
		}
	}
	for name, text := range map[string]string{"flow": flow.String(), "block": block.String(), "broken": broken.String()} {
		if _, _, ok := splitSinks([]byte(text)); !ok {
			t.Errorf("%s: not cut in pieces", name)
			continue
		}
		parse := func(pieces bool) (*Manifest, Diagnostics) {
			inPieces = pieces
			defer func() { inPieces = true }()
			m := &Manifest{}
			return m, m.add(name+".yaml", ".", []byte(text))
		}
		whole, wds := parse(false)
		got, gds := parse(true)
		if !reflect.DeepEqual(gds, wds) {
			t.Errorf("%s: diagnostics differ:\nin pieces: %v\nwhole: %v", name, gds, wds)
		}
		if len(got.Sinks) != len(whole.Sinks) || len(whole.Sinks) < 1000 {
			t.Fatalf("%s: %d sinks in pieces, %d whole", name, len(got.Sinks), len(whole.Sinks))
		}
		if !reflect.DeepEqual(got.Sinks[0].Src.positions(), whole.Sinks[0].Src.positions()) {
			t.Errorf("%s: the recorded positions differ", name)
		}
		for i := range whole.Sinks {
			a, b := *got.Sinks[i], *whole.Sinks[i]
			a.Src, b.Src = nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: sinks[%d] differs:\nin pieces: %+v\nwhole: %+v", name, i, a, b)
			}
		}
	}
}

// TestSplitSinksGivesUp: files whose structure a line reader cannot be
// sure of are parsed whole.
func TestSplitSinksGivesUp(t *testing.T) {
	items := strings.Repeat("  - {name: a, cluster: c}\n", 2*pieceSinks)
	for name, text := range map[string]string{
		"anchor":         "version: 1\nsinks:\n  - &a {name: x}\n" + items,
		"alias":          "version: 1\nsinks:\n" + items + "  - *a\n",
		"sinks not last": "version: 1\nsinks:\n" + items + "workers: []\n",
		"unindented":     "version: 1\nsinks:\n" + strings.ReplaceAll(items, "  - ", "- "),
		"multi-line":     "version: 1\nsinks:\n  - {name: \"a\n" + items,
		"flow list":      "version: 1\nsinks: [\n" + items + "]\n",
		// A block scalar's line is read as YAML too, so a quote there gives
		// up (safely).
		"block scalar": "version: 1\nsinks:\n  - name: a\n    note: |\n      \"x\n" + items,
	} {
		if _, _, ok := splitSinks([]byte(text)); ok {
			t.Errorf("%s: cut in pieces", name)
		}
	}
}
