package manifest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// TestLoadManyFilesKeepsOrder loads a directory of files, some with
// mistakes, which Load parses at once: the manifest and the diagnostics must
// be those of reading the files one after the other.
func TestLoadManyFilesKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 0; i < 12; i++ {
		body := fmt.Sprintf("version: 1\nsinks:\n  - {name: s%02d-a, cluster: c, class: org.example.Sink, topics: {t: {}}}\n  - {name: s%02d-b, cluster: c, class: org.example.Sink, topics: {t: {}}}\n", i, i)
		switch i % 4 {
		case 1:
			body += "bogus: 1\n"
		case 2:
			body = "version: 1\nsinks: [\n"
		}
		f := filepath.Join(dir, fmt.Sprintf("m%02d.yaml", i))
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	m, ds := manifest.Load(dir)

	want := &manifest.Manifest{}
	var wantDiags manifest.Diagnostics
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		part, pds := manifest.Parse(f, data)
		want.Files = append(want.Files, part.Files...)
		want.Sinks = append(want.Sinks, part.Sinks...)
		wantDiags = append(wantDiags, pds...)
	}
	wantDiags = wantDiags.Sort()
	names := func(m *manifest.Manifest) []string {
		var out []string
		for _, s := range m.Sinks {
			out = append(out, s.Name+"@"+s.Origin.Src.File)
		}
		return out
	}
	if d := cmp.Diff(want.Files, m.Files); d != "" {
		t.Errorf("files (-one after the other +at once):\n%s", d)
	}
	if d := cmp.Diff(names(want), names(m)); d != "" {
		t.Errorf("sinks (-one after the other +at once):\n%s", d)
	}
	if d := cmp.Diff(wantDiags.Error(), ds.Error()); d != "" {
		t.Errorf("diagnostics (-one after the other +at once):\n%s", d)
	}
}
