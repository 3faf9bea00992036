// Command connectsync reconciles Kafka Connect clusters, and the DataStax
// Cassandra sinks they run, with declarative YAML manifests.
//
// Run connectsync help for the commands.
package main

import (
	"os"
	"runtime/debug"

	"github.com/connectsync/connectsync/internal/cli"
)

// Garbage collection of a short run: connectsync's heap is mostly what it
// keeps until it exits (the manifests, their rendered configs and the live
// state), so collecting every time the heap doubles costs CPU and frees
// little. It collects half as often below softMemoryLimit, and as often as it
// must to stay near the limit above it, so that peak memory stays flat as
// the number of connectors grows. GOGC and GOMEMLIMIT, when set, decide
// instead.
const (
	gcPercent       = 200
	softMemoryLimit = 32 << 20
)

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}
