package manifest_test

import (
	"fmt"
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
			want, wantDs := manifest.Render(m, res)
			got, gotDs := checked.Render(res)
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
		out = append(out, rendered{object, c.Values, c.Sensitive, c.From})
	}
	for _, w := range r.Workers {
		add(fmt.Sprintf("worker %s %p %p", w.Worker.Name, w.Worker, w.Cluster), w.Props)
	}
	for _, s := range r.Sinks {
		add(fmt.Sprintf("sink %s %p", s.Sink.Name, s.Sink), s.Config)
	}
	return out
}
