package preflight

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/kafka"
	"github.com/connectsync/connectsync/manifest"
)

// WorkerProperties returns the properties a cluster's workers run with, as
// rendered from the manifest (secrets resolved through res): those of its
// first worker, since the keys that matter here (bootstrap servers,
// security, converters, offset commits) are the cluster's.
func WorkerProperties(m *manifest.Manifest, c *manifest.Cluster, res manifest.Resolver) (map[string]string, error) {
	ws := m.WorkersOf(c.Name)
	if len(ws) == 0 {
		return nil, fmt.Errorf("cluster %s declares no worker", c.Name)
	}
	if res == nil {
		res = manifest.Unresolved{}
	}
	cfg, ds := manifest.RenderWorker(c, ws[0], res)
	if ds.HasErrors() {
		return nil, fmt.Errorf("cannot render the worker properties: %s", ds[0].Message)
	}
	return cfg.Values, nil
}

// KafkaSettings returns how a sink's consumer reaches the brokers: the
// cluster's worker properties, with the sink's consumer.override.* keys.
func KafkaSettings(m *manifest.Manifest, c *manifest.Cluster, sinkConfig map[string]string, res manifest.Resolver) (kafka.Settings, error) {
	props, err := WorkerProperties(m, c, res)
	if err != nil {
		return kafka.Settings{}, err
	}
	s, err := kafka.SettingsFrom(props, sinkConfig)
	if err == nil && s.Password == manifest.SecretPlaceholder {
		return s, errors.New("the SASL password is a secret that was not resolved")
	}
	return s, err
}

// StallInterval is how long the health check waits between its two
// readings of a sink's committed offsets: the workers' offset commit
// interval (offset.flush.interval.ms, Connect's default 60 s) plus 2 s, so
// that a sink that makes progress has committed it in between.
func StallInterval(workerProps map[string]string) time.Duration {
	ms := 60000
	if v, err := strconv.Atoi(strings.TrimSpace(workerProps["offset.flush.interval.ms"])); err == nil && v > 0 {
		ms = v
	}
	return time.Duration(ms)*time.Millisecond + 2*time.Second
}

// ReadHealth reads a sink's consumer group (connect-<name>) against its
// topics' log ends. With records waiting, it reads again after interval and
// reports the partitions whose committed offset did not move. interval <= 0
// takes one reading only. Each reading must finish within readTimeout.
// Read-only: no group is joined, nothing committed.
func ReadHealth(ctx context.Context, cl *kafka.Client, sink string, topics []string, interval, readTimeout time.Duration) (apply.SinkHealth, error) {
	group := "connect-" + sink
	read := func() (kafka.GroupOffsets, error) {
		ctx, cancel := context.WithTimeout(ctx, readTimeout)
		defer cancel()
		return cl.GroupOffsets(ctx, group, topics)
	}
	first, err := read()
	if err != nil {
		return apply.SinkHealth{Group: group}, err
	}
	h := apply.SinkHealth{Group: group, Lag: first.Lag, Stalled: []string{}, Partitions: first.Partitions}
	if first.Lag == 0 || interval <= 0 {
		return h, nil
	}
	select {
	case <-ctx.Done():
		return h, ctx.Err()
	case <-time.After(interval):
	}
	second, err := read()
	if err != nil {
		return h, err
	}
	h.Lag, h.Partitions = second.Lag, second.Partitions
	h.Stalled = append(h.Stalled, kafka.Stalled(first, second)...)
	h.Interval, h.IntervalSeconds = interval, interval.Seconds()
	return h, nil
}

// SinkTopics lists the topics a rendered sink config reads (topics=...).
func SinkTopics(cfg map[string]string) []string {
	var out []string
	for _, t := range strings.Split(cfg["topics"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
