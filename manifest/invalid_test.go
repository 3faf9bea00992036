package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// check loads and validates manifests as connectsync validate does: Validate
// runs only when the files load without errors.
func check(paths ...string) (*manifest.Manifest, manifest.Diagnostics) {
	m, ds := manifest.Load(paths...)
	if !ds.HasErrors() {
		ds = append(ds, manifest.Validate(m)...).Sort()
	}
	return m, ds
}

func lines(ds manifest.Diagnostics) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// TestInvalid checks every manifest under testdata/invalid against its
// sibling .want file, which lists the exact diagnostics, one per line. Each
// manifest holds one deliberate mistake, described in its first line; the
// warn-* cases are valid manifests that must draw only a warning.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 45 {
		t.Fatalf("found %d invalid manifests, want at least 45", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, ds := check(file)
			got := lines(ds)
			wantFile := strings.TrimSuffix(file, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			data, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run go test ./manifest -update to create it)", err)
			}
			want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s", diff)
			}
			if len(got) == 0 {
				t.Fatal("no diagnostic at all")
			}
			if strings.Contains(name, "warn-") {
				if ds.HasErrors() {
					t.Errorf("a warn-* case must not have errors")
				}
			} else if !ds.HasErrors() {
				t.Errorf("no error reported")
			}
		})
	}
}
