package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
)

// Security cases of issue 9 for the output filter. docs/security.md maps
// each defect to its test.

const canary = `CANARY<9f>"q\x/y  two`

// Defect 2: the filter masks a secret in every form an encoder or a worker
// turns it into, not only raw.
func TestSecuritySecretsMaskedInEscapedForms(t *testing.T) {
	s := &Secrets{}
	s.Add(canary)
	jsonForm, _ := json.Marshal(canary)        // HTML-escaped: \u003c, \"
	twice, _ := json.Marshal(string(jsonForm)) // a JSON string inside a JSON string
	var noHTML bytes.Buffer                    // \" and \\ only
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(canary)
	forms := map[string]string{
		"raw":            canary,
		"json":           string(jsonForm),
		"json no html":   noHTML.String(),
		"json twice":     string(twice),
		"go quoted":      fmt.Sprintf("%q", canary),
		"slash escaped":  strings.ReplaceAll(string(jsonForm), "/", `\/`),
		"upper hex":      strings.ReplaceAll(string(jsonForm), `\u003c`, `\u003C`),
		"squeezed":       strings.Join(strings.Fields(canary), " "),
		"newline inside": strings.Replace(canary, "  ", "\n", 1),
		"html entities":  strings.NewReplacer("<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(canary),
		"all unicode":    unicodeEscaped(canary),
	}
	for name, form := range forms {
		text := "before " + form + " after"
		got := s.Scrub(text)
		if strings.Contains(got, "CANARY") || strings.Contains(got, "9f>") || strings.Contains(got, "two") {
			t.Errorf("%s: %q scrubs to %q", name, text, got)
		}
		if !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
			t.Errorf("%s: the text around the secret was eaten: %q", name, got)
		}
	}
	// Ordinary text is left alone, and a short value is not registered.
	s.Add("abc")
	if got := s.Scrub("abc and CANARY alone"); got != "abc and CANARY alone" {
		t.Errorf("ordinary text changed: %q", got)
	}
}

func unicodeEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// Defect 1: the only way to get a Printer takes the run's Secrets, and a
// secret registered after the Printer was made is masked too, in text and
// in JSON, on stdout and stderr.
func TestSecurityPrinterMasksLateSecrets(t *testing.T) {
	var out, errb bytes.Buffer
	s := &Secrets{}
	p := NewPrinter(&out, &errb, false, s)
	s.Add(canary) // after the printer exists, as status resolves secrets after startup
	live := map[string]*apply.ClusterState{"c": {
		Connectors: map[string]connect.Connector{"sec-x": {Name: "sec-x", Status: connect.ConnectorStatus{
			State: "RUNNING", WorkerID: "w:8083",
			Tasks: []connect.TaskStatus{{ID: 0, State: "FAILED", WorkerID: "w:8083", Trace: "java.lang.Exception: " + canary + "\n\tat x"}},
		}}},
	}}
	p.Status([]string{"c"}, live, nil, nil)
	if err := NewStatusView(p, true).Status([]string{"c"}, live, nil, nil); err != nil {
		t.Fatal(err)
	}
	p.Errorf("", "worker said %s", canary)
	all := out.String() + errb.String()
	if strings.Contains(all, "CANARY") {
		t.Errorf("a secret was printed:\n%s", all)
	}
	if !strings.Contains(out.String(), "java.lang.Exception: ***") {
		t.Errorf("the trace is not shown masked:\n%s", out.String())
	}
	defer func() {
		if recover() == nil {
			t.Error("NewPrinter accepts nil Secrets")
		}
	}()
	NewPrinter(&out, &errb, false, nil)
}

// Defect 7: control characters from a worker never reach the terminal,
// in text or JSON; the Printer's own colours still do.
func TestSecurityPrinterNeutralisesControlCharacters(t *testing.T) {
	hostile := "boom \x1b]0;owned\x07\x1b[2J\x1b[31mred\u009b1m\r\u202e"
	for _, color := range []bool{false, true} {
		var out, errb bytes.Buffer
		p := NewPrinter(&out, &errb, color, &Secrets{})
		live := map[string]*apply.ClusterState{"c": {
			Workers: []*apply.WorkerState{{WorkerTarget: apply.WorkerTarget{Name: "w1", URL: "http://w1"},
				Err: errors.New("GET /: " + hostile)}},
			Connectors: map[string]connect.Connector{"sec-\x1b[2Jname": {Status: connect.ConnectorStatus{
				State: "FAILED", WorkerID: "w:1", Trace: hostile}}},
		}}
		p.Status([]string{"c"}, live, nil, nil)
		_ = NewStatusView(p, true).Status([]string{"c"}, live, nil, nil)
		p.Errorf(hostile, "%s", hostile)
		all := out.String() + errb.String()
		for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\x1b[31mred", "\u009b", "\r", "\u202e"} {
			if strings.Contains(all, bad) {
				t.Errorf("color %v: %q reached the output:\n%q", color, bad, all)
			}
		}
		if color && !strings.Contains(out.String(), ansiBold+"cluster c"+ansiReset) {
			t.Errorf("the printer's own colour was removed:\n%q", out.String())
		}
		// The JSON document is still valid JSON.
		doc := out.String()[strings.Index(out.String(), "{"):]
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Errorf("color %v: the JSON is broken by neutralising: %v\n%s", color, err, doc)
		}
	}
}
