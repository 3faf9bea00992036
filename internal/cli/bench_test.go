package cli_test

import (
	"bytes"
	"fmt"
	"github.com/connectsync/connectsync/internal/benchdata"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/connectsync/connectsync/internal/cli"
)

// The benchmarks below measure render and validate of DataStax sinks, and
// render of the FileStreamSinks plan reads, the manifests scripts/bench.sh
// makes (make bench times the built binary; these time one command inside
// the process, for pprof):
//
//	go test -run '^$' -bench 'Render|Validate' -benchtime 20x ./internal/cli
//	go test -run '^$' -bench Render1000 -benchtime 20x -cpuprofile cpu.out ./internal/cli
//	go test -run '^$' -bench FileSinks500 -benchmem -benchtime 200x -cpuprofile cpu.out ./internal/cli
//
// They need no cluster. TMPDIR decides which file system render writes to.

// writeDataStax writes the manifests of make bench: dir/m00.yaml holds the
// quickstart's cluster and workers and sinks ds-00001..ds-01000; each
// further thousand is in a file of its own, as one file holds at most
// about 3,400 of them.
func writeDataStax(tb testing.TB, dir string, n int) {
	tb.Helper()
	head := quickstartHead(tb)
	for from := 1; from <= n; from += 1000 {
		b := []byte("version: 1\n")
		if from == 1 {
			b = append([]byte(nil), head...)
		}
		b = benchdata.DataStaxSinks(append(b, "sinks:\n"...), from, min(from+999, n))
		name := filepath.Join(dir, fmt.Sprintf("m%02d.yaml", from/1000))
		if err := os.WriteFile(name, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// quickstartHead is examples/quickstart.yaml up to its sinks: line.
func quickstartHead(tb testing.TB) []byte {
	head, err := benchdata.QuickstartHead(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return head
}

func benchEnv() cli.Env {
	return cli.Env{
		Stdin: bytes.NewReader(nil), Stdout: io.Discard, Stderr: io.Discard,
		LookupEnv: func(k string) (string, bool) {
			if k == "BENCH_CASSANDRA_PASSWORD" {
				return "bench-secret", true
			}
			return "", false
		},
	}
}

// BenchmarkRender1000 is render -o of 1000 DataStax sinks into a new
// directory: 1003 files.
func BenchmarkRender1000(b *testing.B) {
	in := b.TempDir()
	writeDataStax(b, in, 1000)
	out := b.TempDir()
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(out, fmt.Sprint(i))
		if code := cli.Main([]string{"render", "-f", in, "-o", dir}, benchEnv()); code != cli.ExitOK {
			b.Fatalf("render: exit %d", code)
		}
	}
}

func benchmarkValidate(b *testing.B, n int) {
	in := b.TempDir()
	writeDataStax(b, in, n)
	for b.Loop() {
		if code := cli.Main([]string{"validate", "-f", in}, benchEnv()); code != cli.ExitOK {
			b.Fatalf("validate: exit %d", code)
		}
	}
}

// BenchmarkValidate1000 and BenchmarkValidate10000 are validate of 1000 and
// 10,000 DataStax sinks.
func BenchmarkValidate1000(b *testing.B)  { benchmarkValidate(b, 1000) }
func BenchmarkValidate10000(b *testing.B) { benchmarkValidate(b, 10000) }

// writeFileSinks writes the manifest that make bench plans: the
// quickstart's cluster and workers, and n stopped FileStreamSinks in flow
// style, one line each (perf-0001 ..), into dir/sinks.yaml.
func writeFileSinks(tb testing.TB, dir string, n int) string {
	tb.Helper()
	b := benchdata.FileSinks(append(quickstartHead(tb), "sinks:\n"...), "local", n)
	name := filepath.Join(dir, "sinks.yaml")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return name
}

// BenchmarkRenderFileSinks500 is render -f, to stdout (io.Discard here),
// of the 500 FileStreamSinks that make bench plans: the loading,
// validating and rendering that plan does while its read is under way.
func BenchmarkRenderFileSinks500(b *testing.B) {
	in := writeFileSinks(b, b.TempDir(), 500)
	for b.Loop() {
		if code := cli.Main([]string{"render", "-f", in}, benchEnv()); code != cli.ExitOK {
			b.Fatalf("render: exit %d", code)
		}
	}
}
