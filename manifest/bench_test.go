package manifest_test

import (
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// BenchmarkPreviewFileSinks500 is the preview plan reads first, to start
// its read of the clusters, of the 500 FileStreamSinks make bench plans
// (internal/cli's BenchmarkRenderFileSinks500 times the loading, checking
// and rendering that follow):
//
//	go test -run '^$' -bench Preview -benchmem ./manifest
func BenchmarkPreviewFileSinks500(b *testing.B) {
	path := writeFileSinks(b, 500)
	for b.Loop() {
		if manifest.Preview(path) == nil {
			b.Fatal("no preview")
		}
	}
}

// BenchmarkLoadFileSinks500 is what plan does with the same manifest while
// its read is under way: load, check and render.
//
//	go test -run '^$' -bench LoadFileSinks500 -benchmem -cpuprofile cpu.out ./manifest
func BenchmarkLoadFileSinks500(b *testing.B) {
	path := writeFileSinks(b, 500)
	for b.Loop() {
		m, ds := manifest.Load(path)
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		c, ds := manifest.Check(m)
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		if _, ds := c.Render(manifest.Unresolved{}); ds.HasErrors() {
			b.Fatal(ds)
		}
	}
}
