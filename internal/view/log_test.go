package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// TestLogJSONEvents checks the shape of every event of --log-format json,
// and that a secret that reaches an event (here in a worker's error) is
// masked like everywhere else.
func TestLogJSONEvents(t *testing.T) {
	const secret = "hunter2-CANARY-log"
	secrets := &Secrets{}
	secrets.Add(secret)
	var out, errb bytes.Buffer
	p := NewPrinter(&out, &errb, true, secrets)
	p.SetStderrColor(true)
	p.LogJSON(func() time.Time { return time.Date(2026, 11, 25, 16, 0, 0, 0, time.FixedZone("x", 3600)) })
	ch := diff.Change{Ref: object.SinkRef("local", "orders"), Action: diff.Create}
	plan := &diff.Plan{Changes: []diff.Change{ch, {Ref: object.SinkRef("local", "same"), Action: diff.NoOp}}}
	p.LogStart("v1.2.3", []string{"local"})
	p.LogPlan(plan)
	p.LogProgress(apply.Event{Change: ch, Step: "created"})
	p.Retry("local", connect.Retry{Method: "PUT", Path: "/connectors/orders/config", Connector: "orders",
		Attempt: 2, Status: 409, Reason: "409 rebalance in progress", Delay: time.Second})
	p.LogWait("local", []diff.Change{ch}, 2*time.Minute)
	p.LogProgress(apply.Event{Change: ch, Step: "failed", Err: errors.New("worker said password=" + secret)})
	p.Errorf("a hint", "warning: something")
	p.Diagnostics(manifest.Diagnostics{{Severity: manifest.Warning, Pos: manifest.Pos{File: "m.yaml", Line: 3, Col: 5}, Path: "sinks[0]", Message: "odd"}})
	p.LogRefusal(apply.Refusal{Cluster: "local", Rule: "max-deletes", Message: "too many", Hint: "h", Names: []object.Ref{object.SinkRef("local", "a")}})
	res := &apply.Result{Changes: []apply.ChangeResult{{Change: ch, Outcome: apply.OutcomeFailed, Err: errors.New("boom")}}}
	p.LogResult(plan, res, 1, 1500*time.Millisecond)

	if out.Len() != 0 {
		t.Errorf("stdout: %q", out.String())
	}
	if strings.Contains(errb.String(), secret) || strings.Contains(errb.String(), "\x1b") {
		t.Fatalf("secret or colour in the JSON log:\n%s", errb.String())
	}
	type short struct{ Event, Level, Cluster, Object, Action, Step, Outcome string }
	var got []short
	for _, line := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		var e LogEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if e.LogVersion != LogFormatVersion || e.Time != "2026-11-25T15:00:00.000Z" {
			t.Errorf("version or time: %s", line)
		}
		got = append(got, short{e.Event, e.Level, e.Cluster, e.Object, e.Action, e.Step, e.Outcome})
	}
	want := []short{
		{"start", "info", "", "", "", "", ""},
		{"change", "info", "local", "sink/orders", "create", "", ""},
		{"step", "info", "local", "sink/orders", "create", "created", ""},
		{"retry", "warning", "local", "sink/orders", "", "", ""},
		{"wait", "info", "local", "", "", "", ""},
		{"step", "error", "local", "sink/orders", "create", "failed", ""},
		{"message", "warning", "", "", "", "", ""},
		{"diagnostic", "warning", "", "m.yaml:3:5", "", "", ""},
		{"refused", "error", "local", "", "", "", ""},
		{"change", "error", "local", "sink/orders", "create", "", "failed"},
		{"summary", "error", "", "", "", "", ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s\n%s", d, errb.String())
	}
}

// TestHoldRelease is --quiet: held output is dropped, or written in full.
func TestHoldRelease(t *testing.T) {
	for _, flush := range []bool{false, true} {
		var out, errb bytes.Buffer
		p := NewPrinter(&out, &errb, false, &Secrets{})
		p.Hold()
		p.Errorf("", "held")
		p.Plan(&diff.Plan{})
		if out.Len()+errb.Len() != 0 {
			t.Fatalf("written while held: %q %q", out.String(), errb.String())
		}
		p.Release(flush)
		if flush != (strings.Contains(out.String(), "No changes.") && strings.Contains(errb.String(), "held")) {
			t.Errorf("flush %v: %q %q", flush, out.String(), errb.String())
		}
		p.Errorf("", "after")
		if !strings.Contains(errb.String(), "after") {
			t.Errorf("not written through after Release")
		}
	}
}

// TestColourPerStream: standard error is coloured only when told so.
func TestColourPerStream(t *testing.T) {
	ds := manifest.Diagnostics{{Severity: manifest.Error, Message: "bad"}}
	for _, on := range []bool{false, true} {
		var out, errb bytes.Buffer
		p := NewPrinter(&out, &errb, true, &Secrets{})
		p.SetStderrColor(on)
		p.Diagnostics(ds)
		if strings.Contains(errb.String(), "\x1b[31m") != on {
			t.Errorf("stderr colour %v: %q", on, errb.String())
		}
	}
}

// TestRetry: a retry prints as one line, and its event names the
// connector the request targeted, by its name rather than its escaped path.
func TestRetry(t *testing.T) {
	r := connect.Retry{Method: "PUT", Path: "/connectors/my%20orders/config", Connector: "my orders",
		Attempt: 2, Status: 409, Reason: "409 rebalance in progress", Delay: 1200 * time.Millisecond}
	var out, errb bytes.Buffer
	p := NewPrinter(&out, &errb, false, &Secrets{})
	p.Retry("local", r)
	p.Retry("local", connect.Retry{Method: "GET", Path: "/", Attempt: 3, Reason: "timed out", Delay: time.Second})
	want := "connectsync: retrying PUT /connectors/my%20orders/config in 1.2s: 409 rebalance in progress (attempt 2)\n" +
		"connectsync: retrying GET / in 1s: timed out (attempt 3)\n"
	if errb.String() != want || out.Len() != 0 {
		t.Errorf("stderr %q, stdout %q; want stderr %q", errb.String(), out.String(), want)
	}

	errb.Reset()
	p.LogJSON(time.Now)
	p.Retry("local", r)
	var e LogEvent
	if err := json.Unmarshal(errb.Bytes(), &e); err != nil {
		t.Fatalf("%q: %v", errb.String(), err)
	}
	if e.Event != "retry" || e.Cluster != "local" || e.Object != "sink/my orders" || !strings.HasPrefix(e.Message, "retrying PUT ") {
		t.Errorf("event %+v", e)
	}
}
