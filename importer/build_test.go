package importer

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/object"
	"github.com/google/go-cmp/cmp"
)

// TestBuildLayoutAndDeclared: -o DIR gets a file per sink and one for the
// cluster's workers; declared objects are left out unless --overwrite and
// they live in the very file import would write.
func TestBuildLayoutAndDeclared(t *testing.T) {
	dir := "out"
	in := []ClusterInput{{
		Name:       "prod",
		Workers:    []WorkerRef{{Name: "w1", URL: "http://w1:8083"}},
		Connectors: liveConnectors(),
	}}
	paths := func(r *Result) []string {
		var out []string
		for _, f := range r.Files {
			out = append(out, filepath.ToSlash(f.Path))
		}
		return out
	}
	all := Build(in, DeclaredBy(nil), Options{Layout: Layout{Dir: dir}})
	want := []string{"out/prod.yaml", "out/prod/audit-to-file.yaml", "out/prod/clicks-to-file.yaml",
		"out/prod/masked.yaml", "out/prod/orders-to-cassandra.yaml"}
	if d := cmp.Diff(want, paths(all)); d != "" {
		t.Fatalf("files (-want +got):\n%s", d)
	}

	declared := Declared{
		Clusters:   map[string]string{},
		WorkerURLs: map[string]string{"http://w1:8083": "mine.yaml"},
		Sinks: map[object.Ref]string{
			object.SinkRef("prod", "masked"):         "mine.yaml",
			object.SinkRef("prod", "clicks-to-file"): filepath.Join(dir, "prod", "clicks-to-file.yaml"),
		},
	}
	for _, tc := range []struct {
		overwrite bool
		want      []string
	}{
		{false, []string{"out/prod/audit-to-file.yaml", "out/prod/orders-to-cassandra.yaml"}},
		{true, []string{"out/prod/audit-to-file.yaml", "out/prod/clicks-to-file.yaml", "out/prod/orders-to-cassandra.yaml"}},
	} {
		r := Build(in, declared, Options{Layout: Layout{Dir: dir}, Overwrite: tc.overwrite})
		if d := cmp.Diff(tc.want, paths(r)); d != "" {
			t.Errorf("overwrite=%v: files (-want +got):\n%s", tc.overwrite, d)
		}
		var skipped []string
		for _, n := range r.Notes {
			if n.Kind == Skipped {
				skipped = append(skipped, n.Subject.String())
			}
		}
		if !strings.Contains(strings.Join(skipped, ","), "sink prod/masked") {
			t.Errorf("overwrite=%v: masked, declared in another file, was not skipped: %v", tc.overwrite, skipped)
		}
	}

	// One file: everything in one document; the same bytes every time.
	one := Build(in, DeclaredBy(nil), Options{Layout: Layout{File: "all.yaml"}})
	again := Build(in, DeclaredBy(nil), Options{Layout: Layout{File: "all.yaml"}})
	if len(one.Files) != 1 || string(one.Files[0].Data) != string(again.Files[0].Data) {
		t.Fatalf("one file, twice: %d files, same=%v", len(one.Files), len(one.Files) == 1 && string(one.Files[0].Data) == string(again.Files[0].Data))
	}
	for _, f := range append(all.Files, one.Files...) {
		if strings.Contains(string(f.Data), canary) {
			t.Fatalf("the canary is in %s", f.Path)
		}
	}
}
