// Package preflight runs the checks plan makes before it proposes a change to
// a sink, so that a plan that says "ok" means the tasks will start:
//
//   - the worker's own verdict on the config
//     (PUT /connector-plugins/{class}/config/validate), mapped back to the
//     manifest field each key came from;
//   - for DataStax sinks that opt in, the live Cassandra schema: keyspaces,
//     tables, mapped and primary-key columns, and what the connector checks
//     against them when a task starts;
//   - for DataStax sinks that opt in with preflight.sampleRecords, the newest
//     records of their topics, read from Kafka without joining a group, and
//     the connector's conversion of each mapped field predicted against the
//     live column types (conversions.go holds the rules), and the health of
//     those already running: consumer-group lag, and stalled partitions.
//
// Only sinks that plan creates or updates are checked. Every result is a
// diff.Finding in the "preflight" section; nothing is written anywhere.
package preflight

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// defaultTimeout bounds one worker validation and one Cassandra schema read
// when Options.Timeout is zero.
const defaultTimeout = 15 * time.Second

// Options select the checks.
type Options struct {
	// Validate asks a worker to validate each created or changed sink's
	// config (on by default in the CLI; --no-validate turns it off).
	Validate bool
	// CassandraSchema forces the schema check for every DataStax sink
	// (--cassandra-schema). Otherwise a sink's preflight.cassandraSchema,
	// or else its cluster's, decides.
	CassandraSchema bool
	// Resolver resolves the secrets the schema check logs in with, the
	// same way render does. Nil uses the values already in the session.
	Resolver manifest.Resolver
	// Timeout bounds each validation request and each schema read.
	Timeout time.Duration
	// SampleTimeout is the time budget of reading one cluster's sampled
	// records (preflight.sampleRecords); zero means defaultSampleTimeout.
	SampleTimeout time.Duration
}

func (o Options) sampleTimeout() time.Duration {
	if o.SampleTimeout <= 0 {
		return defaultSampleTimeout
	}
	return o.SampleTimeout
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return defaultTimeout
	}
	return o.Timeout
}

// target is one sink that plan creates or updates.
type target struct {
	cluster *manifest.Cluster
	state   *apply.ClusterState
	desired *apply.Desired
}

func (t target) ref() object.Ref { return object.SinkRef(t.cluster.Name, t.desired.Sink.Name) }

func (t target) finding(sev diff.Severity, where manifest.Pos, msg, hint string) diff.Finding {
	return diff.Finding{Severity: sev, Section: diff.SectionPreflight, Subject: t.ref(),
		Where: where.String(), Message: msg, Hint: hint}
}

// validateParallelism is how many validations are sent at once, over every
// cluster: a validation runs the connector's own checks on the worker.
const validateParallelism = 4

// Run checks every sink the plan creates or updates and returns the
// findings, sorted. It never fails: a check that cannot run is a finding.
func Run(ctx context.Context, s *apply.Session, m *manifest.Manifest, o Options) []diff.Finding {
	targets := targets(s, m)
	var out []diff.Finding
	if o.Validate {
		// The worker validates one config per request: a plan of hundreds
		// of changes asks a few at a time, and keeps the plan's order.
		found := make([][]diff.Finding, len(targets))
		sem := make(chan struct{}, validateParallelism)
		var wg sync.WaitGroup
		for i, t := range targets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				found[i] = validate(ctx, t, o)
			}()
		}
		wg.Wait()
		for _, f := range found {
			out = append(out, f...)
		}
	}
	// Sampling needs the live column types, so a sink that samples records
	// is checked against the schema too. With no sink sampling, plan does no
	// Kafka I/O at all.
	var schema, sampling []target
	for _, t := range targets {
		samples := t.desired.Sink.IsDataStax() && manifest.SampleRecords(t.cluster, t.desired.Sink) > 0
		if samples {
			sampling = append(sampling, t)
		}
		if t.desired.Sink.IsDataStax() && (samples || wantsSchema(t, o)) {
			schema = append(schema, t)
		}
	}
	var samples map[*apply.Desired]*sampled
	var health []diff.Finding
	if len(sampling) > 0 {
		var fs []diff.Finding
		samples, fs = sampleRecords(ctx, m, sampling, o)
		out = append(out, fs...)
	}
	if live := liveRunning(s, m); len(live) > 0 {
		health = checkHealth(ctx, m, live, o)
	}
	out = append(out, checkSchemas(ctx, schema, o, samples)...)
	out = append(out, health...)
	diff.SortFindings(out)
	return out
}

// targets lists the sinks whose change is a create or an update, in the
// plan's order.
func targets(s *apply.Session, m *manifest.Manifest) []target {
	if s == nil || s.Plan == nil {
		return nil
	}
	clusters := m.ClusterByName()
	var out []target
	for _, ch := range s.Plan.Changes {
		if ch.Kind != object.KindSink || (ch.Action != diff.Create && ch.Action != diff.Update) {
			continue
		}
		d := s.Sinks[ch.Ref]
		c := clusters[ch.Cluster]
		if d == nil || d.Config == nil || c == nil {
			continue
		}
		out = append(out, target{cluster: c, state: s.Clusters[ch.Cluster], desired: d})
	}
	return out
}

// wantsSchema decides whether a sink's tables are checked against Cassandra:
// the flag, else the sink's own preflight setting, else its cluster's.
func wantsSchema(t target, o Options) bool {
	switch {
	case o.CassandraSchema:
		return true
	}
	return manifest.WantsCassandraSchema(t.cluster, t.desired.Sink)
}

// validate asks a worker for its verdict on one sink's config.
func validate(ctx context.Context, t target, o Options) []diff.Finding {
	sk := t.desired.Sink
	class := sk.ConnectorClass()
	if t.state == nil {
		return nil
	}
	client := t.state.Client()
	// No worker answered, or the plugin is missing: plan already reports
	// both, and the worker's answer would only repeat it.
	if client == nil || len(t.state.WorkersMissing(class)) > 0 {
		return nil
	}
	cfg := make(map[string]string, len(t.desired.Config.Values)+1)
	for k, v := range t.desired.Config.Values {
		cfg[k] = v
	}
	cfg["name"] = sk.Name
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	v, err := client.Validate(ctx, class, cfg)
	if err != nil {
		return []diff.Finding{t.finding(diff.SevWarning, sk.At("name"),
			fmt.Sprintf("the worker could not validate the config: %v", err),
			"plan again when the worker answers, or pass --no-validate")}
	}
	return verdictFindings(t, v)
}

// verdictFindings is validate's pure half: the worker's verdict on a sink's
// config, each error placed at the manifest field its key came from.
func verdictFindings(t target, v *connect.Validation) []diff.Finding {
	var out []diff.Finding
	for _, k := range v.Configs {
		for _, e := range k.Errors {
			where, field := locate(t.desired, k.Name)
			hint := "correct the value in the manifest"
			if len(k.RecommendedValues) > 0 {
				hint = "the worker recommends: " + strings.Join(k.RecommendedValues, ", ")
			}
			out = append(out, t.finding(diff.SevError, where,
				fmt.Sprintf("%s: the worker rejects it: %s", field, e), hint))
		}
	}
	if v.ErrorCount > 0 && len(out) == 0 {
		out = append(out, t.finding(diff.SevError, t.desired.Sink.At("name"),
			fmt.Sprintf("the worker reports %d error(s) in the config without naming a key", v.ErrorCount),
			"read the worker's log"))
	}
	return out
}

// locate returns the manifest position of a config key and a description of
// the field: "sinks[0].tasksMax (tasks.max)". A key the manifest does not
// set (one the worker requires) is placed at the sink.
func locate(d *apply.Desired, key string) (manifest.Pos, string) {
	loc, ok := d.Config.From(key)
	if !ok || loc.Path == "" {
		return d.Sink.At("name"), fmt.Sprintf("%s: %s (not set by the manifest)", d.Sink.Path, key)
	}
	if strings.HasSuffix(loc.Path, "."+key) || strings.HasSuffix(loc.Path, "["+strconv.Quote(key)+"]") {
		return loc.Pos, loc.Path
	}
	return loc.Pos, fmt.Sprintf("%s (%s)", loc.Path, key)
}
