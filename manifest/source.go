package manifest

import (
	"bytes"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Source is one manifest file and the position of every value in it.
type Source struct {
	// File is the path as the user gave it, for messages.
	File string
	// Dir is the directory relative secret files are resolved against.
	Dir string
	// recorded holds where each decoded value is, by path, in the order
	// decoded: the line and column only, the file being File (a manifest
	// of thousands of sinks records tens of thousands of them). Only
	// messages look a position up, so the map of them (pos) is made the
	// first time one does: a no-change plan never does, and the inserts
	// into a map of every value were a twentieth of its CPU.
	recorded []recordedPos
	index    sync.Once
	pos      map[string]lineCol
	// at is File and Dir for the Values decoded from the file, shared by
	// all of them.
	at *valueFile
}

type lineCol struct{ line, col int32 }

// recordedPos is where the value at path is.
type recordedPos struct {
	path string
	at   lineCol
}

// newSource returns the Source of a file of data. Its list of positions
// is made for twice as many values as data has colons: a key and its value
// are often both recorded, and a list's items have no colon (a file of
// flow-style sinks recorded 1.7 values a colon, one of DataStax sinks
// 1.25). Grown value by value, the list of a file of thousands of sinks
// would be copied a dozen times; the capacity it does not use is never
// touched. Text that is all colons would not hold a value in four bytes.
func newSource(file, dir string, data []byte) *Source {
	values := min(2*bytes.Count(data, []byte(":")), len(data)/4)
	return &Source{File: file, Dir: dir, recorded: make([]recordedPos, 0, values), at: &valueFile{file: file, dir: dir}}
}

func (s *Source) nodePos(n *yaml.Node) Pos {
	return Pos{File: s.File, Line: n.Line, Col: n.Column}
}

// record notes where the value at path is. The first position recorded
// for a path is the one kept: a mapping or a list is at its key (recordKey),
// recorded before the value itself.
func (s *Source) record(path string, n *yaml.Node) {
	s.recorded = append(s.recorded, recordedPos{path, lineCol{int32(n.Line), int32(n.Column)}})
}

// positions returns the map of positions by path, made from the recorded
// list the first time. Positions are looked up once the file is decoded,
// never while it is: nothing is recorded after the map is made.
func (s *Source) positions() map[string]lineCol {
	s.index.Do(func() {
		s.pos = make(map[string]lineCol, len(s.recorded))
		for _, r := range s.recorded {
			if _, ok := s.pos[r.path]; !ok {
				s.pos[r.path] = r.at
			}
		}
	})
	return s.pos
}

// At returns the position of the value at path, or of its nearest ancestor
// that the file declares, or the file itself.
func (s *Source) At(path string) Pos {
	pos := s.positions()
	for {
		if p, ok := pos[path]; ok {
			return Pos{File: s.File, Line: int(p.line), Col: int(p.col)}
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return Pos{File: s.File}
		}
		path = path[:i]
	}
}

// Has reports whether the file declares a value at path. It looks through
// the recorded list, not the map: it is asked once a file, about version,
// which is usually the first value recorded.
func (s *Source) Has(path string) bool {
	for _, r := range s.recorded {
		if r.path == path {
			return true
		}
	}
	return false
}
