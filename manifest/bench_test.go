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
