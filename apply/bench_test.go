package apply

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
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
	quickstart, err := os.ReadFile(filepath.Join("..", "examples", "quickstart.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	head, _, _ := strings.Cut(string(quickstart), "\nsinks:")
	var text strings.Builder
	text.WriteString(head + "\nsinks:\n")
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&text, "  - {name: perf-%04[1]d, cluster: local, class: %[2]s, state: stopped, topics: {perf-%04[1]d: {}}, config: {file: /dev/null}}\n", i, class)
	}
	m, ds := manifest.Parse("bench.yaml", []byte(text.String()))
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
