package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/view"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
	"github.com/connectsync/connectsync/preflight"
)

const planUsage = `usage: connectsync plan -f PATH [-f PATH ...] [flags]

Reads the live state of every cluster the manifests declare and shows what
apply would change: connectors to create, change (config or state) and
delete, worker properties files to write, and findings such as unreachable
workers, missing plugins and failed tasks. It writes nothing to any worker.

flags:
  -f PATH              a manifest file or directory (repeatable)
  --json               print the plan as JSON (sensitive values left out)
  --detailed-exitcode  exit 0 with no changes, 1 on error, 2 with changes
  -out FILE            save the plan for apply FILE
  --target NAME        plan only this sink or worker, NAME or CLUSTER/NAME (repeatable)
  --restart-failed     plan a restart of failed connectors and tasks
  --workers-dir DIR    deployed worker files, laid out as render -o writes them
  --stats              print the requests made and the time taken on stderr
  --clusters N         clusters read at once (default 4)
  --no-validate        skip the worker's validation of created or changed sinks
  --cassandra-schema   check every DataStax sink against the live Cassandra schema
                       (otherwise per cluster or sink: preflight.cassandraSchema)
`

const applyUsage = `usage: connectsync apply -f PATH [-f PATH ...] [flags]
       connectsync apply [flags] FILE

Makes the live clusters match the manifests. Without FILE it plans, prints
the plan, and asks for confirmation (on a terminal) unless --auto-approve.
With FILE, a plan saved by plan -out, it applies exactly that plan, and
refuses if the live state moved since it was made.

Only changed objects are touched. Connector configs are written with PUT,
which is idempotent; states change in a safe order; then apply waits until
each changed connector and its tasks reach the desired state.

flags:
  -f PATH              a manifest file or directory (repeatable)
  --auto-approve       apply without asking
  --json               print one JSON document, the plan and each change's outcome
                       (needs --auto-approve or a plan file)
  --target NAME        apply only this sink or worker (repeatable)
  --restart-failed     restart failed connectors and tasks, changed or not
  --workers-dir DIR    deployed worker files, laid out as render -o writes them
  --parallelism N      connectors written at once per cluster (default 4)
  --clusters N         clusters read and written at once (default 4)
  --wait DURATION      how long to wait for desired states (default 2m; 0 to skip)

Once a sink is RUNNING, apply reads its consumer group (connect-NAME) from
Kafka, read-only: a sink with records waiting whose committed offsets do not
move over two of the workers' commit intervals (plus 2s each) is reported "stalled", and
fails, in place of "ready".

unattended runs (cron, CI; see docs/operations.md):
  --max-deletes N      refuse a run that deletes more than N connectors (default 10)
  --max-changes N      refuse a run that makes more than N changes (default 0: no cap)
  --allow-mass-delete  allow a prune of every connector of a cluster the manifests
                       declare no sink for, or of more than half of a cluster's connectors
  --log-format FORMAT  text (default), or json: one JSON event per line on stderr
  --quiet              print nothing unless something changed or failed
  --metrics-file PATH  write the run's metrics for node_exporter's textfile collector

exit status: 0 when everything applied, 1 otherwise (a refused run changes nothing).
`

type liveFlags struct {
	files           files
	clusters        int
	targets         files
	restartFailed   bool
	workersDir      string
	noValidate      bool
	cassandraSchema bool
	// noFingerprints is set, not parsed: a plan that is neither saved nor
	// printed as JSON has no use for the live connectors' fingerprints.
	noFingerprints bool
}

func (f *liveFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.files, "f", "")
	fs.Var(&f.targets, "target", "")
	fs.BoolVar(&f.restartFailed, "restart-failed", false, "")
	fs.StringVar(&f.workersDir, "workers-dir", "", "")
	fs.BoolVar(&f.noValidate, "no-validate", false, "")
	fs.BoolVar(&f.cassandraSchema, "cassandra-schema", false, "")
	f.clusters = defaultClusters
	fs.IntVar(&f.clusters, "clusters", defaultClusters, "")
}

// defaultClusters is how many clusters are read and written at once.
const defaultClusters = 4

func (f *liveFlags) checkClusters() error {
	if f.clusters < 1 {
		return errors.New("--clusters must be 1 or more")
	}
	return nil
}

type planFlags struct {
	liveFlags
	asJSON       bool
	detailedExit bool
	out          string
	stats        bool
}

func (f *planFlags) check() error {
	if err := f.checkClusters(); err != nil {
		return err
	}
	return f.files.required()
}

func runPlan(a *app, args []string) int {
	var f planFlags
	fs := a.newFlagSet("plan")
	f.register(fs)
	fs.BoolVar(&f.asJSON, "json", false, "")
	fs.BoolVar(&f.detailedExit, "detailed-exitcode", false, "")
	fs.StringVar(&f.out, "out", "", "")
	fs.BoolVar(&f.stats, "stats", false, "")
	if _, code, ok := a.parseFlags(fs, planUsage, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		a.p.Errorf("", "plan: %v", err)
		return ExitError
	}
	f.noFingerprints = !f.asJSON && f.out == ""
	v := view.NewPlanView(a.p, f.asJSON)
	var stats func([]view.ReadStat)
	if f.stats {
		stats = v.Stats
	}
	ctx := context.Background()
	s, code := a.plan(ctx, f.liveFlags, stats)
	if s == nil {
		return code
	}
	if err := v.Plan(s.Plan); err != nil {
		return ExitError
	}
	if s.Plan.HasErrors() {
		return ExitError
	}
	if f.out != "" {
		if err := a.savePlan(f.out, f.liveFlags, s); err != nil {
			a.p.Errorf("", "plan: cannot save the plan: %v", err)
			return ExitError
		}
		v.Saved(f.out)
	}
	if f.detailedExit && s.Plan.HasChanges() {
		return ExitChanges
	}
	return ExitOK
}

// plan loads, validates and renders the manifests, reads the live state and
// builds the plan. It returns a nil session and the exit code on failure.
// stats, when not nil, is given what reading each cluster cost.
//
// The read starts before the manifests are loaded, from their preview
// (manifest.Preview: their clusters and workers, valid on their own), so
// that loading, validating and rendering them overlaps the network. The
// read is kept only when the loaded and validated manifests declare the
// same clusters, workers and REST settings; else it is cancelled and made
// again. Until then nothing it learns is reported, its retries included.
func (a *app) plan(ctx context.Context, f liveFlags, stats func([]view.ReadStat)) (*apply.Session, int) {
	// Each file is read once, for the preview and for the load.
	in := manifest.ReadFiles(f.files...)
	early := a.startRead(ctx, f, in)
	checked, ds := checkFiles(in)
	s, code := a.planManifest(ctx, checked, ds, f, stats, early)
	if early != nil && !early.used {
		early.r.Stop()
	}
	return s, code
}

// earlyRead is a live read started from the manifests' preview.
type earlyRead struct {
	r     *apply.Reader
	retry *heldLog
	used  bool
}

// startRead starts reading the clusters of the manifests' preview, or
// returns nil when there is none.
func (a *app) startRead(ctx context.Context, f liveFlags, in *manifest.Files) *earlyRead {
	pre := in.Preview()
	if pre == nil {
		return nil
	}
	held := &heldLog{print: a.p.Retry}
	r, err := apply.NewReader(pre, a.readerOptions(held.add))
	if err != nil {
		// Reported, if it stands, by the read of the loaded manifests.
		return nil
	}
	r.Start(ctx, f.clusters)
	return &earlyRead{r: r, retry: held}
}

// heldLog holds the retries of an early read until the read is kept, and
// drops them if it is not.
type heldLog struct {
	print func(cluster string, r connect.Retry)
	mu    sync.Mutex
	held  []heldRetry
	live  bool
}

type heldRetry struct {
	cluster string
	r       connect.Retry
}

func (h *heldLog) add(cluster string, r connect.Retry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.live {
		h.print(cluster, r)
		return
	}
	h.held = append(h.held, heldRetry{cluster, r})
}

// release prints what was held, and from now on prints as it comes.
func (h *heldLog) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.held {
		h.print(l.cluster, l.r)
	}
	h.held, h.live = nil, true
}

// planManifest plans loaded and checked manifests; early, when not nil, is
// a read already under way (used only if it reads what they declare).
func (a *app) planManifest(ctx context.Context, checked *manifest.Checked, ds manifest.Diagnostics, f liveFlags, stats func([]view.ReadStat), early *earlyRead) (*apply.Session, int) {
	if ds.HasErrors() {
		a.p.Diagnostics(ds)
		return nil, ExitError
	}
	m := checked.Manifest()
	r, rds := checked.Render(a.resolver())
	ds = append(ds, rds...).Sort()
	a.p.Diagnostics(ds)
	// A sink whose config cannot be rendered (a secret that does not
	// resolve) fails its own change only; any other error stops the run.
	unrenderable, otherErrors := sinkErrors(m, ds)
	if otherErrors {
		return nil, ExitError
	}
	a.registerSecrets(r)
	if err := checkTargets(m, f.targets); err != nil {
		a.p.Errorf("list names with connectsync validate, or write CLUSTER/NAME", "%v", err)
		return nil, ExitError
	}
	var reader *apply.Reader
	if early != nil && early.r.Reads(m) {
		early.used = true
		a.warnInsecure(m)
		early.retry.release()
		reader = early.r
	} else {
		if early != nil {
			early.r.Stop()
			early.used = true
		}
		a.warnInsecure(m)
		var err error
		if reader, err = apply.NewReader(m, a.readerOptions(a.p.Retry)); err != nil {
			a.p.Errorf("check the manifest's rest settings", "%v", err)
			return nil, ExitError
		}
		reader.Start(ctx, f.clusters)
	}
	reader.Classes(apply.Classes(m))
	// Each cluster is planned as soon as it has been read, while the
	// others are still being read.
	planner := apply.NewPlanner(m, r, apply.PlanOptions{
		Targets: f.targets, RestartFailed: f.restartFailed, WorkersDir: f.workersDir, ReadFile: readIfExists,
		Unrenderable: unrenderable, NoFingerprints: f.noFingerprints,
	})
	for name, cs := range reader.Ready() {
		planner.Cluster(name, cs)
	}
	live := reader.Wait()
	if stats != nil {
		stats(readStats(m, live))
	}
	s := planner.Session(live)
	s.Plan.Findings = append(s.Plan.Findings, preflight.Run(ctx, s, m, preflight.Options{
		Validate: !f.noValidate, CassandraSchema: f.cassandraSchema, Resolver: a.resolver(),
	})...)
	s.Plan.Sort()
	return s, ExitOK
}

// sinkErrors sorts the errors of rendering: those located in a sink, with
// the first message, and whether there is any other.
func sinkErrors(m *manifest.Manifest, ds manifest.Diagnostics) (map[object.Ref]string, bool) {
	out := map[object.Ref]string{}
	other := false
	for _, d := range ds.Errors() {
		found := false
		for _, s := range m.Sinks {
			at := s.At("")
			if d.Pos.File == at.File && (strings.HasPrefix(d.Path, s.Origin.Path+".") || strings.HasPrefix(d.Path, s.Origin.Path+"[")) {
				k := object.SinkRef(s.Cluster, s.Name)
				if _, seen := out[k]; !seen {
					out[k] = d.Path + ": " + d.Message
				}
				found = true
				break
			}
		}
		other = other || !found
	}
	return out, other
}

func checkTargets(m *manifest.Manifest, targets []string) error {
	for _, t := range targets {
		found := false
		for _, s := range m.Sinks {
			found = found || t == s.Name || t == object.SinkRef(s.Cluster, s.Name).Qualified()
		}
		for _, w := range m.Workers {
			found = found || t == w.Name || t == object.WorkerRef(w.Cluster, w.Name).Qualified()
		}
		if !found && !strings.Contains(t, "/") {
			return fmt.Errorf("--target %s: no sink or worker has that name", t)
		}
	}
	return nil
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// readLive reads every cluster's live state, up to parallel clusters at
// once. stats, when not nil, is given what each cluster's read cost, in
// the manifests' order.
func (a *app) readLive(ctx context.Context, m *manifest.Manifest, parallel int, stats func([]view.ReadStat)) (map[string]*apply.ClusterState, error) {
	a.warnInsecure(m)
	r, err := apply.NewReader(m, a.readerOptions(a.p.Retry))
	if err != nil {
		return nil, err
	}
	live := r.Read(ctx, parallel, apply.Classes(m))
	if stats != nil {
		stats(readStats(m, live))
	}
	return live, nil
}

// readerOptions are the live reader's settings for this run: its
// resolver, the printer's secret scrubber, and where retries are told.
func (a *app) readerOptions(retry func(string, connect.Retry)) apply.ReaderOptions {
	return apply.ReaderOptions{Resolver: a.resolver(), Scrub: a.secrets.Scrub, Retry: retry}
}

// warnInsecure warns, on every run, of each cluster whose workers'
// certificates are not checked: this is not a setting to forget about.
func (a *app) warnInsecure(m *manifest.Manifest) {
	for _, c := range m.Clusters {
		if c.REST.TLS.InsecureSkipVerify {
			a.p.Errorf("remove it, and trust the workers' CA with rest.tls.caFile",
				"warning: cluster %s: rest.tls.insecureSkipVerify is on: the workers' TLS certificates are not checked, so anyone on the network path can read or change what connectsync sends them, secrets included", c.Name)
		}
	}
}

// readStats is what reading each cluster cost (apply.ReadStats), in the
// manifests' order.
func readStats(m *manifest.Manifest, live map[string]*apply.ClusterState) []view.ReadStat {
	var out []view.ReadStat
	for _, c := range m.Clusters {
		if cs := live[c.Name]; cs != nil {
			out = append(out, view.ReadStat{Cluster: c.Name, Requests: cs.Stats.Requests, ConnectorRequests: cs.Stats.ConnectorRequests,
				Connectors: len(cs.Connectors), Took: cs.Stats.Took})
		}
	}
	return out
}

func (a *app) savePlan(path string, f liveFlags, s *apply.Session) error {
	digest, err := apply.ManifestDigest(f.files)
	if err != nil {
		return err
	}
	pf := &apply.PlanFile{
		FormatVersion: apply.PlanFileVersion, Manifests: f.files, ManifestDigest: digest,
		Targets: f.targets, RestartFailed: f.restartFailed, WorkersDir: f.workersDir,
		Changes: apply.SaveChanges(s.Plan),
	}
	if apply.HasSensitive(s.Plan) {
		// So that apply FILE notices a secret that changed since.
		key, err := a.planKey(true)
		if err != nil {
			return err
		}
		pf.PlanKeyID, pf.SecretMACs = key.ID, key.SecretMACs(s.Plan)
	}
	b, err := pf.Marshal()
	if err != nil {
		return err
	}
	return apply.WriteFileAtomic(path, b, 0o600)
}

type applyFlags struct {
	liveFlags
	asJSON      bool
	autoApprove bool
	parallelism int
	wait        time.Duration
	planFile    string
	// Guardrails and unattended runs.
	maxDeletes      int
	maxChanges      int
	allowMassDelete bool
	logFormat       string
	quiet           bool
	metricsFile     string
}

func (f *applyFlags) check(positional []string) error {
	switch {
	case len(positional) > 1:
		return fmt.Errorf("apply takes one plan file, got %d arguments", len(positional))
	case len(positional) == 1 && len(f.files) > 0:
		return errors.New("a saved plan names its own manifests: drop -f, or drop the plan file")
	case len(positional) == 1 && (len(f.targets) > 0 || f.restartFailed || f.workersDir != ""):
		return errors.New("a saved plan carries its own --target, --restart-failed and --workers-dir")
	case len(positional) == 0 && len(f.files) == 0:
		return errors.New("no manifest given: pass -f FILE or -f DIR, or a plan file")
	case f.parallelism < 1:
		return errors.New("--parallelism must be 1 or more")
	case f.clusters < 1:
		return errors.New("--clusters must be 1 or more")
	case f.asJSON && !f.autoApprove && len(positional) == 0:
		return errors.New("--json cannot ask for confirmation: add --auto-approve, or apply a saved plan")
	case f.logFormat != "text" && f.logFormat != "json":
		return fmt.Errorf("--log-format %q: want text or json", f.logFormat)
	case f.logFormat == "json" && f.asJSON:
		return errors.New("--json and --log-format json are two machine formats: pick one")
	case f.logFormat == "json" && !f.autoApprove && len(positional) == 0:
		return errors.New("--log-format json cannot ask for confirmation: add --auto-approve, or apply a saved plan")
	case f.quiet && !f.autoApprove && len(positional) == 0:
		return errors.New("--quiet cannot ask for confirmation: add --auto-approve, or apply a saved plan")
	case f.maxChanges < 0:
		return errors.New("--max-changes must be 0 (no cap) or more")
	}
	if len(positional) == 1 {
		f.planFile = positional[0]
	}
	return nil
}

func runApply(a *app, args []string) int {
	f := applyFlags{parallelism: 4, wait: 2 * time.Minute}
	fs := a.newFlagSet("apply")
	f.register(fs)
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "")
	fs.BoolVar(&f.asJSON, "json", false, "")
	fs.IntVar(&f.parallelism, "parallelism", 4, "")
	fs.DurationVar(&f.wait, "wait", 2*time.Minute, "")
	fs.IntVar(&f.maxDeletes, "max-deletes", apply.DefaultMaxDeletes, "")
	fs.IntVar(&f.maxChanges, "max-changes", 0, "")
	fs.BoolVar(&f.allowMassDelete, "allow-mass-delete", false, "")
	fs.StringVar(&f.logFormat, "log-format", "text", "")
	fs.BoolVar(&f.quiet, "quiet", false, "")
	fs.StringVar(&f.metricsFile, "metrics-file", "", "")
	pos, code, ok := a.parseFlags(fs, applyUsage, args)
	if !ok {
		return code
	}
	if err := f.check(pos); err != nil {
		a.p.Errorf("run connectsync help apply", "apply: %v", err)
		return ExitError
	}
	format := view.ApplyText
	switch {
	case f.asJSON:
		format = view.ApplyDocument
	case f.logFormat == "json":
		format = view.ApplyEvents
	}
	run := &applyRun{start: time.Now(), v: view.NewApplyView(a.p, format, time.Now)}
	if f.quiet {
		// Output only when something changed or failed.
		a.p.Hold()
	}
	code = a.apply(f, run)
	if f.metricsFile != "" && run.m != nil {
		if err := writeMetrics(f.metricsFile, run, code); err != nil {
			a.p.Errorf("check that the metrics file's directory exists and is writable", "apply: cannot write the metrics: %v", err)
			code = ExitError
		}
	}
	var plan *diff.Plan
	if run.s != nil {
		plan = run.s.Plan
	}
	run.v.Done(plan, run.res, code, time.Since(run.start))
	if f.quiet {
		a.p.Release(code != ExitOK || run.changed)
	}
	return code
}

// applyRun is what one apply run found and did, for its metrics and its
// summary event.
type applyRun struct {
	start time.Time
	v     view.ApplyView
	m     *manifest.Manifest
	s     *apply.Session
	res   *apply.Result
	// refused lists the clusters a guardrail refused ("" for the whole run).
	refused map[string]bool
	// changed: the run had changes to make (applied or not).
	changed bool
}

func (a *app) apply(f applyFlags, run *applyRun) int {
	var saved *apply.PlanFile
	if f.planFile != "" {
		var ok bool
		if saved, ok = a.openPlanFile(&f); !ok {
			return ExitError
		}
	}
	// Loaded once, here: planManifest plans this same manifest.
	checked, ds := loadAndCheck(f.files)
	if ds.HasErrors() {
		a.p.Diagnostics(ds)
		return ExitError
	}
	m := checked.Manifest()
	run.m = m
	names := make([]string, len(m.Clusters))
	for i, c := range m.Clusters {
		names[i] = c.Name
	}
	run.v.Start(version(), names)
	locks, err := lockClusters(m)
	defer func() {
		for _, l := range locks {
			l.Release()
		}
	}()
	if err != nil {
		a.p.Errorf(lockHint(err), "apply: %v", err)
		return ExitError
	}
	ctx := context.Background()
	// No early read: the live state must be read under the lock.
	s, code := a.planManifest(ctx, checked, ds, f.liveFlags, nil, nil)
	if s == nil {
		return code
	}
	if saved != nil && !a.planStillHolds(saved, s) {
		return ExitError
	}
	run.s = s
	run.changed = s.Plan.HasChanges()
	if f.asJSON {
		return a.applyJSON(ctx, s, f, run)
	}
	run.v.Plan(s.Plan)
	if s.Plan.HasBlockingErrors() || s.Plan.HasErrors() && !s.Plan.HasChanges() {
		a.p.Errorf("fix the errors above, then plan again", "apply: the plan has errors; nothing was changed")
		return ExitError
	}
	if a.refuse(s, f, m, run) {
		return ExitError
	}
	if !s.Plan.HasChanges() {
		return ExitOK
	}
	if saved == nil && !f.autoApprove && !a.approved(run) {
		return ExitError
	}
	run.v.Applying()
	res := s.Apply(ctx, apply.Options{Parallelism: f.parallelism, Clusters: f.clusters, Wait: waitOrSkip(f.wait),
		Progress: run.v.Progress, Waiting: run.v.Waiting, Health: a.healthFunc(run.m, -1)})
	run.res = res
	if err := run.v.Result(s.Plan, res); err != nil {
		return ExitError
	}
	if _, pending, failed := res.Counts(); pending+failed > 0 {
		return ExitError
	}
	if s.Plan.HasErrors() {
		// Contained errors: the rest was applied, these were not.
		a.p.Errorf("fix the errors in the plan above; the other changes were applied", "apply: not everything was planned: %s", containedSubjects(s.Plan))
		return ExitError
	}
	return ExitOK
}

// openPlanFile reads the saved plan of f.planFile, takes the manifests,
// targets and options it was made with into f, and checks that the
// manifests are still the bytes it was made from. It reports why not.
func (a *app) openPlanFile(f *applyFlags) (*apply.PlanFile, bool) {
	pf, err := apply.ReadPlanFile(f.planFile)
	if err != nil {
		a.p.Errorf("make a new one with connectsync plan -out FILE", "apply: %v", err)
		return nil, false
	}
	f.files, f.targets, f.restartFailed, f.workersDir = pf.Manifests, pf.Targets, pf.RestartFailed, pf.WorkersDir
	digest, err := apply.ManifestDigest(f.files)
	if err != nil || digest != pf.ManifestDigest {
		a.p.Errorf("plan again with connectsync plan -out FILE", "apply: the manifests changed since the plan was made")
		return nil, false
	}
	return pf, true
}

// lockHint is what to do about a cluster lock that could not be taken.
func lockHint(err error) string {
	var dirErr *apply.LockDirError
	switch {
	case errors.As(err, &dirErr):
		// Waiting does not help when the lock directory is unusable.
		return dirErr.Hint
	case !errors.Is(err, apply.ErrLocked):
		// No other apply holds it: the lock could not be taken at all.
		return "check that the lock directory is yours and writable, or set CONNECTSYNC_LOCK_DIR to one that is"
	}
	return "wait for it to finish; the lock frees itself when that process exits"
}

// planStillHolds reports whether the saved plan is still the plan of the
// live state just read, its secrets included; it reports why not.
func (a *app) planStillHolds(saved *apply.PlanFile, s *apply.Session) bool {
	stale := saved.Stale(apply.SaveChanges(s.Plan))
	if len(saved.SecretMACs) > 0 || apply.HasSensitive(s.Plan) {
		const hint = "apply a plan as the user and on the machine that made it, or share the key with " + apply.PlanKeyEnv
		key, err := a.planKey(false)
		switch {
		case err != nil && len(saved.SecretMACs) > 0:
			a.p.Errorf(hint, "apply: cannot check the plan's secrets: %v", err)
			return false
		case err == nil && saved.PlanKeyID != "" && key.ID != saved.PlanKeyID:
			a.p.Errorf(hint, "apply: the plan was made with another plan key; its secrets cannot be checked")
			return false
		case err == nil:
			stale = append(stale, saved.StaleSecrets(key.SecretMACs(s.Plan))...)
		}
	}
	if len(stale) > 0 {
		a.p.Errorf("plan again with connectsync plan -out FILE", "apply: the saved plan is stale:\n  %s", strings.Join(stale, "\n  "))
		return false
	}
	return true
}

// approved asks on the terminal whether to apply; only "yes" is taken.
// Without a terminal it refuses to ask.
func (a *app) approved(run *applyRun) bool {
	if !a.env.StdinIsTTY {
		a.p.Errorf("pass --auto-approve, or apply a saved plan: connectsync plan -out FILE, then connectsync apply FILE",
			"apply: refusing to ask for confirmation without a terminal")
		return false
	}
	run.v.AskApproval()
	answer, _ := bufio.NewReader(a.env.Stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		a.p.Errorf("", "apply cancelled; nothing was changed")
		return false
	}
	return true
}

// refuse checks the guardrails, and reports each one the plan breaks.
func (a *app) refuse(s *apply.Session, f applyFlags, m *manifest.Manifest, run *applyRun) bool {
	declared := map[string]int{}
	for _, sk := range m.Sinks {
		declared[sk.Cluster]++
	}
	refusals := s.Check(apply.Guardrails{
		MaxDeletes: f.maxDeletes, MaxChanges: f.maxChanges, AllowMassDelete: f.allowMassDelete,
		Targeted: len(f.targets) > 0, Declared: declared,
	})
	if len(refusals) == 0 {
		return false
	}
	run.refused = map[string]bool{}
	for _, r := range refusals {
		run.refused[r.Cluster] = true
		run.v.Refused(r)
	}
	a.p.Errorf("", "apply: nothing was changed")
	return true
}

// containedSubjects names what contained errors kept out of the apply.
func containedSubjects(p *diff.Plan) string {
	var out []string
	for _, f := range p.Findings {
		if f.Severity == diff.SevError && f.Contained {
			out = append(out, f.Subject.String())
		}
	}
	return strings.Join(out, ", ")
}

// applyJSON applies without any text on standard output, and prints one
// JSON document: the plan and what became of each change.
func (a *app) applyJSON(ctx context.Context, s *apply.Session, f applyFlags, run *applyRun) int {
	res := &apply.Result{}
	refused := false
	if !s.Plan.HasBlockingErrors() && s.Plan.HasChanges() {
		if refused = a.refuse(s, f, run.m, run); !refused {
			res = s.Apply(ctx, apply.Options{Parallelism: f.parallelism, Clusters: f.clusters, Wait: waitOrSkip(f.wait), Health: a.healthFunc(run.m, -1)})
		}
	}
	run.res = res
	if err := run.v.Result(s.Plan, res); err != nil {
		return ExitError
	}
	if _, pending, failed := res.Counts(); refused || s.Plan.HasErrors() || pending+failed > 0 {
		return ExitError
	}
	return ExitOK
}

func waitOrSkip(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// planKey loads the key of the plan file's secret HMACs, creating it with
// create.
func (a *app) planKey(create bool) (*apply.PlanKey, error) {
	path, err := apply.PlanKeyPath(a.env.LookupEnv)
	if err != nil {
		return nil, err
	}
	return apply.LoadPlanKey(path, create)
}

// lockClusters takes the apply lock of every cluster in the manifests.
func lockClusters(m *manifest.Manifest) ([]*apply.Lock, error) {
	var locks []*apply.Lock
	for _, c := range m.Clusters {
		l, err := apply.Acquire(apply.LockPath(apply.LockDir(), c), "connectsync apply")
		if err != nil {
			return locks, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// writeMetrics writes the run's metrics, per cluster, atomically: the
// textfile collector never reads half a file.
func writeMetrics(path string, run *applyRun, code int) error {
	took := time.Since(run.start).Seconds()
	var runs []view.ClusterRun
	for _, c := range run.m.Clusters {
		r := view.ClusterRun{Cluster: c.Name, Time: float64(run.start.UnixMilli()) / 1000, Duration: took}
		planned := false
		if run.s != nil {
			planned = true
			if cs := run.s.Clusters[c.Name]; cs != nil && cs.Connectors != nil {
				r.Read = true
				for _, conn := range cs.Connectors {
					if conn.Status.State == object.StateFailed {
						r.FailedConnectors++
					}
					for _, t := range conn.Status.Tasks {
						if t.State == object.StateFailed {
							r.FailedTasks++
						}
					}
				}
			}
			for _, ch := range run.s.Plan.Changes {
				if ch.Cluster == c.Name && (ch.Action != diff.NoOp || ch.RestartFailed) {
					r.Drift++
				}
			}
		}
		clean := planned && r.Read && !run.refused[""] && !run.refused[c.Name]
		if run.s != nil {
			for _, f := range run.s.Plan.Findings {
				clean = clean && !(f.Severity == diff.SevError && (f.Subject.Cluster == c.Name || f.Subject.Cluster == ""))
			}
		}
		if run.res != nil {
			for _, cr := range run.res.Changes {
				if cr.Change.Cluster != c.Name {
					continue
				}
				if cr.Outcome == apply.OutcomeApplied {
					r.Applied++
				} else {
					clean = false
				}
			}
		}
		// A run that stopped before applying what it planned did not succeed.
		if r.Drift > 0 && run.res == nil {
			clean = false
		}
		r.Success = clean && (code == ExitOK || r.Drift == r.Applied)
		runs = append(runs, r)
	}
	b, err := view.Metrics(runs)
	if err != nil {
		return err
	}
	return apply.WriteFileAtomic(path, b, 0o644)
}
