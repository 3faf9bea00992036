package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/internal/view"
	"github.com/connectsync/connectsync/kafka"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
	"github.com/connectsync/connectsync/preflight"
)

// readTimeout bounds each reading of a sink's consumer group: a broker
// that does not answer from here costs apply and status no more.
const readTimeout = 5 * time.Second

// healthFunc reads a declared sink's consumer group from Kafka, with the
// cluster's settings. interval < 0 takes the workers' commit interval plus
// 2 s (preflight.StallInterval); 0 takes one reading only.
func (a *app) healthFunc(m *manifest.Manifest, interval time.Duration) apply.HealthFunc {
	clusters := m.ClusterByName()
	sinks := map[object.Ref]*manifest.Sink{}
	for _, s := range m.Sinks {
		sinks[object.SinkRef(s.Cluster, s.Name)] = s
	}
	return func(ctx context.Context, ref object.Ref) (*apply.SinkHealth, error) {
		c, sk := clusters[ref.Cluster], sinks[ref]
		if c == nil || sk == nil {
			return nil, errors.New("not declared")
		}
		cfg, ds := manifest.RenderSink(sk, a.resolver())
		if ds.HasErrors() {
			return nil, fmt.Errorf("cannot render the sink: %s", ds[0].Message)
		}
		props, err := preflight.WorkerProperties(m, c, a.resolver())
		if err != nil {
			return nil, err
		}
		s, err := preflight.KafkaSettings(m, c, cfg.Values, a.resolver())
		if err != nil {
			return nil, fmt.Errorf("cannot reach Kafka with the cluster's settings: %v", err)
		}
		cl, err := kafka.Dial(s)
		if err != nil {
			return nil, err
		}
		defer cl.Close()
		wait := interval
		if wait < 0 {
			wait = preflight.StallInterval(props)
		}
		h, err := preflight.ReadHealth(ctx, cl, ref.Name, preflight.SinkTopics(cfg.Values), wait, readTimeout)
		if err != nil {
			return nil, err
		}
		if interval < 0 && len(h.Stalled) > 0 {
			// After apply the tasks have only just (re)started: starting them
			// (the DataStax task opens its driver session) and their first
			// offset commit can take most of one interval, so an interval
			// without progress right then is no proof. Seen on a fresh local
			// cluster: a fixed sink caught up, but only after the first
			// reading had called it stalled. It is stalled when a second
			// interval brings no progress either.
			h, err = preflight.ReadHealth(ctx, cl, ref.Name, preflight.SinkTopics(cfg.Values), wait, readTimeout)
			if err != nil {
				return nil, err
			}
		}
		return &h, nil
	}
}

// sinkHealth reads every declared sink's health, all at once, for status.
func (a *app) sinkHealth(ctx context.Context, m *manifest.Manifest, live map[string]*apply.ClusterState, interval time.Duration) map[object.Ref]view.HealthResult {
	read := a.healthFunc(m, interval)
	out := map[object.Ref]view.HealthResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range m.Sinks {
		cs := live[s.Cluster]
		if cs == nil || cs.Connectors == nil {
			continue
		}
		if _, ok := cs.Connectors[s.Name]; !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := object.SinkRef(s.Cluster, s.Name)
			h, err := read(ctx, ref)
			mu.Lock()
			out[ref] = view.HealthResult{Health: h, Err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
