package manifest_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// TestHeapPhases prints the heap in use after each phase of loading and
// rendering the manifest named by CONNECTSYNC_HEAP_MANIFEST (skipped
// without it): a reproducible figure of what a plan holds, without a
// cluster. CONNECTSYNC_HEAP_PROFILE names a heap profile to write after
// rendering, with everything still live.
func TestHeapPhases(t *testing.T) {
	path := os.Getenv("CONNECTSYNC_HEAP_MANIFEST")
	if path == "" {
		t.Skip("set CONNECTSYNC_HEAP_MANIFEST to a manifest")
	}
	live := func(phase string) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("%-10s heap in use %5.1f MB, %8d objects\n", phase, float64(ms.HeapAlloc)/1e6, ms.HeapObjects)
	}
	live("start")
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
	runtime.KeepAlive(m)
	runtime.KeepAlive(c)
	runtime.KeepAlive(r)
}
