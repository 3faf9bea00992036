package view

import (
	"bytes"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// ClusterRun is what one apply run did to one cluster, for --metrics-file.
// It holds counts and times only: never a name of a connector, never a
// config value.
type ClusterRun struct {
	Cluster string
	// Time is when the run started, in Unix seconds.
	Time float64
	// Success is true when the cluster was read and every change to it
	// was applied, with no guardrail refusal and no error.
	Success bool
	// Drift counts the objects whose live state differed from the
	// manifests (the planned changes, restarts included).
	Drift int
	// Applied counts the changes applied.
	Applied int
	// FailedConnectors and FailedTasks count what the cluster reported
	// FAILED when it was read; Read is false when it could not be read,
	// and then they are not written.
	FailedConnectors, FailedTasks int
	Read                          bool
	// Duration is the run's wall time in seconds.
	Duration float64
}

// metric names of --metrics-file, documented in docs/operations.md.
var metricHelp = []struct{ name, help string }{
	{"connectsync_last_run_timestamp_seconds", "When the last connectsync apply of the cluster started, in Unix seconds."},
	{"connectsync_last_run_success", "1 if the last apply read the cluster and applied every change to it, else 0."},
	{"connectsync_drift_objects", "Objects whose live state differed from the manifests in the last apply."},
	{"connectsync_changes_applied", "Changes the last apply applied to the cluster."},
	{"connectsync_failed_connectors", "Connectors the cluster reported FAILED when the last apply read it."},
	{"connectsync_failed_tasks", "Tasks the cluster reported FAILED when the last apply read it."},
	{"connectsync_last_run_duration_seconds", "Wall time of the last apply, in seconds."},
}

// Metrics renders runs in the Prometheus text exposition format (version
// 0.0.4, which node_exporter's textfile collector reads), one gauge family
// per metric, one series per cluster, with expfmt's encoder.
func Metrics(runs []ClusterRun) ([]byte, error) {
	runs = append([]ClusterRun(nil), runs...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].Cluster < runs[j].Cluster })
	var buf bytes.Buffer
	for _, mh := range metricHelp {
		fam := &dto.MetricFamily{Name: proto.String(mh.name), Help: proto.String(mh.help), Type: dto.MetricType_GAUGE.Enum()}
		for _, r := range runs {
			var v float64
			switch mh.name {
			case "connectsync_last_run_timestamp_seconds":
				v = r.Time
			case "connectsync_last_run_success":
				if r.Success {
					v = 1
				}
			case "connectsync_drift_objects":
				v = float64(r.Drift)
			case "connectsync_changes_applied":
				v = float64(r.Applied)
			case "connectsync_failed_connectors", "connectsync_failed_tasks":
				if !r.Read {
					continue
				}
				v = float64(r.FailedConnectors)
				if mh.name == "connectsync_failed_tasks" {
					v = float64(r.FailedTasks)
				}
			case "connectsync_last_run_duration_seconds":
				v = r.Duration
			}
			fam.Metric = append(fam.Metric, &dto.Metric{
				Label: []*dto.LabelPair{{Name: proto.String("cluster"), Value: proto.String(r.Cluster)}},
				Gauge: &dto.Gauge{Value: proto.Float64(v)},
			})
		}
		if len(fam.Metric) == 0 {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&buf, fam); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
