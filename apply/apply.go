package apply

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/parallel"
)

// Options tune Apply.
type Options struct {
	// Parallelism is how many connectors of one cluster are written at
	// once. Zero means 4.
	Parallelism int
	// Clusters is how many clusters are written at once: independent
	// clusters do not wait for one another. Zero means 4.
	Clusters int
	// Wait bounds the wait for changed connectors to reach their desired
	// state. Zero means 2 minutes; negative means do not wait.
	Wait time.Duration
	// PollInterval is the pause between status reads while waiting.
	PollInterval time.Duration
	// Progress receives one event per step, for long applies.
	Progress func(Event)
	// Health, when set, reads each sink that reached RUNNING from Kafka
	// before it is reported ready: a sink whose records wait while its
	// committed offsets do not move is reported "stalled", and fails,
	// in place of "ready". An error reading it leaves it ready.
	Health HealthFunc
	// Waiting, when set, is told when apply starts waiting for a cluster's
	// changed connectors, and for how long at most.
	Waiting func(cluster string, changes []diff.Change, budget time.Duration)
}

// Event is one step of an apply, for progress output.
type Event struct {
	Change diff.Change
	// Step says what was done: "created", "created paused", "created
	// stopped", "config updated", "paused", "resumed", "stopped",
	// "deleted", "restarted failed tasks", "written", "ready", "stalled",
	// "failed".
	Step string
	Err  error
}

// Outcome of one change.
type Outcome string

// Outcomes. They are named Outcome*, apart from the connector states
// (object.StateFailed is a connector's state; OutcomeFailed is what became
// of a change).
const (
	OutcomeApplied Outcome = "applied"
	OutcomeFailed  Outcome = "failed"
	OutcomePending Outcome = "pending"
)

// ChangeResult is what became of one change.
type ChangeResult struct {
	Change  diff.Change
	Outcome Outcome
	Err     error
	// FailedTasks lists tasks that ended FAILED, with the first trace line.
	FailedTasks []string
	// Health is the sink's progress after it reached RUNNING, when
	// Options.Health read it.
	Health *SinkHealth
}

// Result is what an apply did, change by change.
type Result struct {
	Changes []ChangeResult
	// RestartWorkers lists workers whose properties file changed: they pick
	// the change up only when restarted, which connectsync does not do.
	RestartWorkers []diff.Change
}

// Counts returns how many changes were applied, are pending, and failed.
func (r *Result) Counts() (applied, pending, failed int) {
	for _, c := range r.Changes {
		switch c.Outcome {
		case OutcomeApplied:
			applied++
		case OutcomePending:
			pending++
		case OutcomeFailed:
			failed++
		}
	}
	return
}

// Apply carries out the session's plan. Worker files are written first, then
// each cluster's connectors, up to Parallelism at a time (and up to Clusters
// clusters at once), then it waits for
// the changed connectors to reach their desired state. It never touches an
// object whose change is a no-op.
func (s *Session) Apply(ctx context.Context, o Options) *Result {
	if o.Parallelism <= 0 {
		o.Parallelism = 4
	}
	if o.Wait == 0 {
		o.Wait = 2 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	progress := o.Progress
	if progress == nil {
		progress = func(Event) {}
	}
	res := &Result{}
	var mu sync.Mutex
	record := func(cr ChangeResult) {
		mu.Lock()
		res.Changes = append(res.Changes, cr)
		mu.Unlock()
	}
	byCluster := map[string][]diff.Change{}
	var clusters []string
	for _, ch := range s.Plan.Changes {
		if ch.Action == diff.NoOp && !ch.RestartFailed {
			continue
		}
		if ch.Kind == object.KindWorker {
			record(s.writeWorker(ch, progress))
			if ch.Action != diff.NoOp {
				res.RestartWorkers = append(res.RestartWorkers, ch)
			}
			continue
		}
		if _, ok := byCluster[ch.Cluster]; !ok {
			clusters = append(clusters, ch.Cluster)
		}
		byCluster[ch.Cluster] = append(byCluster[ch.Cluster], ch)
	}
	// Clusters are independent: each is written and waited on at once, up
	// to o.Clusters of them. Their results are recorded in the plan's
	// cluster order, whatever order they finish in.
	if o.Clusters <= 0 {
		o.Clusters = 4
	}
	perCluster := make([][]ChangeResult, len(clusters))
	csem := make(chan struct{}, o.Clusters)
	var cwg sync.WaitGroup
	for ci, cluster := range clusters {
		cwg.Add(1)
		csem <- struct{}{}
		go func() {
			defer cwg.Done()
			defer func() { <-csem }()
			perCluster[ci] = s.applyCluster(ctx, byCluster[cluster], s.Clusters[cluster], o, progress)
		}()
	}
	cwg.Wait()
	for _, results := range perCluster {
		for _, r := range results {
			record(r)
		}
	}
	return res
}

// applyCluster writes one cluster's connectors, up to o.Parallelism at a
// time, then waits for them to reach their desired state.
func (s *Session) applyCluster(ctx context.Context, changes []diff.Change, cs *ClusterState, o Options, progress func(Event)) []ChangeResult {
	client := cs.Client()
	results := make([]ChangeResult, len(changes))
	sem := make(chan struct{}, o.Parallelism)
	var wg sync.WaitGroup
	for i, ch := range changes {
		if client == nil || ctx.Err() != nil {
			results[i] = ChangeResult{Change: ch, Outcome: OutcomePending, Err: errors.New("no worker of the cluster answers")}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = s.applySink(ctx, client, cs, ch, progress)
		}()
	}
	wg.Wait()
	// With no worker answering, nothing was written and there is nothing
	// to wait for (and no client to wait with).
	if o.Wait > 0 && client != nil {
		if o.Waiting != nil {
			var watched []diff.Change
			for _, r := range results {
				if r.Outcome == OutcomeApplied && r.Change.Kind == object.KindSink && r.Change.Action != diff.Delete {
					watched = append(watched, r.Change)
				}
			}
			if len(watched) > 0 {
				o.Waiting(watched[0].Cluster, watched, o.Wait)
			}
		}
		s.waitReady(ctx, client, results, o, progress)
	}
	return results
}

func (s *Session) writeWorker(ch diff.Change, progress func(Event)) ChangeResult {
	w := s.Workers[ch.Ref]
	if w == nil {
		return ChangeResult{Change: ch, Outcome: OutcomeFailed, Err: errors.New("no rendered properties")}
	}
	if err := WriteFileAtomic(w.Path, w.Data, fs.FileMode(w.Mode)); err != nil {
		progress(Event{Change: ch, Step: "failed", Err: err})
		return ChangeResult{Change: ch, Outcome: OutcomeFailed, Err: err}
	}
	progress(Event{Change: ch, Step: "written"})
	return ChangeResult{Change: ch, Outcome: OutcomeApplied}
}

// sinkWrite is one request applySink sends for a sink change.
type sinkWrite struct {
	op sinkOp
	// state is the state an opState write moves the connector to.
	state object.State
}

type sinkOp int

const (
	opDelete  sinkOp = iota // DELETE the connector
	opCreate                // create it (see create)
	opState                 // pause, stop or resume it
	opConfig                // PUT its config
	opRestart               // restart its failed connector and tasks
)

// sinkWrites orders the writes of one sink change: when the connector is
// to stop running, its state changes first, so that a new config never
// runs; when it is to run, its config is written first, so that it resumes
// on the new config. A failed one is restarted last.
func sinkWrites(ch diff.Change) []sinkWrite {
	switch ch.Action {
	case diff.Delete:
		return []sinkWrite{{op: opDelete}}
	case diff.Create:
		return []sinkWrite{{op: opCreate}}
	}
	var out []sinkWrite
	toRun := ch.StateAfter == object.StateRunning
	if !toRun && ch.StateChanged() {
		out = append(out, sinkWrite{op: opState, state: ch.StateAfter})
	}
	if ch.ConfigChanged() {
		out = append(out, sinkWrite{op: opConfig})
	}
	if toRun && ch.StateChanged() {
		out = append(out, sinkWrite{op: opState, state: object.StateRunning})
	}
	if ch.RestartFailed {
		out = append(out, sinkWrite{op: opRestart})
	}
	return out
}

// applySink sends one connector's writes, in sinkWrites' order, and stops
// at the first that fails.
func (s *Session) applySink(ctx context.Context, c *connect.Client, cs *ClusterState, ch diff.Change, progress func(Event)) ChangeResult {
	fail := func(err error) ChangeResult {
		progress(Event{Change: ch, Step: "failed", Err: err})
		return ChangeResult{Change: ch, Outcome: OutcomeFailed, Err: err}
	}
	step := func(name string) { progress(Event{Change: ch, Step: name}) }
	d := s.Sinks[ch.Ref]
	if d == nil && ch.Action != diff.Delete {
		return fail(errors.New("no rendered config"))
	}
	for _, w := range sinkWrites(ch) {
		var err error
		switch w.op {
		case opDelete:
			if err = c.Delete(ctx, ch.Name); err == nil {
				step("deleted")
			}
		case opCreate:
			err = s.create(ctx, c, cs, ch, d.Config.Values, step)
		case opState:
			err = setState(ctx, c, ch.Name, w.state, step)
		case opConfig:
			if _, err = c.PutConfig(ctx, ch.Name, d.Config.Values); err == nil {
				step("config updated")
			}
		case opRestart:
			if err = c.Restart(ctx, ch.Name, true, true); err == nil {
				step("restarted failed tasks")
			}
		}
		if err != nil {
			return fail(err)
		}
	}
	return ChangeResult{Change: ch, Outcome: OutcomeApplied}
}

// create makes a connector directly in its desired state where the workers
// support initial_state (Kafka 3.7+), and otherwise creates it and then
// pauses or stops it.
func (s *Session) create(ctx context.Context, c *connect.Client, cs *ClusterState, ch diff.Change, cfg map[string]string, step func(string)) error {
	if createsInState(ch, cs) {
		err := c.Create(ctx, ch.Name, cfg, ch.StateAfter)
		if err == nil {
			step("created " + ch.StateAfter.Word())
			return nil
		}
		if !errors.Is(err, connect.ErrAlreadyExists) {
			return err
		}
		// An earlier attempt of ours may have created it: make sure the
		// config and state are the desired ones.
	}
	if _, err := c.PutConfig(ctx, ch.Name, cfg); err != nil {
		return err
	}
	step("created")
	if ch.StateAfter != object.StateRunning {
		return setState(ctx, c, ch.Name, ch.StateAfter, step)
	}
	return nil
}

// createsInState reports whether a connector is created directly in its
// desired state, with initial_state: when that state is not running and
// every reachable worker runs Kafka 3.7 or newer.
func createsInState(ch diff.Change, cs *ClusterState) bool {
	v, known := cs.MinVersion()
	return ch.StateAfter != object.StateRunning && known && v.AtLeast(3, 7)
}

func setState(ctx context.Context, c *connect.Client, name string, state object.State, step func(string)) error {
	var err error
	done := state.Word()
	switch state {
	case object.StatePaused:
		err = c.Pause(ctx, name)
	case object.StateStopped:
		err = c.Stop(ctx, name)
	default:
		err = c.Resume(ctx, name)
		done = "resumed"
	}
	if err == nil {
		step(done)
	}
	return err
}

// waitReady polls the cluster's connectors, one request per round, until
// every applied change has reached its desired state, a task FAILED, or the
// wait ran out. A change that did not settle in time is failed.
func (s *Session) waitReady(ctx context.Context, c *connect.Client, results []ChangeResult, o Options, progress func(Event)) {
	deadline := time.Now().Add(o.Wait)
	watched := func(r *ChangeResult) bool {
		return r.Outcome == OutcomeApplied && r.Change.Kind == object.KindSink && r.Change.Action != diff.Delete
	}
	ready := make([]bool, len(results))
	reconfigured := make([]bool, len(results))
	var healthy []int
	defer func() { s.readHealth(ctx, results, healthy, o, progress) }()
	start := time.Now()
	for {
		waiting := 0
		conns, err := c.Connectors(ctx)
		if err != nil {
			if retry, _ := connect.Retryable(err); !retry {
				// A redirect, an oversized answer, a 401: waiting longer
				// will not change it. Fail now, with the cause.
				for i := range results {
					r := &results[i]
					if watched(r) && !ready[i] {
						r.Outcome = OutcomeFailed
						r.Err = fmt.Errorf("cannot read its state: %w", err)
						progress(Event{Change: r.Change, Step: "failed", Err: r.Err})
					}
				}
				return
			}
		}
		for i := range results {
			r := &results[i]
			if !watched(r) || ready[i] {
				continue
			}
			if err != nil {
				waiting++
				continue
			}
			wantTasks := 0
			if d := s.Sinks[r.Change.Ref]; d != nil {
				wantTasks, _ = strconv.Atoi(d.Config.Values["tasks.max"])
			}
			done, failedTasks := settled(conns[r.Change.Name], r.Change.StateAfter, wantTasks, time.Since(start) > taskCountGrace)
			if done && !reconfigured[i] && r.Change.Action == diff.Update && r.Change.StateAfter == object.StateRunning {
				// The old tasks stay RUNNING until Connect has reconfigured the
				// connector: ready only once the task configs carry the new values.
				reconfigured[i] = s.tasksReconfigured(ctx, c, r.Change)
				done = reconfigured[i]
			}
			switch {
			case len(failedTasks) > 0:
				r.Outcome, r.FailedTasks = OutcomeFailed, failedTasks
				r.Err = errors.New("FAILED after the writes")
				progress(Event{Change: r.Change, Step: "failed", Err: r.Err})
			case done && o.Health != nil && r.Change.StateAfter == object.StateRunning:
				ready[i] = true
				healthy = append(healthy, i) // ready, or stalled, once Kafka is read
			case done:
				ready[i] = true
				progress(Event{Change: r.Change, Step: "ready"})
			default:
				waiting++
			}
		}
		if waiting == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			for i := range results {
				r := &results[i]
				if watched(r) && !ready[i] {
					r.Outcome = OutcomeFailed
					r.Err = fmt.Errorf("not %s after %s (see connectsync status)", r.Change.StateAfter, o.Wait)
					progress(Event{Change: r.Change, Step: "failed", Err: r.Err})
				}
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(o.PollInterval):
		}
	}
}

// readHealth reads the health of the sinks that reached RUNNING, all at
// once, and reports each ready, or stalled (a failure: RUNNING, but not
// getting past the records waiting).
func (s *Session) readHealth(ctx context.Context, results []ChangeResult, idx []int, o Options, progress func(Event)) {
	var wg sync.WaitGroup
	for _, i := range idx {
		r := &results[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := o.Health(ctx, r.Change.Ref)
			if err == nil {
				r.Health = h
			}
		}()
	}
	wg.Wait()
	for _, i := range idx {
		r := &results[i]
		if r.Health.IsStalled() {
			r.Outcome = OutcomeFailed
			r.Err = fmt.Errorf("RUNNING but %s (consumer group %s); the workers log a WARN for each record they retry", r.Health.Summary(), r.Health.Group)
			progress(Event{Change: r.Change, Step: "stalled", Err: r.Err})
			continue
		}
		progress(Event{Change: r.Change, Step: "ready"})
	}
}

// tasksReconfigured reports whether every task config of an updated sink carries
// the desired value of each key it holds (task configs hold some or all of the
// connector's keys, plus their own, such as task.class).
func (s *Session) tasksReconfigured(ctx context.Context, c *connect.Client, ch diff.Change) bool {
	d := s.Sinks[ch.Ref]
	if d == nil {
		return true
	}
	tasks, err := c.TaskConfigs(ctx, ch.Name)
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, tc := range tasks {
		for k, want := range d.Config.Values {
			if d.Config.Sensitive[k] || manifest.LooksSensitive(k) {
				continue // compared by the plan already; never held here
			}
			if got, ok := tc[k]; ok && got != want {
				return false
			}
		}
	}
	return true
}

// taskCountGrace is how long waitReady expects a connector to have
// tasks.max tasks. Connect reconfigures tasks after a config write, so for a
// moment the old tasks still run; but a connector may also make fewer tasks
// than tasks.max, so after this grace the tasks it has are enough.
const taskCountGrace = 15 * time.Second

// settled reports whether a connector and its tasks are in the desired
// state, and lists its failed tasks. Until anyCount, it also wants
// wantTasks tasks (when known).
func settled(c connect.Connector, want object.State, wantTasks int, anyCount bool) (bool, []string) {
	var failed []string
	if c.Status.State == object.StateFailed {
		failed = append(failed, "connector on "+c.Status.WorkerID+": "+FirstLine(c.Status.Trace))
	}
	for _, t := range c.Status.Tasks {
		if t.State == object.StateFailed {
			failed = append(failed, fmt.Sprintf("task %d on %s: %s", t.ID, t.WorkerID, FirstLine(t.Trace)))
		}
	}
	if len(failed) > 0 {
		return false, failed
	}
	if c.Status.State != want {
		return false, nil
	}
	if want == object.StateStopped {
		return len(c.Status.Tasks) == 0, nil
	}
	if want == object.StatePaused {
		// A connector created paused has no tasks yet: it makes its task
		// configs only when it first runs. One paused while running keeps
		// its tasks, paused.
		for _, t := range c.Status.Tasks {
			if t.State != object.StatePaused {
				return false, nil
			}
		}
		return true, nil
	}
	if len(c.Status.Tasks) == 0 {
		// Tasks are being created; a sink always has at least one.
		return false, nil
	}
	if wantTasks > 0 && len(c.Status.Tasks) != wantTasks && !anyCount {
		return false, nil
	}
	for _, t := range c.Status.Tasks {
		if t.State != want {
			return false, nil
		}
	}
	return true, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so that a reader never sees half a file and a
// secret never sits in a file with a looser mode. A file of mode 0600 (one
// that holds a secret) gets exactly 0600; any other mode is filtered by the
// process's umask, as every other tool's files are.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeAtomicIn(path, data, mode)
}

// ErrOutsideTree is returned by WriteFilesUnder when a file's path leaves
// the root, or a directory on the way to a file is a symbolic link (or not a
// directory), which could take the write outside the output tree.
var ErrOutsideTree = errors.New("render writes only inside the output directory")

// TreeFile is one file for WriteFilesUnder: its path relative to the root,
// with forward slashes.
type TreeFile struct {
	Rel  string
	Data []byte
	Mode fs.FileMode
}

// WriteFilesUnder writes each file to root/rel with WriteFileAtomic's
// guarantees, creating the directories in between, and refuses to go
// through any of them that is a symbolic link: a link planted inside the
// output tree (out/prod -> /etc/kafka) would otherwise make render write
// outside it. root itself may be a link; it is the user's choice of where
// to write. Each directory is checked (or made) once, not once per file in
// it, and then the files are written with up to workers goroutines at once.
// It returns the error of the first file, in the order given, that failed.
func WriteFilesUnder(root string, files []TreeFile, workers int) error {
	for _, f := range files {
		if !filepath.IsLocal(f.Rel) {
			return fmt.Errorf("%s: %w", f.Rel, ErrOutsideTree)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	checked := map[string]bool{}
	for _, f := range files {
		if err := checkDirsUnder(root, f.Rel, checked); err != nil {
			return err
		}
	}
	// Every directory on the way was just checked (or made): no second
	// MkdirAll.
	errs := make([]error, len(files))
	parallel.For(len(files), workers, func(i int) {
		errs[i] = writeAtomicIn(filepath.Join(root, filepath.FromSlash(files[i].Rel)), files[i].Data, files[i].Mode)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkDirsUnder makes the directories between root and the file rel, and
// refuses any of them that is a symbolic link or not a directory. checked
// holds the directories already seen.
func checkDirsUnder(root, rel string, checked map[string]bool) error {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(rel)), "/")
	dir := root
	for _, p := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, p)
		if checked[dir] {
			continue
		}
		info, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if info, err = os.Lstat(dir); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: %w", dir, ErrOutsideTree)
		case !info.IsDir():
			return fmt.Errorf("%s is not a directory: %w", dir, ErrOutsideTree)
		}
		checked[dir] = true
	}
	return nil
}
