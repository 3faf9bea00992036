package cli_test

import (
	"bytes"
	"fmt"
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
	quickstart, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	// As sed '/^sinks:/,$d' does: everything before a line sinks:.
	head, _, found := bytes.Cut(quickstart, []byte("\nsinks:"))
	if found {
		head = append(head, '\n')
	}
	for from := 1; from <= n; from += 1000 {
		var b bytes.Buffer
		if from == 1 {
			b.Write(head)
		} else {
			b.WriteString("version: 1\n")
		}
		b.WriteString("sinks:\n")
		for i := from; i < from+1000 && i <= n; i++ {
			fmt.Fprintf(&b, `  - name: ds-%05[1]d
    cluster: local
    state: running
    tasksMax: 3
    cassandra:
      contactPoints: [127.0.0.1]
      port: 39042
      localDc: datacenter1
      auth: {provider: PLAIN, username: bench, password: {secretEnv: BENCH_CASSANDRA_PASSWORD}}
    topics:
      orders-%05[1]d:
        tables:
          - keyspace: shop
            table: orders_%05[1]d
            mapping: order_id=key, customer=value.customer, amount=value.amount, created=value.created
            consistencyLevel: LOCAL_ONE
`, i)
		}
		name := filepath.Join(dir, fmt.Sprintf("m%02d.yaml", from/1000))
		if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
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
	quickstart, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	// As sed '/^sinks:/,$d' does: everything before a line sinks:.
	head, _, found := bytes.Cut(quickstart, []byte("\nsinks:"))
	if found {
		head = append(head, '\n')
	}
	var b bytes.Buffer
	b.Write(head)
	b.WriteString("sinks:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: perf-%04[1]d, cluster: local, class: org.apache.kafka.connect.file.FileStreamSinkConnector, state: stopped, topics: {perf-%04[1]d: {}}, config: {file: /dev/null}}\n", i)
	}
	name := filepath.Join(dir, "sinks.yaml")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
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
