// Package benchdata writes the manifests that make bench (scripts/bench.sh)
// measures, byte for byte as the script writes them, for the Go benchmarks
// and tests that measure or check the same inputs inside the process.
package benchdata

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// QuickstartHead returns examples/quickstart.yaml of the repository at
// root up to its sinks: line, as sed '/^sinks:/,$d' cuts it: the local
// cluster and its three workers.
func QuickstartHead(root string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(root, "examples", "quickstart.yaml"))
	if err != nil {
		return nil, err
	}
	head, _, found := bytes.Cut(data, []byte("\nsinks:"))
	if found {
		head = append(head, '\n')
	}
	return head, nil
}

// FileSinks appends to b the n stopped FileStreamSinks perf-0001.. of
// cluster, in flow style, one line each, as bench.sh's manifest function
// writes them (without the sinks: line).
func FileSinks(b []byte, cluster string, n int) []byte {
	for i := 1; i <= n; i++ {
		b = fmt.Appendf(b, "  - {name: perf-%04[1]d, cluster: %[2]s, class: org.apache.kafka.connect.file.FileStreamSinkConnector, state: stopped, topics: {perf-%04[1]d: {}}, config: {file: /dev/null}}\n", i, cluster)
	}
	return b
}

// DataStaxSinks appends to b the DataStax sinks ds-FROM..ds-TO of cluster
// local, in block style, as bench.sh's datastax function writes them
// (without the sinks: line). Their password is the environment variable
// BENCH_CASSANDRA_PASSWORD.
func DataStaxSinks(b []byte, from, to int) []byte {
	for i := from; i <= to; i++ {
		b = fmt.Appendf(b, `  - name: ds-%05[1]d
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
	return b
}
