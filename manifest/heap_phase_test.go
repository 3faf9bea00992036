package manifest_test

import (
	"github.com/connectsync/connectsync/internal/benchdata"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// TestHeapPhases prints (with -v) the heap in use after each phase of
// loading and rendering a manifest: a reproducible figure of what a plan
// holds, without a cluster. The manifest is CONNECTSYNC_HEAP_MANIFEST, or
// else make bench's shape, 5000 FileStreamSinks of one config key each, for
// which the rendered manifest must hold less than heapPerSink bytes a sink
// (memory flat in N: about 2.5 KB today, 4 KB before issue 13).
// CONNECTSYNC_HEAP_PROFILE names a heap profile to write after rendering,
// with everything still live.
func TestHeapPhases(t *testing.T) {
	const sinks, heapPerSink = 5000, 3500
	path := os.Getenv("CONNECTSYNC_HEAP_MANIFEST")
	generated := path == ""
	if generated {
		path = writeFileSinks(t, sinks)
	}
	var start, inUse uint64
	live := func(phase string) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		inUse = ms.HeapAlloc
		t.Logf("%-10s heap in use %5.1f MB, %8d objects", phase, float64(ms.HeapAlloc)/1e6, ms.HeapObjects)
	}
	live("start")
	start = inUse
	m, diags := manifest.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	live("load")
	c, diags := manifest.Check(m)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	live("check")
	r, diags := c.Render(manifest.EnvResolver{Env: os.LookupEnv})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	live("render")
	if out := os.Getenv("CONNECTSYNC_HEAP_PROFILE"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if generated && inUse > start {
		if per := (inUse - start) / sinks; per > heapPerSink {
			t.Errorf("the rendered manifest holds %d bytes a sink, want at most %d", per, heapPerSink)
		}
	}
	runtime.KeepAlive(m)
	runtime.KeepAlive(c)
	runtime.KeepAlive(r)
}

// writeFileSinks writes examples/quickstart.yaml's clusters and workers with n
// stopped FileStreamSinks, as make bench does, and returns its path.
func writeFileSinks(t testing.TB, n int) string {
	t.Helper()
	head, err := benchdata.QuickstartHead("..")
	if err != nil {
		t.Fatal(err)
	}
	b := benchdata.FileSinks(append(head, "sinks:\n"...), "local", n)
	path := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
