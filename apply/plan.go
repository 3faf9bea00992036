package apply

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/english"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// PlanOptions tune planning.
type PlanOptions struct {
	// Targets limits the plan to sinks and workers with these names, each
	// either "name" or "cluster/name". Empty means everything.
	Targets []string
	// RestartFailed plans a restart of failed connectors and tasks.
	RestartFailed bool
	// WorkersDir holds the deployed worker files, laid out as render -o
	// writes them. A worker's propertiesFile overrides it. With neither,
	// worker files are not planned.
	WorkersDir string
	// ReadFile reads a deployed worker file; it returns (nil, nil) when the
	// file does not exist.
	ReadFile func(path string) ([]byte, error)
	// Unrenderable lists sinks whose config could not
	// be rendered (a secret reference that does not resolve), with why.
	// Such a sink gets no change: its error is Contained, so apply carries
	// out every other change, and prune never deletes it, since it is
	// still declared.
	Unrenderable map[object.Ref]string
	// NoFingerprints plans without the fingerprints of live connectors
	// (diff.SinkOptions.NoFingerprints): for a plan that is not saved, and
	// not printed as JSON.
	NoFingerprints bool
}

// Desired is a sink's rendered config, secrets resolved, for apply to send.
type Desired struct {
	Sink   *manifest.Sink
	Config *manifest.Config
	// Sensitive is every key whose value must not be shown.
	Sensitive map[string]bool
}

// WorkerDesired is a worker's rendered properties file.
type WorkerDesired struct {
	Path string
	Data []byte
	Mode uint32
}

// Session is a plan and what apply needs to carry it out.
type Session struct {
	Plan     *diff.Plan
	Clusters map[string]*ClusterState
	Sinks    map[object.Ref]*Desired
	Workers  map[object.Ref]*WorkerDesired
}

// targeted reports whether --target names the object, as NAME or as
// CLUSTER/NAME.
func (o PlanOptions) targeted(r object.Ref) bool {
	if len(o.Targets) == 0 {
		return true
	}
	for _, t := range o.Targets {
		if t == r.Name || t == r.Qualified() {
			return true
		}
	}
	return false
}

// BuildPlan compares the rendered manifest with the clusters' live state.
func BuildPlan(m *manifest.Manifest, r *manifest.Rendered, live map[string]*ClusterState, o PlanOptions) *Session {
	pl := NewPlanner(m, r, o)
	for _, c := range m.Clusters {
		if cs := live[c.Name]; cs != nil {
			pl.Cluster(c.Name, cs)
		}
	}
	return pl.Session(live)
}

// Planner builds BuildPlan's plan a cluster at a time, in whatever order
// the clusters' live states come in: a cluster read early is planned while
// the others are still being read, and only the last one's planning is
// left once the read ends. Session puts the clusters' parts together in
// the manifest's order, which makes it BuildPlan's plan, whatever the order
// they were planned in (TestPlannerMatchesBuildPlan).
type Planner struct {
	m     *manifest.Manifest
	r     *manifest.Rendered
	o     PlanOptions
	parts map[string]*Session
	// sinks is the Sinks of every part, and then of the Session: one map
	// made for every sink at once, not one a cluster merged into another.
	sinks map[object.Ref]*Desired
}

// NewPlanner starts a plan of m, rendered as r.
func NewPlanner(m *manifest.Manifest, r *manifest.Rendered, o PlanOptions) *Planner {
	return &Planner{m: m, r: r, o: o, parts: make(map[string]*Session, len(m.Clusters)),
		sinks: make(map[object.Ref]*Desired, len(r.Sinks))}
}

// Cluster plans the cluster named name against its live state. A cluster
// the manifest does not declare is ignored. Cluster is not safe for
// concurrent use.
func (pl *Planner) Cluster(name string, cs *ClusterState) {
	for _, c := range pl.m.Clusters {
		if c.Name == name {
			// The parts share the Planner's map of sinks: a sink's ref
			// names its cluster, so theirs never collide.
			part := &Session{Plan: &diff.Plan{}, Sinks: pl.sinks}
			part.planCluster(c, cs, pl.r, pl.o)
			pl.parts[name] = part
			return
		}
	}
}

// Session is the plan of every cluster planned, in the manifest's order,
// with the worker files, sorted.
func (pl *Planner) Session(live map[string]*ClusterState) *Session {
	s := &Session{Plan: &diff.Plan{}, Clusters: live, Sinks: pl.sinks, Workers: map[object.Ref]*WorkerDesired{}}
	p := s.Plan
	if len(pl.parts) > 1 {
		// Made at its size once; nil, as before, when there is no change.
		changes := 0
		for _, part := range pl.parts {
			changes += len(part.Plan.Changes)
		}
		if changes > 0 {
			p.Changes = make([]diff.Change, 0, changes)
		}
	}
	for _, c := range pl.m.Clusters {
		part := pl.parts[c.Name]
		if part == nil {
			continue
		}
		p.Findings = append(p.Findings, part.Plan.Findings...)
		p.Unread = append(p.Unread, part.Plan.Unread...)
		if len(pl.parts) == 1 {
			p.Changes = part.Plan.Changes // no copy of thousands of changes
		} else {
			p.Changes = append(p.Changes, part.Plan.Changes...)
		}
	}
	s.planWorkerFiles(pl.r, pl.o)
	p.Sort()
	return s
}

// planCluster plans one cluster's sinks and findings into s.
func (s *Session) planCluster(c *manifest.Cluster, cs *ClusterState, r *manifest.Rendered, o PlanOptions) {
	p := s.Plan
	s.planWorkersFindings(c, cs)
	desired := make([]diff.Sink, 0, len(r.Sinks))
	var blocked []string
	named := sensitiveNames{}
	for _, rs := range r.Sinks {
		sk := rs.Sink
		ref := object.SinkRef(c.Name, sk.Name)
		if sk.Cluster != c.Name || !o.targeted(ref) {
			continue
		}
		if why, bad := o.Unrenderable[ref]; bad {
			blocked = append(blocked, sk.Name)
			p.Findings = append(p.Findings, diff.Finding{
				Severity: diff.SevError, Section: diff.SectionConnectors, Subject: object.SinkRef(c.Name, sk.Name),
				Message:   "not planned: " + why,
				Hint:      "fix the secret reference; the other changes are applied",
				Contained: true,
			})
			continue
		}
		d := &Desired{Sink: sk, Config: rs.Config, Sensitive: sensitiveKeys(rs.Config, cs.PasswordKeys[sk.ConnectorClass()], named)}
		s.Sinks[ref] = d
		ignore := append(append([]string{}, c.IgnoreKeys...), sk.IgnoreKeys...)
		desired = append(desired, diff.Sink{
			Cluster: c.Name, Name: sk.Name, Config: rs.Config.Values, State: sk.DesiredState(),
			Rules: diff.Rules{Ignore: ignore, Sensitive: func(k string) bool { return d.Sensitive[k] }},
		})
		s.sinkFindings(c, cs, sk)
	}
	if cs.Connectors == nil {
		p.Unread = append(p.Unread, c.Name)
		p.Findings = append(p.Findings, diff.Finding{
			Severity: diff.SevError, Section: diff.SectionWorkers, Subject: object.ClusterRef(c.Name),
			Message:   fmt.Sprintf("cannot read the connectors: %v", cs.ReadErr),
			Hint:      "check that at least one worker's url is reachable from here",
			Contained: true,
		})
		return
	}
	liveConns := make(map[string]diff.Connector, len(cs.Connectors))
	for name, conn := range cs.Connectors {
		if len(o.Targets) > 0 && !o.targeted(object.SinkRef(c.Name, name)) {
			continue
		}
		liveConns[name] = toDiffConnector(conn)
	}
	// A declared sink that could not be rendered is still declared:
	// never prune it.
	prune := diff.Prune{Enabled: c.Prune.Enabled, Keep: append(append([]string{}, c.Prune.Keep...), blocked...)}
	changes := diff.PlanSinks(c.Name, desired, liveConns, diff.SinkOptions{
		Prune: prune, RestartFailed: o.RestartFailed, Sensitive: manifest.LooksSensitive, NoFingerprints: o.NoFingerprints,
	})
	for _, ch := range changes {
		if len(ch.Unverifiable) > 0 {
			p.Findings = append(p.Findings, diff.Finding{
				Severity: diff.SevInfo, Section: diff.SectionConnectors, Subject: ch.Ref,
				Message: fmt.Sprintf("the worker masks %s, so %s not compared", strings.Join(ch.Unverifiable, ", "),
					english.Plural(len(ch.Unverifiable), "it was", "they were")),
			})
		}
	}
	p.Changes = changes
	s.versionFindings(cs, changes)
}

func toDiffConnector(c connect.Connector) diff.Connector {
	d := diff.Connector{Name: c.Name, Config: c.Config, State: c.Status.State, Trace: c.Status.Trace}
	for _, t := range c.Status.Tasks {
		d.Tasks = append(d.Tasks, diff.Task{ID: t.ID, State: t.State, WorkerID: t.WorkerID, Trace: t.Trace})
	}
	return d
}

// sensitiveKeys is every key of a sink's config that must not be shown: the
// values that came from secret references, the DataStax sink's passwords,
// the keys the plugin types as PASSWORD, and keys whose name says secret.
// It is nil when there is none: a plan of thousands of sinks without
// secrets holds no map per sink.
func sensitiveKeys(cfg *manifest.Config, pluginPasswords map[string]bool, named sensitiveNames) map[string]bool {
	var out map[string]bool
	mark := func(k string) {
		if out == nil {
			out = map[string]bool{}
		}
		out[k] = true
	}
	for k := range cfg.Values {
		if cfg.Sensitive[k] || pluginPasswords[k] || named.is(k) {
			mark(k)
		}
	}
	for k := range pluginPasswords {
		mark(k)
	}
	return out
}

// sensitiveNames remembers which keys are sensitive by their name alone
// (manifest.IsDataStaxPassword, manifest.LooksSensitive). The sinks of a
// cluster share most of their keys, and LooksSensitive lowers the key's
// case and searches it five times: asked once a key, not once a key of
// every sink.
type sensitiveNames map[string]bool

func (n sensitiveNames) is(k string) bool {
	s, ok := n[k]
	if !ok {
		s = manifest.IsDataStaxPassword(k) || manifest.LooksSensitive(k)
		n[k] = s
	}
	return s
}

func (s *Session) planWorkersFindings(c *manifest.Cluster, cs *ClusterState) {
	p := s.Plan
	ids := map[string][]string{}
	for _, w := range cs.Workers {
		if !w.Reachable() {
			p.Findings = append(p.Findings, diff.Finding{
				Severity: diff.SevWarning, Section: diff.SectionWorkers, Subject: object.WorkerRef(c.Name, w.Name),
				Message: fmt.Sprintf("does not answer at %s: %v", w.URL, w.Err),
				Hint:    "start it, or correct its url; the plan uses the workers that answer",
			})
			continue
		}
		ids[w.Info.KafkaClusterID] = append(ids[w.Info.KafkaClusterID], w.Name)
	}
	if len(ids) > 1 {
		var parts []string
		for id, names := range ids {
			parts = append(parts, fmt.Sprintf("%s (%s)", id, strings.Join(names, ", ")))
		}
		sort.Strings(parts)
		p.Findings = append(p.Findings, diff.Finding{
			Severity: diff.SevError, Section: diff.SectionWorkers, Subject: object.ClusterRef(c.Name),
			Message: "workers disagree on kafka_cluster_id: " + strings.Join(parts, "; "),
			Hint:    "every worker of one cluster must use the same Kafka cluster: check bootstrapServers and each worker's url",
		})
	}
	for _, id := range cs.UndeclaredWorkers() {
		p.Findings = append(p.Findings, diff.Finding{
			Severity: diff.SevWarning, Section: diff.SectionWorkers, Subject: object.WorkerRef(c.Name, id),
			Message: "runs connectors or tasks of this cluster but is not declared",
			Hint:    "declare it under workers:, or check its rest.advertised.host.name and port",
		})
	}
}

func (s *Session) sinkFindings(c *manifest.Cluster, cs *ClusterState, sk *manifest.Sink) {
	p := s.Plan
	class := sk.ConnectorClass()
	if missing := cs.WorkersMissing(class); len(missing) > 0 {
		p.Findings = append(p.Findings, diff.Finding{
			Severity: diff.SevError, Section: diff.SectionConnectors, Subject: object.SinkRef(c.Name, sk.Name),
			Where:   sk.At("class").String(),
			Message: fmt.Sprintf("connector class %s is not installed on %s", class, strings.Join(missing, ", ")),
			Hint:    "install the plugin under plugin.path on every worker and restart them",
		})
	}
	conn, ok := cs.Connectors[sk.Name]
	if !ok {
		return
	}
	if conn.Status.State == object.StateFailed {
		p.Findings = append(p.Findings, diff.Finding{
			Severity: diff.SevWarning, Section: diff.SectionConnectors, Subject: object.SinkRef(c.Name, sk.Name),
			Message: "connector FAILED on " + conn.Status.WorkerID + ": " + FirstLine(conn.Status.Trace),
			Hint:    "fix the cause, then run apply --restart-failed",
		})
	}
	for _, t := range conn.Status.Tasks {
		if t.State == object.StateFailed {
			p.Findings = append(p.Findings, diff.Finding{
				Severity: diff.SevWarning, Section: diff.SectionConnectors, Subject: object.SinkRef(c.Name, sk.Name),
				Message: fmt.Sprintf("task %d FAILED on %s: %s", t.ID, t.WorkerID, FirstLine(t.Trace)),
				Hint:    "fix the cause, then run apply --restart-failed",
			})
		}
	}
}

// versionFindings reports desired states the cluster's Kafka version
// cannot reach.
func (s *Session) versionFindings(cs *ClusterState, changes []diff.Change) {
	v, ok := cs.MinVersion()
	if !ok {
		return
	}
	for _, ch := range changes {
		if ch.StateAfter == object.StateStopped && ch.StateChanged() && !v.AtLeast(3, 5) {
			d := s.Sinks[ch.Ref]
			s.Plan.Findings = append(s.Plan.Findings, diff.Finding{
				Severity: diff.SevError, Section: diff.SectionConnectors, Subject: ch.Ref,
				Where:   d.Sink.At("state").String(),
				Message: fmt.Sprintf("state stopped needs Kafka Connect 3.5 or newer; a worker runs %s", v),
				Hint:    "use state: paused, or upgrade the workers",
			})
		}
	}
}

// FirstLine returns the first line of a stack trace.
func FirstLine(trace string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(trace), "\n")
	if line == "" {
		return "(no trace)"
	}
	return strings.TrimSpace(line)
}

// WorkerFilePath returns where a worker's deployed properties file is, or "".
func (o PlanOptions) WorkerFilePath(w *manifest.Worker) string {
	switch {
	case w.PropertiesFile != "":
		if filepath.IsAbs(w.PropertiesFile) || w.Src == nil {
			return w.PropertiesFile
		}
		return filepath.Join(w.Src.Dir, w.PropertiesFile)
	case o.WorkersDir != "":
		return filepath.Join(o.WorkersDir, filepath.FromSlash(manifest.WorkerFilePath(w)))
	}
	return ""
}

func (s *Session) planWorkerFiles(r *manifest.Rendered, o PlanOptions) {
	files := map[object.Ref]manifest.File{}
	for _, f := range r.WorkerFiles() {
		files[f.Ref] = f
	}
	for _, rw := range r.Workers {
		w := rw.Worker
		ref := object.WorkerRef(w.Cluster, w.Name)
		path := o.WorkerFilePath(w)
		if path == "" || !o.targeted(ref) || o.ReadFile == nil {
			continue
		}
		data, err := o.ReadFile(path)
		if err != nil {
			s.Plan.Findings = append(s.Plan.Findings, diff.Finding{
				Severity: diff.SevError, Section: diff.SectionWorkers, Subject: object.WorkerRef(w.Cluster, w.Name),
				Message: fmt.Sprintf("cannot read the deployed properties: %v", err),
			})
			continue
		}
		var deployed map[string]string
		if data != nil {
			deployed = manifest.ParseProperties(string(data))
		}
		ch := diff.PlanWorker(diff.WorkerFile{
			Cluster: w.Cluster, Name: w.Name, Path: path,
			Rendered: rw.Props.Values, Sensitive: rw.Props.Sensitive, Deployed: deployed,
		})
		s.Plan.Changes = append(s.Plan.Changes, ch)
		f := files[ref]
		s.Workers[ref] = &WorkerDesired{Path: path, Data: f.Data, Mode: uint32(f.Mode)}
	}
}
