package manifest_test

// The security and robustness cases of issue 9 (defects 8 to 15) that belong
// to the manifest package, together so that a reader can audit them. Each
// test names the defect it guards; docs/security.md lists them.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/connectsync/connectsync/internal/benchdata"
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
				got, err = manifest.FileSecret(c.path).Resolve(func(string) (string, bool) { return "", false })
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

// Defect 11: errors count against the alias expansion cap, and a file
// reports at most 50 of them and then "and N more". Before, unknown keys
// under nested aliases were not counted: a 2 KB file gave 810,000 lines.
func TestSecurityAliasedErrorsAreCapped(t *testing.T) {
	const k = 30
	var b strings.Builder
	b.WriteString("version: 1\nsinks:\n  - &sink\n    name: s\n    cluster: c\n    topics:\n      t0:\n        tables: &tables\n          - &row {")
	for i := 0; i < k; i++ {
		fmt.Fprintf(&b, "bogus%d: 1, ", i)
	}
	b.WriteString("}\n")
	for i := 1; i < k; i++ {
		b.WriteString("          - *row\n")
	}
	for i := 1; i < k; i++ {
		fmt.Fprintf(&b, "      t%d: {tables: *tables}\n", i)
	}
	for i := 1; i < k; i++ {
		b.WriteString("  - *sink\n")
	}
	_, ds := manifest.Parse("m.yaml", []byte(b.String()))
	if len(ds) > 52 {
		t.Fatalf("%d diagnostics, want at most 50, the expansion error and one \"and N more\"", len(ds))
	}
	text := ds.Error()
	if !regexp.MustCompile(`m\.yaml:\d+:\d+: and \d+ more errors in this file, not shown \(hint: fix the first 50`).MatchString(text) {
		t.Errorf("no located \"and N more\" line:\n%s", text)
	}
	// The cap is what bounds the work: it is reported, and the expansion
	// stopped there.
	if !strings.Contains(text, "expands to more than 100000 values") {
		t.Errorf("the expansion cap is not reported:\n%s", text)
	}

	// Without aliases too: 60 unknown keys give 50 lines and "and 10 more".
	b.Reset()
	b.WriteString("version: 1\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "bogus%d: 1\n", i)
	}
	_, ds = manifest.Parse("m.yaml", []byte(b.String()))
	if len(ds) != 51 || ds[50].String() != `m.yaml:52:1: and 10 more errors in this file, not shown (hint: fix the first 50 and run validate again)` {
		t.Fatalf("got %d diagnostics, last %q", len(ds), ds[len(ds)-1].String())
	}
}

// The alias expansion cap counts only what aliases expand to. Before, every
// value counted, and one file of more than about 3,400 DataStax sinks, written
// out with no alias at all, stopped with "the file expands to more than
// 100000 values through YAML aliases".
func TestSecurityLargeFileWithoutAliasesIsNotCapped(t *testing.T) {
	head, err := benchdata.QuickstartHead("..")
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000 // about 30 values a sink: 120,000 values in all
	data := benchdata.DataStaxSinks(append(head, "sinks:\n"...), 1, n)
	path := filepath.Join(t.TempDir(), "large.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, ds := manifest.Load(path)
	if ds.HasErrors() {
		t.Fatalf("a file of %d sinks without aliases: %v", n, ds)
	}
	if len(m.Sinks) != n || m.Sinks[n-1].Name != fmt.Sprintf("ds-%05d", n) {
		t.Fatalf("loaded %d sinks, want %d", len(m.Sinks), n)
	}
}
