package datastaxe2e

import (
	"testing"
	"time"
)

// TestChanges: pause, resume, a mapping change and stop, each through apply, with the
// rows checked after each: a paused or stopped sink writes nothing, and catches up when
// it runs again.
func TestChanges(t *testing.T) {
	e := setup(t)
	name, topic := "ds-changes", "ds-changes"
	e.cleanup(name)
	e.topic(topic, 1)
	e.exec(`DROP TABLE IF EXISTS e2e.changes`, `CREATE TABLE e2e.changes (id text PRIMARY KEY, name text, city text)`)
	sink := func(state, mapping string) string {
		return e.manifest(dsSink(name, state, 1, topic, `          - {keyspace: e2e, table: changes, mapping: "`+mapping+`"}
`))
	}
	row := func(id string) map[string]any {
		rs := e.rows(`SELECT name, city FROM e2e.changes WHERE id = ?`, id)
		if len(rs) == 0 {
			return nil
		}
		return rs[0]
	}
	arrives := func(id string) {
		t.Helper()
		waitFor(t, 60*time.Second, "row "+id, func() bool { return row(id) != nil })
	}
	staysAway := func(id string) {
		t.Helper()
		time.Sleep(8 * time.Second) // several offset-flush intervals, and the task's poll loop
		if row(id) != nil {
			t.Fatalf("row %s was written while the sink was not running", id)
		}
	}
	state := func(want string) {
		t.Helper()
		waitFor(t, 30*time.Second, "state "+want, func() bool {
			s, err := e.status(name)
			return err == nil && s.Connector.State == want
		})
	}
	base := "id=key, name=value.name"

	m := sink("running", base)
	e.apply(m, name, nil)
	e.produce(topic, record{key: "a", value: map[string]any{"name": "a", "city": "Oslo"}})
	arrives("a")

	m = sink("paused", base)
	e.apply(m, name, nil)
	e.noChanges(m, name, nil)
	state("PAUSED")
	e.produce(topic, record{key: "b", value: map[string]any{"name": "b", "city": "Rome"}})
	staysAway("b")

	m = sink("running", base)
	e.apply(m, name, nil)
	state("RUNNING")
	arrives("b")

	m = sink("running", base+", city=value.city")
	e.apply(m, name, nil)
	e.noChanges(m, name, nil)
	e.runningOn(name, 1, 60*time.Second)
	e.produce(topic, record{key: "c", value: map[string]any{"name": "c", "city": "Lima"}})
	arrives("c")
	if got := row("c")["city"]; got != "Lima" {
		t.Errorf("after the mapping change, city = %q, want Lima", got)
	}
	if got := row("a")["city"]; got != "" {
		t.Errorf("a row written before the change has city %q", got)
	}

	m = sink("stopped", base+", city=value.city")
	e.apply(m, name, nil)
	e.noChanges(m, name, nil)
	state("STOPPED")
	e.produce(topic, record{key: "d", value: map[string]any{"name": "d", "city": "Kyiv"}})
	staysAway("d")

	m = sink("running", base+", city=value.city")
	e.apply(m, name, nil)
	arrives("d")
}
