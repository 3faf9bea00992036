package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// exampleWarnings lists the warnings the examples draw on purpose. Any
// other diagnostic fails the test.
var exampleWarnings = map[string][]string{}

// TestExamples loads every file in examples/, validates it and renders it
// with dummy secrets. A file that declares clusters must stand alone; a
// companion file (sinks for a cluster declared elsewhere, such as
// quickstart-cassandra.yaml) is checked with the whole directory, which
// must also validate and render as one manifest.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d examples, want quickstart and production at least", len(files))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			m, ds := manifest.Load(file)
			if ds.HasErrors() {
				t.Fatalf("load:\n%v", ds)
			}
			if len(m.Clusters) == 0 {
				// A companion file: checked with the quickstart it extends.
				checkExample(t, name, "../examples/quickstart.yaml", file)
				return
			}
			checkExample(t, name, file)
		})
	}
	t.Run("examples/", func(t *testing.T) {
		checkExample(t, "", "../examples")
	})
}

func checkExample(t *testing.T, name string, paths ...string) {
	t.Helper()
	m, ds := check(paths...)
	var got []string
	for _, d := range ds {
		got = append(got, strings.TrimPrefix(d.String(), "../examples/"))
	}
	if diff := cmp.Diff(exampleWarnings[name], got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if ds.HasErrors() {
		return
	}
	r, rds := manifest.Render(m, dummySecrets{})
	if len(rds) != 0 {
		t.Fatalf("render:\n%v", rds)
	}
	files := r.Files()
	if len(files) != len(m.Workers)+len(m.Sinks) {
		t.Errorf("%d files for %d workers and %d sinks", len(files), len(m.Workers), len(m.Sinks))
	}
	for _, f := range files {
		if f.Mode != 0o600 && strings.Contains(string(f.Data), "dummy-secret-for-") {
			t.Errorf("%s holds a secret but has mode %04o", f.Path, f.Mode)
		}
	}
	checkDeterministic(t, paths...)
}

// TestProductionExample checks the production example's shape, which the
// docs describe: two clusters of three workers or more, with their own
// group ids and topics, and sinks whose secrets are all references.
func TestProductionExample(t *testing.T) {
	const file = "../examples/production.yaml"
	m, ds := check(file)
	if len(ds) != 0 {
		t.Fatalf("diagnostics:\n%v", ds)
	}
	if len(m.Clusters) != 2 {
		t.Fatalf("%d clusters, want 2", len(m.Clusters))
	}
	paused := 0
	for _, s := range m.Sinks {
		if s.DesiredState() == object.StatePaused {
			paused++
		}
	}
	if paused == 0 {
		t.Error("no paused sink")
	}
	for _, c := range m.Clusters {
		if n := len(m.WorkersOf(c.Name)); n < 3 {
			t.Errorf("cluster %s has %d workers, want 3 or more", c.Name, n)
		}
		if !c.Prune.Enabled || len(c.Prune.Keep) == 0 {
			t.Errorf("cluster %s: prune %+v", c.Name, c.Prune)
		}
		if c.REST.Auth == nil || !c.REST.Auth.Password.IsSecret() || c.REST.TLS.CAFile == "" {
			t.Errorf("cluster %s: REST client without TLS and a secret basic-auth password", c.Name)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(data)), "password: ") {
		for _, line := range strings.Split(string(data), "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "password:") && !strings.Contains(l, "{secretEnv:") && l != "password:" {
				t.Errorf("a literal password: %q", l)
			}
		}
	}
}
