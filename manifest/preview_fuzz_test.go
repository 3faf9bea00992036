package manifest_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// FuzzPreview feeds arbitrary bytes to Preview, which plan uses to start
// its read before the manifest is loaded. Preview must never panic, and
// whenever it answers for a file that loads and validates, its clusters and
// workers must be the ones Load reads: a preview that disagrees costs plan
// a second read, and one that disagrees in a way plan's check missed would
// read a cluster the manifest does not declare.
//
//	go test ./manifest -run '^$' -fuzz FuzzPreview -fuzztime 5m
func FuzzPreview(f *testing.F) {
	for _, pattern := range []string{"../examples/*.yaml", "testdata/*/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range files {
			data, err := os.ReadFile(s)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		pre := manifest.Preview(path)
		if pre == nil {
			return
		}
		if len(pre.Sinks) != 0 {
			t.Fatal("the preview decoded sinks")
		}
		full, ds := manifest.Load(path)
		if ds.HasErrors() || manifest.Validate(full).HasErrors() {
			return
		}
		if len(pre.Clusters) != len(full.Clusters) || len(pre.Workers) != len(full.Workers) {
			t.Fatalf("the preview has %d clusters and %d workers, Load %d and %d",
				len(pre.Clusters), len(pre.Workers), len(full.Clusters), len(full.Workers))
		}
		for i := range full.Clusters {
			a, b := *pre.Clusters[i], *full.Clusters[i]
			a.Src, b.Src = nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("cluster %q: the preview differs from Load", b.Name)
			}
		}
		for i := range full.Workers {
			a, b := *pre.Workers[i], *full.Workers[i]
			a.Src, b.Src = nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("worker %q: the preview differs from Load", b.Name)
			}
		}
	})
}
