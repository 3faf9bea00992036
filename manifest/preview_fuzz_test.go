package manifest_test

import (
	"os"
	"path/filepath"
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
		if why := manifest.PreviewDiffers(pre, full); why != "" {
			t.Fatal(why)
		}
	})
}
