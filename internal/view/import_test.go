package view

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/importer"
	"github.com/connectsync/connectsync/object"
)

// TestImportReport pins the report import prints: what it wrote, the three
// lists, and on standard error the variables to set, a masked one noted.
func TestImportReport(t *testing.T) {
	r := &importer.Result{
		Files: []importer.Output{
			{Path: "out/prod.yaml", What: []object.Ref{object.WorkerRef("prod", "w1")}},
			{Path: "out/prod/orders.yaml", What: []object.Ref{object.SinkRef("prod", "orders")}},
		},
		Secrets: []importer.Secret{
			{Env: "ORDERS_AUTH_PASSWORD", Subject: object.SinkRef("prod", "orders"), Key: "auth.password"},
			{Env: "JDBC_DB_PASS", Subject: object.SinkRef("prod", "jdbc"), Key: "db.pass", Masked: true},
		},
		Notes: []importer.Note{
			{Subject: object.ClusterRef("prod"), Kind: importer.Inexpressible, Message: "not declared"},
			{Subject: object.SinkRef("prod", "orders"), Kind: importer.Untyped, Message: "no typed field for errors.tolerance: written under config:"},
			{Subject: object.SourceRef("prod", "src"), Kind: importer.Skipped, Message: "a source connector"},
		},
	}
	var out, errb bytes.Buffer
	NewPrinter(&out, &errb, false, &Secrets{}).ImportReport(r, true)
	got := "-- stdout --\n" + out.String() + "-- stderr --\n" + errb.String()
	path := filepath.Join("testdata", "import-report.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (hint: go test ./internal/view -update writes it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}
