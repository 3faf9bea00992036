package datastaxe2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestScaleTasks: tasksMax 1 -> 3 through apply spreads the tasks over the three
// workers, and the records of all three partitions become rows.
func TestScaleTasks(t *testing.T) {
	e := setup(t)
	name, topic := "ds-scale", "ds-scale"
	e.cleanup(name)
	e.topic(topic, 3)
	e.exec(`CREATE TABLE IF NOT EXISTS e2e.scale (id text PRIMARY KEY, n int)`)
	tables := `          - {keyspace: e2e, table: scale, mapping: "id=key, n=value.n"}
`
	m := e.manifest(dsSink(name, "running", 1, topic, tables))
	e.apply(m, name, nil)
	if on := e.runningOn(name, 1, 60*time.Second); len(on) != 1 {
		t.Fatalf("tasks on %v, want 1", on)
	}
	m = e.manifest(dsSink(name, "running", 3, topic, tables))
	r := e.apply(m, name, nil)
	if !strings.Contains(r.stdout, `tasks.max = "1" -> "3"`) {
		t.Errorf("the plan does not show tasks.max 1 -> 3:\n%s", r)
	}
	e.noChanges(m, name, nil)
	on := e.runningOn(name, 3, 60*time.Second)
	t.Logf("tasks 0..2 on %v", on)
	// Connect's assignor balances the count of all the cluster's tasks over
	// the workers, not each connector's: the new tasks go to the workers with
	// the fewest. With no other tasks in the cluster that is one per worker;
	// beside other tests' connectors it need not be (a CI run had 3 tasks on
	// 2 workers, the third worker busier with other tasks). What must hold
	// is the assignor's own rule, once it has settled: no worker runs two
	// tasks more than another.
	var load map[string]int
	waitFor(t, 60*time.Second, "the cluster's tasks balanced over the workers", func() bool {
		var ok bool
		load, ok = e.taskLoad()
		return ok && balanced(load, len(e.c.WorkerURLs))
	})
	t.Logf("tasks per worker, all connectors: %v", load)
	if others := otherTasks(load, on); others == 0 {
		spread := slices.Clone(on)
		slices.Sort(spread)
		if spread = slices.Compact(spread); len(spread) != 3 {
			t.Errorf("3 tasks on %d workers (%v) with no other task in the cluster, want one per worker", len(spread), on)
		}
	}
	var recs []record
	for i := range 300 {
		recs = append(recs, record{key: fmt.Sprintf("s%03d", i), value: map[string]any{"n": i}})
	}
	e.produce(topic, recs...)
	waitFor(t, 90*time.Second, "300 rows", func() bool {
		return len(e.rows(`SELECT id FROM e2e.scale`)) == 300
	})
}

// TestWorkerKill: kill -9 a worker while 20,000 keyed records are being produced to a
// sink with three tasks. Afterwards every key is a row. It reports how long the tasks
// took to run again on the survivors, when the last row arrived, and how many records
// were written twice: a second table of the same sink gets a new row for every write,
// keyed by now(). (A counter table can't count them: 1.5.0 fails every record to one,
// TestCounterTable.)
func TestWorkerKill(t *testing.T) {
	e := setup(t)
	e.c.Exclusive(t)
	const total = 20000
	name, topic := "ds-kill", "ds-kill"
	e.cleanup(name)
	e.topic(topic, 3)
	e.exec(`DROP TABLE IF EXISTS e2e.kill_rows`, `DROP TABLE IF EXISTS e2e.kill_writes`,
		`CREATE TABLE e2e.kill_rows (id text PRIMARY KEY, seq int)`,
		`CREATE TABLE e2e.kill_writes (id text, w timeuuid, PRIMARY KEY (id, w))`)
	m := e.manifest(dsSink(name, "running", 3, topic, `          - {keyspace: e2e, table: kill_rows, mapping: "id=key, seq=value.seq"}
          - {keyspace: e2e, table: kill_writes, mapping: "id=key, w=now()"}
`))
	e.apply(m, name, nil)
	on := e.runningOn(name, 3, 60*time.Second)

	// The victim runs task 1; it is never worker-1, whose URL the helpers read status from.
	victim := -1
	for i, u := range e.c.WorkerURLs {
		if i > 0 && strings.HasSuffix(u, on[1]) {
			victim = i
		}
	}
	if victim < 0 {
		victim = 2
	}
	t.Cleanup(func() {
		if err := e.c.StartWorker(victim); err != nil {
			t.Errorf("restart %s: %v", e.c.WorkerName(victim), err)
		}
	})

	// Produce in 40 batches over about 10 s; kill the victim after the 10th batch.
	var wg sync.WaitGroup
	startedAt := time.Now()
	var killedAt time.Time
	var killErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := range 40 {
			recs := make([]record, 0, total/40)
			for i := b * total / 40; i < (b+1)*total/40; i++ {
				recs = append(recs, record{key: fmt.Sprintf("k%05d", i), value: map[string]any{"seq": i}})
			}
			e.produce(topic, recs...)
			if b == 9 {
				killedAt = time.Now()
				killErr = e.c.KillWorker(victim)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}()
	wg.Wait()
	if killErr != nil {
		t.Fatalf("kill -9 %s: %v", e.c.WorkerName(victim), killErr)
	}
	producedAt := time.Now()
	victimID := strings.TrimPrefix(e.c.WorkerURLs[victim], "http://")

	var tasksBack time.Duration
	waitFor(t, 120*time.Second, "3 tasks RUNNING on the survivors", func() bool {
		s, err := e.status(name)
		if err != nil || len(s.Tasks) != 3 {
			return false
		}
		for _, task := range s.Tasks {
			if task.State != "RUNNING" || task.WorkerID == victimID {
				return false
			}
		}
		tasksBack = time.Since(killedAt)
		return true
	})
	count := func(table string) int64 {
		var n int64
		if err := e.cql.Query(`SELECT COUNT(*) FROM e2e.` + table).Scan(&n); err != nil {
			t.Logf("count: %v", err)
			return -1
		}
		return n
	}
	var allRows time.Duration
	waitFor(t, 180*time.Second, fmt.Sprintf("%d rows", total), func() bool {
		if count("kill_rows") == total {
			allRows = time.Since(killedAt)
			return true
		}
		return false
	})
	// The second table is written in the same batches; let it settle.
	last := int64(-1)
	waitFor(t, 60*time.Second, "the writes table settled", func() bool {
		w := count("kill_writes")
		done := w >= total && w == last
		last = w
		if !done {
			time.Sleep(2 * time.Second)
		}
		return done
	})
	t.Logf("kill -9 %s %.1f s into a %.1f s produce of %d keyed records: tasks RUNNING on the survivors %.1f s after the kill; all %d keys are rows %.1f s after it; %d writes for %d records: %d written twice",
		e.c.WorkerName(victim), killedAt.Sub(startedAt).Seconds(), producedAt.Sub(startedAt).Seconds(), total, tasksBack.Seconds(), total, allRows.Seconds(), last, total, last-total)
}
