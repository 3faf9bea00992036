package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestEndsInBlock checks the line reader Preview relies on: a line that
// ends inside a quoted scalar or a flow collection must be seen as such,
// and quotes and brackets inside plain text must not open anything.
func TestEndsInBlock(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"version: 1", true},
		{"  - {name: perf-0001, cluster: local, topics: {perf-0001: {}}, config: {file: /dev/null}}", true},
		{`    description: it's plain, and a[1] too`, true},
		{`    url: http://a:8083 # a "comment`, true},
		{`    text: "a \" b" # done`, true},
		{`    text: 'it''s' `, true},
		{`    text: "open`, false},
		{`    text: 'open`, false},
		{`    text: 'it''s`, false},
		{"    list: [a, b,", false},
		{"    map: {a: b", false},
		{`    flow: {"a":"b}`, false},
		{`    flow: {a: x:"y, b: "z}`, false},
		{"    list: [*alias]", false},
		{`    flow: {a: x:"y"}`, true},
		{"    flow: [a, b]", true},
		{"    at: @x", false},
		{"    block: |", true},
		{"    key: a # b [", true},
		{"    key: a#b [", true},
		{"  - &anchor {a: 1}", true},
	} {
		if got := endsInBlock([]byte(tc.line)); got != tc.want {
			t.Errorf("endsInBlock(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

// TestPreviewMatchesLoad previews files and checks that what it returns is
// what Load returns, value for value (positions included), and that it
// gives up on a file whose top level it cannot read line by line.
func TestPreviewMatchesLoad(t *testing.T) {
	head, err := os.ReadFile("../examples/production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("production.yaml", string(head))
	full, ds := Load(ok)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	pre := Preview(ok)
	if pre == nil {
		t.Fatal("no preview of examples/production.yaml")
	}
	if why := PreviewDiffers(pre, full); why != "" {
		t.Fatal(why)
	}
	if len(pre.Workers) == 0 {
		t.Fatal("the preview has no workers")
	}
	if len(pre.Sinks) != 0 {
		t.Fatal("the preview decoded sinks")
	}
	for name, text := range map[string]string{
		"multi-line quote": "version: 1\nsinks:\n  - name: \"a\nworkers:\n  - {name: w, cluster: c, url: 'http://x'}  # \"\n",
		"document marker":  "---\nversion: 1\n",
		"twice":            "version: 1\nworkers: []\nworkers: []\n",
		"quoted key":       "version: 1\n\"workers\": []\n",
		"invalid cluster":  "version: 1\nclusters:\n  - name: c\n    rest: {timeout: soon}\n",
		"alias to a sink":  "version: 1\nsinks:\n  - &s {name: a}\nworkers:\n  - *s\n",
	} {
		if pre := Preview(write(name+".yaml", text)); pre != nil {
			t.Errorf("%s: previewed, want nil", name)
		}
	}
}

// PreviewDiffers says how a preview's clusters and workers differ from
// those Load read, or "" when they are the same. The Origins' sources
// differ (the preview's records fewer paths); everything else must be
// equal. Exported for FuzzPreview, in package manifest_test.
func PreviewDiffers(pre, full *Manifest) string {
	if len(pre.Clusters) != len(full.Clusters) || len(pre.Workers) != len(full.Workers) {
		return fmt.Sprintf("the preview has %d clusters and %d workers, Load %d and %d",
			len(pre.Clusters), len(pre.Workers), len(full.Clusters), len(full.Workers))
	}
	for i := range full.Clusters {
		a, b := *pre.Clusters[i], *full.Clusters[i]
		a.Src, b.Src = nil, nil
		if !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("cluster %q: the preview differs from Load", b.Name)
		}
	}
	for i := range full.Workers {
		a, b := *pre.Workers[i], *full.Workers[i]
		a.Src, b.Src = nil, nil
		if !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("worker %q: the preview differs from Load", b.Name)
		}
	}
	return ""
}
