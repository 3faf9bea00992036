package manifest_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// Checked.Render reuses the configs Validate rendered with secrets
// unresolved. For every manifest the tests have, and for a resolver that
// finds every secret and one that finds none, it must give what Render
// gives: the same configs, files and diagnostics.
func TestCheckedRenderMatchesRender(t *testing.T) {
	var paths []string
	for _, pattern := range []string{"../examples/*.yaml", "testdata/*/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, files...)
	}
	if len(paths) < 50 {
		t.Fatalf("only %d manifests found", len(paths))
	}
	resolvers := map[string]manifest.Resolver{
		"every secret": testResolver(),
		"no secret":    manifest.EnvResolver{Env: func(string) (string, bool) { return "", false }},
		"unresolved":   manifest.Unresolved{},
	}
	// A key set twice, the second time from a secret that does not
	// resolve: Render resolves it all the same, and says so.
	dir := t.TempDir()
	dup := filepath.Join(dir, "dup.yaml")
	if err := os.WriteFile(dup, []byte(`version: 1
clusters:
  - {name: c, bootstrapServers: ["k:9092"], groupId: g, storage: {config: {topic: c}, offset: {topic: o}, status: {topic: s}}}
workers:
  - {name: w, cluster: c, url: "http://w:8083"}
sinks:
  - name: s
    cluster: c
    cassandra:
      contactPoints: [h]
      localDc: dc1
      auth: {provider: PLAIN, username: u, password: {secretEnv: CASSANDRA_PASSWORD}}
    config:
      auth.password: {secretEnv: NOT_SET_ANYWHERE}
    topics:
      t: {tables: [{keyspace: k, table: t, mapping: "id=key"}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	paths = append(paths, dup)
	for _, path := range paths {
		m, ds := manifest.Load(path)
		if ds.HasErrors() {
			continue
		}
		checked, cds := manifest.Check(m)
		if diff := cmp.Diff(manifest.Validate(m), cds); diff != "" {
			t.Errorf("%s: Check's diagnostics are not Validate's (-Validate +Check):\n%s", path, diff)
		}
		for name, res := range resolvers {
			wantCalls, gotCalls := &recorder{res: res}, &recorder{res: res}
			want, wantDs := manifest.Render(m, wantCalls)
			got, gotDs := checked.Render(gotCalls)
			if diff := cmp.Diff(wantCalls.refs, gotCalls.refs); diff != "" {
				t.Errorf("%s, %s: values resolved (-Render +Checked.Render):\n%s", path, name, diff)
			}
			if diff := cmp.Diff(configs(want), configs(got)); diff != "" {
				t.Errorf("%s, %s: (-Render +Checked.Render):\n%s", path, name, diff)
			}
			if diff := cmp.Diff(wantDs, gotDs); diff != "" {
				t.Errorf("%s, %s: diagnostics (-Render +Checked.Render):\n%s", path, name, diff)
			}
			if diff := cmp.Diff(want.Files(), got.Files()); diff != "" {
				t.Errorf("%s, %s: files (-Render +Checked.Render):\n%s", path, name, diff)
			}
		}
	}
}

// rendered is what a Rendered holds, without the manifest objects.
type rendered struct {
	Object    string
	Values    map[string]string
	Sensitive map[string]bool
	From      map[string]manifest.Loc
}

func configs(r *manifest.Rendered) []rendered {
	var out []rendered
	add := func(object string, c *manifest.Config) {
		out = append(out, rendered{object, c.Values, c.Sensitive, maps.Collect(c.Fields())})
	}
	for _, w := range r.Workers {
		add(fmt.Sprintf("worker %s %p", w.Worker.Name, w.Worker), w.Props)
	}
	for _, s := range r.Sinks {
		add(fmt.Sprintf("sink %s %p", s.Sink.Name, s.Sink), s.Config)
	}
	return out
}

// recorder lists the values a Resolver was asked for.
type recorder struct {
	res  manifest.Resolver
	refs []string
}

func (r *recorder) Resolve(v manifest.Value) (string, error) {
	r.refs = append(r.refs, v.Ref()+" "+v.Text)
	return r.res.Resolve(v)
}
