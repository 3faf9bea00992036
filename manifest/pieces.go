package manifest

import (
	"bytes"
	"reflect"
	"runtime"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// A file of more than a few dozen sinks is parsed in pieces of pieceSinks
// sinks: yaml.v3 builds the node tree of a whole document before anything
// is decoded, and that tree is larger than the manifest decoded from it.
// In pieces, only a few pieces' trees are alive at once, the pieces are
// parsed on every core while the decoder takes them in order, and the
// fast path parses each piece into an arena of nodes that the pieces take
// turns with (addInPieces). The result is the same as parsing the file
// whole: the same values at the same lines and columns, the same paths
// (sinks[i] counts across pieces), the same diagnostics in the same order.
//
// Small pieces keep few nodes alive: a no-change plan of two files of
// 500 sinks allocated 10.2 MB with pieces of 250 sinks and trees of their
// own, 7.3 MB with pieces of 25 in arenas (7.8 MB with pieces of 50).
// While the garbage collector waits, each of those bytes is a page the
// kernel hands over on first touch.
const pieceSinks = 25

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
//
// The pieces are parsed a few at once, ahead of the decoder, each into a
// node arena of its own; once a piece is decoded, its arena goes to the
// next piece to parse. So the nodes of only a few pieces exist at any
// time, however long the file.
func (m *Manifest) addInPieces(src *Source, head []byte, pieces []piece) (Diagnostics, bool) {
	type parsed struct {
		root  *yaml.Node
		err   error
		arena *nodeArena // holding root's nodes until decoded, or nil
	}
	results := make([]chan parsed, len(pieces))
	for i := range results {
		results[i] = make(chan parsed, 1)
	}
	// A piece is parsed once it holds an arena, and gives it back once
	// decoded. The arenas go to the pieces in order, so the piece the
	// decoder waits for always holds one. A few parsers take the pieces
	// in turn: a goroutine a piece would grow a new stack for each.
	slots := runtime.GOMAXPROCS(0) + 1
	arenas := make(chan *nodeArena, slots)
	for range slots {
		arenas <- &nodeArena{}
	}
	type job struct {
		i int
		a *nodeArena
	}
	jobs := make(chan job)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(jobs)
		for i := range pieces {
			var a *nodeArena
			select {
			case a = <-arenas:
			case <-stop:
				return
			}
			select {
			case jobs <- job{i, a}:
			case <-stop:
				return
			}
		}
	}()
	for range min(slots, len(pieces)) {
		go func() {
			for j := range jobs {
				r := parsed{arena: j.a}
				var inArena bool
				r.root, inArena, r.err = parsePiece(pieces[j.i], j.a)
				if !inArena {
					arenas <- j.a
					r.arena = nil
				}
				results[j.i] <- r
			}
		}()
	}
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
		if r.err != nil || r.root == nil || r.root.Kind != yaml.MappingNode || len(r.root.Content) != 2 ||
			r.root.Content[1].Kind != yaml.SequenceNode {
			return nil, false
		}
		seq := r.root.Content[1]
		if i == 0 {
			// As decoding the whole file would: sinks is at its key.
			src.record("sinks", r.root.Content[0])
		}
		for j, item := range seq.Content {
			s = nil
			d.decode(item, sv, d.paths.index("sinks", p.base+j))
			f.Sinks = append(f.Sinks, s)
			seq.Content[j] = nil
		}
		// Nothing decoded refers to a node: the piece's arena is free.
		if r.arena != nil {
			r.arena.reset()
			arenas <- r.arena
		}
	}
	d.checkVersion(root, src, f.Version)
	m.collect(src, &f, &d.paths)
	return d.finish(), true
}

// parsePiece parses a piece as "sinks:\n" followed by its lines, with the
// file's line numbers: into a when the fast path reads it (inArena), or
// else by yaml.v3.
func parsePiece(p piece, a *nodeArena) (root *yaml.Node, inArena bool, err error) {
	if fastYAML {
		// The file's data is not copied: it does not change once read
		// (add).
		text := unsafe.String(unsafe.SliceData(p.text), len(p.text))
		if root, ok := fastParsePiece(text, p.line, a); ok {
			return root, true, nil
		}
	}
	text := make([]byte, 0, len("sinks:\n")+len(p.text))
	text = append(append(text, "sinks:\n"...), p.text...)
	root, err = parseYAMLv3(text)
	if err == nil && root != nil {
		shiftLines(root, p.line-2)
	}
	return root, false, err
}

// shiftLines moves every node of a tree down by n lines.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}
