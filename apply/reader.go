package apply

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/manifest"
)

// ReaderOptions says how a Reader's clients resolve secrets and report.
type ReaderOptions struct {
	// Resolver resolves the secrets of the REST settings (basic auth,
	// headers).
	Resolver manifest.Resolver
	// Scrub masks secret values in what a worker answers.
	Scrub func(string) string
	// Retry is told of each retry, with the cluster's name.
	Retry func(cluster string, r connect.Retry)
}

// Reader reads the live state of a manifest's clusters. It maps each
// cluster's REST settings to client options once, owns one client per
// declared worker, and counts each cluster's requests; the clients stay
// with the ClusterState it returns, for preflight and for apply's writes.
//
// A Reader may start before the classes of the manifest's sinks are known
// (Start, then Classes): the probes and the connectors read do not need
// them, and only the plugin config reads wait.
type Reader struct {
	clusters []*clusterReader

	cancel  context.CancelFunc
	done    chan struct{}
	ready   chan string // each cluster's name once its state is in out
	mu      sync.Mutex
	out     map[string]*ClusterState
	classes chan struct{}
	byName  map[string][]string
	once    sync.Once
}

type clusterReader struct {
	name     string
	rest     manifest.REST
	targets  []WorkerTarget
	clients  []*connect.Client
	requests requestCount
}

// requestCount counts the requests sent to a cluster's workers, retries
// included, and of them those that read connectors (GET /connectors...).
type requestCount struct{ all, connectors atomic.Int64 }

func (n *requestCount) add(_, path string) {
	n.all.Add(1)
	if path == "/connectors" || strings.HasPrefix(path, "/connectors?") || strings.HasPrefix(path, "/connectors/") {
		n.connectors.Add(1)
	}
}

// NewReader makes the clients of every cluster of m that declares workers.
// It fails, naming the cluster, when a REST setting cannot be resolved (a
// secret that does not resolve) or a client cannot be made (a CA file
// that does not load).
func NewReader(m *manifest.Manifest, o ReaderOptions) (*Reader, error) {
	r := &Reader{classes: make(chan struct{})}
	for _, c := range m.Clusters {
		cr := &clusterReader{name: c.Name, rest: c.REST}
		opts, err := ClientOptions(c, o, cr.requests.add)
		for _, w := range m.WorkersOf(c.Name) {
			if err != nil {
				return nil, fmt.Errorf("cluster %s, worker %s: %v", c.Name, w.Name, err)
			}
			cl, err := connect.New(w.URL, opts)
			if err != nil {
				return nil, fmt.Errorf("cluster %s, worker %s: %v", c.Name, w.Name, err)
			}
			cr.clients = append(cr.clients, cl)
			cr.targets = append(cr.targets, WorkerTarget{Name: w.Name, URL: w.URL, Endpoint: manifest.AdvertisedEndpoint(w)})
		}
		r.clusters = append(r.clusters, cr)
	}
	return r, nil
}

// ClientOptions maps a cluster's REST settings to the options of its
// workers' clients; onRequest, when not nil, is told of every request
// they send.
func ClientOptions(c *manifest.Cluster, o ReaderOptions, onRequest func(method, path string)) (connect.Options, error) {
	opts := connect.Options{
		TLS: connect.TLSConfig{CAFile: c.REST.TLS.CAFile, CertFile: c.REST.TLS.CertFile,
			KeyFile: c.REST.TLS.KeyFile, InsecureSkipVerify: c.REST.TLS.InsecureSkipVerify},
		Scrub:   o.Scrub,
		Timeout: time.Duration(c.REST.Timeout), WriteTimeout: time.Duration(c.REST.Timeout),
	}
	opts.Retry.MaxElapsedTime = time.Duration(c.REST.RetryFor)
	if o.Retry != nil {
		name := c.Name
		opts.OnRetry = func(r connect.Retry) { o.Retry(name, r) }
	}
	opts.OnRequest = onRequest
	if auth := c.REST.Auth; auth != nil {
		var err error
		if opts.Username, err = o.Resolver.Resolve(auth.Username); err != nil {
			return opts, fmt.Errorf("rest.basicAuth.username: %v", err)
		}
		if opts.Password, err = o.Resolver.Resolve(auth.Password); err != nil {
			return opts, fmt.Errorf("rest.basicAuth.password: %v", err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.REST.Headers)) {
		s, err := o.Resolver.Resolve(c.REST.Headers[k])
		if err != nil {
			return opts, fmt.Errorf("rest.headers.%s: %v", k, err)
		}
		if opts.Headers == nil {
			opts.Headers = map[string]string{}
		}
		opts.Headers[k] = s
	}
	return opts, nil
}

// Classes lists, per cluster, the connector classes of m's sinks, sorted:
// the plugin configs a read asks for.
func Classes(m *manifest.Manifest) map[string][]string {
	set := map[string]map[string]bool{}
	for _, s := range m.Sinks {
		if set[s.Cluster] == nil {
			set[s.Cluster] = map[string]bool{}
		}
		set[s.Cluster][s.ConnectorClass()] = true
	}
	out := map[string][]string{}
	for c, classes := range set {
		out[c] = slices.Sorted(maps.Keys(classes))
	}
	return out
}

// Read reads every cluster, up to parallel at once (independent clusters
// do not wait for one another), and returns their states by name.
func (r *Reader) Read(ctx context.Context, parallel int, classes map[string][]string) map[string]*ClusterState {
	r.Start(ctx, parallel)
	r.Classes(classes)
	return r.Wait()
}

// Start starts the read in the background. The plugin config reads wait
// for Classes.
func (r *Reader) Start(ctx context.Context, parallel int) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	r.out = make(map[string]*ClusterState, len(r.clusters))
	r.ready = make(chan string, len(r.clusters))
	go func() {
		defer close(r.done)
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(parallel, 1))
		for _, cr := range r.clusters {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				start := time.Now()
				classes := func(ctx context.Context) []string {
					select {
					case <-r.classes:
						return r.byName[cr.name]
					case <-ctx.Done():
						return nil
					}
				}
				cs := readCluster(ctx, cr.targets, cr.clients, classes)
				cs.Stats = ReadStats{Requests: cr.requests.all.Load(), ConnectorRequests: cr.requests.connectors.Load(), Took: time.Since(start)}
				r.mu.Lock()
				r.out[cr.name] = cs
				r.mu.Unlock()
				r.ready <- cr.name
			}()
		}
		wg.Wait()
	}()
}

// Classes gives the connector classes per cluster whose plugin configs the
// read asks for. Only the first call counts.
func (r *Reader) Classes(classes map[string][]string) {
	r.once.Do(func() {
		r.byName = classes
		close(r.classes)
	})
}

// Ready yields each cluster's name and state as soon as that cluster has
// been read, in the order the reads end, until every cluster has been:
// plan plans a cluster while the others are still being read. The read
// must have been started, and Ready ranged over once.
func (r *Reader) Ready() iter.Seq2[string, *ClusterState] {
	return func(yield func(string, *ClusterState) bool) {
		for range r.clusters {
			name := <-r.ready
			r.mu.Lock()
			cs := r.out[name]
			r.mu.Unlock()
			if !yield(name, cs) {
				return
			}
		}
	}
}

// Wait waits for the read started by Start and returns the clusters'
// states by name.
func (r *Reader) Wait() map[string]*ClusterState {
	<-r.done
	r.cancel()
	return r.out
}

// Stop cancels a read started by Start, and waits until none of its
// requests is left.
func (r *Reader) Stop() {
	r.cancel()
	<-r.done
}

// Reads reports whether a Reader made from m would read the same clusters,
// from the same workers, with the same REST settings: whether a read
// started from another source of the same manifests (see
// manifest.Preview) stands for m's.
func (r *Reader) Reads(m *manifest.Manifest) bool {
	if len(m.Clusters) != len(r.clusters) {
		return false
	}
	for i, c := range m.Clusters {
		cr := r.clusters[i]
		if c.Name != cr.name || !reflect.DeepEqual(c.REST, cr.rest) {
			return false
		}
		ws := m.WorkersOf(c.Name)
		if len(ws) != len(cr.targets) {
			return false
		}
		for j, w := range ws {
			if (WorkerTarget{Name: w.Name, URL: w.URL, Endpoint: manifest.AdvertisedEndpoint(w)}) != cr.targets[j] {
				return false
			}
		}
	}
	return true
}
