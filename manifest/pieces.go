package manifest

import (
	"bytes"
	"reflect"
	"runtime"

	"gopkg.in/yaml.v3"
)

// A file of thousands of sinks is parsed in pieces of piecesSinks sinks:
// yaml.v3 builds the node tree of a whole document before anything is
// decoded, and that tree is larger than the manifest decoded from it (the
// peak memory of loading). In pieces, only a few pieces' trees are alive
// at once, and the pieces are parsed on every core while the decoder
// takes them in order. The result is the same as parsing the file whole:
// the same values at the same lines and columns, the same paths
// (sinks[i] counts across pieces), the same diagnostics in the same order.
const pieceSinks = 250

// inPieces turns parsing in pieces on; tests turn it off to compare.
var inPieces = true

// piece is a run of whole items of a file's top-level sinks list.
type piece struct {
	text  []byte // the items' lines, whole: a part of the file's data
	start int    // where text starts in the file's data
	line  int    // the file's line of text's first line
	base  int    // the index in sinks of the first item
}

// splitSinks cuts a file into its head (every line but those of the
// top-level sinks list, emptied so that the others keep their lines) and
// pieces of that list, or returns false when it cannot be sure to cut it
// where the file's own structure does (see previewText for how lines at
// column 0 are told apart), or it is not worth it. The sinks list must be
// the last top-level entry, a block sequence indented by at least one
// space, and no line of the file may hold an anchor or alias, which could
// reach across pieces.
func splitSinks(data []byte) ([]byte, []piece, bool) {
	if bytes.Count(data, []byte("\n")) < 2*pieceSinks {
		return nil, nil, false
	}
	head := make([]byte, 0, len(data)/4)
	var pieces []piece
	seen := map[string]bool{}
	inSinks := false
	indent := -1 // of the sinks list's items
	items := 0
	var cur *piece
	lineNo := 0
	// A piece's lines follow each other in the file: its text is the
	// part of the file from its first line to the end of the line read
	// (end), not a copy of it.
	file, end := data, 0
	for len(data) > 0 {
		lineNo++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line = data[:i+1]
		}
		data = data[len(line):]
		end += len(line)
		body := bytes.TrimRight(line, "\r\n")
		closed, anchored := scanLine(body)
		if !closed || anchored {
			return nil, nil, false
		}
		if len(body) > 0 && body[0] != ' ' && body[0] != '#' {
			key, ok := topLevelKey(body)
			if !ok || seen[key] || inSinks {
				// Not a key, a key twice, or an entry after sinks.
				return nil, nil, false
			}
			seen[key] = true
			if key == "sinks" {
				if len(bytes.TrimSpace(body[len("sinks:"):])) != 0 {
					return nil, nil, false // sinks: [] or sinks: # comment
				}
				inSinks = true
				head = append(head, '\n')
				continue
			}
		}
		if !inSinks {
			head = append(head, line...)
			continue
		}
		trimmed := bytes.TrimLeft(body, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			// Blank or a comment: it goes with the item before it.
			if cur != nil {
				cur.text = file[cur.start:end:end]
			} else {
				head = append(head, '\n')
			}
			continue
		}
		n := len(body) - len(trimmed)
		if indent < 0 {
			indent = n
		}
		item := n == indent && trimmed[0] == '-' && (len(trimmed) == 1 || trimmed[1] == ' ')
		switch {
		case indent == 0, n < indent, n == indent && !item:
			return nil, nil, false
		case item && items%pieceSinks == 0:
			pieces = append(pieces, piece{start: end - len(line), line: lineNo, base: items})
			cur = &pieces[len(pieces)-1]
		}
		if item {
			items++
		}
		cur.text = file[cur.start:end:end]
	}
	if len(pieces) < 2 {
		return nil, nil, false
	}
	return head, pieces, true
}

// addInPieces decodes a file cut by splitSinks. It returns false when a
// piece does not parse on its own.
func (m *Manifest) addInPieces(src *Source, head []byte, pieces []piece) (Diagnostics, bool) {
	// Each piece is parsed as "sinks:\n" and its lines, at most a few at
	// once; a piece's tree is dropped once decoded.
	type parsed struct {
		root *yaml.Node
		err  error
	}
	results := make([]chan parsed, len(pieces))
	for i := range results {
		results[i] = make(chan parsed, 1)
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)+1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i, p := range pieces {
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				text := make([]byte, 0, len("sinks:\n")+len(p.text))
				text = append(append(text, "sinks:\n"...), p.text...)
				root, err := parseOne(text)
				if err == nil && root != nil {
					shiftLines(root, p.line-2)
				}
				results[i] <- parsed{root, err}
			}()
		}
	}()
	root, err := parseOne(head)
	if err != nil || root == nil || root.Kind != yaml.MappingNode {
		return nil, false
	}
	d := &decoder{src: src}
	var f file
	d.release = releasable(root)
	d.decode(root, reflect.ValueOf(&f).Elem(), "")
	// Each sink is decoded into s, one variable for all of them (a new
	// one each would be an allocation a sink), and appended.
	var s *Sink
	sv := reflect.ValueOf(&s).Elem()
	for i, p := range pieces {
		r := <-results[i]
		<-sem
		if r.err != nil || r.root == nil || r.root.Kind != yaml.MappingNode || len(r.root.Content) != 2 ||
			r.root.Content[1].Kind != yaml.SequenceNode {
			return nil, false
		}
		seq := r.root.Content[1]
		if i == 0 {
			// As decoding the whole file would: sinks is at its key,
			// and the list counts as one value.
			src.record("sinks", r.root.Content[0])
			if !d.count(seq, "sinks") {
				break
			}
		}
		for j, item := range seq.Content {
			s = nil
			d.decode(item, sv, d.paths.index("sinks", p.base+j))
			f.Sinks = append(f.Sinks, s)
			seq.Content[j] = nil
		}
	}
	d.checkVersion(root, src, f.Version)
	m.collect(src, &f, &d.paths)
	return d.finish(), true
}

// shiftLines moves every node of a tree down by n lines.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}
