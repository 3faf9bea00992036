package datastaxe2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/inf.v0"
)

// dsSink returns a typed DataStax sink for the manifest: one topic, the tables given
// as YAML list items (indented for the tables: key), into the local Cassandra.
func dsSink(name, state string, tasks int, topic, tables string) string {
	return fmt.Sprintf(`  - name: %s
    cluster: local
    state: %s
    tasksMax: %d
    cassandra: {contactPoints: [127.0.0.1], port: 39042, localDc: datacenter1}
    topics:
      %s:
        tables:
%s`, name, state, tasks, topic, tables)
}

// TestRows: every kind of mapped field becomes the value the table expects: text,
// decimal, an ISO-8601 timestamp, a nested field, a header, now(), and the row's TTL
// and write time from __ttl and __timestamp.
func TestRows(t *testing.T) {
	e := setup(t)
	name, topic := "ds-rows", "ds-rows"
	e.cleanup(name)
	e.topic(topic, 1)
	e.exec(`DROP TABLE IF EXISTS e2e.rows`,
		`CREATE TABLE e2e.rows (id text PRIMARY KEY, name text, amount decimal, created timestamp, city text, source text, event_id timeuuid)`)
	m := e.manifest(dsSink(name, "running", 1, topic, `          - keyspace: e2e
            table: rows
            mapping: id=key, name=value.name, amount=value.amount, created=value.created, city=value.address.city, source=header.source, event_id=now(), __ttl=value.ttl, __timestamp=value.ts
    config:
      # The connector looks a mapped field up by its whole name: value.address.city is
      # the top-level field "address.city", not a path (TestNestedFieldWithoutFlatten).
      # Kafka's Flatten transform, with "." as its delimiter, makes that field.
      transforms: flatten
      transforms.flatten.type: org.apache.kafka.connect.transforms.Flatten$Value
      transforms.flatten.delimiter: .
`))
	e.apply(m, name, nil)
	e.noChanges(m, name, nil)

	writeTime := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).UnixMicro()
	e.produce(topic, record{
		key: "r1",
		value: map[string]any{"name": "Ada Lovelace", "amount": 12.34, "created": "2026-11-25T09:30:00Z",
			"address": map[string]any{"city": "London"}, "ttl": 3600, "ts": writeTime},
		headers: map[string]string{"source": "web"},
	})
	var row map[string]any
	waitFor(t, 60*time.Second, "row r1", func() bool {
		rs := e.rows(`SELECT id, name, amount, created, city, source, event_id, TTL(name) AS ttl, WRITETIME(name) AS wt FROM e2e.rows WHERE id = 'r1'`)
		if len(rs) == 1 {
			row = rs[0]
		}
		return row != nil
	})
	t.Logf("row: %v", row)
	if got := row["name"]; got != "Ada Lovelace" {
		t.Errorf("name = %v", got)
	}
	if got, ok := row["amount"].(*inf.Dec); !ok || got.String() != "12.34" {
		t.Errorf("amount = %v, want the decimal 12.34", row["amount"])
	}
	if got, _ := row["created"].(time.Time); !got.Equal(time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("created = %v", row["created"])
	}
	if got := row["city"]; got != "London" {
		t.Errorf("city (value.address.city) = %v", got)
	}
	if got := row["source"]; got != "web" {
		t.Errorf("source (header.source) = %v", got)
	}
	if id := fmt.Sprint(row["event_id"]); len(id) != 36 || id[14] != '1' {
		t.Errorf("event_id (now()) = %v, want a version-1 TIMEUUID", row["event_id"])
	}
	if ttl, _ := row["ttl"].(int); ttl <= 3500 || ttl > 3600 {
		t.Errorf("TTL(name) = %v, want about 3600 (__ttl)", row["ttl"])
	}
	if wt, _ := row["wt"].(int64); wt != writeTime {
		t.Errorf("WRITETIME(name) = %v, want %d (__timestamp)", row["wt"], writeTime)
	}
}

// TestDeletesAndNullToUnset: a record with a null value deletes the row when deletes
// are enabled (the default); a null field leaves the column as it was under
// nullToUnset (the default), and writes a null with nullToUnset: false.
func TestDeletesAndNullToUnset(t *testing.T) {
	e := setup(t)
	name, topic := "ds-nulls", "ds-nulls"
	e.cleanup(name)
	e.topic(topic, 1)
	e.exec(`DROP TABLE IF EXISTS e2e.nulls_unset`, `DROP TABLE IF EXISTS e2e.nulls_written`,
		`CREATE TABLE e2e.nulls_unset (id text PRIMARY KEY, name text, amount int)`,
		`CREATE TABLE e2e.nulls_written (id text PRIMARY KEY, name text, amount int)`)
	m := e.manifest(dsSink(name, "running", 1, topic, `          - {keyspace: e2e, table: nulls_unset, mapping: "id=key, name=value.name, amount=value.amount"}
          - {keyspace: e2e, table: nulls_written, mapping: "id=key, name=value.name, amount=value.amount", nullToUnset: false}
`))
	e.apply(m, name, nil)
	e.noChanges(m, name, nil)

	e.produce(topic,
		record{key: "keep", value: map[string]any{"name": "first", "amount": 1}},
		record{key: "gone", value: map[string]any{"name": "doomed", "amount": 1}})
	e.produce(topic,
		record{key: "keep", value: map[string]any{"name": nil, "amount": 2}},
		record{key: "gone"}) // a tombstone
	get := func(table, id string) map[string]any {
		rs := e.rows(`SELECT name, amount FROM e2e.`+table+` WHERE id = ?`, id)
		if len(rs) == 0 {
			return nil
		}
		return rs[0]
	}
	waitFor(t, 60*time.Second, "the second records applied", func() bool {
		a, b := get("nulls_unset", "keep"), get("nulls_written", "keep")
		return a != nil && b != nil && a["amount"] == 2 && b["amount"] == 2 &&
			get("nulls_unset", "gone") == nil && get("nulls_written", "gone") == nil
	})
	if got := get("nulls_unset", "keep")["name"]; got != "first" {
		t.Errorf("nullToUnset (default): name = %q, want it left as %q", got, "first")
	}
	if got := get("nulls_written", "keep")["name"]; got != "" {
		t.Errorf("nullToUnset: false: name = %q, want null", got)
	}
}

// TestQuickstartConverges: the quickstart with its DataStax sink applies, then plans
// with no changes, and records produced to it are rows.
func TestQuickstartConverges(t *testing.T) {
	e := setup(t)
	e.exec(`CREATE KEYSPACE IF NOT EXISTS shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
		`CREATE TABLE IF NOT EXISTS shop.orders_by_id (order_id text PRIMARY KEY, customer text, amount decimal, created timestamp)`)
	files := []string{"-f", "../../examples/quickstart.yaml", "-f", "../../examples/quickstart-cassandra.yaml"}
	r := connectsync(nil, append([]string{"apply", "--auto-approve"}, files...)...)
	if r.code != 0 {
		t.Fatalf("apply:\n%s", r)
	}
	r = connectsync(nil, append([]string{"plan", "--detailed-exitcode"}, files...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Fatalf("plan after apply:\n%s", r)
	}
	key := fmt.Sprintf("converges-%d", time.Now().UnixNano())
	e.produce("orders", record{key: key, value: map[string]any{"customer": "ada", "amount": 1.5, "created": "2026-11-25T10:00:00Z"}})
	waitFor(t, 60*time.Second, "the quickstart's row", func() bool {
		return len(e.rows(`SELECT order_id FROM shop.orders_by_id WHERE order_id = ?`, key)) == 1
	})
}

// TestSecretRoundTrip: auth.password from a secretEnv reaches the connector (the local
// Cassandra does not ask for it, so the sink runs), plans with no drift afterwards, and
// its value appears in no output of apply, plan, status or render.
func TestSecretRoundTrip(t *testing.T) {
	e := setup(t)
	name, topic := "ds-secret", "ds-secret"
	e.cleanup(name)
	e.topic(topic, 1)
	e.exec(`CREATE TABLE IF NOT EXISTS e2e.secret_rows (id text PRIMARY KEY, name text)`)
	const canary = "canary-Zq8-p4ssw0rd-7f3"
	vars := map[string]string{"DS_E2E_PASSWORD": canary}
	m := e.manifest(fmt.Sprintf(`  - name: %s
    cluster: local
    tasksMax: 1
    cassandra:
      contactPoints: [127.0.0.1]
      port: 39042
      localDc: datacenter1
      auth: {provider: PLAIN, username: app, password: {secretEnv: DS_E2E_PASSWORD}}
    topics:
      %s:
        tables:
          - {keyspace: e2e, table: secret_rows, mapping: "id=key, name=value.name"}
`, name, topic))
	outputs := []run{e.apply(m, name, vars)}
	e.runningOn(name, 1, 60*time.Second)
	var cfg map[string]string
	if err := getJSON(e.c.WorkerURLs[0]+"/connectors/"+name+"/config", &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["auth.password"] != canary {
		t.Fatalf("the worker holds auth.password %q, want the resolved secret", "(redacted)")
	}
	e.produce(topic, record{key: "s1", value: map[string]any{"name": "with auth"}})
	waitFor(t, 60*time.Second, "the row", func() bool {
		return len(e.rows(`SELECT id FROM e2e.secret_rows WHERE id = 's1'`)) == 1
	})
	for _, args := range [][]string{
		{"plan", "-f", m, "--target", "local/" + name, "--detailed-exitcode"},
		{"plan", "-f", m, "--target", "local/" + name, "--json"},
		{"status", "-f", m},
		{"status", "-f", m, "--json"},
		{"render", "-f", m},
	} {
		r := connectsync(vars, args...)
		if args[0] == "plan" && r.code != 0 {
			t.Errorf("%s: exit %d, want 0 (no drift):\n%s", strings.Join(args, " "), r.code, r)
		}
		outputs = append(outputs, r)
	}
	for _, r := range outputs {
		if strings.Contains(r.stdout+r.stderr, canary) {
			t.Errorf("the secret appears in an output:\n%s", strings.ReplaceAll(r.String(), canary, "<CANARY>"))
		}
	}
}

// TestNestedFieldWithoutFlatten records what the real connector does with a nested
// field (value.address.city) of a record that has no top-level field "address.city":
// the field is reported missing, record after record, and no row is written, while the
// task stays RUNNING. Seen on 1.5.0 with JsonConverter values with and without schemas
// and with JSON text (StringConverter): the connector (StructData, MapData) looks the
// name up whole. validate warns about it, with Flatten as the fix.
func TestNestedFieldWithoutFlatten(t *testing.T) {
	e := setup(t)
	name, topic := "ds-nested-map", "ds-nested-map"
	e.cleanup(name)
	e.topic(topic, 1)
	e.exec(`CREATE TABLE IF NOT EXISTS e2e.nested_map (id text PRIMARY KEY, city text)`)
	m := e.manifest(dsSink(name, "running", 1, topic, `          - {keyspace: e2e, table: nested_map, mapping: "id=key, city=value.address.city"}
`))
	e.apply(m, name, nil)
	e.produce(topic, record{key: "n1", value: map[string]any{"address": map[string]any{"city": "Paris"}}})
	time.Sleep(8 * time.Second)
	if rows := e.rows(`SELECT id FROM e2e.nested_map WHERE id = 'n1'`); len(rows) != 0 {
		t.Fatalf("the connector %s resolved value.address.city in a schemaless map: update docs/preflight.md", e.version)
	}
	e.runningOn(name, 1, 10*time.Second)
	found := false
	for i := range e.c.WorkerURLs {
		log, _ := e.c.WorkerLog(i)
		if strings.Contains(log, "Required field 'value.address.city' (mapped to column city) was missing from record") {
			found = true
		}
	}
	if !found {
		t.Errorf("no worker logged the missing field")
	}
}
