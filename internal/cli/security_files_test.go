package cli_test

// The security cases of issue 9 that belong to the CLI (defect 12: render
// -o), together so that a reader can audit them. The umask case needs Unix
// and is in security_unix_test.go. docs/security.md lists them all.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/internal/cli"
)

const renderManifest = `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka:9092]
    groupId: connect-c
    storage:
      config: {topic: c-configs}
      offset: {topic: c-offsets}
      status: {topic: c-status}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
  - {name: w1, cluster: c, url: http://connect-1:8083}
sinks:
  - name: plain
    cluster: c
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    config: {topics: orders, file: /tmp/orders.txt}
  - name: secret
    cluster: c
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    config: {topics: orders, file: /tmp/orders.txt, some.password: {secretEnv: FILES_TEST_SECRET}}
`

func runFilesCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := cli.Main(args, cli.Env{
		Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""),
		LookupEnv: func(k string) (string, bool) {
			if k == "FILES_TEST_SECRET" {
				return "files-secret-value", true
			}
			return "", false
		},
	})
	return code, stdout.String(), stderr.String()
}

func writeRenderManifest(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "connect.yaml")
	if err := os.WriteFile(p, []byte(renderManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Defect 12: a symbolic link to a directory inside the -o tree is not
// followed: render refuses, says why, and writes nothing outside the tree.
func TestSecurityRenderRefusesSymlinkInsideOutput(t *testing.T) {
	m := writeRenderManifest(t)
	for _, link := range []string{"c", "c/connectors", "c/workers/w1"} {
		t.Run(link, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			outside := t.TempDir()
			l := filepath.Join(out, filepath.FromSlash(link))
			if err := os.MkdirAll(filepath.Dir(l), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, l); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
			code, _, stderr := runFilesCLI(t, "render", "-f", m, "-o", out)
			if code != 1 || !strings.Contains(stderr, "is a symbolic link: render writes only inside the output directory") ||
				!strings.Contains(stderr, "hint: remove the link") {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Fatalf("render wrote %s outside the output tree", entries[0].Name())
			}
		})
	}

	// The output directory itself may be a link: that is where the user
	// chose to write.
	real := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	if err := os.Symlink(real, out); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if code, _, stderr := runFilesCLI(t, "render", "-f", m, "-o", out); code != 0 {
		t.Fatalf("render into a linked output directory: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(real, "c", "connectors", "plain.json")); err != nil {
		t.Fatal(err)
	}
}
