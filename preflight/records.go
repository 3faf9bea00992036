package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/kafka"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// defaultSampleTimeout is the time budget of one cluster's record sampling
// when Options.SampleTimeout is zero.
const defaultSampleTimeout = 10 * time.Second

// Converter classes preflight can decode as the workers do.
const (
	stringConverter = "org.apache.kafka.connect.storage.StringConverter"
	jsonConverter   = "org.apache.kafka.connect.json.JsonConverter"
)

// converter is a sink's key or value converter, as the worker builds it:
// the connector's <side>.converter if set (with its own settings), else the
// worker's.
type converter struct {
	side, class string
	schemas     bool
	// key is the config key the class came from, for locating findings.
	key string
}

func converterOf(side string, worker, sink map[string]string) converter {
	k := side + ".converter"
	c := converter{side: side, class: strings.TrimSpace(worker[k]), key: k}
	props := worker
	// Connect builds the connector's own converter only when the connector
	// names a class (Worker.startTask); its <side>.converter.* settings are
	// ignored otherwise.
	if v, ok := sink[k]; ok {
		c.class, props = strings.TrimSpace(v), sink
	}
	c.schemas = !strings.EqualFold(strings.TrimSpace(props[k+".schemas.enable"]), "false")
	if _, ok := sink[k+".schemas.enable"]; ok && props != nil && sink[k] != "" {
		c.key = k + ".schemas.enable"
	}
	return c
}

func (c converter) supported() bool { return c.class == stringConverter || c.class == jsonConverter }

func (c converter) String() string {
	short := c.class[strings.LastIndex(c.class, ".")+1:]
	if c.class == jsonConverter {
		return fmt.Sprintf("%s (schemas.enable=%v)", short, c.schemas)
	}
	return short
}

// field is one top-level field of a sampled JSON object.
type field struct{ kind, text string }

// decoded is one side (key or value) of a record as the sink receives it.
type decoded struct {
	// fields is set when the side is a JSON object whose fields follow the
	// JSON conversion rules; nil otherwise (not predicted).
	fields    map[string]field
	tombstone bool
	// rejected is the converter's own error: the task FAILS on it.
	rejected string
}

const (
	serializationError = "Converting byte[] to Kafka Connect data failed due to serialization error"
	envelopeError      = `JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.`
)

// decode reads a key or value as the converter and the sink do
// (docs/preflight.md, "Decoding as the workers do").
func (c converter) decode(b []byte) decoded {
	if b == nil {
		return decoded{tombstone: true}
	}
	switch c.class {
	case stringConverter:
		// The sink parses the text as JSON; an object follows the JSON rules.
		v, err := parseJSON(b)
		if m, ok := v.(map[string]any); err == nil && ok {
			return decoded{fields: fieldsOf(m)}
		}
		return decoded{}
	case jsonConverter:
		v, err := parseJSON(b)
		if err != nil {
			return decoded{rejected: serializationError}
		}
		m, isObject := v.(map[string]any)
		if c.schemas {
			_, hasSchema := m["schema"]
			_, hasPayload := m["payload"]
			if !isObject || !hasSchema || !hasPayload || len(m) != 2 {
				return decoded{rejected: envelopeError}
			}
			return decoded{} // a typed value: not predicted
		}
		if isObject {
			return decoded{fields: fieldsOf(m)}
		}
	}
	return decoded{}
}

func parseJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func fieldsOf(m map[string]any) map[string]field {
	out := make(map[string]field, len(m))
	for k, v := range m {
		out[k] = fieldOf(v)
	}
	return out
}

func fieldOf(v any) field {
	switch x := v.(type) {
	case nil:
		return field{kindNull, "null"}
	case bool:
		return field{kindBoolean, fmt.Sprint(x)}
	case string:
		return field{kindString, x}
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return field{kindFraction, x.String()}
		}
		return field{kindInteger, x.String()}
	case map[string]any:
		b, _ := json.Marshal(x)
		return field{kindObject, string(b)}
	default:
		b, _ := json.Marshal(x)
		return field{kindArray, string(b)}
	}
}

// --- sampling ---------------------------------------------------------------------------

// sampled is what was read for one sink.
type sampled struct {
	n       int
	worker  map[string]string
	records *kafka.Sample
}

// sampleRecords reads the records of every sink that opts in, one client
// per distinct connection, all connections at once, each under the time
// budget. An unreachable broker is a warning for each of its sinks.
func sampleRecords(ctx context.Context, m *manifest.Manifest, ts []target, o Options) (map[*apply.Desired]*sampled, []diff.Finding) {
	out := map[*apply.Desired]*sampled{}
	var findings []diff.Finding
	type group struct {
		settings kafka.Settings
		targets  []target
		topics   map[string]bool
		n        int
		sample   *kafka.Sample
		err      error
	}
	groups := map[string]*group{}
	var order []string
	for _, t := range ts {
		sk := t.desired.Sink
		n := manifest.SampleRecords(t.cluster, sk)
		props, err := WorkerProperties(m, t.cluster, o.Resolver)
		var s kafka.Settings
		if err == nil {
			s, err = KafkaSettings(m, t.cluster, t.desired.Config.Values, o.Resolver)
		}
		if err != nil {
			findings = append(findings, t.finding(diff.SevWarning, sk.At("preflight.sampleRecords"),
				fmt.Sprintf("cannot sample records: the brokers cannot be reached from here with the cluster's settings: %v", err),
				"sample by hand, or set preflight.sampleRecords: 0 for this sink"))
			continue
		}
		out[t.desired] = &sampled{n: n, worker: props}
		k := s.String() + "\x00" + s.Password
		g := groups[k]
		if g == nil {
			g = &group{settings: s, topics: map[string]bool{}}
			groups[k] = g
			order = append(order, k)
		}
		g.targets = append(g.targets, t)
		g.n = max(g.n, n)
		for _, tr := range manifest.Tables(t.desired.Config.Values) {
			g.topics[tr.Topic] = true
		}
	}
	var wg sync.WaitGroup
	for _, k := range order {
		g := groups[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := kafka.Dial(g.settings)
			if err != nil {
				g.err = err
				return
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(ctx, o.sampleTimeout())
			defer cancel()
			g.sample, g.err = cl.Latest(ctx, slices.Sorted(maps.Keys(g.topics)), g.n)
		}()
	}
	wg.Wait()
	for _, k := range order {
		g := groups[k]
		for _, t := range g.targets {
			if g.err != nil {
				findings = append(findings, t.finding(diff.SevWarning, t.desired.Sink.At("preflight.sampleRecords"),
					fmt.Sprintf("cannot sample records from Kafka at %s within %s, so their conversion was not predicted: %v",
						strings.Join(g.settings.Bootstrap, ","), o.sampleTimeout(), g.err),
					"check that the brokers answer from here with the cluster's settings, or set preflight.sampleRecords: 0"))
				delete(out, t.desired)
				continue
			}
			out[t.desired].records = g.sample
			if len(g.sample.Short) > 0 {
				findings = append(findings, t.finding(diff.SevWarning, t.desired.Sink.At("preflight.sampleRecords"),
					fmt.Sprintf("the time budget (%s) ran out before every record was read from %s: the prediction covers what arrived",
						o.sampleTimeout(), strings.Join(g.sample.Short, ", ")), "sample fewer records, or plan closer to the brokers"))
			}
		}
	}
	return out, findings
}

// newest returns the newest n records of each partition.
func newest(rs []kafka.Record, n int) []kafka.Record {
	var out []kafka.Record
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j].Partition == rs[i].Partition {
			j++
		}
		out = append(out, rs[max(i, j-n):j]...)
		i = j
	}
	return out
}

// --- predicting -------------------------------------------------------------------------

// outcome gathers the sampled records one rule decides for one entry.
type outcome struct {
	entry   manifest.MappingEntry
	col     column
	rule    *conversionRule
	count   int
	example kafka.Record
	text    string
	kind    string
}

// predictSink predicts the fate of every mapped key or value field of a
// sink's sampled records, against the live column types.
func predictSink(t target, s *schema, sp *sampled) []diff.Finding {
	d := t.desired
	v := d.Config.Values
	conv := map[manifest.FieldKind]converter{
		manifest.FromKey:   converterOf("key", sp.worker, v),
		manifest.FromValue: converterOf("value", sp.worker, v),
	}
	var out []diff.Finding
	unsupported := map[string]bool{}
	rejected := map[string]bool{}
	for _, tr := range manifest.Tables(v) {
		what := fmt.Sprintf("topic %s, table %s.%s", tr.Topic, tr.Keyspace, tr.Table)
		tb := s.keyspaces[identifier(tr.Keyspace)][identifier(tr.Table)]
		entries, problems := manifest.ParseMapping(v[tr.Prefix()+"mapping"])
		if tb == nil || len(problems) > 0 || strings.TrimSpace(v[tr.Prefix()+"query"]) != "" {
			continue // the schema check, or validate, reports these
		}
		recs := newest(sp.records.Records[tr.Topic], sp.n)
		if len(recs) == 0 {
			continue
		}
		sides := map[manifest.FieldKind][]decoded{}
		for _, kind := range []manifest.FieldKind{manifest.FromKey, manifest.FromValue} {
			c := conv[kind]
			if !c.supported() {
				if !unsupported[c.key] && mapsSide(entries, kind) {
					unsupported[c.key] = true
					where, _ := locate(d, c.key)
					out = append(out, t.finding(diff.SevInfo, where,
						fmt.Sprintf("records are not sampled through the %s converter %s: preflight decodes only StringConverter and JsonConverter", c.side, orUnset(c.class)),
						"check the data by hand"))
				}
				continue
			}
			ds := make([]decoded, len(recs))
			for i, r := range recs {
				b := r.Value
				if kind == manifest.FromKey {
					b = r.Key
				}
				ds[i] = c.decode(b)
			}
			sides[kind] = ds
			// A record the converter rejects fails the task, whatever the mapping.
			bad, first := 0, -1
			for i, dd := range ds {
				if dd.rejected != "" {
					bad++
					if first < 0 {
						first = i
					}
				}
			}
			if bad > 0 && !rejected[tr.Topic+"\x00"+c.side] {
				rejected[tr.Topic+"\x00"+c.side] = true
				where, _ := locate(d, c.key)
				r := recs[first]
				out = append(out, t.finding(diff.SevError, where,
					fmt.Sprintf("topic %s: %d of %d sampled records are rejected by the %s converter %s before the connector sees them (e.g. partition %d, offset %d): %q; the task FAILS on the first one",
						tr.Topic, bad, len(recs), c.side, c, r.Partition, r.Offset, ds[first].rejected),
					converterHint(c)))
			}
		}
		var outcomes []*outcome
		byKey := map[string]*outcome{}
		for _, e := range entries {
			if e.Special() || e.Path == "" || (e.Kind != manifest.FromKey && e.Kind != manifest.FromValue) {
				continue
			}
			col, ok := tb.columns[e.Column]
			if !ok {
				continue
			}
			ds := sides[e.Kind]
			for i, dd := range ds {
				if dd.tombstone || dd.fields == nil || dd.rejected != "" {
					continue
				}
				f, ok := dd.fields[e.Path]
				if !ok {
					f = field{kind: kindMissing}
				}
				r := predict(col.typ, f.kind, f.text, v["topic."+tr.Topic+".codec.timestamp"])
				if r == nil || r.Fate == fateConverts {
					continue
				}
				k := e.Text + "\x00" + r.Message + r.Kind
				o := byKey[k]
				if o == nil {
					o = &outcome{entry: e, col: col, rule: r, example: recs[i], text: f.text, kind: f.kind}
					byKey[k] = o
					outcomes = append(outcomes, o)
				}
				o.count++
			}
		}
		for _, o := range outcomes {
			out = append(out, t.finding(severityOf(o.rule.Fate), tableField(d, tr, "mapping"),
				what+": "+o.describe(len(recs)), o.rule.Fix))
		}
	}
	return out
}

func (o *outcome) describe(total int) string {
	field := o.entry.Field()
	col := fmt.Sprintf("column %q (%s) from %s", o.entry.Column, o.col.typ, field)
	at := fmt.Sprintf("partition %d, offset %d", o.example.Partition, o.example.Offset)
	switch o.rule.Fate {
	case fateMissing:
		return fmt.Sprintf("%s: %d of %d sampled records lack the field (e.g. %s); the connector fails each: %q, and retries it forever while the task stays RUNNING",
			col, o.count, total, at, o.rule.message(field, o.entry.Column, o.col.typ, o.text))
	case fateNull:
		return fmt.Sprintf("%s: %d of %d sampled records have a JSON %s there (e.g. %s: %s), which the connector silently writes as null (or leaves unset)",
			col, o.count, total, o.kind, at, clip(o.text))
	}
	return fmt.Sprintf("%s: %d of %d sampled records fail to convert (e.g. %s: the JSON %s %s); the connector logs %q for each and retries it forever while the task stays RUNNING",
		col, o.count, total, at, o.kind, clip(o.text), o.rule.message(field, o.entry.Column, o.col.typ, o.text))
}

func severityOf(f fate) diff.Severity {
	if f == fateNull {
		return diff.SevWarning
	}
	return diff.SevError
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func orUnset(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}

func mapsSide(entries []manifest.MappingEntry, kind manifest.FieldKind) bool {
	for _, e := range entries {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func converterHint(c converter) string {
	if c.class == jsonConverter && c.schemas {
		return fmt.Sprintf("for plain JSON set %s.converter.schemas.enable: false on the sink (config:) or the cluster (converters.%s.schemasEnable: false)", c.side, c.side)
	}
	return "produce records the converter can read, or set errors.tolerance: all to skip them (with a dead letter queue)"
}

// --- health -----------------------------------------------------------------------------

// checkHealth reads the consumer group of every live sink that opts in to
// sampling, and warns about those RUNNING but stalled.
func checkHealth(ctx context.Context, m *manifest.Manifest, ts []target, o Options) []diff.Finding {
	var mu sync.Mutex
	var out []diff.Finding
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := healthFinding(ctx, m, t, o)
			mu.Lock()
			out = append(out, f...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func healthFinding(ctx context.Context, m *manifest.Manifest, t target, o Options) []diff.Finding {
	sk := t.desired.Sink
	props, err := WorkerProperties(m, t.cluster, o.Resolver)
	if err != nil {
		return nil // sampling reports it
	}
	s, err := KafkaSettings(m, t.cluster, t.desired.Config.Values, o.Resolver)
	if err != nil {
		return nil
	}
	cl, err := kafka.Dial(s)
	if err != nil {
		return nil
	}
	defer cl.Close()
	interval := StallInterval(props)
	h, err := ReadHealth(ctx, cl, sk.Name, SinkTopics(t.desired.Config.Values), interval, o.sampleTimeout())
	if err != nil {
		return []diff.Finding{t.finding(diff.SevWarning, sk.At("name"),
			fmt.Sprintf("cannot read the progress of consumer group %s from Kafka: %v", h.Group, err),
			"check that the brokers answer from here, or set preflight.sampleRecords: 0")}
	}
	if !h.IsStalled() {
		return nil
	}
	return []diff.Finding{t.finding(diff.SevWarning, sk.At("name"),
		fmt.Sprintf("RUNNING but %s (consumer group %s): the connector is retrying records it cannot write", h.Summary(), h.Group),
		"read the workers' WARN lines for the records, fix the data or the mapping, and plan again; connectsync status shows the figures")}
}

// liveRunning lists the declared sinks in the plan (any action but delete)
// whose connector exists and is RUNNING, that opt in to sampling.
func liveRunning(s *apply.Session, m *manifest.Manifest) []target {
	if s == nil || s.Plan == nil {
		return nil
	}
	clusters := m.ClusterByName()
	var out []target
	for _, ch := range s.Plan.Changes {
		if ch.Kind != object.KindSink || ch.Action == diff.Delete {
			continue
		}
		d, c, cs := s.Sinks[ch.Ref], clusters[ch.Cluster], s.Clusters[ch.Cluster]
		if d == nil || d.Config == nil || c == nil || cs == nil || !d.Sink.IsDataStax() || manifest.SampleRecords(c, d.Sink) == 0 {
			continue
		}
		if live, ok := cs.Connectors[ch.Name]; !ok || live.Status.State != object.StateRunning {
			continue
		}
		out = append(out, target{cluster: c, state: cs, desired: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref().Compare(out[j].ref()) < 0 })
	return out
}
