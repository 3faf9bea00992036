package view

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// LogFormatVersion is the version of apply --log-format json's events, in
// each event's "log_version". It changes only when a field is removed or
// changes meaning; new fields and new event names may be added. It is not
// the version of the --json documents or of the plan file.
const LogFormatVersion = 1

// LogEvent is one line of apply --log-format json, on standard error.
// Secret values are never in it: every event goes through the Printer's
// masking, and no event carries a config value.
type LogEvent struct {
	LogVersion int `json:"log_version"`
	// Time is RFC 3339 in UTC, with milliseconds.
	Time string `json:"time"`
	// Level is "info", "warning" or "error".
	Level string `json:"level"`
	// Event is one of: start, change, step, retry, wait, finding,
	// diagnostic, refused, message, summary.
	Event string `json:"event"`
	// Cluster and Object say what the event is about; Object is
	// "sink/NAME" or "worker/NAME". Run-wide events have neither.
	Cluster string `json:"cluster,omitempty"`
	Object  string `json:"object,omitempty"`
	// Action is the planned change: create, update, delete, restart,
	// no-op.
	Action string `json:"action,omitempty"`
	// Step is what apply just did (step events): created, config updated,
	// paused, resumed, stopped, deleted, restarted failed tasks, written,
	// ready, failed.
	Step string `json:"step,omitempty"`
	// Outcome is a change's end: applied, pending, failed.
	Outcome string `json:"outcome,omitempty"`
	Message string `json:"message,omitempty"`
	Hint    string `json:"hint,omitempty"`
	Error   string `json:"error,omitempty"`
	// Names lists cluster/name of what a refusal would have deleted or
	// changed, and the clusters of a start event.
	Names []string `json:"names,omitempty"`
	// FailedTasks lists the tasks a change left FAILED.
	FailedTasks []string `json:"failed_tasks,omitempty"`
	// Rule names the guardrail of a refused event.
	Rule string `json:"rule,omitempty"`
	// Summary counts are on the summary event only.
	Summary *LogSummary `json:"summary,omitempty"`
	// WaitSeconds is the wait budget of a wait event.
	WaitSeconds float64 `json:"wait_seconds,omitempty"`
}

// LogSummary ends a run.
type LogSummary struct {
	Create   int `json:"create"`
	Change   int `json:"change"`
	Delete   int `json:"delete"`
	Restart  int `json:"restart"`
	Applied  int `json:"applied"`
	Pending  int `json:"pending"`
	Failed   int `json:"failed"`
	ExitCode int `json:"exit_code"`
	// DurationSeconds is the run's wall time.
	DurationSeconds float64  `json:"duration_seconds"`
	UnreadClusters  []string `json:"unread_clusters,omitempty"`
}

type eventLog struct {
	mu  sync.Mutex
	now func() time.Time
}

// LogJSON makes the Printer write JSON events on standard error instead of
// text: Errorf and Diagnostics become events, and the Log* methods write
// the others. now is the clock (time.Now).
func (p *Printer) LogJSON(now func() time.Time) { p.log = &eventLog{now: now} }

func (p *Printer) emit(e LogEvent) {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	e.LogVersion = LogFormatVersion
	e.Time = p.log.now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	if e.Level == "" {
		e.Level = "info"
	}
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	// One Write per event: the masking writer scrubs whole writes.
	p.errw.Write(append(b, '\n'))
}

func (p *Printer) logMessage(hint, msg string) {
	e := LogEvent{Event: "message", Level: "error", Message: msg, Hint: hint}
	if rest, ok := strings.CutPrefix(msg, "warning: "); ok {
		e.Level, e.Message = "warning", rest
	}
	p.emit(e)
}

func (p *Printer) logDiagnostics(ds manifest.Diagnostics) {
	for _, d := range ds {
		level := "warning"
		if d.Severity == manifest.Error {
			level = "error"
		}
		msg := d.Message
		if d.Path != "" {
			msg = d.Path + ": " + msg
		}
		p.emit(LogEvent{Event: "diagnostic", Level: level, Object: d.Pos.String(), Message: msg, Hint: d.Hint})
	}
}

func actionName(c diff.Change) string {
	switch {
	case c.Action == diff.NoOp && c.RestartFailed:
		return "restart"
	case c.Action == diff.NoOp:
		return "no-op"
	}
	return string(c.Action)
}

// LogStart is the first event of a run.
func (p *Printer) LogStart(version string, clusters []string) {
	p.emit(LogEvent{Event: "start", Message: "connectsync " + version + " apply", Names: clusters})
}

// LogPlan writes one change event per planned change (no-ops left out) and
// one finding event per finding.
func (p *Printer) LogPlan(plan *diff.Plan) {
	for _, f := range plan.Findings {
		level := string(f.Severity)
		p.emit(LogEvent{Event: "finding", Level: level, Cluster: f.Subject.Cluster, Object: f.Subject.KindName(),
			Message: f.Message, Hint: f.Hint})
	}
	for _, c := range plan.Changes {
		if c.Action == diff.NoOp && !c.RestartFailed {
			continue
		}
		p.emit(LogEvent{Event: "change", Cluster: c.Cluster, Object: c.KindName(), Action: actionName(c), Message: "planned"})
	}
}

// LogRefusal writes a guardrail's refusal.
func (p *Printer) LogRefusal(r apply.Refusal) {
	p.emit(LogEvent{Event: "refused", Level: "error", Cluster: r.Cluster, Rule: r.Rule, Message: r.Message, Hint: r.Hint, Names: paths(r.Names)})
}

// LogProgress writes one apply step.
func (p *Printer) LogProgress(e apply.Event) {
	ev := LogEvent{Event: "step", Cluster: e.Change.Cluster, Object: e.Change.KindName(), Action: actionName(e.Change), Step: e.Step}
	if e.Err != nil {
		ev.Level, ev.Error = "error", e.Err.Error()
	}
	p.emit(ev)
}

// LogWait says apply is waiting for a cluster's changed connectors.
func (p *Printer) LogWait(cluster string, changes []diff.Change, budget time.Duration) {
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Ref.Qualified()
	}
	p.emit(LogEvent{Event: "wait", Cluster: cluster, Names: names, WaitSeconds: budget.Seconds(),
		Message: "waiting for the changed connectors to reach their desired state"})
}

// paths writes references as cluster/name.
func paths(refs []object.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Qualified()
	}
	return out
}

// Retry reports a REST retry of a cluster: a line on standard error, or a
// retry event naming the cluster and, when the request targets one, the
// connector.
func (p *Printer) Retry(cluster string, r connect.Retry) {
	msg := fmt.Sprintf("retrying %s %s in %s: %s (attempt %d)", r.Method, r.Path, r.Delay, r.Reason, r.Attempt)
	if p.log == nil {
		p.Errorf("", "%s", msg)
		return
	}
	e := LogEvent{Event: "retry", Level: "warning", Cluster: cluster, Message: msg}
	if r.Connector != "" {
		e.Object = object.SinkRef(cluster, r.Connector).KindName()
	}
	p.emit(e)
}

// LogResult writes one change event per change with its outcome, then the
// summary. plan is nil when the run stopped before planning, and r when it
// applied nothing.
func (p *Printer) LogResult(plan *diff.Plan, r *apply.Result, exitCode int, took time.Duration) {
	planned := plan != nil
	if plan == nil {
		plan = &diff.Plan{}
	}
	if r == nil {
		r = &apply.Result{}
	}
	for _, c := range r.Changes {
		e := LogEvent{Event: "change", Cluster: c.Change.Cluster, Object: c.Change.KindName(), Action: actionName(c.Change),
			Outcome: string(c.Outcome), FailedTasks: c.FailedTasks}
		if c.Err != nil {
			e.Level, e.Error = "error", c.Err.Error()
		}
		p.emit(e)
	}
	s := &LogSummary{ExitCode: exitCode, DurationSeconds: took.Seconds(), UnreadClusters: plan.Unread}
	s.Create, s.Change, s.Delete, s.Restart = plan.Counts()
	s.Applied, s.Pending, s.Failed = r.Counts()
	level := "info"
	if exitCode != 0 {
		level = "error"
	}
	msg := "No plan: the run stopped before the live state was compared."
	if planned {
		msg = Summary(plan)
	}
	p.emit(LogEvent{Event: "summary", Level: level, Message: msg, Summary: s})
}
