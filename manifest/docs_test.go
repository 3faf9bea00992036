package manifest_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/manifest"
)

// TestDocsExample keeps docs/manifest.md truthful: its annotated example
// must validate without a diagnostic, render, and use every field of the
// manifest types.
func TestDocsExample(t *testing.T) {
	data, err := os.ReadFile("../docs/manifest.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) != 1 {
		t.Fatalf("found %d yaml blocks in docs/manifest.md, want the one annotated example", len(blocks))
	}
	example := blocks[0][1]
	m, ds := manifest.Parse("docs/manifest.md", []byte(example))
	if !ds.HasErrors() {
		ds = append(ds, manifest.Validate(m)...)
	}
	if len(ds) != 0 {
		t.Fatalf("the docs example draws diagnostics:\n%v", ds)
	}
	if _, rds := manifest.Render(m, dummySecrets{}); len(rds) != 0 {
		t.Fatalf("render:\n%v", rds)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || ty == reflect.TypeOf(manifest.Value{}) {
			return
		}
		seen[ty] = true
		for i := 0; i < ty.NumField(); i++ {
			tag := strings.Split(ty.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			if !regexp.MustCompile(`(?m)^[\s-]*(# )?\{?` + regexp.QuoteMeta(tag) + `:|[{,] ?` + regexp.QuoteMeta(tag) + `:`).MatchString(example) {
				t.Errorf("the docs example never shows %s.%s", path, tag)
			}
			walk(ty.Field(i).Type, path+"."+tag)
		}
	}
	walk(reflect.TypeOf(manifest.Cluster{}), "clusters[]")
	walk(reflect.TypeOf(manifest.Worker{}), "workers[]")
	walk(reflect.TypeOf(manifest.Sink{}), "sinks[]")
}
