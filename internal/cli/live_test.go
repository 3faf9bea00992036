package cli_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestPlanReportsNothingBeforeValidation: plan starts reading the
// clusters from the manifest's preview before the manifest is validated.
// When validation then fails, the plan stops with the diagnostics alone:
// nothing the early read met (here the retries of a worker that does not
// answer) is reported.
func TestPlanReportsNothingBeforeValidation(t *testing.T) {
	dir := t.TempDir()
	m := manifestFor(t, dir, []string{"http://127.0.0.1:1"}, "timeout: 1s", "retryFor: 2s")
	valid := runCLI(t, canaryEnv(), "plan", "-f", m)
	if !strings.Contains(valid.stdout+valid.stderr, "127.0.0.1:1") {
		t.Fatalf("the plan of the valid manifest does not name the worker that does not answer:\n%s", valid)
	}
	f, err := os.OpenFile(m, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Enough valid sinks before the invalid one that the worker refuses
	// the early read's first requests, and its client retries, well
	// before validation ends.
	for i := range 2000 {
		fmt.Fprintf(f, "  - {name: sec-%d, cluster: c, class: org.apache.kafka.connect.file.FileStreamSinkConnector, topics: {t%d: {}}}\n", i, i)
	}
	f.WriteString("  - {name: sec-bad, cluster: c, class: org.apache.kafka.connect.file.FileStreamSinkConnector, state: sideways, topics: {b: {}}}\n")
	f.Close()
	r := runCLI(t, canaryEnv(), "plan", "-f", m)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "sideways") || strings.Contains(r.stderr, "127.0.0.1:1") || strings.Contains(r.stderr, "retr") {
		t.Fatalf("plan of an invalid manifest reports more than its diagnostics:\n%s", r)
	}
}
