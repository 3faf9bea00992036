package apply

import (
	"github.com/connectsync/connectsync/internal/benchdata"
	"maps"
	"testing"

	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// BenchmarkBuildPlan500 is what a no-change plan of make bench's 500
// FileStreamSinks does once the live state has been read: the part of plan
// that nothing overlaps (go test -bench BuildPlan ./apply).
func BenchmarkBuildPlan500(b *testing.B) {
	const class = "org.apache.kafka.connect.file.FileStreamSinkConnector"
	head, err := benchdata.QuickstartHead("..")
	if err != nil {
		b.Fatal(err)
	}
	text := benchdata.FileSinks(append(head, "sinks:\n"...), "local", 500)
	m, ds := manifest.Parse("bench.yaml", text)
	if ds = append(ds, manifest.Validate(m)...); ds.HasErrors() {
		b.Fatal(ds)
	}
	r, ds := manifest.Render(m, manifest.Unresolved{})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	live := &ClusterState{Connectors: map[string]connect.Connector{}, PasswordKeys: map[string]map[string]bool{class: {}}}
	for _, w := range m.Workers {
		ws := worker(w.Name, manifest.AdvertisedEndpoint(w), "k1", class)
		ws.Info.Version = "4.3.1"
		live.Workers = append(live.Workers, ws)
	}
	for _, rs := range r.Sinks {
		cfg := maps.Clone(rs.Config.Values)
		cfg["name"] = rs.Sink.Name
		live.Connectors[rs.Sink.Name] = connect.Connector{Name: rs.Sink.Name, Type: "sink", Config: cfg, Tasks: []int{0},
			Status: connect.ConnectorStatus{State: object.StateStopped, WorkerID: "127.0.0.1:38083"}}
	}
	for b.Loop() {
		s := BuildPlan(m, r, map[string]*ClusterState{"local": live}, PlanOptions{})
		if s.Plan.HasChanges() || len(s.Plan.Findings) > 0 {
			b.Fatalf("a no-change plan has changes or findings: %+v", s.Plan.Findings)
		}
	}
}
