package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/connectsync/connectsync/importer"
	"github.com/connectsync/connectsync/object"
)

// TestDeclaredForReadsTheOutputDirectory: what the manifests already in
// import's -o directory declare is not imported again, whether a worker is
// found by its name or by its URL.
func TestDeclaredForReadsTheOutputDirectory(t *testing.T) {
	dir := t.TempDir()
	existing := `version: 1
clusters:
  - name: c
    bootstrapServers: [kafka:9092]
    groupId: connect-c
    storage: {config: {topic: c-configs}, offset: {topic: c-offsets}, status: {topic: c-status}}
    converters: {key: {class: org.apache.kafka.connect.storage.StringConverter}, value: {class: org.apache.kafka.connect.json.JsonConverter}}
workers:
  - {name: w1, cluster: c, url: "http://w1:8083/"}
sinks:
  - {name: orders, cluster: c, class: org.apache.kafka.connect.file.FileStreamSinkConnector, topics: {orders: {}}, config: {file: /tmp/o.txt}}
`
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := declaredFor(nil, importer.Layout{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "c.yaml")
	for what, got := range map[string]string{
		"cluster c":      d.Clusters["c"],
		"worker c/w1":    d.Workers[object.WorkerRef("c", "w1")],
		"http://w1:8083": d.WorkerURLs["http://w1:8083"],
		"sink c/orders":  d.Sinks[object.SinkRef("c", "orders")],
	} {
		if got != file {
			t.Errorf("%s: declared in %q, want %q", what, got, file)
		}
	}
}
