package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/connectsync/connectsync/internal/schemagen"
	"github.com/connectsync/connectsync/schema"
)

var update = flag.Bool("update", false, "regenerate manifest-v1.json")

// TestSchemaIsGenerated regenerates the schema from package manifest's
// types and comments and expects the committed bytes.
func TestSchemaIsGenerated(t *testing.T) {
	got, err := schemagen.Generate(os.DirFS("../manifest"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("manifest-v1.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, schema.ManifestV1) {
		t.Fatal("schema/manifest-v1.json is not what the manifest types generate: run go test ./schema -run TestSchemaIsGenerated -update, and commit it")
	}
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.ManifestV1))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemagen.ID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemagen.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// instance reads a YAML manifest as the JSON value a validator checks.
func instance(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

const modeline = "# yaml-language-server: $schema="

// TestExamplesValidate validates every example, and every deployment
// recipe's manifest, against the schema with a real JSON Schema validator,
// and checks that each carries the yaml-language-server modeline.
func TestExamplesValidate(t *testing.T) {
	s := compile(t)
	files, _ := filepath.Glob("../examples/*.yaml")
	more, _ := filepath.Glob("../examples/*/manifests/*.yaml")
	files = append(files, more...)
	if len(files) < 4 {
		t.Fatalf("found %d examples", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(instance(t, src)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		first, _, _ := strings.Cut(string(src), "\n")
		absDir, _ := filepath.Abs(filepath.Dir(f))
		absSchema, _ := filepath.Abs("manifest-v1.json")
		rel, _ := filepath.Rel(absDir, absSchema)
		if want := modeline + filepath.ToSlash(rel); first != want {
			t.Errorf("%s: first line %q, want %q", f, first, want)
		}
	}
}

// TestSchemaRejects: the validator is not a no-op, and the schema catches
// what connectsync's strict decoder refuses.
func TestSchemaRejects(t *testing.T) {
	s := compile(t)
	for name, src := range map[string]string{
		"no version":        "clusters: []\n",
		"version 2":         "version: 2\n",
		"unknown top key":   "version: 1\nconnectors: []\n",
		"unknown sink key":  "version: 1\nsinks: [{name: a, cluster: c, taskMax: 3}]\n",
		"sink without name": "version: 1\nsinks: [{cluster: c}]\n",
		"bad state":         "version: 1\nsinks: [{name: a, cluster: c, state: started}]\n",
		"tasksMax string":   "version: 1\nsinks: [{name: a, cluster: c, tasksMax: many}]\n",
		"bad secret ref":    "version: 1\nsinks: [{name: a, cluster: c, config: {p: {secretVault: x}}}]\n",
		"two secret keys":   "version: 1\nsinks: [{name: a, cluster: c, config: {p: {secretEnv: X, secretFile: y}}}]\n",
	} {
		if err := s.Validate(instance(t, []byte(src))); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
}
