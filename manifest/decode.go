package manifest

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"gopkg.in/yaml.v3"
)

// decoder turns a yaml.Node tree into the manifest's Go types strictly: an
// unknown or repeated key, or a value of the wrong type, is a Diagnostic at
// the exact line and column, and decoding goes on so that every problem in a
// file is reported at once.
//
// yaml.v3's own KnownFields mode stops at the first unknown field and reports
// neither the column nor the path, which is why the manifest is decoded from
// nodes here.
type decoder struct {
	src   *Source
	diags Diagnostics
	// values counts the nodes decoded through aliases, to stop a small
	// file whose aliases nest ("billion laughs") from taking the machine.
	// A value written out in the file is not counted: the file's own size
	// bounds those, and a manifest of thousands of sinks has more than
	// maxValues of them. aliased is how many aliases the value being
	// decoded was reached through.
	values  int
	aliased int
	tooMany bool
	// hidden counts the errors past maxDiagnostics, and firstHidden is
	// where the first of them was.
	hidden      int
	firstHidden Pos
	// release lists the sequences whose items are dropped from the tree
	// once decoded, so that the garbage collector can free a sink's nodes
	// while the next ones are decoded: the node tree of a file of
	// thousands of sinks is larger than the manifest decoded from it.
	release map[*yaml.Node]bool
	// paths holds the paths of the file's values.
	paths pathBlock
	// key is the key of a map entry being set, one for the decoder: a
	// new one each would be an allocation an entry.
	key reflect.Value
	// self remembers decodesItself's answers.
	self map[reflect.Type]bool
}

// maxValues bounds the nodes (and diagnostics) one file may expand to
// through aliases. A real manifest reaches a few thousand through them.
const maxValues = 100_000

// maxDiagnostics bounds the problems reported for one file. Past it, a
// file is not worth reading line by line: fifty errors say enough, and a
// few aliases could otherwise repeat one mistake a million times.
const maxDiagnostics = 50

// yamlNodeDecoder is implemented by types that decode themselves from a node,
// such as Value, which is a string or a secret reference.
type yamlNodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

func (d *decoder) errorf(n *yaml.Node, path, hint, format string, args ...any) {
	// Every diagnostic under an alias counts against maxValues like a
	// decoded value: an unknown key is not decoded, so a mapping of unknown
	// keys reached through nested aliases would otherwise repeat its errors
	// without limit.
	if d.aliased > 0 {
		d.values++
	}
	if len(d.diags) >= maxDiagnostics {
		if d.hidden == 0 {
			d.firstHidden = d.src.nodePos(n)
		}
		d.hidden++
		return
	}
	d.diags = append(d.diags, Diagnostic{
		Severity: Error,
		Pos:      d.src.nodePos(n),
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
		Hint:     hint,
	})
}

var (
	nodeDecoderType = reflect.TypeOf((*yamlNodeDecoder)(nil)).Elem()
	stringType      = reflect.TypeFor[string]()
)

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		d.decodeAlias(n, v, path)
		return
	}
	if !d.count(n, path) {
		return
	}
	d.src.record(path, n)
	if isNull(n) {
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if v.CanAddr() && d.decodesItself(v.Type()) {
		v.Addr().Interface().(yamlNodeDecoder).decodeNode(d, n, path)
		return
	}
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Int:
		s, ok := d.scalar(n, path, "an integer")
		if !ok {
			return
		}
		i, err := strconv.Atoi(s)
		if err != nil || (n.Tag != "!!int" && n.Tag != "!!str") {
			d.errorf(n, path, "", "must be an integer, got %q", s)
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		b, err := strconv.ParseBool(s)
		if err != nil || n.Tag != "!!bool" {
			d.errorf(n, path, "write true or false, unquoted", "must be true or false, got %q", s)
			return
		}
		v.SetBool(b)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "write a list, for example [a, b]", "must be a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), d.paths.index(path, i))
			if d.release[n] {
				n.Content[i] = nil
			}
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "", "must be a mapping of keys to values, got %s", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		// One key and one element, reused for every entry: SetMapIndex
		// copies them into the map, and a new one each would be an
		// allocation an entry (two, with the key boxed by ValueOf). The
		// key is set just before SetMapIndex, so an inner map may use
		// the decoder's too.
		kv := d.key
		if v.Type().Key() != stringType {
			kv = reflect.New(v.Type().Key()).Elem()
		} else if !kv.IsValid() {
			kv = reflect.New(stringType).Elem()
			d.key = kv
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.eachKey(n, path, func(key string, kn, vn *yaml.Node) {
			p := d.paths.join(path, key)
			d.recordKey(p, kn, vn)
			elem.SetZero()
			d.decode(vn, elem, p)
			kv.SetString(key)
			m.SetMapIndex(kv, elem)
		})
		v.Set(m)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	default:
		panic(fmt.Sprintf("manifest: no decoder for %s", v.Type()))
	}
}

// decodesItself reports whether a pointer to a t implements
// yamlNodeDecoder, remembered by type: asked for every value decoded,
// reflect's Implements looks through the method set by name each time.
func (d *decoder) decodesItself(t reflect.Type) bool {
	impl, ok := d.self[t]
	if !ok {
		if d.self == nil {
			d.self = map[reflect.Type]bool{}
		}
		impl = reflect.PointerTo(t).Implements(nodeDecoderType)
		d.self[t] = impl
	}
	return impl
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "", "must be a mapping, got %s", describe(n))
		return
	}
	fields := structFields(v.Type())
	d.eachKey(n, path, func(key string, kn, vn *yaml.Node) {
		idx, ok := fields[key]
		if !ok {
			d.errorf(kn, joinPath(path, key), unknownFieldHint(key, fields), "unknown field %q", key)
			return
		}
		p := d.paths.join(path, key)
		d.recordKey(p, kn, vn)
		d.decode(vn, v.Field(idx), p)
	})
}

// decodeAlias decodes the value an alias points at, counting it and
// everything under it against maxValues.
func (d *decoder) decodeAlias(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.aliased++
	d.decode(n, v, path)
	d.aliased--
}

// count counts one more node or key reached through an alias against
// maxValues, and reports false once the file has expanded past it (a value
// written out is not counted). The error about it is always kept, even past
// maxDiagnostics: it explains why the others stop.
func (d *decoder) count(n *yaml.Node, path string) bool {
	if d.aliased == 0 {
		return true
	}
	if d.values++; d.values <= maxValues {
		return true
	}
	if !d.tooMany {
		d.tooMany = true
		d.diags = append(d.diags, Diagnostic{
			Severity: Error,
			Pos:      d.src.nodePos(n),
			Path:     path,
			Message:  fmt.Sprintf("the file expands to more than %d values through YAML aliases", maxValues),
			Hint:     "write the values out instead of nesting YAML aliases",
		})
	}
	return false
}

// finish returns the file's diagnostics, with one line saying how many
// errors were left out past maxDiagnostics.
func (d *decoder) finish() Diagnostics {
	if d.hidden > 0 {
		d.diags = append(d.diags, Diagnostic{
			Severity: Error,
			Pos:      d.firstHidden,
			Message:  fmt.Sprintf("and %d more errors in this file, not shown", d.hidden),
			Hint:     fmt.Sprintf("fix the first %d and run validate again", maxDiagnostics),
		})
	}
	return d.diags
}

// recordKey makes a field whose value is a mapping or a list point at its
// key: the value of a block mapping starts on the next line, at its first
// key, which is not where a message about the whole field belongs.
func (d *decoder) recordKey(path string, kn, vn *yaml.Node) {
	for vn.Kind == yaml.AliasNode && vn.Alias != nil {
		vn = vn.Alias
	}
	if vn.Kind == yaml.MappingNode || vn.Kind == yaml.SequenceNode {
		d.src.record(path, kn)
	}
}

// eachKey calls fn for every key of a mapping node, in file order, and
// reports keys that are not plain scalars or that appear twice.
func (d *decoder) eachKey(n *yaml.Node, path string, fn func(key string, kn, vn *yaml.Node)) {
	// A mapping of a manifest has a few keys: looking back over them
	// costs less than a map of them, which would be an allocation a
	// mapping. A long one (thousands of topics or properties) has its map.
	var seen map[string]*yaml.Node
	if len(n.Content) > 2*linearKeys {
		seen = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if !isKey(kn) {
			if kn.Kind != yaml.ScalarNode {
				d.errorf(kn, path, "", "a key must be a plain string, got %s", describe(kn))
			} else {
				d.errorf(kn, path, "write the keys out; merge keys (<<) are not supported", "merge keys are not supported")
			}
			continue
		}
		first, dup := seen[kn.Value]
		if seen == nil {
			first, dup = firstKey(n.Content[:i], kn.Value)
		}
		if dup {
			d.errorf(kn, joinPath(path, kn.Value), "remove one of them",
				"key %q appears twice (first at line %d)", kn.Value, first.Line)
			continue
		}
		if seen != nil {
			seen[kn.Value] = kn
		}
		fn(kn.Value, kn, vn)
	}
}

// linearKeys is the most keys of a mapping that eachKey checks for
// repeats by looking back over them.
const linearKeys = 16

// isKey reports whether eachKey takes a mapping's key node: a scalar, not
// a merge key.
func isKey(kn *yaml.Node) bool {
	return kn.Kind == yaml.ScalarNode && kn.Tag != "!!merge"
}

// firstKey returns the first key named key among the keys and values of
// a mapping's content, those eachKey takes: the key eachKey's map would
// hold, as a repeated key never replaces the first.
func firstKey(content []*yaml.Node, key string) (*yaml.Node, bool) {
	for i := 0; i+1 < len(content); i += 2 {
		if kn := content[i]; isKey(kn) && kn.Value == key {
			return kn, true
		}
	}
	return nil, false
}

func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "", "must be %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// joinPath appends a key to a field path. Keys that are not plain
// identifiers, such as Kafka property names or topic names with dots, are
// quoted: properties["offset.flush.interval.ms"].
func joinPath(path, key string) string {
	if isIdent(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// appendPath appends joinPath(path, key) to b.
func appendPath(b []byte, path, key string) []byte {
	if isIdent(key) {
		if path == "" {
			return append(b, key...)
		}
		return append(append(append(b, path...), '.'), key...)
	}
	b = append(append(b, path...), '[')
	return append(strconv.AppendQuote(b, key), ']')
}

// appendIndex appends an index to a field path: sinks[12], as
// fmt.Sprintf("%s[%d]", path, i) writes it.
func appendIndex(b []byte, path string, i int) []byte {
	b = append(append(b, path...), '[')
	return append(strconv.AppendInt(b, int64(i), 10), ']')
}

// pathBlock holds the paths of a file's values, written one after the
// other into blocks of up to pathBlockSize bytes (the first 1 KB, each
// next one twice as large, so that a small file, or plan's preview of a
// large one, does not take 16 KB for a few paths). Every decoded value's path
// is kept, as a key of Source.pos at least, and one string each was one
// allocation in ten of loading a manifest; a block is one for hundreds
// of paths. What is written in a block is never changed, which is what
// makes the strings (unsafe.String) that point into it strings.
type pathBlock struct{ block []byte }

const pathBlockSize = 16 << 10

// join returns joinPath(path, key).
func (p *pathBlock) join(path, key string) string {
	var buf [128]byte
	return p.keep(appendPath(buf[:0], path, key))
}

// index returns the path of item i of the list at path.
func (p *pathBlock) index(path string, i int) string {
	var buf [128]byte
	return p.keep(appendIndex(buf[:0], path, i))
}

// keep returns b as a string in the block, or in one of its own when it
// is long.
func (p *pathBlock) keep(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case len(b) > pathBlockSize/16:
		return string(b)
	case len(b) > cap(p.block)-len(p.block):
		p.block = make([]byte, 0, min(max(2*cap(p.block), 1<<10), pathBlockSize))
	}
	start := len(p.block)
	p.block = append(p.block, b...)
	return unsafe.String(&p.block[start], len(b))
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

var fieldCache sync.Map // reflect.Type -> map[string]int

func structFields(t reflect.Type) map[string]int {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]int)
	}
	f := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		f[strings.Split(tag, ",")[0]] = i
	}
	fieldCache.Store(t, f)
	return f
}

func unknownFieldHint(key string, fields map[string]int) string {
	best, bestDist := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
		if dist := editDistance(strings.ToLower(key), strings.ToLower(name)); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	sort.Strings(names)
	return "known fields: " + strings.Join(names, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
