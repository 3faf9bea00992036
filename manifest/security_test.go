package manifest_test

// The security and robustness cases of issue 9 (defects 8 to 15) that belong
// to the manifest package, together so that a reader can audit them. Each
// test names the defect it guards; docs/security.md lists them.

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

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

// Defect 10: secretFile reads regular files only, up to
// manifest.MaxSecretFileSize, and says what is wrong at the field, with a
// hint. A FIFO must not hang it and a device must not exhaust memory.
func TestSecuritySecretFileReadsRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("s3cr3t-value\n"); err != nil {
			t.Fatal(err)
		}
		if size > 0 {
			if err := f.Truncate(size); err != nil { // sparse: costs no disk
				t.Fatal(err)
			}
		}
		f.Close()
		return p
	}
	ok := write("ok", 0)
	atCap := write("at-cap", manifest.MaxSecretFileSize)
	overCap := write("over-cap", manifest.MaxSecretFileSize+1)
	huge := write("huge", 300<<20)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(ok, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, wantErr string
	}{
		{"regular file", ok, ""},
		{"a symbolic link to a regular file", link, ""},
		{"exactly the cap", atCap, ""},
		{"one byte over the cap", overCap, "is larger than 64 KiB"},
		{"300 MB", huge, "is larger than 64 KiB"},
		{"a directory", dir, "is not a regular file (a directory)"},
		{"missing", filepath.Join(dir, "missing"), "cannot read secret file"},
	}
	if runtime.GOOS != "windows" {
		fifo := filepath.Join(dir, "fifo")
		if err := mkfifo(fifo); err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			struct{ name, path, wantErr string }{"a FIFO", fifo, "is not a regular file (a FIFO)"},
			struct{ name, path, wantErr string }{"/dev/zero", "/dev/zero", "is not a regular file (a character device)"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			var got string
			go func() {
				var err error
				got, err = manifest.Value{SecretFile: c.path}.Resolve(func(string) (string, bool) { return "", false })
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Resolve hangs")
			}
			if c.wantErr == "" {
				if err != nil || !strings.HasPrefix(got, "s3cr3t-value") {
					t.Fatalf("got %v, want the secret", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, c.wantErr)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("the error shows the content: %v", err)
			}
		})
	}

	// At render, the problem is located at the field, with a hint that
	// fits it.
	src := "version: 1\nsinks:\n  - name: s\n    cluster: c\n    class: x.Y\n    config:\n      topics: t\n      p: {secretFile: " + huge + "}\n"
	m, ds := manifest.Parse(filepath.Join(dir, "m.yaml"), []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	_, ds = manifest.Render(m, manifest.EnvResolver{Env: os.LookupEnv})
	want := filepath.Join(dir, "m.yaml") + `:8:7: sinks[0].config.p: cannot resolve secretFile ` + huge +
		`: secret file ` + huge + ` is larger than 64 KiB (hint: a secret file holds only the secret value; point secretFile at the right file)`
	if len(ds) != 1 || ds[0].String() != want {
		t.Fatalf("got %v\nwant %s", ds, want)
	}
}
