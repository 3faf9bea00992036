package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/connectsync/connectsync/object"
)

// Sink is a connector as the manifest wants it.
type Sink struct {
	Cluster, Name string
	Config        map[string]string
	// State is StateRunning, StatePaused or StateStopped.
	State object.State
	Rules Rules
}

// Connector is a connector as a worker reports it.
type Connector struct {
	Name   string
	Config map[string]string
	State  object.State
	Trace  string
	Tasks  []Task
}

// Task is one task's live status.
type Task struct {
	ID       int
	State    object.State
	WorkerID string
	Trace    string
}

// FailedTasks returns the connector's failed tasks.
func (c Connector) FailedTasks() []Task {
	var out []Task
	for _, t := range c.Tasks {
		if t.State == object.StateFailed {
			out = append(out, t)
		}
	}
	return out
}

// Prune says which live connectors that no manifest declares are deleted.
type Prune struct {
	Enabled bool
	// Keep lists names never deleted; a trailing * matches a prefix.
	Keep []string
}

// Keeps reports whether name is protected from pruning.
func (p Prune) Keeps(name string) bool { return matchAny(p.Keep, name) }

// SinkOptions tune PlanSinks.
type SinkOptions struct {
	Prune Prune
	// RestartFailed plans a restart of failed connectors and tasks.
	RestartFailed bool
	// Sensitive marks keys of undeclared connectors (for prune) as secret.
	Sensitive func(key string) bool
	// NoFingerprints leaves Change.Fingerprint empty, for a plan that is
	// only read: fingerprints are for a saved plan, and a plan of thousands
	// of connectors spends a fifth of its time after the read on them.
	NoFingerprints bool
}

// PlanSinks compares one cluster's desired sinks with its live connectors.
// It returns a change for every desired sink (no-op ones included) and for
// every live connector that prune deletes.
func PlanSinks(cluster string, desired []Sink, live map[string]Connector, o SinkOptions) []Change {
	var out []Change // nil when there is no change at all
	if len(desired) > 0 {
		out = make([]Change, 0, len(desired))
	}
	declared := make(map[string]bool, len(desired))
	for _, s := range desired {
		declared[s.Name] = true
		c, exists := live[s.Name]
		ch := Change{Ref: object.SinkRef(cluster, s.Name), StateAfter: s.State}
		if !exists {
			ch.Action = Create
			ch.Fields, _ = Configs(nil, s.Config, s.Rules)
			if !o.NoFingerprints {
				ch.Fingerprint = Fingerprint(nil, object.StateAbsent, s.Rules.Sensitive)
			}
			out = append(out, ch)
			continue
		}
		ch.StateBefore = effectiveState(c.State, s.State)
		ch.Fields, ch.Unverifiable = Configs(c.Config, s.Config, s.Rules)
		if !o.NoFingerprints {
			ch.Fingerprint = Fingerprint(c.Config, c.State, s.Rules.Sensitive)
		}
		ch.RestartFailed = o.RestartFailed && s.State == object.StateRunning && (c.State == object.StateFailed || len(c.FailedTasks()) > 0)
		ch.Action = NoOp
		if ch.ConfigChanged() || ch.StateChanged() {
			ch.Action = Update
		}
		out = append(out, ch)
	}
	if o.Prune.Enabled {
		for _, name := range slices.Sorted(maps.Keys(live)) {
			if declared[name] || o.Prune.Keeps(name) {
				continue
			}
			c := live[name]
			rules := Rules{Sensitive: o.Sensitive}
			fields, _ := Configs(c.Config, nil, rules)
			ch := Change{Ref: object.SinkRef(cluster, name), Action: Delete, Fields: fields, StateBefore: c.State}
			if !o.NoFingerprints {
				ch.Fingerprint = Fingerprint(c.Config, c.State, o.Sensitive)
			}
			out = append(out, ch)
		}
	}
	return out
}

// effectiveState maps a live state onto the desired one where they mean
// the same: a running connector whose tasks are being (re)assigned, or that
// failed, is still meant to run; apply does not "resume" it. A failed one is
// a finding, and --restart-failed restarts it.
func effectiveState(live, desired object.State) object.State {
	switch live {
	case object.StateUnassigned, object.StateRestarting, object.StateFailed:
		if desired == object.StateRunning {
			return object.StateRunning
		}
	}
	return live
}

// WorkerFile is one worker's properties, rendered and deployed.
type WorkerFile struct {
	Cluster, Name, Path string
	Rendered            map[string]string
	Sensitive           map[string]bool
	// Deployed is the file's current content; nil when it does not exist.
	Deployed map[string]string
}

// PlanWorker compares a worker's rendered properties with its deployed file.
func PlanWorker(w WorkerFile) Change {
	rules := Rules{Sensitive: func(k string) bool { return w.Sensitive[k] }}
	ch := Change{Ref: object.WorkerRef(w.Cluster, w.Name), Path: w.Path, Action: NoOp}
	ch.Fields = configsAll(w.Deployed, w.Rendered, rules)
	switch {
	case w.Deployed == nil:
		ch.Action = Create
		ch.Fingerprint = Fingerprint(nil, object.StateAbsent, rules.Sensitive)
	default:
		ch.Fingerprint = Fingerprint(w.Deployed, "", rules.Sensitive)
		if len(ch.Fields) > 0 {
			ch.Action = Update
		}
	}
	return ch
}

// configsAll compares every key: a worker file has no server-added keys.
func configsAll(before, after map[string]string, r Rules) []Field {
	fields, _ := Configs(before, after, Rules{Sensitive: r.Sensitive, Ignore: nil})
	// Configs drops name and __internal.* keys, which a worker file may
	// legitimately hold; compare those here.
	keys := slices.AppendSeq(slices.Collect(maps.Keys(before)), maps.Keys(after))
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if !ignoredAlways(k) {
			continue
		}
		b, hb := before[k]
		a, ha := after[k]
		if hb != ha || b != a {
			fields = append(fields, Field{Key: k, Before: b, After: a, HasBefore: hb, HasAfter: ha, Sensitive: r.sensitive(k)})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
	return fields
}

// Fingerprint identifies a live object's state for a saved plan: SHA-256
// over its sorted keys and values and its state. Sensitive values are left
// out, so that a plan file cannot be used to test guesses of a secret; a
// change to one still shows, as a different plan, when apply plans again.
func Fingerprint(cfg map[string]string, state object.State, sensitive func(string) bool) string {
	if cfg == nil && state == object.StateAbsent {
		return "absent"
	}
	// A plan fingerprints every connector: the keys and the bytes hashed
	// are built in buffers reused from one call to the next.
	sc := fingerprintScratch.Get().(*fingerprintBufs)
	defer fingerprintScratch.Put(sc)
	keys := sc.keys[:0]
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// The bytes of fmt's "%q=%q\n" per key, built without fmt: a plan
	// fingerprints every connector, and fmt was most of it.
	b := sc.b[:0]
	for _, k := range keys {
		v := cfg[k]
		if sensitive != nil && sensitive(k) {
			v = "(sensitive)"
		}
		b = appendQuote(b, k)
		b = append(b, '=')
		b = appendQuote(b, v)
		b = append(b, '\n')
	}
	b = append(b, "state="...)
	b = appendQuote(b, string(state))
	b = append(b, '\n')
	sum := sha256.Sum256(b)
	clear(keys)
	sc.keys, sc.b = keys, b
	return hex.EncodeToString(sum[:8])
}

// appendQuote is strconv.AppendQuote, byte for byte, with a fast path for
// the text configs are made of, printable ASCII that needs no escape: the
// rune-by-rune checks of AppendQuote were half of a fingerprint's cost.
func appendQuote(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

type fingerprintBufs struct {
	keys []string
	b    []byte
}

var fingerprintScratch = sync.Pool{New: func() any { return new(fingerprintBufs) }}

// Severity of a Finding.
type Severity string

// Finding severities. An error makes plan exit 1.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Section groups a plan's findings. Its value is its rank: sections are
// printed from the cluster down to the sink.
type Section int

// Sections, in the order the plan prints them.
const (
	SectionWorkers Section = iota
	SectionConnectors
	SectionPreflight
)

var sections = [...]struct{ name, title string }{
	SectionWorkers:    {"workers", "Workers"},
	SectionConnectors: {"connectors", "Connectors"},
	SectionPreflight:  {"preflight", "Preflight"},
}

// String is the section's name in machine output: "workers".
func (s Section) String() string {
	if s < 0 || int(s) >= len(sections) {
		return fmt.Sprintf("section(%d)", int(s))
	}
	return sections[s].name
}

// Title is the section's heading in the plan: "Workers".
func (s Section) Title() string {
	if s < 0 || int(s) >= len(sections) {
		return s.String()
	}
	return sections[s].title
}

// Finding is something plan noticed that is not a change: an unreachable
// worker, a missing plugin, failed tasks, a preflight problem.
type Finding struct {
	Severity Severity
	Section  Section
	// Subject is what the finding is about: a cluster, a worker, a
	// connector. Its Cluster is the finding's cluster.
	Subject object.Ref
	// Where is a manifest location, file:line:col, when there is one.
	Where   string
	Message string
	Hint    string
	// Contained marks an error that stops only its own subject's changes:
	// a cluster whose live state could not be read, a sink whose secret
	// could not be resolved. apply carries out the other changes and still
	// fails. Any other error stops the whole apply.
	Contained bool
}

// Plan is everything apply will do, and everything plan noticed.
type Plan struct {
	Changes  []Change
	Findings []Finding
	// Unread lists the clusters whose live connectors could not be read:
	// the plan knows nothing of their connectors, so it must never claim
	// that they match the manifests.
	Unread []string
}

// Sort orders changes by cluster, kind (workers first) and name, and
// findings by section (workers, connectors, preflight), cluster, subject and
// message, for stable output.
func (p *Plan) Sort() {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Kind != b.Kind {
			return a.Kind == object.KindWorker
		}
		return a.Name < b.Name
	})
	SortFindings(p.Findings)
}

// SortFindings orders findings by section (workers, connectors, preflight),
// cluster, subject, place and message, for stable output.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Section != b.Section {
			return a.Section < b.Section
		}
		for _, c := range [][2]string{{a.Subject.Cluster, b.Subject.Cluster}, {a.Subject.String(), b.Subject.String()}, {a.Where, b.Where}, {a.Message, b.Message}} {
			if c[0] != c[1] {
				return c[0] < c[1]
			}
		}
		return false
	})
}

// Counts returns how many objects are created, changed, deleted, and how
// many connectors are restarted.
func (p *Plan) Counts() (create, change, del, restart int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			create++
		case Update:
			change++
		case Delete:
			del++
		}
		if c.RestartFailed {
			restart++
		}
	}
	return
}

// HasChanges reports whether apply would do anything.
func (p *Plan) HasChanges() bool {
	c, u, d, r := p.Counts()
	return c+u+d+r > 0
}

// HasBlockingErrors reports whether any finding is an error that stops the
// whole apply (one that is not Contained).
func (p *Plan) HasBlockingErrors() bool {
	for _, f := range p.Findings {
		if f.Severity == SevError && !f.Contained {
			return true
		}
	}
	return false
}

// HasErrors reports whether any finding is an error.
func (p *Plan) HasErrors() bool {
	for _, f := range p.Findings {
		if f.Severity == SevError {
			return true
		}
	}
	return false
}
