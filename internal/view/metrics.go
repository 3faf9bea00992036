package view

import (
	"math"
	"sort"
	"strconv"
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

// metric names of --metrics-file, documented in docs/operations.md. The
// names are written as they are: each must stay a legacy-valid Prometheus
// metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), which the tests check.
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
// per metric, one series per cluster. It writes the same bytes as the
// Prometheus library's encoder (expfmt.MetricFamilyToText) did, which the
// tests compare against; the library is not linked in because it brings
// protobuf and its package initialisation into every command's start-up.
// The error is always nil.
func Metrics(runs []ClusterRun) ([]byte, error) {
	runs = append([]ClusterRun(nil), runs...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].Cluster < runs[j].Cluster })
	var b []byte
	for _, mh := range metricHelp {
		header := false
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
			// A family without a series is left out, HELP and TYPE too.
			if !header {
				b = append(b, "# HELP "...)
				b = append(b, mh.name...)
				b = append(b, ' ')
				b = appendEscaped(b, mh.help, false)
				b = append(b, "\n# TYPE "...)
				b = append(b, mh.name...)
				b = append(b, " gauge\n"...)
				header = true
			}
			b = append(b, mh.name...)
			b = append(b, `{cluster="`...)
			b = appendEscaped(b, r.Cluster, true)
			b = append(b, `"} `...)
			b = appendFloat(b, v)
			b = append(b, '\n')
		}
	}
	return b, nil
}

// appendEscaped appends s escaped as the text format requires: a
// backslash and a newline as \\ and \n, and in a label value (quoted) a
// double quote as \" too. Nothing else is escaped, invalid UTF-8
// included, as expfmt does.
func appendEscaped(b []byte, s string, quoted bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quoted:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat appends a sample value as expfmt writes it: the shortest
// form that reads back as f ('g'), so 1764086400 is 1.7640864e+09 and
// -0 is 0, and NaN, +Inf and -Inf as Prometheus spells them.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 0:
		return append(b, '0')
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
