// Package schemagen generates the JSON Schema of the manifest from the Go
// types of package manifest and their doc comments, so that the schema
// cannot drift from what connectsync reads. The result is committed as
// schema/manifest-v1.json; regenerate it with
//
//	go test ./schema -run TestSchemaIsGenerated -update
//
// and that test fails when regenerating does not give the same bytes.
package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"strconv"
	"strings"

	"github.com/connectsync/connectsync/manifest"
)

// ID is the schema's $id.
const ID = "https://github.com/connectsync/connectsync/schema/manifest-v1.json"

// Schema is a JSON Schema (draft 2020-12) node, as much of it as the
// manifest needs.
type Schema struct {
	Schema               string             `json:"$schema,omitempty"`
	ID                   string             `json:"$id,omitempty"`
	Ref                  string             `json:"$ref,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	OneOf                []*Schema          `json:"oneOf,omitempty"`
	MinProperties        int                `json:"minProperties,omitempty"`
	MaxProperties        int                `json:"maxProperties,omitempty"`
	Defs                 map[string]*Schema `json:"$defs,omitempty"`
}

// docs holds the doc comments of package manifest: by type, and by
// "Type.Field".
type docs map[string]string

// readDocs parses the non-test Go files of package manifest in fsys.
func readDocs(fsys fs.FS) (docs, error) {
	fset := token.NewFileSet()
	names, err := fs.Glob(fsys, "*.go")
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, n, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/connectsync/connectsync/manifest", doc.AllDecls)
	if err != nil {
		return nil, err
	}
	d := docs{}
	for _, t := range p.Types {
		d[t.Name] = t.Doc
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				text := f.Doc.Text()
				if text == "" {
					text = f.Comment.Text()
				}
				for _, n := range f.Names {
					d[t.Name+"."+n.Name] = text
				}
			}
		}
	}
	return d, nil
}

// clean turns a doc comment into a description: one paragraph per
// paragraph, lines joined.
func clean(s string) string {
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(s), "\n\n") {
		lines := strings.Split(p, "\n")
		for i := range lines {
			lines[i] = strings.TrimSpace(lines[i])
		}
		paras = append(paras, strings.Join(lines, " "))
	}
	return strings.Join(paras, "\n\n")
}

type generator struct {
	docs docs
	defs map[string]*Schema
}

var valueType = reflect.TypeOf(manifest.Value{})

var durationType = reflect.TypeOf(manifest.Duration(0))

// Generate returns the schema of manifest version 1, with the doc comments
// of the package manifest sources in fsys, as indented JSON.
func Generate(fsys fs.FS) ([]byte, error) {
	d, err := readDocs(fsys)
	if err != nil {
		return nil, err
	}
	g := &generator{docs: d, defs: map[string]*Schema{}}
	root := g.object(reflect.TypeOf(manifest.Document{}), "file")
	root.Schema = "https://json-schema.org/draft/2020-12/schema"
	root.ID = ID
	root.Title = fmt.Sprintf("connectsync manifest, version %d", manifest.Version)
	root.Defs = g.defs
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// object describes a struct type; docName is its name in the sources.
func (g *generator) object(t reflect.Type, docName string) *Schema {
	s := &Schema{Type: "object", Description: clean(g.docs[docName]), Properties: map[string]*Schema{}, AdditionalProperties: false}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || f.Anonymous {
			continue
		}
		fs := g.of(f.Type)
		if desc := clean(g.docs[docName+"."+f.Name]); desc != "" {
			if fs.Ref != "" {
				// A $ref with siblings is fine in 2020-12; editors show the
				// field's own description.
				fs = &Schema{Ref: fs.Ref}
			}
			fs.Description = desc
		}
		for _, opt := range strings.Split(f.Tag.Get("schema"), ",") {
			switch {
			case opt == "required":
				s.Required = append(s.Required, name)
			case strings.HasPrefix(opt, "enum="):
				for _, v := range strings.Split(strings.TrimPrefix(opt, "enum="), "|") {
					if n, err := strconv.Atoi(v); err == nil && fs.Type == "integer" {
						fs.Enum = append(fs.Enum, n)
					} else {
						fs.Enum = append(fs.Enum, v)
					}
				}
			}
		}
		s.Properties[name] = fs
	}
	return s
}

// of describes a field's type.
func (g *generator) of(t reflect.Type) *Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == valueType:
		g.valueDef()
		return &Schema{Ref: "#/$defs/Value"}
	case t == durationType:
		// Decoded from a Go duration string, checked at load.
		return &Schema{Type: "string"}
	case t.Kind() == reflect.String:
		return &Schema{Type: "string"}
	case t.Kind() == reflect.Int:
		return &Schema{Type: "integer"}
	case t.Kind() == reflect.Bool:
		return &Schema{Type: "boolean"}
	case t.Kind() == reflect.Slice:
		return &Schema{Type: "array", Items: g.of(t.Elem())}
	case t.Kind() == reflect.Map:
		return &Schema{Type: "object", AdditionalProperties: g.of(t.Elem())}
	case t.Kind() == reflect.Struct:
		if _, done := g.defs[t.Name()]; !done {
			g.defs[t.Name()] = nil // break cycles
			g.defs[t.Name()] = g.object(t, t.Name())
		}
		return &Schema{Ref: "#/$defs/" + t.Name()}
	}
	panic(fmt.Sprintf("schemagen: no schema for %s", t))
}

// valueDef defines Value: a scalar, or a secret reference.
func (g *generator) valueDef() {
	if _, done := g.defs["Value"]; done {
		return
	}
	ref := func(key, what string) *Schema {
		return &Schema{Type: "object", Description: what, Required: []string{key}, AdditionalProperties: false,
			MinProperties: 1, MaxProperties: 1,
			Properties: map[string]*Schema{key: {Type: "string"}}}
	}
	g.defs["Value"] = &Schema{
		Description: clean(g.docs["Value"]),
		OneOf: []*Schema{
			{Type: "string"}, {Type: "number"}, {Type: "boolean"},
			ref("secretEnv", "The name of an environment variable that holds the secret."),
			ref("secretFile", "A file that holds the secret; relative to the manifest."),
		},
	}
}
