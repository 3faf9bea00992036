package manifest_test

// The security and robustness cases of issue 9 (defects 8 to 15) that belong
// to the manifest package, together so that a reader can audit them. Each
// test names the defect it guards; docs/security.md lists them.

import (
	"strings"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// Defect 14: a file holding only "---", "null" or "~" declares no version,
// and must not validate as "Valid".
func TestSecurityEmptyDocumentHasNoVersion(t *testing.T) {
	for _, src := range []string{"---\n", "null\n", "~\n", "--- ~\n", "---\nnull\n", "# c\n---\n"} {
		_, ds := manifest.Parse("m.yaml", []byte(src))
		if !ds.HasErrors() {
			t.Errorf("%q: loaded without an error", src)
			continue
		}
		got := ds[0].String()
		if !strings.HasPrefix(got, "m.yaml:") || !strings.Contains(got, "version: missing") {
			t.Errorf("%q: got %q, want a located \"version: missing\"", src, got)
		}
	}
}
