// Package apply is connectsync's live half: it reads the live state of each
// cluster in a constant number of requests, plans the changes that make it
// match the manifests, and executes a plan with retries, in a safe order,
// waiting until connectors reach their desired state.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectsync/connectsync/connect"
)

// WorkerTarget is a declared worker.
type WorkerTarget struct {
	Name string
	URL  string
	// Endpoint is host:port as the worker advertises itself, which is what
	// task statuses name as worker_id.
	Endpoint string
}

// WorkerState is what one declared worker answered.
type WorkerState struct {
	WorkerTarget
	Client *connect.Client
	Info   connect.ServerInfo
	// Err is set when the worker did not answer GET /.
	Err     error
	Plugins map[string]bool
}

// Reachable reports whether the worker answered.
func (w *WorkerState) Reachable() bool { return w.Err == nil }

// ClusterState is one cluster's live state.
type ClusterState struct {
	Workers []*WorkerState
	// Connectors is every connector with its config and status, from one
	// request; nil when no worker could be read.
	Connectors map[string]connect.Connector
	// ReadFrom is the worker the connectors were read from.
	ReadFrom *WorkerState
	ReadErr  error
	// PasswordKeys lists, per connector class, the keys the plugin types
	// as PASSWORD.
	PasswordKeys map[string]map[string]bool
	// Stats counts what the read cost (set by a Reader).
	Stats ReadStats
}

// ReadStats is what reading one cluster cost.
type ReadStats struct {
	// Requests is the number of HTTP requests the read sent, retries
	// included: 2 per declared worker, 1 for the connectors and 1 per
	// connector class, whatever the number of connectors.
	Requests int64
	// ConnectorRequests is how many of them read connectors (GET
	// /connectors...): 1, unless the first worker failed.
	ConnectorRequests int64
	// Took is the read's wall time.
	Took time.Duration
}

// Client returns a client of a worker that answered, for writes. Any worker
// will do: followers forward writes to the leader.
func (c *ClusterState) Client() *connect.Client {
	if c.ReadFrom != nil {
		return c.ReadFrom.Client
	}
	for _, w := range c.Workers {
		if w.Reachable() {
			return w.Client
		}
	}
	return nil
}

// MinVersion returns the lowest Kafka version among the reachable workers.
func (c *ClusterState) MinVersion() (Version, bool) {
	var min Version
	found := false
	for _, w := range c.Workers {
		if !w.Reachable() {
			continue
		}
		v, ok := parseVersion(w.Info.Version)
		if ok && (!found || v.Less(min)) {
			min, found = v, true
		}
	}
	return min, found
}

// WorkersMissing returns the reachable workers that lack a plugin class.
func (c *ClusterState) WorkersMissing(class string) []string {
	var out []string
	for _, w := range c.Workers {
		if w.Reachable() && w.Plugins != nil && !w.Plugins[class] {
			out = append(out, w.Name)
		}
	}
	return out
}

// ProbeBudget bounds the retries of the GET / that tells whether a declared
// worker answers.
var ProbeBudget = 10 * time.Second

// ReadCluster reads a cluster's live state in one concurrent wave: from the
// first declared worker GET /connectors?expand=info&expand=status (every
// connector's config and status in one request); beside it, on every
// declared worker, GET / and GET /connector-plugins; and, after those on
// the first declared worker that answers, GET
// /connector-plugins/{class}/config once per class in classes. The wave
// costs about its slowest request, the connectors' read.
//
// The connectors are read speculatively, before the first worker has
// answered GET /: when that probe fails, the read is cancelled and sent
// again to the next declared worker that answered (and likewise when the
// read itself fails). The number of requests does not grow with the number
// of connectors, and the number of connections is one per declared worker
// and one for the connectors.
func ReadCluster(ctx context.Context, workers []WorkerTarget, clients []*connect.Client, classes []string) *ClusterState {
	return readCluster(ctx, workers, clients, func(context.Context) []string { return classes })
}

// readCluster is ReadCluster with the classes given late: the plugin
// config reads wait for classes, which may block until the manifest that
// names them is validated (and returns nil when ctx ends first).
func readCluster(ctx context.Context, workers []WorkerTarget, clients []*connect.Client, classes func(context.Context) []string) *ClusterState {
	cs := &ClusterState{PasswordKeys: map[string]map[string]bool{}}
	probed := make([]chan struct{}, len(workers))
	for i, t := range workers {
		cs.Workers = append(cs.Workers, &WorkerState{WorkerTarget: t, Client: clients[i]})
		probed[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	// The connectors first: their answer is the one that takes the worker
	// time to compute, and the one the plan waits for.
	wg.Add(1)
	go func() {
		defer wg.Done()
		cs.readConnectors(ctx, probed)
	}()
	for i, ws := range cs.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// An unreachable worker is a finding, not something to wait
			// out: its probe gets a shorter budget than other calls.
			pctx, cancel := context.WithTimeout(ctx, ProbeBudget)
			ws.Info, ws.Err = ws.Client.ServerInfo(pctx)
			cancel()
			close(probed[i])
			if ws.Err != nil {
				return
			}
			// The plugin list, and the plugin configs after it, follow
			// the probe on its connection, idle again, rather than beside
			// it on others: a connection costs a worker more than a
			// request does (a dial, an accept, and over https a TLS
			// handshake), and a request sent while the connection is busy
			// opens one. They are all answered long before the expand
			// read, which keeps its own connection: it is the answer the
			// plan waits for.
			plugins, err := ws.Client.Plugins(ctx)
			if err == nil {
				ws.Plugins = make(map[string]bool, len(plugins))
				for _, p := range plugins {
					ws.Plugins[p.Class] = true
				}
			}
			if cs.firstToAnswer(i, probed) {
				cs.readPasswordKeys(ctx, ws.Client, classes(ctx))
			}
		}()
	}
	wg.Wait()
	return cs
}

// speculate runs read against worker i without waiting for its probe, and
// returns read's error, or errUnreachable when the probe fails (read is
// cancelled then).
func speculate(ctx context.Context, w *WorkerState, probed <-chan struct{}, read func(context.Context, *connect.Client) error) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- read(rctx, w.Client) }()
	select {
	case <-probed:
		if !w.Reachable() {
			cancel()
			<-done
			return errUnreachable
		}
		return <-done
	case err := <-done:
		<-probed
		if !w.Reachable() {
			return errUnreachable
		}
		return err
	}
}

var errUnreachable = errors.New("worker unreachable")

// readConnectors reads every connector from the first declared worker that
// answers both its probe and the read.
func (cs *ClusterState) readConnectors(ctx context.Context, probed []chan struct{}) {
	for i, w := range cs.Workers {
		var conns map[string]connect.Connector
		err := speculate(ctx, w, probed[i], func(ctx context.Context, c *connect.Client) error {
			var err error
			conns, err = c.Connectors(ctx)
			return err
		})
		if errors.Is(err, errUnreachable) {
			continue
		}
		if err != nil {
			cs.ReadErr = err
			continue
		}
		cs.Connectors, cs.ReadFrom, cs.ReadErr = conns, w, nil
		return
	}
	if cs.ReadErr == nil {
		cs.ReadErr = fmt.Errorf("no declared worker answered")
	}
}

// firstToAnswer reports whether worker i is the first declared worker that
// answered its probe. Worker i itself must have answered.
func (cs *ClusterState) firstToAnswer(i int, probed []chan struct{}) bool {
	for j := range i {
		<-probed[j]
		if cs.Workers[j].Reachable() {
			return false
		}
	}
	return true
}

// readPasswordKeys reads through c, per class, which keys the plugin types
// as PASSWORD, one class after the other on one connection: a manifest names
// a class or two. A class the worker lacks is left out: a missing plugin is
// reported on its own.
func (cs *ClusterState) readPasswordKeys(ctx context.Context, c *connect.Client, classes []string) {
	for _, class := range classes {
		keys, err := c.PluginConfig(ctx, class)
		if err != nil {
			continue
		}
		pw := map[string]bool{}
		for _, k := range keys {
			if k.Type == "PASSWORD" {
				pw[k.Name] = true
			}
		}
		cs.PasswordKeys[class] = pw
	}
}

// UndeclaredWorkers returns worker ids that host connectors or tasks but
// match no declared worker's advertised endpoint.
func (c *ClusterState) UndeclaredWorkers() []string {
	declared := map[string]bool{}
	for _, w := range c.Workers {
		declared[w.Endpoint] = true
	}
	seen := map[string]bool{}
	var out []string
	note := func(id string) {
		if id != "" && !declared[id] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, conn := range c.Connectors {
		note(conn.Status.WorkerID)
		for _, t := range conn.Status.Tasks {
			note(t.WorkerID)
		}
	}
	sort.Strings(out)
	return out
}

// Version is a Kafka version, major.minor.patch.
type Version struct{ Major, Minor, Patch int }

// parseVersion reads "3.9.1", "4.0.0-ccs" or "7.9.3-ce".
func parseVersion(s string) (Version, bool) {
	s, _, _ = strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	var v Version
	var dst = []*int{&v.Major, &v.Minor, &v.Patch}
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return Version{}, false
		}
		*dst[i] = n
	}
	return v, len(parts) >= 2
}

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	if v.Major != o.Major {
		return v.Major < o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor < o.Minor
	}
	return v.Patch < o.Patch
}

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor int) bool {
	return !v.Less(Version{Major: major, Minor: minor})
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }
