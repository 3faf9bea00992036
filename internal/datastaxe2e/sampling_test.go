package datastaxe2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/connectsync/connectsync/internal/testcluster"
)

// sampledManifest writes a manifest for the local cluster with the workers'
// real commit interval (offset.flush.interval.ms, 5 s on the local cluster)
// declared, so that the stall check waits the right time.
func (e *env) sampledManifest(sinks string) string {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), "connect.yaml")
	head := testcluster.ManifestHeader("rest: {timeout: 10s, retryFor: 60s}")
	if err := os.WriteFile(p, []byte(head+sinks), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// sampledSink is a DataStax sink that samples its records at plan time.
func sampledSink(name, topic, table, mapping, extra string) string {
	return fmt.Sprintf(`  - name: %s
    cluster: local
    cassandra: {contactPoints: [127.0.0.1], port: 39042, localDc: datacenter1}
    preflight: {sampleRecords: 20}
    topics:
      %s:
        tables:
          - keyspace: e2e
            table: %s
            mapping: %s
%s`, name, topic, table, mapping, extra)
}

// lineOf returns the 1-based line of the first line of the file that
// contains both strings.
func lineOf(t *testing.T, path, a, b string) int {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, a) && strings.Contains(l, b) {
			return i + 1
		}
	}
	t.Fatalf("no line of %s has %q and %q", path, a, b)
	return 0
}

// groups lists the broker's consumer groups and their committed offsets, as
// "topic/partition=offset" per group: the groups that keep outside, plus
// the named ones. Connectors of other engineers commit while a test runs, so
// their groups are left out.
func (e *env) groups(keep func(string) bool) map[string]string {
	e.t.Helper()
	adm := kadm.NewClient(e.kafka)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gs, err := adm.ListGroups(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range gs.Groups() {
		if !keep(g) {
			continue
		}
		offs, err := adm.FetchOffsets(ctx, g)
		if err != nil {
			e.t.Fatalf("group %s: %v", g, err)
		}
		var parts []string
		offs.Each(func(o kadm.OffsetResponse) {
			parts = append(parts, fmt.Sprintf("%s/%d=%d", o.Topic, o.Partition, o.At))
		})
		out[g] = strings.Join(sortedCopy(parts), " ")
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestBadTimestampEndToEnd is issue 14's scenario on the real connector: JSON numbers
// mapped into a timestamp column under the default codecs. plan predicts the failure at
// the mapping's line and names the codec.timestamp fix; apply reports the sink stalled in
// place of ready; status shows it stalled, with its lag; the connector logged the WARN
// and wrote no row; applying the fix the finding names makes the rows appear. The same
// sink over ISO-8601 strings draws no finding. plan and status leave every consumer
// group as they found it.
func TestBadTimestampEndToEnd(t *testing.T) {
	e := setup(t)
	name, topic, isoName, isoTopic := "data-ts", "data-ts", "data-ts-iso", "data-ts-iso"
	e.cleanup(name)
	e.cleanup(isoName)
	e.topic(topic, 1)
	e.topic(isoTopic, 1)
	e.exec(`DROP TABLE IF EXISTS e2e.data_ts`, `CREATE TABLE e2e.data_ts (id text PRIMARY KEY, created timestamp)`)
	base := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	var bad, iso []record
	for i := 0; i < 20; i++ {
		at := base.Add(time.Duration(i) * time.Minute)
		bad = append(bad, record{key: fmt.Sprintf("k%02d", i), value: map[string]any{"created": at.UnixMilli()}})
		iso = append(iso, record{key: fmt.Sprintf("k%02d", i), value: map[string]any{"created": at.Format(time.RFC3339)}})
	}
	e.produce(topic, bad...)
	e.produce(isoTopic, iso...)
	mapping := "id=key, created=value.created"
	fix := "        codec: {timestamp: UNITS_SINCE_EPOCH}\n"
	m := e.sampledManifest(sampledSink(name, topic, "data_ts", mapping, "") + sampledSink(isoName, isoTopic, "data_ts", mapping, ""))
	ours := func(g string) bool {
		return !strings.HasPrefix(g, "connect-") || strings.HasPrefix(g, "connect-data-ts")
	}

	// plan: exit 1 at the mapping's line, naming the field, the column type and the fix.
	before := e.groups(ours)
	r := connectsync(nil, "plan", "-f", m, "--target", "local/"+name)
	t.Logf("plan:\n%s", r)
	line := lineOf(t, m, "mapping:", mapping)
	for _, want := range []string{
		fmt.Sprintf("connect.yaml:%d:", line),
		fmt.Sprintf(`column "created" (timestamp) from value.created: 20 of 20 sampled records fail to convert (e.g. partition 0, offset 0: the JSON integer %d)`, base.UnixMilli()),
		fmt.Sprintf(`Text '%d' could not be parsed at index 0`, base.UnixMilli()),
		"codec.timestamp: UNITS_SINCE_EPOCH",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
	if r.code != 1 {
		t.Errorf("plan exit %d, want 1", r.code)
	}
	// The ISO-8601 strings: no finding.
	r = connectsync(nil, "plan", "-f", m, "--target", "local/"+isoName, "--detailed-exitcode")
	if r.code != 2 || strings.Contains(r.stdout, "sampled records") {
		t.Errorf("plan of the ISO-8601 sink: want exit 2 and no sampling finding:\n%s", r)
	}
	if diff := cmp.Diff(before, e.groups(ours)); diff != "" {
		t.Errorf("plan changed consumer groups (-before +after)\n%s", diff)
	}

	// apply refuses the plan's error; without sampling (a manifest that did not opt in)
	// the sink is deployed, reaches RUNNING, and is reported stalled in place of ready.
	r = connectsync(nil, "apply", "-f", m, "--auto-approve", "--target", "local/"+name, "--wait", "90s")
	if r.code != 1 || !strings.Contains(r.stderr, "the plan has errors; nothing was changed") {
		t.Errorf("apply with the prediction's error should change nothing:\n%s", r)
	}
	unsampled := e.sampledManifest(strings.Replace(sampledSink(name, topic, "data_ts", mapping, ""), "    preflight: {sampleRecords: 20}\n", "", 1))
	start := time.Now()
	r = connectsync(nil, "apply", "-f", unsampled, "--auto-approve", "--target", "local/"+name, "--wait", "90s")
	t.Logf("apply (%s):\n%s", time.Since(start).Round(time.Second), r)
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "stalled: 20 records waiting") {
		t.Errorf("apply should report the sink stalled with 20 records waiting, and exit 1")
	}
	if got := e.recordWarning(topic); !strings.Contains(got, "could not be parsed at index 0") {
		t.Errorf("the connector's verdict: %s", got)
	}
	if n := len(e.rows(`SELECT id FROM e2e.data_ts`)); n != 0 {
		t.Errorf("%d rows written from the bad records", n)
	}

	// status: stalled, with its lag, in text and JSON; groups untouched by it.
	before = e.groups(ours)
	r = connectsync(nil, "status", "-f", m)
	t.Logf("status:\n%s", r)
	if !strings.Contains(r.stdout, "warning: RUNNING but stalled: 20 records waiting, committed offsets unmoved for 7s on data-ts/0") {
		t.Errorf("status does not show %s stalled with its lag", name)
	}
	r = connectsync(nil, "status", "-f", m, "--json")
	var st struct {
		Clusters []struct {
			Connectors []struct {
				Name    string
				Stalled bool
				Health  *struct {
					Lag        int64
					Partitions []struct {
						Committed int64
						LogEnd    int64 `json:"log_end"`
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r)
	}
	found := false
	for _, c := range st.Clusters[0].Connectors {
		if c.Name == name {
			found = true
			if !c.Stalled || c.Health == nil || c.Health.Lag != 20 || len(c.Health.Partitions) != 1 || c.Health.Partitions[0].LogEnd != 20 {
				t.Errorf("status --json for %s: %+v", name, c)
			}
		}
	}
	if !found {
		t.Errorf("status --json lacks %s", name)
	}
	if diff := cmp.Diff(before, e.groups(ours)); diff != "" {
		t.Errorf("status changed consumer groups (-before +after)\n%s", diff)
	}

	// The fix the finding names: plan has no conversion finding (the live sink is still
	// stalled: a warning), and once applied the rows appear.
	m = e.sampledManifest(sampledSink(name, topic, "data_ts", mapping, fix))
	r = connectsync(nil, "plan", "-f", m, "--target", "local/"+name, "--detailed-exitcode")
	t.Logf("plan with the fix:\n%s", r)
	if r.code != 2 || strings.Contains(r.stdout, "sampled records") || !strings.Contains(r.stdout, "RUNNING but stalled") {
		t.Errorf("plan with the fix: want exit 2, no sampling finding, and the live sink's stall")
	}
	r = connectsync(nil, "apply", "-f", m, "--auto-approve", "--target", "local/"+name, "--wait", "90s")
	t.Logf("apply the fix:\n%s", r)
	if r.code != 0 {
		t.Errorf("apply of the fix: exit %d", r.code)
	}
	waitFor(t, 90*time.Second, "20 rows after the fix", func() bool { return len(e.rows(`SELECT id FROM e2e.data_ts`)) == 20 })
	row := e.rows(`SELECT created FROM e2e.data_ts WHERE id = 'k00'`)
	if got, _ := row[0]["created"].(time.Time); !got.Equal(base) {
		t.Errorf("created = %v, want %v", row[0]["created"], base)
	}
}
