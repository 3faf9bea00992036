package view

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
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

// expfmtMetrics is Metrics as it was written with the Prometheus library's
// encoder, the reference Metrics must match byte for byte.
func expfmtMetrics(t testing.TB, runs []ClusterRun) []byte {
	t.Helper()
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
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// awkwardValues are the floats whose text is not plain digits.
var awkwardValues = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 2.5, 1764086400, 1764086400.123, 1e21, 1e-7,
	-123.456, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}

// awkwardNames are cluster names the text format must escape, or must not.
var awkwardNames = []string{"", "local", `back\slash`, `dou"ble`, "new\nline", `\"` + "\n\\n", "tab\there", "cr\rhere",
	"ünïcödé", "bad\xffutf8", "{brace}", "a,b=c", "# HELP"}

// TestMetricsMatchExpfmt: Metrics writes what the Prometheus library's
// encoder wrote, for every value and cluster name the format treats
// specially, and for runs with no readable cluster or none at all.
func TestMetricsMatchExpfmt(t *testing.T) {
	var runs []ClusterRun
	for i, name := range awkwardNames {
		v := awkwardValues[i%len(awkwardValues)]
		runs = append(runs, ClusterRun{Cluster: name, Time: v, Success: i%2 == 0, Drift: i, Applied: -i,
			FailedConnectors: 3 * i, FailedTasks: 1 << (2 * i), Read: i%3 != 0, Duration: awkwardValues[(i+5)%len(awkwardValues)]})
	}
	for i, v := range awkwardValues {
		runs = append(runs, ClusterRun{Cluster: fmt.Sprintf("v%02d", i), Time: v, Duration: -v, Read: true, FailedTasks: int(math.MaxInt64) - i})
	}
	cases := map[string][]ClusterRun{
		"none":        nil,
		"one":         {{Cluster: "local", Time: 1764086400, Success: true, Read: true, Duration: 2.5}},
		"unread only": {{Cluster: "b", Time: 1764086400.5, Duration: 0.25}, {Cluster: "a"}},
		"awkward":     runs,
	}
	for name, runs := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Metrics(runs)
			if err != nil {
				t.Fatal(err)
			}
			if want := expfmtMetrics(t, runs); !bytes.Equal(got, want) {
				t.Errorf("Metrics differs from expfmt (-want +got):\n%s", cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// TestEscapingMatchesExpfmt holds appendEscaped to expfmt's escaping of a
// HELP text (backslash, newline) and of a label value (double quote too),
// which Metrics relies on for the HELP texts it may be given later.
func TestEscapingMatchesExpfmt(t *testing.T) {
	for _, s := range append(awkwardNames, `C:\dir`, "\\\\\n\n\"\"", "end\\") {
		var buf bytes.Buffer
		fam := &dto.MetricFamily{Name: proto.String("m"), Help: proto.String(s), Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Label: []*dto.LabelPair{{Name: proto.String("l"), Value: proto.String(s)}}, Gauge: &dto.Gauge{}}}}
		if _, err := expfmt.MetricFamilyToText(&buf, fam); err != nil {
			t.Fatal(err)
		}
		want := "# HELP m " + string(appendEscaped(nil, s, false)) + "\n# TYPE m gauge\n" +
			`m{l="` + string(appendEscaped(nil, s, true)) + "\"} 0\n"
		if buf.String() != want {
			t.Errorf("%q: expfmt wrote\n%q\nappendEscaped\n%q", s, buf.String(), want)
		}
	}
}

// TestMetricNamesNeedNoQuoting: Metrics writes its metric and label names
// bare, which is right only for names valid under the legacy scheme
// (expfmt would quote any other, and a 0.0.4 parser refuse it).
func TestMetricNamesNeedNoQuoting(t *testing.T) {
	for _, mh := range metricHelp {
		if !model.LegacyValidation.IsValidMetricName(mh.name) {
			t.Errorf("metric name %q is not legacy-valid", mh.name)
		}
	}
	if !model.LegacyValidation.IsValidLabelName("cluster") {
		t.Error(`label name "cluster" is not legacy-valid`)
	}
}

// FuzzMetricsMatchExpfmt holds Metrics to expfmt for any cluster name and
// values.
func FuzzMetricsMatchExpfmt(f *testing.F) {
	for i, name := range awkwardNames {
		f.Add(name, awkwardValues[i%len(awkwardValues)], awkwardValues[(i+7)%len(awkwardValues)], i, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, cluster string, at, took float64, n int, read bool) {
		runs := []ClusterRun{
			{Cluster: cluster, Time: at, Success: read, Drift: n, Applied: n / 2, FailedConnectors: -n, FailedTasks: n * 3, Read: read, Duration: took},
			{Cluster: cluster + "\n", Time: took, Duration: at, Read: !read},
		}
		got, err := Metrics(runs)
		if err != nil {
			t.Fatal(err)
		}
		if want := expfmtMetrics(t, runs); !bytes.Equal(got, want) {
			t.Errorf("Metrics differs from expfmt:\nwant %q\ngot  %q", want, got)
		}
	})
}
