package view

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsParseWithPrometheusParser reads Metrics' output back with
// the Prometheus library's own text parser, as node_exporter does.
func TestMetricsParseWithPrometheusParser(t *testing.T) {
	b, err := Metrics([]ClusterRun{
		{Cluster: "prod-eu", Time: 1764086400, Success: false, Drift: 3, Applied: 2, FailedConnectors: 1, FailedTasks: 4, Read: true, Duration: 2.5},
		{Cluster: "local", Time: 1764086400, Success: true, Read: true, Duration: 2.5},
		{Cluster: "unread", Time: 1764086400, Duration: 2.5},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, b)
	}
	got := map[string]float64{}
	for name, f := range fams {
		if f.GetHelp() == "" || f.GetType().String() != "GAUGE" {
			t.Errorf("%s: help %q, type %s", name, f.GetHelp(), f.GetType())
		}
		for _, m := range f.Metric {
			got[name+"/"+m.Label[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"connectsync_last_run_timestamp_seconds/local": 1764086400, "connectsync_last_run_timestamp_seconds/prod-eu": 1764086400, "connectsync_last_run_timestamp_seconds/unread": 1764086400,
		"connectsync_last_run_success/local": 1, "connectsync_last_run_success/prod-eu": 0, "connectsync_last_run_success/unread": 0,
		"connectsync_drift_objects/local": 0, "connectsync_drift_objects/prod-eu": 3, "connectsync_drift_objects/unread": 0,
		"connectsync_changes_applied/local": 0, "connectsync_changes_applied/prod-eu": 2, "connectsync_changes_applied/unread": 0,
		// An unread cluster's failures are unknown: not written, not zero.
		"connectsync_failed_connectors/local": 0, "connectsync_failed_connectors/prod-eu": 1,
		"connectsync_failed_tasks/local": 0, "connectsync_failed_tasks/prod-eu": 4,
		"connectsync_last_run_duration_seconds/local": 2.5, "connectsync_last_run_duration_seconds/prod-eu": 2.5, "connectsync_last_run_duration_seconds/unread": 2.5,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("metrics (-want +got):\n%s\n%s", d, b)
	}
}
