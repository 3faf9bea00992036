package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name          string
		bi            *debug.BuildInfo
		version, comm string
	}{
		{"no build info", nil, "dev", ""},
		{"go build in a checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}}, "dev", "0123456789ab"},
		{"dirty tree", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}}, "dev", "0123456789ab-dirty"},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0", ""},
	}
	for _, tt := range tests {
		v, c := versionFrom(tt.bi)
		if v != tt.version || c != tt.comm {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, v, c, tt.version, tt.comm)
		}
	}
}

// TestVersionOfARealBuild clones this checkout's HEAD (Go records the
// commit only for a .git directory, not for a worktree's .git file), builds
// the binary there with VCS stamping on, and expects version to report the
// commit.
func TestVersionOfARealBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository and builds the binary")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "src")
	if out, err := exec.Command("git", "clone", "-q", "--no-hardlinks", strings.TrimSpace(string(root)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	head, err := exec.Command("git", "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "connectsync")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/connectsync")
	build.Dir = clone
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, Commit string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	if v.Version == "" || v.Commit != strings.TrimSpace(string(head))[:12] {
		t.Errorf("version --json: %s; HEAD is %s", out, head)
	}
	text, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(text), "(commit "+v.Commit+", manifest version 1, ") {
		t.Errorf("version: %s %v", text, err)
	}
}
