// Command connectsync reconciles Kafka Connect clusters, and the DataStax
// Cassandra sinks they run, with declarative YAML manifests.
//
// Run connectsync help for the commands.
package main

import (
	"os"

	"github.com/connectsync/connectsync/internal/cli"
)

func main() {
	gcFloor(24 << 20)
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}
