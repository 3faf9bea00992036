package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/connectsync/connectsync/internal/parallel"
)

// Version is the manifest format this build reads.
const Version = 1

// Load reads manifest files. A path that is a directory contributes every
// .yaml and .yml file below it, in lexical order, skipping hidden entries.
// The files are merged into one Manifest. Load reports problems of syntax
// and types; Validate checks the meaning.
func Load(paths ...string) (*Manifest, Diagnostics) {
	return ReadFiles(paths...).Load()
}

// Files are the manifest files that paths name, read once. A plan
// previews its manifests (Preview) to start reading the clusters, then
// loads them: from one Files, it reads each file once, and both see the
// same bytes.
type Files struct {
	paths  []string
	names  []string
	data   [][]byte
	errs   []error // reading names[i]
	expand []*fs.PathError
}

// ReadFiles reads the files that paths name, as Load would.
func ReadFiles(paths ...string) *Files {
	names, errs := Expand(paths...)
	f := &Files{paths: paths, names: names, expand: errs, data: make([][]byte, len(names)), errs: make([]error, len(names))}
	for i, name := range names {
		f.data[i], f.errs[i] = os.ReadFile(name)
	}
	return f
}

// Load decodes the files (see the package's Load).
func (in *Files) Load() (*Manifest, Diagnostics) {
	m := &Manifest{}
	var diags Diagnostics
	if len(in.paths) == 0 {
		return m, Diagnostics{{Message: "no manifest given", Hint: "pass -f FILE or -f DIR"}}
	}
	for _, e := range in.expand {
		diags = append(diags, Diagnostic{Pos: Pos{File: e.Path}, Message: e.Err.Error()})
	}
	// Files are decoded at once, a few at a time (decoding is most of a
	// plan's CPU), each into its own Manifest, and merged in order: the
	// result is the same as reading them one after the other.
	parts := make([]*Manifest, len(in.names))
	partDiags := make([]Diagnostics, len(in.names))
	parallel.For(len(in.names), runtime.GOMAXPROCS(0), func(i int) {
		f := in.names[i]
		if err := in.errs[i]; err != nil {
			partDiags[i] = Diagnostics{{Pos: Pos{File: f}, Message: err.Error()}}
			return
		}
		parts[i] = &Manifest{}
		partDiags[i] = parts[i].add(f, filepath.Dir(f), in.data[i])
	})
	for i, part := range parts {
		diags = append(diags, partDiags[i]...)
		if part == nil {
			continue
		}
		m.Files = append(m.Files, part.Files...)
		m.Clusters = append(m.Clusters, part.Clusters...)
		m.Workers = append(m.Workers, part.Workers...)
		m.Sinks = append(m.Sinks, part.Sinks...)
	}
	return m, diags.Sort()
}

// Expand lists the manifest files that paths name, in the order Load reads
// them: a file as given, a directory's .yaml and .yml files below it in
// lexical order (hidden entries skipped), each file once. A path that cannot
// be expanded is an error of its own; the others are still listed.
func Expand(paths ...string) ([]string, []*fs.PathError) {
	var out []string
	var errs []*fs.PathError
	seen := map[string]bool{}
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			errs = append(errs, &fs.PathError{Op: "read", Path: p, Err: err})
			continue
		}
		for _, f := range files {
			abs, _ := filepath.Abs(f)
			if seen[abs] {
				continue
			}
			seen[abs] = true
			out = append(out, f)
		}
	}
	return out, errs
}

// Parse reads one manifest from data, as if from a file named name. The
// manifest does not refer to data: the caller may change it afterwards.
func Parse(name string, data []byte) (*Manifest, Diagnostics) {
	m := &Manifest{}
	diags := m.add(name, filepath.Dir(name), bytes.Clone(data))
	return m, diags.Sort()
}

func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no such file or directory")
		}
		return nil, err
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != p && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("directory holds no .yaml or .yml file")
	}
	sort.Strings(files)
	return files, nil
}

// add decodes the file name's data into m. The decoded values may be
// substrings of data itself, not copies (pieces.go): data must not change
// afterwards.
func (m *Manifest) add(name, dir string, data []byte) Diagnostics {
	m.Files = append(m.Files, name)
	src := newSource(name, dir, data)
	if head, pieces, ok := splitSinks(data); ok && inPieces {
		if ds, ok := m.addInPieces(src, head, pieces); ok {
			return ds
		}
		// A piece that does not parse: the whole file is parsed, for the
		// same message about it as always.
		m.Clusters, m.Workers, m.Sinks = nil, nil, nil
		src = newSource(name, dir, data)
	}
	root, err := parseOne(data)
	if err != nil {
		return Diagnostics{yamlError(name, err)}
	}
	if root == nil {
		return Diagnostics{{Pos: Pos{File: name}, Message: "the file is empty",
			Hint: "a manifest starts with version: 1"}}
	}
	d := &decoder{src: src}
	var f file
	if isNull(root) {
		// "---", "null" or "~" alone: a document with nothing in it, which
		// declares no version either.
		d.errorf(root, "version", "a manifest starts with version: 1",
			"missing: the file holds an empty (null) YAML document")
		return d.finish()
	}
	d.release = releasable(root)
	d.decode(root, reflect.ValueOf(&f).Elem(), "")
	if root.Kind == yaml.MappingNode {
		d.checkVersion(root, src, f.Version)
	}
	m.collect(src, &f, &d.paths)
	return d.finish()
}

// checkVersion reports a file's missing or unsupported version; root is
// the file's top-level mapping.
func (d *decoder) checkVersion(root *yaml.Node, src *Source, version int) {
	switch {
	case !src.Has("version"):
		d.errorf(root, "version", "add version: 1 at the top of the file", "missing")
	case version != Version:
		d.errorf(valueNode(root, "version"), "version",
			fmt.Sprintf("this connectsync reads version %d", Version),
			"unsupported manifest version %d", version)
	}
}

// collect adds a decoded file's clusters, workers and sinks, each with
// its origin, whose path goes into the file's block of paths.
func (m *Manifest) collect(src *Source, f *file, paths *pathBlock) {
	for i, c := range f.Clusters {
		if c == nil {
			continue
		}
		c.Origin = Origin{Src: src, Path: paths.index("clusters", i)}
		m.Clusters = append(m.Clusters, c)
	}
	for i, w := range f.Workers {
		if w == nil {
			continue
		}
		w.Origin = Origin{Src: src, Path: paths.index("workers", i)}
		m.Workers = append(m.Workers, w)
	}
	for i, s := range f.Sinks {
		if s == nil {
			continue
		}
		s.Origin = Origin{Src: src, Path: paths.index("sinks", i)}
		m.Sinks = append(m.Sinks, s)
	}
}

// releasable returns the top-level lists (clusters, workers, sinks) whose
// items the decoder may drop from the tree once it has decoded them: those
// that nothing else can reach, which is every one without an anchor, in a
// document whose root has none. An item that is itself anchored stays
// reachable through its aliases, which point at it directly.
func releasable(root *yaml.Node) map[*yaml.Node]bool {
	if root.Kind != yaml.MappingNode || root.Anchor != "" {
		return nil
	}
	out := map[*yaml.Node]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch v := root.Content[i+1]; root.Content[i].Value {
		case "clusters", "workers", "sinks":
			if v.Kind == yaml.SequenceNode && v.Anchor == "" {
				out[v] = true
			}
		}
	}
	return out
}

// fastYAML turns the fast path of parseOne on; tests and benchmarks turn
// it off to compare with yaml.v3.
var fastYAML = true

// parseOne parses a YAML stream that must hold exactly one document.
// fastParse reads the plain YAML that manifests are written in, several
// times faster than yaml.v3, into the same tree; yaml.v3 reads the rest.
func parseOne(data []byte) (*yaml.Node, error) {
	if fastYAML {
		if root, ok := fastParse(data); ok {
			return root, nil
		}
	}
	return parseYAMLv3(data)
}

// parseYAMLv3 is parseOne with yaml.v3 alone: what the fast path is held
// to.
func parseYAMLv3(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, errMultipleDocuments{line: extra.Line}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func valueNode(mapping *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i+1]
		}
	}
	return mapping
}

// errMultipleDocuments is a well-formed YAML stream with a second document.
type errMultipleDocuments struct{ line int }

func (e errMultipleDocuments) Error() string {
	return "a manifest file holds one YAML document"
}

// yamlParserErrors are the messages of yaml.v3's parser, as opposed to its
// scanner. yaml.v3 reports a parser error at a 0-based line number (the
// line where the construct that failed began), while it reports scanner
// errors 1-based, so parser errors need one added.
var yamlParserErrors = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a located Diagnostic.
// yaml.v3 gives no column, so the column is 1.
func yamlError(name string, err error) Diagnostic {
	var multi errMultipleDocuments
	if errors.As(err, &multi) {
		return Diagnostic{Pos: Pos{File: name, Line: multi.line, Col: 1}, Message: multi.Error(),
			Hint: "split the other documents into their own files, which -f DIR reads together"}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		for _, p := range yamlParserErrors {
			if msg == p {
				line++
				break
			}
		}
		return Diagnostic{Pos: Pos{File: name, Line: line, Col: 1}, Message: "invalid YAML: " + msg}
	}
	return Diagnostic{Pos: Pos{File: name}, Message: "invalid YAML: " + msg}
}
