package datastaxe2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connectsync/connectsync/internal/testcluster"
)

// connectionCounter listens on a free local port and counts the TCP connections made to
// it, closing each at once: a broker address that nothing but connectsync would dial.
type connectionCounter struct {
	ln    net.Listener
	count atomic.Int64
}

func newConnectionCounter(t *testing.T) *connectionCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &connectionCounter{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.count.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

// TestPlanKafkaIOOnlyWhenSampling: with sampleRecords unset, plan dials no broker at
// all; with it set, it does, and a broker that does not answer is a warning, not an
// error. The cluster's bootstrapServers point at a port that only counts connections.
func TestPlanKafkaIOOnlyWhenSampling(t *testing.T) {
	e := setup(t)
	counter := newConnectionCounter(t)
	name, topic := "data-kio", "data-kio"
	e.exec(`CREATE TABLE IF NOT EXISTS e2e.data_kio (id text PRIMARY KEY, name text)`)
	write := func(sink string) string {
		p := filepath.Join(t.TempDir(), "connect.yaml")
		head := strings.Replace(testcluster.ManifestHeader("rest: {timeout: 10s, retryFor: 60s}"),
			"bootstrapServers: ["+testcluster.BrokerAddr+"]", "bootstrapServers: ["+counter.ln.Addr().String()+"]", 1)
		if err := os.WriteFile(p, []byte(head+sink), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sink := sampledSink(name, topic, "data_kio", "id=key, name=value.name", "")

	off := write(strings.Replace(sink, "    preflight: {sampleRecords: 20}\n", "    preflight: {cassandraSchema: true}\n", 1))
	r := connectsync(nil, "plan", "-f", off, "--target", "local/"+name, "--detailed-exitcode")
	if r.code != 2 {
		t.Errorf("plan without sampling:\n%s", r)
	}
	if n := counter.count.Load(); n != 0 {
		t.Errorf("plan without sampling made %d connections to the brokers, want none", n)
	}

	on := write(sink)
	r = connectsync(nil, "plan", "-f", on, "--target", "local/"+name, "--detailed-exitcode")
	t.Logf("plan with sampling, broker not answering:\n%s", r)
	if n := counter.count.Load(); n == 0 {
		t.Error("plan with sampling never dialled the brokers")
	}
	if r.code != 2 || !strings.Contains(r.stdout, "warning: ") || !strings.Contains(r.stdout, "cannot sample records from Kafka at "+counter.ln.Addr().String()) {
		t.Errorf("an unreachable broker should be a warning (exit 2), naming the address")
	}
}
