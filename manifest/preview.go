package manifest

import (
	"bytes"
	"path/filepath"
)

// Preview returns the clusters and workers that Load would read from
// paths, without reading the sinks: the files' top-level version, clusters
// and workers entries, decoded by the same decoder, at the same lines and
// columns, and validated by the same rules. It exists so that a caller can
// start reading the live clusters while the whole manifest is still being
// loaded; such a caller must still check, once Load and Validate have
// passed, that the full manifest declares the same clusters and workers.
//
// Preview returns nil when it cannot be sure that its entries are the
// file's: when a file's top level is not a plain block mapping of unique
// keys, when any line ends inside a quoted scalar or a flow collection (so
// that a line at column 0 might not be a key), or when the entries do not
// decode or validate on their own.
func Preview(paths ...string) *Manifest {
	return ReadFiles(paths...).Preview()
}

// Preview previews the files (see the package's Preview).
func (in *Files) Preview() *Manifest {
	if len(in.expand) > 0 || len(in.names) == 0 {
		return nil
	}
	m := &Manifest{}
	for i, f := range in.names {
		if in.errs[i] != nil {
			return nil
		}
		text, ok := previewText(in.data[i])
		if !ok {
			return nil
		}
		part := &Manifest{}
		if part.add(f, filepath.Dir(f), text).HasErrors() {
			return nil
		}
		m.Files = append(m.Files, part.Files...)
		m.Clusters = append(m.Clusters, part.Clusters...)
		m.Workers = append(m.Workers, part.Workers...)
	}
	if Validate(m).HasErrors() {
		return nil
	}
	return m
}

// previewText returns data with every line of a top-level entry other
// than version, clusters and workers emptied (its newline kept, so that
// the others keep their lines and columns), or false when it cannot tell
// the top-level entries apart line by line.
//
// A line that starts at column 0 is a top-level key when no line before
// it ended inside a quoted scalar or a flow collection: a plain or block
// scalar cannot continue at column 0 of a block mapping at column 0, and
// those two are the only constructs that can. So every line is checked to
// end outside them, and any other line at column 0 (a document marker, a
// directive, a quoted or complex key, a key seen before) gives up.
func previewText(data []byte) ([]byte, bool) {
	out := make([]byte, 0, len(data))
	seen := map[string]bool{}
	keep := false
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		body := bytes.TrimRight(line, "\r\n")
		if len(body) > 0 && body[0] != ' ' && body[0] != '#' {
			key, ok := topLevelKey(body)
			if !ok || seen[key] {
				return nil, false
			}
			seen[key] = true
			keep = key == "version" || key == "clusters" || key == "workers"
		}
		if !endsInBlock(body) {
			return nil, false
		}
		if keep {
			out = append(out, line...)
		} else if line[len(line)-1] == '\n' {
			out = append(out, '\n')
		}
	}
	return out, true
}

// topLevelKey reads "key:" at the start of a line, key a plain name.
func topLevelKey(b []byte) (string, bool) {
	i := 0
	for i < len(b) && (b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z' || i > 0 && (b[i] >= '0' && b[i] <= '9' || b[i] == '_')) {
		i++
	}
	if i == 0 || i >= len(b) || b[i] != ':' || i+1 < len(b) && b[i+1] != ' ' && b[i+1] != '\t' {
		return "", false
	}
	return string(b[:i]), true
}

// endsInBlock reports whether a YAML line that starts in block context
// ends there too: not inside a quoted scalar or a flow collection. It
// reads the line token by token as yaml.v3's scanner does: a quote or a
// bracket opens something only where a token starts, and is plain text
// inside a plain scalar (it's, a[1]). Where it is unsure (an alias inside
// brackets), it answers false.
func endsInBlock(b []byte) bool {
	closed, _ := scanLine(b)
	return closed
}

// plainBytes marks the bytes of a plain scalar that scanLine looks at:
// blanks and ':' (plainStop) and, inside brackets, the flow indicators
// (plainFlowStop). It passes over any other byte.
var plainBytes = [256]uint8{
	' ': plainStop, '\t': plainStop, ':': plainStop,
	',': plainFlowStop, '?': plainFlowStop, '[': plainFlowStop, ']': plainFlowStop, '{': plainFlowStop, '}': plainFlowStop,
}

const (
	plainStop uint8 = 1 << iota
	plainFlowStop
)

// scanLine is endsInBlock, and reports too whether the line holds an
// anchor or an alias.
func scanLine(b []byte) (closed, anchored bool) {
	depth := 0
	blank := func(i int) bool { return i >= len(b) || b[i] == ' ' || b[i] == '\t' }
	flowIndicator := func(i int) bool {
		return i < len(b) && (b[i] == ',' || b[i] == '?' || b[i] == '[' || b[i] == ']' || b[i] == '{' || b[i] == '}')
	}
	i := 0
	for {
		for i < len(b) && blank(i) {
			i++
		}
		if i >= len(b) {
			return depth == 0, anchored
		}
		switch c := b[i]; {
		case c == '#', c == '|', c == '>':
			// A comment, or a block scalar's header: nothing else follows.
			return depth == 0, anchored
		case c == '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return false, anchored
			}
			i++
		case c == '\'':
			i++
			for i < len(b) && (b[i] != '\'' || i+1 < len(b) && b[i+1] == '\'') {
				if b[i] == '\'' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return false, anchored
			}
			i++
		case c == '[' || c == '{':
			depth++
			i++
		case c == ']' || c == '}':
			if depth == 0 {
				return false, anchored
			}
			depth--
			i++
		case c == ',':
			i++
		case c == '-' && blank(i+1), (c == '?' || c == ':') && (blank(i+1) || depth > 0):
			i++
		case c == '@' || c == '`' || c == '%':
			// Reserved, or a directive: not a manifest line.
			return false, anchored
		case c == '&' || c == '*' || c == '!':
			// An anchor, alias or tag: its name runs to the next blank.
			anchored = anchored || c != '!'
			for i < len(b) && !blank(i) {
				i++
			}
		default:
			// A plain scalar: it ends at ": ", at " #", and inside
			// brackets at any of ,?[]{}. Most of its bytes are none of
			// those, nor a blank: they are skipped at once (this loop
			// is most of the time of plan's preview).
			stop := plainStop
			if depth > 0 {
				stop |= plainFlowStop
			}
			for i < len(b) {
				if plainBytes[b[i]]&stop == 0 {
					i++
					continue
				}
				if b[i] == ':' && blank(i+1) || depth > 0 && flowIndicator(i) {
					break
				}
				if blank(i) {
					j := i
					for j < len(b) && blank(j) {
						j++
					}
					if j >= len(b) || b[j] == '#' {
						break
					}
					i = j
					continue
				}
				i++
			}
		}
	}
}
