package manifest

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// Source is one manifest file and the position of every value in it.
type Source struct {
	// File is the path as the user gave it, for messages.
	File string
	// Dir is the directory relative secret files are resolved against.
	Dir string
	// pos holds where each decoded value is, by path: the line and
	// column only, the file being File (a manifest of thousands of sinks
	// records tens of thousands of them).
	pos map[string]lineCol
	// at is File and Dir for the Values decoded from the file, shared by
	// all of them.
	at *valueFile
}

type lineCol struct{ line, col int32 }

// newSource returns the Source of a file of data. Its map of positions
// is made for about as many values as data has colons, one a key (and
// the values of a list a few more): grown value by value, the map of a
// file of thousands of sinks was rehashed a dozen times. Text that is
// all colons would not hold a value in eight bytes.
func newSource(file, dir string, data []byte) *Source {
	values := min(bytes.Count(data, []byte(":")), len(data)/8)
	return &Source{File: file, Dir: dir, pos: make(map[string]lineCol, values), at: &valueFile{file: file, dir: dir}}
}

func (s *Source) nodePos(n *yaml.Node) Pos {
	return Pos{File: s.File, Line: n.Line, Col: n.Column}
}

func (s *Source) record(path string, n *yaml.Node) {
	if _, ok := s.pos[path]; !ok {
		s.pos[path] = lineCol{int32(n.Line), int32(n.Column)}
	}
}

// At returns the position of the value at path, or of its nearest ancestor
// that the file declares, or the file itself.
func (s *Source) At(path string) Pos {
	for {
		if p, ok := s.pos[path]; ok {
			return Pos{File: s.File, Line: int(p.line), Col: int(p.col)}
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return Pos{File: s.File}
		}
		path = path[:i]
	}
}

// Has reports whether the file declares a value at path.
func (s *Source) Has(path string) bool {
	_, ok := s.pos[path]
	return ok
}
