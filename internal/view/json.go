package view

import (
	"cmp"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// The --json documents are a published interface, so they have Go types
// of their own, here: nothing in them is another package's type
// marshalled as it is. The plan file (apply.PlanFile) is a storage format
// with its own version; the two look alike today and may part ways.
//
// JSONFormatVersion is the version of every --json document, in its
// "format_version". It changes only when a field is removed or changes
// meaning; new fields may be added. docs/plan-apply.md lists the
// documents.
const JSONFormatVersion = 1

// ValidateJSON is validate --json.
type ValidateJSON struct {
	FormatVersion int              `json:"format_version"`
	Valid         bool             `json:"valid"`
	Files         []string         `json:"files"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
}

// JSONDiagnostic is a diagnostic in the --json output.
type JSONDiagnostic struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
}

// JSONDiagnostics converts diagnostics for JSON output.
func JSONDiagnostics(ds manifest.Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, JSONDiagnostic{Severity: d.Severity.String(), File: d.Pos.File, Line: d.Pos.Line,
			Column: d.Pos.Col, Path: d.Path, Message: d.Message, Hint: d.Hint})
	}
	return out
}

// VersionJSON is version --json.
type VersionJSON struct {
	FormatVersion   int    `json:"format_version"`
	Version         string `json:"version"`
	Commit          string `json:"commit,omitempty"`
	ManifestVersion int    `json:"manifest_version"`
	GoVersion       string `json:"go_version"`
}

// PlanJSON is plan --json. Sensitive values are never in it.
type PlanJSON struct {
	FormatVersion int           `json:"format_version"`
	Changes       []ChangeJSON  `json:"changes"`
	Findings      []FindingJSON `json:"findings"`
	Summary       SummaryJSON   `json:"summary"`
}

// ChangeJSON is one planned change, no-ops included.
type ChangeJSON struct {
	Action        diff.Action  `json:"action"`
	Kind          object.Kind  `json:"kind"`
	Cluster       string       `json:"cluster"`
	Name          string       `json:"name"`
	Path          string       `json:"path,omitempty"`
	StateBefore   object.State `json:"state_before,omitempty"`
	StateAfter    object.State `json:"state_after,omitempty"`
	RestartFailed bool         `json:"restart_failed,omitempty"`
	Fields        []FieldJSON  `json:"fields,omitempty"`
	// Fingerprint identifies the live state the change was planned
	// against.
	Fingerprint string `json:"fingerprint"`
}

// FieldJSON is one changed key. A sensitive one has no values.
type FieldJSON struct {
	Key       string  `json:"key"`
	Before    *string `json:"before,omitempty"`
	After     *string `json:"after,omitempty"`
	HasBefore bool    `json:"has_before"`
	HasAfter  bool    `json:"has_after"`
	Sensitive bool    `json:"sensitive,omitempty"`
}

// FindingJSON is a finding in JSON.
type FindingJSON struct {
	Severity diff.Severity `json:"severity"`
	// Section is workers, connectors or preflight.
	Section string `json:"section"`
	Cluster string `json:"cluster"`
	// Subject is the object's kind and its name in the cluster: "sink
	// orders", "worker connect-1", "cluster prod".
	Subject string `json:"subject"`
	Where   string `json:"where,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Contained: the error stops only its subject's changes, not the apply.
	Contained bool `json:"contained,omitempty"`
}

// SummaryJSON counts a plan's changes.
type SummaryJSON struct {
	Create  int  `json:"create"`
	Change  int  `json:"change"`
	Delete  int  `json:"delete"`
	Restart int  `json:"restart"`
	Changes bool `json:"has_changes"`
	Errors  bool `json:"has_errors"`
	// Unread lists the clusters whose live state could not be read.
	Unread []string `json:"unread_clusters,omitempty"`
}

func planJSON(plan *diff.Plan) PlanJSON {
	out := PlanJSON{FormatVersion: JSONFormatVersion, Changes: make([]ChangeJSON, 0, len(plan.Changes)), Findings: []FindingJSON{}}
	for _, c := range plan.Changes {
		out.Changes = append(out.Changes, changeJSON(c))
	}
	for _, f := range plan.Findings {
		out.Findings = append(out.Findings, FindingJSON{
			Severity: f.Severity, Section: f.Section.String(), Cluster: f.Subject.Cluster,
			Subject: f.Subject.Kind.String() + " " + cmp.Or(f.Subject.Name, f.Subject.Cluster),
			Where:   f.Where, Message: f.Message, Hint: f.Hint, Contained: f.Contained,
		})
	}
	c, u, d, r := plan.Counts()
	out.Summary = SummaryJSON{c, u, d, r, plan.HasChanges(), plan.HasErrors(), plan.Unread}
	return out
}

func changeJSON(c diff.Change) ChangeJSON {
	out := ChangeJSON{Action: c.Action, Kind: c.Kind, Cluster: c.Cluster, Name: c.Name, Path: c.Path,
		StateBefore: c.StateBefore, StateAfter: c.StateAfter, RestartFailed: c.RestartFailed,
		Fingerprint: c.Fingerprint}
	for _, f := range c.Fields {
		fj := FieldJSON{Key: f.Key, HasBefore: f.HasBefore, HasAfter: f.HasAfter, Sensitive: f.Sensitive}
		if !f.Sensitive {
			if f.HasBefore {
				fj.Before = &f.Before
			}
			if f.HasAfter {
				fj.After = &f.After
			}
		}
		out.Fields = append(out.Fields, fj)
	}
	return out
}

// ApplyJSON is apply --json: the plan, then what became of each change.
// Sensitive values are never in it.
type ApplyJSON struct {
	FormatVersion int                `json:"format_version"`
	Plan          PlanJSON           `json:"plan"`
	Results       []ChangeResultJSON `json:"results"`
	// RestartWorkers lists cluster/worker names whose properties changed.
	RestartWorkers []string `json:"restart_workers"`
	Applied        int      `json:"applied"`
	Pending        int      `json:"pending"`
	Failed         int      `json:"failed"`
}

// ChangeResultJSON is one change's outcome.
type ChangeResultJSON struct {
	Kind    object.Kind `json:"kind"`
	Cluster string      `json:"cluster"`
	Name    string      `json:"name"`
	Action  diff.Action `json:"action"`
	// Outcome is applied, pending or failed.
	Outcome     string   `json:"outcome"`
	Error       string   `json:"error,omitempty"`
	FailedTasks []string `json:"failed_tasks,omitempty"`
	// Health is the sink's consumer-group figures after it reached RUNNING.
	Health *HealthJSON `json:"health,omitempty"`
}

// HealthJSON is a sink's progress as Kafka sees it.
type HealthJSON struct {
	Group string `json:"group"`
	// Lag is the number of records waiting, at the last reading.
	Lag int64 `json:"lag"`
	// Stalled lists the partitions ("orders/0") with records waiting whose
	// committed offset did not move over the interval.
	Stalled         []string        `json:"stalled_partitions"`
	IntervalSeconds float64         `json:"interval_seconds"`
	Partitions      []PartitionJSON `json:"partitions"`
}

// PartitionJSON is one partition of a sink's topics.
type PartitionJSON struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the group's committed offset, -1 when it has none.
	Committed int64 `json:"committed"`
	Start     int64 `json:"log_start"`
	End       int64 `json:"log_end"`
	Lag       int64 `json:"lag"`
}

func healthJSON(h *apply.SinkHealth) *HealthJSON {
	if h == nil {
		return nil
	}
	out := &HealthJSON{Group: h.Group, Lag: h.Lag, Stalled: h.Stalled, IntervalSeconds: h.IntervalSeconds}
	if h.Partitions != nil {
		out.Partitions = make([]PartitionJSON, 0, len(h.Partitions))
	}
	for _, p := range h.Partitions {
		out.Partitions = append(out.Partitions, PartitionJSON{Topic: p.Topic, Partition: p.Partition,
			Committed: p.Committed, Start: p.Start, End: p.End, Lag: p.Lag})
	}
	return out
}

func applyJSON(plan *diff.Plan, r *apply.Result) ApplyJSON {
	out := ApplyJSON{FormatVersion: JSONFormatVersion, Plan: planJSON(plan),
		Results: []ChangeResultJSON{}, RestartWorkers: []string{}}
	for _, c := range r.Changes {
		cr := ChangeResultJSON{Kind: c.Change.Kind, Cluster: c.Change.Cluster, Name: c.Change.Name,
			Action: c.Change.Action, Outcome: string(c.Outcome), FailedTasks: c.FailedTasks, Health: healthJSON(c.Health)}
		if c.Err != nil {
			cr.Error = c.Err.Error()
		}
		out.Results = append(out.Results, cr)
	}
	for _, c := range r.RestartWorkers {
		out.RestartWorkers = append(out.RestartWorkers, c.Ref.Qualified())
	}
	out.Applied, out.Pending, out.Failed = r.Counts()
	return out
}

// StatusJSON is status --json.
type StatusJSON struct {
	FormatVersion int                 `json:"format_version"`
	Clusters      []ClusterStatusJSON `json:"clusters"`
}

// ClusterStatusJSON is one cluster's workers and connectors.
type ClusterStatusJSON struct {
	Name       string                `json:"name"`
	Workers    []WorkerStatusJSON    `json:"workers"`
	Connectors []ConnectorStatusJSON `json:"connectors"`
	Error      string                `json:"error,omitempty"`
}

// WorkerStatusJSON is one declared worker.
type WorkerStatusJSON struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	Reachable      bool   `json:"reachable"`
	Version        string `json:"version,omitempty"`
	KafkaClusterID string `json:"kafka_cluster_id,omitempty"`
	Error          string `json:"error,omitempty"`
}

// ConnectorStatusJSON is one live connector.
type ConnectorStatusJSON struct {
	Name     string           `json:"name"`
	State    string           `json:"state"`
	WorkerID string           `json:"worker_id"`
	Declared bool             `json:"declared"`
	Error    string           `json:"error,omitempty"`
	Tasks    []TaskStatusJSON `json:"tasks"`
	// Health: the consumer group's figures; Stalled, when RUNNING.
	Health      *HealthJSON `json:"health,omitempty"`
	Stalled     bool        `json:"stalled"`
	HealthError string      `json:"health_error,omitempty"`
}

// TaskStatusJSON is one task of a connector.
type TaskStatusJSON struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Error    string `json:"error,omitempty"`
}
