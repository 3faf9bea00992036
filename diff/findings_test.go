package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/object"
)

// TestSortFindings: by section (workers, connectors, preflight), then cluster,
// subject, place and message; Where sorts as text.
func TestSortFindings(t *testing.T) {
	fs := []Finding{
		{Section: SectionPreflight, Subject: object.SinkRef("a", "s"), Message: "6"},
		{Section: SectionConnectors, Subject: object.SinkRef("b", "a"), Message: "5"},
		{Section: SectionConnectors, Subject: object.SinkRef("a", "b"), Where: "m.yaml:9:1", Message: "4"},
		{Section: SectionConnectors, Subject: object.SinkRef("a", "b"), Where: "m.yaml:10:1", Message: "3"},
		{Section: SectionConnectors, Subject: object.SinkRef("a", "a"), Message: "z"},
		{Section: SectionConnectors, Subject: object.SinkRef("a", "a"), Message: "y"},
		{Section: SectionWorkers, Subject: object.WorkerRef("b", "w1"), Message: "1"},
	}
	SortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Message)
	}
	if d := cmp.Diff([]string{"1", "y", "z", "3", "4", "5", "6"}, got); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}
