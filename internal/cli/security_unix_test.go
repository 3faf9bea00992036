//go:build unix

package cli_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Defect 12: render honours the umask for files that hold no secret (it
// forced 0644 whatever the umask), and files that hold one stay 0600.
func TestSecurityRenderHonoursUmask(t *testing.T) {
	m := writeRenderManifest(t)
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runFilesCLI(t, "render", "-f", m, "-o", out); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	for path, want := range map[string]os.FileMode{
		"c/connectors/plain.json":                     0o640,
		"c/workers/w1/connect-distributed.properties": 0o640,
		"c/connectors/secret.json":                    0o600,
		"c/connectors":                                0o750,
	} {
		info, err := os.Stat(filepath.Join(out, filepath.FromSlash(path)))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o under umask 027", path, got, want)
		}
	}
}
