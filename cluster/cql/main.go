// Command cql runs CQL statements against the local cluster's Cassandra and prints what
// SELECTs return, as a table: the demo's way to create its keyspace and read rows back,
// since the cluster runs Cassandra from jars, without cqlsh (which needs Python).
//
//	go run ./cluster/cql "CREATE KEYSPACE ..." "SELECT * FROM shop.orders_by_id"
//	bash cluster/ctl.sh cql "SELECT ..."
//
// Flags: -host (default 127.0.0.1), -port (39042), -dc (datacenter1).
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func main() {
	host := flag.String("host", "127.0.0.1", "Cassandra host")
	port := flag.Int("port", 39042, "CQL port")
	dc := flag.String("dc", "datacenter1", "local data center")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: cql [-host H] [-port P] [-dc DC] STATEMENT...")
		os.Exit(2)
	}
	cc := gocql.NewCluster(*host)
	cc.Port = *port
	cc.Consistency = gocql.LocalOne
	cc.Timeout = 20 * time.Second // schema changes wait for agreement
	cc.ConnectTimeout = 5 * time.Second
	cc.PoolConfig.HostSelectionPolicy = gocql.DCAwareRoundRobinPolicy(*dc)
	s, err := cc.CreateSession()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cql: connect to %s:%d: %v\n", *host, *port, err)
		os.Exit(1)
	}
	defer s.Close()
	for _, stmt := range flag.Args() {
		if err := run(s, stmt); err != nil {
			fmt.Fprintf(os.Stderr, "cql: %s: %v\n", stmt, err)
			os.Exit(1)
		}
	}
}

func run(s *gocql.Session, stmt string) error {
	if !strings.EqualFold(strings.Fields(stmt)[0], "SELECT") {
		return s.Query(stmt).Exec()
	}
	iter := s.Query(stmt).Iter()
	rows, err := iter.SliceMap()
	if err != nil {
		return err
	}
	var cols []string
	for _, c := range iter.Columns() {
		cols = append(cols, c.Name)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(cols, "\t"))
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = format(r[c])
		}
		lines = append(lines, strings.Join(vals, "\t"))
	}
	slices.Sort(lines) // Cassandra's token order means nothing to a reader
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "(%d rows)\n", len(rows))
	return w.Flush()
}

func format(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case time.Time:
		if x.IsZero() {
			return "null"
		}
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}
