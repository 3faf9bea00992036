package datastaxe2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSampledPredictions holds each prediction class of preflight's rule table
// (preflight/conversions.go) against the real connector: for each case, plan samples
// the records and predicts their fate at the mapping's line; then the same sink,
// deployed without sampling, meets the same records, and the test reads what the
// connector did: the row, or the WARN it logged and no row, or the FAILED task.
func TestSampledPredictions(t *testing.T) {
	e := setup(t)
	type outcome int
	const (
		row       outcome = iota // the row is written (with want's column value)
		warn                     // a WARN with want's text, and no row
		taskFails                // the task FAILED with want's text
	)
	cases := []struct {
		name, ddl, mapping, extra string
		cols                      string // for a row: the columns read back
		value                     any
		predicted                 string // "" is no finding
		outcome                   outcome
		want                      string // the WARN or trace text, or the row's column=value
	}{
		{name: "missing", ddl: "id text PRIMARY KEY, name text", mapping: "id=key, name=value.name", value: map[string]any{"other": "x"},
			predicted: `column "name" (text) from value.name: 3 of 3 sampled records lack the field`,
			outcome:   warn, want: "Required field 'value.name' (mapped to column name) was missing from record"},
		{name: "timestamp_number", ddl: "id text PRIMARY KEY, created timestamp", mapping: "id=key, created=value.created", value: map[string]any{"created": 1764000000000},
			predicted: `Text '1764000000000' could not be parsed at index 0`,
			outcome:   warn, want: "Text '1764000000000' could not be parsed at index 0"},
		{name: "timestamp_iso", ddl: "id text PRIMARY KEY, created timestamp", mapping: "id=key, created=value.created", value: map[string]any{"created": "2026-11-25T09:30:00Z"},
			outcome: row, cols: "created", want: `{"created": "2026-11-25 09:30:00.000Z"}`},
		{name: "int_overflow", ddl: "id text PRIMARY KEY, n int", mapping: "id=key, n=value.n", value: map[string]any{"n": 1764000000000},
			predicted: `"Cannot convert 1764000000000 from Long to Integer"`,
			outcome:   warn, want: "Cannot convert 1764000000000 from Long to Integer"},
		{name: "boolean_number", ddl: "id text PRIMARY KEY, b boolean", mapping: "id=key, b=value.b", value: map[string]any{"b": 2},
			predicted: `"Invalid boolean value: 2"`,
			outcome:   warn, want: "Invalid boolean value: 2"},
		{name: "object_into_int", ddl: "id text PRIMARY KEY, n int, name text", mapping: "id=key, n=value.n, name=value.name",
			value:     map[string]any{"n": map[string]any{"a": 1}, "name": "x"},
			predicted: `column "n" (int) from value.n: 3 of 3 sampled records have a JSON object there (e.g. partition 0, offset 0: {"a":1}), which the connector silently writes as null`,
			outcome:   row, cols: "n, name", want: `{"n": null, "name": "x"}`},
		{name: "converter_rejects", ddl: "id text PRIMARY KEY, name text", mapping: "id=key, name=value.name", value: map[string]any{"name": "x"},
			extra:     "    config: {value.converter: org.apache.kafka.connect.json.JsonConverter, value.converter.schemas.enable: \"true\"}\n",
			predicted: `3 of 3 sampled records are rejected by the value converter JsonConverter (schemas.enable=true) before the connector sees them`,
			outcome:   taskFails, want: `JsonConverter with schemas.enable requires "schema" and "payload" fields`},
	}
	var sampled, unsampled strings.Builder
	var targets []string
	for _, c := range cases {
		name := "data-pred-" + strings.ReplaceAll(c.name, "_", "-")
		table := "data_pred_" + c.name
		e.cleanup(name)
		e.topic(name, 1)
		e.exec(`DROP TABLE IF EXISTS e2e.`+table, `CREATE TABLE e2e.`+table+` (`+c.ddl+`)`)
		var recs []record
		for i := 0; i < 3; i++ {
			recs = append(recs, record{key: fmt.Sprintf("k%d", i), value: c.value})
		}
		e.produce(name, recs...)
		s := sampledSink(name, name, table, c.mapping, c.extra)
		sampled.WriteString(s)
		unsampled.WriteString(strings.Replace(s, "    preflight: {sampleRecords: 20}\n", "", 1))
		targets = append(targets, "--target", "local/"+name)
	}

	// The predictions.
	m := e.sampledManifest(sampled.String())
	r := connectsync(nil, append([]string{"plan", "-f", m}, targets...)...)
	t.Logf("plan:\n%s", r)
	if r.code != 1 {
		t.Errorf("plan exit %d, want 1", r.code)
	}
	findings := map[string][]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		for _, c := range cases {
			if strings.Contains(l, "sink local/data-pred-"+strings.ReplaceAll(c.name, "_", "-")+":") {
				findings[c.name] = append(findings[c.name], l)
			}
		}
	}
	for _, c := range cases {
		got := strings.Join(findings[c.name], "\n")
		switch {
		case c.predicted == "" && got != "":
			t.Errorf("%s: predicted nothing, got:\n%s", c.name, got)
		case c.predicted != "" && !strings.Contains(got, c.predicted):
			t.Errorf("%s: want a finding with %q, got:\n%s", c.name, c.predicted, got)
		}
	}

	// What the connector does with the same records.
	m = e.sampledManifest(unsampled.String())
	r = connectsync(nil, append([]string{"apply", "-f", m, "--auto-approve", "--wait", "90s"}, targets...)...)
	t.Logf("apply without sampling:\n%s", r)
	for _, c := range cases {
		name := "data-pred-" + strings.ReplaceAll(c.name, "_", "-")
		table := "data_pred_" + c.name
		var got string
		waitFor(t, 60*time.Second, c.name+": the connector's verdict", func() bool {
			switch c.outcome {
			case row:
				rows := e.rows(`SELECT * FROM e2e.` + table + ` WHERE id = 'k0'`)
				if len(rows) == 0 {
					return false
				}
				got = e.cell(table, c.cols)
				return got != "(no row)"
			case warn:
				got = e.recordWarning(name)
				return !strings.HasPrefix(got, "no row")
			default:
				s, err := e.status(name)
				if err != nil || len(s.Tasks) == 0 || s.Tasks[0].State != "FAILED" {
					return false
				}
				got = s.Tasks[0].Trace
				return true
			}
		})
		t.Logf("%s: the connector: %s", c.name, firstLine(got))
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: the connector did %q, want %q", c.name, got, c.want)
		}
		if c.outcome == warn {
			if n := len(e.rows(`SELECT id FROM e2e.` + table)); n != 0 {
				t.Errorf("%s: %d rows written", c.name, n)
			}
		}
	}
}

// cell reads columns of row k0 as Cassandra renders them in JSON, nulls included.
func (e *env) cell(table, cols string) string {
	e.t.Helper()
	rows := e.rows(`SELECT JSON ` + cols + ` FROM e2e.` + table + ` WHERE id = 'k0'`)
	if len(rows) == 0 {
		return "(no row)"
	}
	return fmt.Sprint(rows[0]["[json]"])
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
