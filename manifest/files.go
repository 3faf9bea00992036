package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode/utf16"

	"github.com/connectsync/connectsync/object"
)

// File is one rendered file, with a path relative to the output directory.
type File struct {
	Path string
	Data []byte
	// Mode is 0600 when the file holds a resolved secret, else 0644.
	Mode fs.FileMode
	// Ref names the worker or the sink the file is of.
	Ref object.Ref
}

// Rendered is a manifest rendered with its secrets resolved.
type Rendered struct {
	Workers []RenderedWorker
	Sinks   []RenderedSink
}

// RenderedWorker is one worker's properties.
type RenderedWorker struct {
	Worker *Worker
	Props  *Config
}

// RenderedSink is one sink's connector config.
type RenderedSink struct {
	Sink   *Sink
	Config *Config
}

// Render renders every worker and sink of a manifest that Validate passed.
func Render(m *Manifest, res Resolver) (*Rendered, Diagnostics) {
	out, diags := renderWorkers(m, res)
	for _, s := range m.Sinks {
		cfg, ds := RenderSink(s, res)
		diags = append(diags, ds...)
		out.Sinks = append(out.Sinks, RenderedSink{Sink: s, Config: cfg})
	}
	return out, diags.Sort()
}

// renderWorkers renders the workers of Render.
func renderWorkers(m *Manifest, res Resolver) (*Rendered, Diagnostics) {
	var diags Diagnostics
	out := &Rendered{}
	clusters := m.ClusterByName()
	for _, w := range m.Workers {
		c := clusters[w.Cluster]
		if c == nil {
			continue
		}
		props, ds := RenderWorker(c, w, res)
		diags = append(diags, ds...)
		out.Workers = append(out.Workers, RenderedWorker{Worker: w, Props: props})
	}
	return out, diags
}

// Files lays the rendered manifest out as files:
//
//	<cluster>/workers/<worker>/connect-distributed.properties
//	<cluster>/connectors/<sink>.json
func (r *Rendered) Files() []File {
	files := r.WorkerFiles()
	for _, s := range r.Sinks {
		files = append(files, File{
			Path: sinkFilePath(s.Sink),
			Data: SinkJSON(s.Sink.Name, s.Config),
			Mode: mode(s.Config), Ref: object.SinkRef(s.Sink.Cluster, s.Sink.Name),
		})
	}
	return files
}

// sinkFilePath is where a sink's JSON goes under a render directory:
// path.Join(cluster, "connectors", name+".json"), which for names
// validate accepts (no '/', neither "." nor "..") is the plain
// concatenation, one allocation where Join makes two.
func sinkFilePath(s *Sink) string {
	if isObjectName(s.Cluster) && isObjectName(s.Name) {
		return s.Cluster + "/connectors/" + s.Name + ".json"
	}
	return path.Join(s.Cluster, "connectors", s.Name+".json")
}

// WorkerFiles returns the workers' files of Files alone, without encoding
// every sink's JSON.
func (r *Rendered) WorkerFiles() []File {
	var files []File
	for _, w := range r.Workers {
		files = append(files, File{
			Path: WorkerFilePath(w.Worker),
			Data: PropertiesFile(w.Props, fmt.Sprintf("worker %s of cluster %s", w.Worker.Name, w.Worker.Cluster)),
			Mode: mode(w.Props), Ref: object.WorkerRef(w.Worker.Cluster, w.Worker.Name),
		})
	}
	return files
}

// WorkerFilePath is where a worker's properties go under a render directory.
func WorkerFilePath(w *Worker) string {
	return path.Join(w.Cluster, "workers", w.Name, "connect-distributed.properties")
}

func mode(c *Config) fs.FileMode {
	if c.HasSecrets() {
		return 0o600
	}
	return 0o644
}

// SinkJSON renders the REST body {"name": ..., "config": {...}} that
// POST /connectors takes, with sorted keys and every value a string: the
// bytes a json.Encoder with SetEscapeHTML(false) and SetIndent("", "  ")
// writes, without its reflection (render writes a thousand of these).
func SinkJSON(name string, c *Config) []byte {
	var buf [16]string
	keys := sortedKeys(c.Values, buf[:0])
	n := 64 + len(name)
	for _, k := range keys {
		n += len(k) + len(c.Values[k]) + 12
	}
	b := make([]byte, 0, n)
	b = append(b, "{\n  \"name\": "...)
	b = appendJSONString(b, name)
	b = append(b, ",\n  \"config\": "...)
	switch {
	case c.Values == nil:
		b = append(b, "null"...)
	case len(keys) == 0:
		b = append(b, "{}"...)
	default:
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    "...)
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = appendJSONString(b, c.Values[k])
		}
		b = append(b, "\n  }"...)
	}
	return append(b, "\n}\n"...)
}

// appendJSONString appends s as encoding/json writes it without HTML
// escaping. Text of printable ASCII other than '"' and '\\' is written as
// it is; anything else goes through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// PropertiesFile renders c in the java.util.Properties format, keys sorted,
// under a header comment that says what the file is.
func PropertiesFile(c *Config, what string) []byte {
	var b strings.Builder
	b.WriteString("# Rendered by connectsync for " + escapeComment(what) + ".\n")
	b.WriteString("# Do not edit by hand: change the manifest and render again.\n")
	for _, k := range sortedKeys(c.Values, nil) {
		b.WriteString(escapeProperty(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(c.Values[k], false))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func escapeComment(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// escapeProperty escapes a key or value so that java.util.Properties.load
// reads it back exactly: backslashes, \t \n \r \f, spaces in keys and a
// leading space in values, \uXXXX for every character outside printable
// ASCII, and in keys the separators = and : and a leading # or ! (which would
// start a comment). Values keep their = and :, which load reads as they are,
// so that the files stay readable: bootstrap.servers=host:9092.
func escapeProperty(s string, isKey bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ' ':
			if isKey || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case isKey && (r == '=' || r == ':' || (i == 0 && (r == '#' || r == '!'))):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04X`, u)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
