package manifest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// FuzzLoad feeds arbitrary bytes to the loader. Loading must never panic;
// when the input loads without errors, Validate and Render must not panic
// either, and every diagnostic must name the file.
//
//	go test ./manifest -run '^$' -fuzz FuzzLoad -fuzztime 5m
//
// The seed corpus is every example and every manifest under testdata;
// crashers found so far live in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"../examples/*.yaml", "testdata/*/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, files...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seed manifest found")
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ds := manifest.Parse("fuzz.yaml", data)
		for _, d := range ds {
			if d.Pos.File != "fuzz.yaml" {
				t.Fatalf("diagnostic without the file: %v", d)
			}
		}
		if ds.HasErrors() {
			return
		}
		vds := manifest.Validate(m)
		for _, d := range vds {
			if d.Pos.File != "fuzz.yaml" {
				t.Fatalf("diagnostic without the file: %v", d)
			}
		}
		for _, res := range []manifest.Resolver{manifest.Unresolved{}, dummySecrets{}} {
			r, _ := manifest.Render(m, res)
			_ = r.Files()
		}
	})
}
