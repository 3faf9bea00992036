package manifest

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// fastParse is the fast path of parseOne: a small parser of the plain
// subset of YAML that manifests are written in, which builds the same
// yaml.Node tree as yaml.v3 (v3.0.1) at a fraction of its CPU. yaml.v3
// reads about 8 MB/s, and parsing was a quarter of the CPU of a plan of
// 500 sinks, on a machine where plan competes with the Connect workers.
//
// It returns the document's root node, as parseOne does, or false when the
// input is anything but that subset; parseOne then parses it with yaml.v3.
// Declining is always safe, so whatever this parser is not sure to read as
// yaml.v3 does, it declines: it must never return a tree for an input that
// yaml.v3 rejects or reads differently. TestFastParseMatchesYAML,
// TestFastParseTricky and FuzzFastParse compare the two.
//
// The subset, read line by line (every other construct declines):
//   - block mappings "key: value", and "key:" followed by a block
//     collection on more indented lines (or a block sequence at the key's
//     own indentation), or by nothing (null);
//   - block sequences "- item", an item being a value on the dash's line, a
//     block mapping or sequence that starts there ("- name: x" with the
//     other keys aligned under name), one on the next lines, or nothing;
//   - flow mappings and sequences that open and close on one line;
//   - plain, single-quoted and double-quoted scalars on one line;
//   - comments and blank lines.
//
// Not in it: document markers and directives, anchors, aliases, tags,
// block scalars, complex keys, multi-line scalars and flow collections,
// tabs, carriage returns, a byte order mark, control characters, and a
// document with no node. Those are rare in manifests, and yaml.v3 reads
// them correctly, only slower.
//
// Comments: nothing reads the comment fields of the nodes that parseOne
// returns (HeadComment, LineComment and FootComment are used nowhere in
// this repository), so the fast path leaves them empty, and the tests
// compare trees without them. Anything that starts reading comments must
// make fastParse decline on them first.
//
// Scalar values are substrings of one copy of the input, not one
// allocation each; the decoded manifest may keep that copy alive (a
// manifest of 5000 sinks is about 1 MB).
func fastParse(data []byte) (*yaml.Node, bool) {
	p := fastParser{}
	if !p.split(string(data)) {
		return nil, false
	}
	return p.document()
}

// fastParsePiece parses a piece of a file's top-level sinks list (whole
// items, pieces.go) as fastParse parses "sinks:\n" followed by the
// piece's text, with the file's line numbers: line is the file's line of
// the text's first line. The tree's nodes and the parser's slices come
// from a, and the tree lives until a is reset.
//
// text is not copied: the scalars are substrings of it, and it must not
// change while the decoded manifest lives.
func fastParsePiece(text string, line int, a *nodeArena) (*yaml.Node, bool) {
	if n := strings.Count(text, "\n") + 2; cap(a.lines) < n {
		a.lines = make([]fastLine, 0, n)
	}
	p := fastParser{arena: a, lineBase: line - 2, stack: a.stack[:0]}
	p.lines = append(a.lines[:0], fastLine{text: "sinks:", ascii: true})
	var root *yaml.Node
	ok := p.split(text)
	if ok {
		root, ok = p.document()
	}
	// The slices grew while parsing: the arena keeps them for the next.
	a.lines, a.stack = p.lines, p.stack[:0]
	return root, ok
}

// document parses the lines split into a document's root node.
func (p *fastParser) document() (*yaml.Node, bool) {
	first := p.nextContent(0)
	if first == len(p.lines) {
		// Only comments and blank lines: parseOne returns nil for
		// those, through yaml.v3.
		return nil, false
	}
	root, ok := p.blockCollection(first, p.lines[first].indent)
	if !ok || p.nextContent(p.next) != len(p.lines) {
		return nil, false
	}
	return root, true
}

// fastMaxDepth bounds the nesting of collections that fastParse reads (its
// recursion); a manifest nests a few levels deep.
const fastMaxDepth = 64

// fastMaxKey bounds the bytes from a key's start to its ':'. yaml.v3 gives
// up on a simple key longer than 1024 characters (an error in block
// context, another tree in flow context); a byte count is never less than
// the character count.
const fastMaxKey = 1000

// fastParser reads a document line by line. Every function that parses a
// node is given the line and the byte offset where the node starts, and
// leaves next at the line after the node's last line.
type fastParser struct {
	lines []fastLine // of the input, of which values are substrings
	next  int        // the first line not yet consumed
	depth int        // of collections being parsed

	// Nodes and Content slices are carved from chunks rather than
	// allocated one by one: thousands of small allocations were most of
	// the cost left once parsing itself was fast.
	nodes   []yaml.Node
	content []*yaml.Node
	stack   []*yaml.Node // children of the collections being parsed

	// arena, when set, hands out those chunks again, once the tree
	// they were carved into has been decoded and dropped (pieces.go).
	arena *nodeArena
	// lineBase is added to every node's line: a piece of a file is
	// parsed with the file's line numbers.
	lineBase int
}

// nodeArena keeps the chunks of nodes and Content slices that a parse
// carved, and the parser's line and stack slices, so that the next parse
// writes over them instead of allocating new ones. A tree parsed from an
// arena lives until the arena is reset: every node of it is overwritten
// by the next parse.
//
// While the garbage collector waits (cmd/connectsync/gc.go), every byte
// allocated is a page the kernel hands over on first touch, at about
// 2 µs a page on these machines. The node trees were a third of the bytes
// a no-change plan allocated; parsed in pieces into a few arenas that
// take turns, they are a small fraction of that.
type nodeArena struct {
	nodes    [][]yaml.Node
	contents [][]*yaml.Node
	used     int // chunks of nodes handed out since reset
	usedC    int // chunks of Content handed out since reset
	lines    []fastLine
	stack    []*yaml.Node
}

// reset makes every chunk free for the next parse.
func (a *nodeArena) reset() { a.used, a.usedC = 0, 0 }

func (a *nodeArena) nodeChunk() []yaml.Node {
	if a.used == len(a.nodes) {
		a.nodes = append(a.nodes, make([]yaml.Node, nodeChunk))
	}
	a.used++
	return a.nodes[a.used-1]
}

// contentChunk returns a chunk of at least n Content slots. Chunks are
// handed out in order; one too small for n is skipped over, and left for
// the next parse.
func (a *nodeArena) contentChunk(n int) []*yaml.Node {
	for a.usedC < len(a.contents) {
		c := a.contents[a.usedC]
		a.usedC++
		if len(c) >= n {
			return c
		}
	}
	c := make([]*yaml.Node, max(contentChunk, n))
	a.contents = append(a.contents, c)
	a.usedC++
	return c
}

// The sizes of the chunks of nodes and of Content slots.
const (
	nodeChunk    = 64
	contentChunk = 256
)

type fastLine struct {
	text   string // without its '\n'
	indent int    // leading spaces
	blank  bool   // only spaces, or a comment
	ascii  bool   // byte offsets are columns
}

// split cuts the input into lines, and returns false for any character
// the subset excludes anywhere in it, comments included (yaml.v3 checks
// them too): tabs, carriage returns, control characters, invalid UTF-8, a
// byte order mark, and the characters YAML counts as line breaks besides
// '\n' (NEL, LS, PS). It also declines document markers and directives.
//
// The lines are appended to those already in p.lines.
func (p *fastParser) split(s string) bool {
	if p.lines == nil {
		p.lines = make([]fastLine, 0, strings.Count(s, "\n")+1)
	}
	for len(s) > 0 {
		text := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			text, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		l := fastLine{text: text, ascii: true}
		for i := 0; i < len(text); {
			c := text[i]
			if c >= 0x20 && c < 0x7f {
				i++
				continue
			}
			if c < 0x80 {
				return false // control characters, tab and DEL
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			if size == 1 || !fastPrintable(r) {
				return false
			}
			l.ascii = false
			i += size
		}
		for l.indent < len(text) && text[l.indent] == ' ' {
			l.indent++
		}
		l.blank = l.indent == len(text) || text[l.indent] == '#'
		if strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") || strings.HasPrefix(text, "%") {
			return false
		}
		p.lines = append(p.lines, l)
	}
	return true
}

// fastPrintable reports whether yaml.v3 accepts non-ASCII rune r in a
// document and treats it as an ordinary character: not a C1 control (NEL
// is a line break in YAML), not a line or paragraph separator, not a byte
// order mark, not a non-character.
func fastPrintable(r rune) bool {
	switch {
	case r == 0xFEFF, r == 0x2028, r == 0x2029:
		return false
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// nextContent returns the first line from i on that is not blank or a
// comment, or len(lines).
func (p *fastParser) nextContent(i int) int {
	for i < len(p.lines) && p.lines[i].blank {
		i++
	}
	return i
}

// newNode returns a node at byte off of line li, taken from a chunk.
func (p *fastParser) newNode(kind yaml.Kind, tag string, li, off int) *yaml.Node {
	if len(p.nodes) == 0 {
		// Small chunks: the decoder drops a sink's nodes once decoded,
		// and a chunk is freed only when all of its nodes are.
		if p.arena != nil {
			p.nodes = p.arena.nodeChunk()
		} else {
			p.nodes = make([]yaml.Node, nodeChunk)
		}
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	// The whole node: one from an arena holds a node of the last parse.
	*n = yaml.Node{Kind: kind, Tag: tag, Line: p.lineBase + li + 1, Column: p.column(li, off)}
	return n
}

// column is yaml.v3's column of byte off of line li: 1-based, counted in
// characters.
func (p *fastParser) column(li, off int) int {
	l := p.lines[li]
	if l.ascii {
		return off + 1
	}
	return utf8.RuneCountInString(l.text[:off]) + 1
}

// open starts a collection; its children are pushed on stack and moved
// into its Content by close.
func (p *fastParser) open() (mark int, ok bool) {
	p.depth++
	return len(p.stack), p.depth <= fastMaxDepth
}

func (p *fastParser) close(n *yaml.Node, mark int) {
	p.depth--
	kids := p.stack[mark:]
	if len(kids) > 0 {
		if len(p.content) < len(kids) {
			if p.arena != nil {
				p.content = p.arena.contentChunk(len(kids))
			} else {
				p.content = make([]*yaml.Node, max(contentChunk, len(kids)))
			}
		}
		// The three-index slice keeps an append to one node's Content
		// from writing over the next one's.
		n.Content = p.content[:len(kids):len(kids)]
		p.content = p.content[len(kids):]
		copy(n.Content, kids)
	}
	clear(kids)
	p.stack = p.stack[:mark]
}

// isEntry reports whether a block sequence entry ("-" then a space or the
// end of the line) starts at byte off of s.
func isEntry(s string, off int) bool {
	return off < len(s) && s[off] == '-' && (off+1 == len(s) || s[off+1] == ' ')
}

// blockCollection parses the block mapping or sequence that starts at byte
// off of line li, where off is its indentation.
func (p *fastParser) blockCollection(li, off int) (*yaml.Node, bool) {
	if isEntry(p.lines[li].text, off) {
		return p.blockSeq(li, off)
	}
	return p.blockMap(li, off)
}

// blockMap parses a block mapping whose first key is at byte off of line
// li; its other keys are at the start of later lines indented by off.
func (p *fastParser) blockMap(li, off int) (*yaml.Node, bool) {
	m := p.newNode(yaml.MappingNode, "!!map", li, off)
	mark, ok := p.open()
	if !ok {
		return nil, false
	}
	for {
		key, colon, ok := p.key(li, off, false)
		if !ok {
			return nil, false
		}
		// The null of "key:" is where yaml.v3 puts it: just after the ':'.
		// A block sequence may be the value at the key's own indentation.
		val, ok := p.value(li, colon+1, off, false)
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, key, val)
		j := p.nextContent(p.next)
		if j == len(p.lines) || p.lines[j].indent < off {
			break
		}
		if p.lines[j].indent > off {
			// A continuation of a plain scalar, or a mistake.
			return nil, false
		}
		li = j
	}
	p.close(m, mark)
	return m, true
}

// blockSeq parses a block sequence whose first entry's dash is at byte off
// of line li; its other entries are at the start of later lines indented
// by off. It ends at a line indented less, or at one indented by off that
// is not an entry (the next key of a mapping at the same indentation; for
// any other parent, that line is a mistake the parent declines).
func (p *fastParser) blockSeq(li, off int) (*yaml.Node, bool) {
	seq := p.newNode(yaml.SequenceNode, "!!seq", li, off)
	mark, ok := p.open()
	if !ok {
		return nil, false
	}
	for {
		item, ok := p.value(li, off+1, off, true)
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, item)
		j := p.nextContent(p.next)
		if j == len(p.lines) || p.lines[j].indent < off {
			break
		}
		if p.lines[j].indent > off {
			return nil, false
		}
		if !isEntry(p.lines[j].text, off) {
			break
		}
		li = j
	}
	p.close(seq, mark)
	return seq, true
}

// value parses what follows a mapping's ':' or a sequence's '-' at byte off
// of line li, whose key or dash is at indentation indent.
//
// On the same line it may be a scalar or a flow collection; for a sequence
// entry (item) also a block mapping or sequence that starts there. If the
// rest of the line is empty, the value is the block collection on the
// next lines, more indented than indent, or for a mapping a block
// sequence at indent itself; or else null, placed at off as yaml.v3 does.
func (p *fastParser) value(li, off, indent int, item bool) (*yaml.Node, bool) {
	s := p.lines[li].text
	q := off
	for q < len(s) && s[q] == ' ' {
		q++
	}
	if q == len(s) || s[q] == '#' {
		j := p.nextContent(li + 1)
		if j < len(p.lines) {
			l := p.lines[j]
			if l.indent > indent {
				return p.blockCollection(j, l.indent)
			}
			if !item && l.indent == indent && isEntry(l.text, indent) {
				return p.blockSeq(j, indent)
			}
		}
		p.next = li + 1
		n := p.newNode(yaml.ScalarNode, "!!null", li, off)
		return n, true
	}
	if isEntry(s, q) {
		if !item {
			return nil, false // "key: - x" is not YAML
		}
		return p.blockSeq(li, q)
	}
	var n *yaml.Node
	var end int
	var ok bool
	switch s[q] {
	case '[', '{':
		n, end, ok = p.flow(li, q)
	default:
		var isKey bool
		n, end, isKey, ok = p.scalarOrKey(li, q, false)
		if ok && isKey {
			if !item {
				return nil, false // "a: b: c" is not YAML
			}
			return p.blockMap(li, q)
		}
	}
	if !ok || !restIsComment(s, end) {
		return nil, false
	}
	p.next = li + 1
	return n, true
}

// restIsComment reports whether s holds nothing but spaces from byte i on,
// or spaces and then a comment. A '#' that follows a token without a
// space is declined: YAML does not make it a comment.
func restIsComment(s string, i int) bool {
	j := i
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j == len(s) || s[j] == '#' && j > i
}

// key parses a mapping key at byte off of line li: a plain or quoted
// scalar followed, after optional spaces, by ':' and a space (or, in
// block context, the end of the line). It returns the key and the offset
// of the ':'.
func (p *fastParser) key(li, off int, flow bool) (*yaml.Node, int, bool) {
	s := p.lines[li].text
	if off >= len(s) || s[off] == '[' || s[off] == '{' {
		return nil, 0, false
	}
	n, end, isKey, ok := p.scalarOrKey(li, off, flow)
	if !ok || !isKey {
		return nil, 0, false
	}
	colon := end
	for s[colon] == ' ' {
		colon++
	}
	if colon-off > fastMaxKey {
		return nil, 0, false
	}
	if flow && (colon+1 == len(s) || s[colon+1] != ' ') {
		// "{a:b}" and "{"a":}" have more readings than are worth
		// getting exactly right.
		return nil, 0, false
	}
	return n, colon, true
}

// scalarOrKey parses the scalar at byte off of line li and reports
// whether it is followed, after optional spaces, by ':' and a space or
// the end of the line (which makes it a mapping key). end is the offset
// just after the scalar.
func (p *fastParser) scalarOrKey(li, off int, flow bool) (n *yaml.Node, end int, isKey, ok bool) {
	s := p.lines[li].text
	var val string
	var style yaml.Style
	switch s[off] {
	case '\'':
		val, end, ok = singleQuoted(s, off)
		style = yaml.SingleQuotedStyle
	case '"':
		val, end, ok = doubleQuoted(s, off)
		style = yaml.DoubleQuotedStyle
	default:
		val, end, ok = plain(s, off, flow)
	}
	if !ok {
		return nil, 0, false, false
	}
	c := end
	for c < len(s) && s[c] == ' ' {
		c++
	}
	isKey = c < len(s) && s[c] == ':' && (c+1 == len(s) || s[c+1] == ' ')
	n = p.newNode(yaml.ScalarNode, "", li, off)
	n.Value, n.Style = val, style
	switch {
	case style != 0:
		n.Tag = "!!str"
	case val == "<<":
		n.Tag = "!!merge" // as yaml.v3's parser tags a plain "<<"
	case !mayResolve(val):
		// Most values are names; resolving them was a fifth of the
		// parse (yaml.v3's resolve allocates). TestMayResolve checks
		// that yaml.v3 makes strings of them.
		n.Tag = "!!str"
	default:
		// yaml.v3's own resolution of a plain scalar: ShortTag of an
		// untagged scalar calls resolve("", value), as its parser does.
		n.Tag = n.ShortTag()
	}
	return n, end, isKey, true
}

// flow parses the flow mapping or sequence that opens at byte off of line
// li and must close on the same line. It returns the offset after it.
func (p *fastParser) flow(li, off int) (*yaml.Node, int, bool) {
	s := p.lines[li].text
	kind, tag, closer := yaml.SequenceNode, "!!seq", byte(']')
	if s[off] == '{' {
		kind, tag, closer = yaml.MappingNode, "!!map", '}'
	}
	n := p.newNode(kind, tag, li, off)
	n.Style = yaml.FlowStyle
	mark, ok := p.open()
	if !ok {
		return nil, 0, false
	}
	i := skipSpaces(s, off+1)
	if i < len(s) && s[i] == closer {
		p.close(n, mark)
		return n, i + 1, true
	}
	for {
		if kind == yaml.MappingNode {
			// A key is a scalar, and has a value: "{a}", "{a: }" and
			// "{[a]: b}" decline.
			key, colon, ok := p.key(li, i, true)
			if !ok {
				return nil, 0, false
			}
			p.stack = append(p.stack, key)
			i = skipSpaces(s, colon+1)
		}
		val, end, ok := p.flowNode(li, i)
		if !ok {
			return nil, 0, false
		}
		p.stack = append(p.stack, val)
		// After an entry: ',' and the next one, or the closing bracket.
		// Anything else (a ':' in a sequence, "[a: b]"; the end of the
		// line) declines; so does a trailing comma.
		i = skipSpaces(s, end)
		if i < len(s) && s[i] == closer {
			p.close(n, mark)
			return n, i + 1, true
		}
		if i == len(s) || s[i] != ',' {
			return nil, 0, false
		}
		i = skipSpaces(s, i+1)
	}
}

// flowNode parses a value inside a flow collection at byte off of line li.
func (p *fastParser) flowNode(li, off int) (*yaml.Node, int, bool) {
	s := p.lines[li].text
	if off >= len(s) {
		return nil, 0, false
	}
	if s[off] == '[' || s[off] == '{' {
		return p.flow(li, off)
	}
	n, end, _, ok := p.scalarOrKey(li, off, true)
	return n, end, ok
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// plain scans a plain scalar at byte off of s, and returns its value and
// the offset just after its last character. Like yaml.v3's scanner, it
// ends at ": " (or ':' at the end of the line), at " #", at the end of
// the line, and in flow context at any of ",?[]{}"; trailing spaces are
// not part of it.
//
// A plain scalar may not start with an indicator character; yaml.v3 lets
// "-", "?" and ":" start one when a non-space follows, which is kept here
// only for "-" before a letter, digit or '.' ("-1", "-.5", "-x").
func plain(s string, off int, flow bool) (string, int, bool) {
	c := s[off]
	if notPlainStart[c] {
		if c != '-' || off+1 == len(s) || !isAlnumOrDot(s[off+1]) {
			return "", 0, false
		}
	}
	end := off
	for i := off; i < len(s); {
		c := s[i]
		if c == ' ' {
			j := skipSpaces(s, i)
			if j == len(s) || s[j] == '#' {
				break
			}
			i = j
			continue
		}
		if c == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			break
		}
		if flow && flowEnd[c] {
			break
		}
		i++
		end = i
	}
	return s[off:end], end, true
}

// mayResolve reports whether YAML 1.1 may read plain scalar v (not empty)
// as something other than a string: numbers and timestamps start with a
// digit, a sign or '.' (.inf, .nan), "~" is null, "<<" the merge key, and
// the other words that are null or booleans are these, in any case.
// yaml.v3 reads fewer of them (only true, false and null), which is fine:
// whatever may resolve is resolved by yaml.v3 itself.
func mayResolve(v string) bool {
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == '~', c == '<':
		return true
	case len(v) > 5:
		return false
	}
	// Each word by its first letter, compared in ASCII: yaml.v3 spells its
	// words in ASCII only, so Unicode's wider folding (ſ for s) adds
	// nothing, and nine strings.EqualFold a short scalar were a few per
	// cent of loading a manifest.
	switch v[0] | 0x20 {
	case 'n':
		return len(v) == 1 || foldsTo(v, "no") || foldsTo(v, "null")
	case 'y':
		return len(v) == 1 || foldsTo(v, "yes")
	case 'o':
		return foldsTo(v, "on") || foldsTo(v, "off")
	case 't':
		return foldsTo(v, "true")
	case 'f':
		return foldsTo(v, "false")
	}
	return false
}

// foldsTo reports whether v is word (ASCII lower-case letters) in any
// ASCII case.
func foldsTo(v, word string) bool {
	if len(v) != len(word) {
		return false
	}
	for i := range len(v) {
		if v[i]|0x20 != word[i] {
			return false
		}
	}
	return true
}

// notPlainStart holds the indicator characters that cannot start a plain
// scalar (and space), and flowEnd those that end one in flow context.
var notPlainStart, flowEnd = byteSet("-?:,[]{}#&*!|>'\"%@` "), byteSet(",?[]{}")

func byteSet(chars string) (t [256]bool) {
	for _, c := range []byte(chars) {
		t[c] = true
	}
	return t
}

func isAlnumOrDot(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.'
}

// singleQuoted scans a single-quoted scalar at byte off of s that closes
// on the same line; two quotes inside ("”") are one. It returns the value and the
// offset after the closing quote.
func singleQuoted(s string, off int) (string, int, bool) {
	var b []byte // only when there is a "''" to unescape
	start := off + 1
	for i := start; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b = append(b, s[start:i+1]...)
			i++
			start = i + 1
			continue
		}
		if b == nil {
			return s[off+1 : i], i + 1, true
		}
		b = append(b, s[start:i]...)
		return string(b), i + 1, true
	}
	return "", 0, false
}

// doubleQuoted scans a double-quoted scalar at byte off of s that closes
// on the same line, with yaml.v3's escapes (which do not include "\/"). It
// returns the value and the offset after the closing quote.
func doubleQuoted(s string, off int) (string, int, bool) {
	var b []byte // only when there is an escape
	start := off + 1
	for i := start; i < len(s); {
		switch s[i] {
		case '"':
			if b == nil {
				return s[off+1 : i], i + 1, true
			}
			b = append(b, s[start:i]...)
			return string(b), i + 1, true
		case '\\':
			if i+1 == len(s) {
				return "", 0, false // an escaped line break: multi-line
			}
			b = append(b, s[start:i]...)
			var ok bool
			b, i, ok = unescape(b, s, i)
			if !ok {
				return "", 0, false
			}
			start = i
		default:
			i++
		}
	}
	return "", 0, false
}

// fastEscapes are the one-character escapes of yaml.v3's double-quoted
// scalars, and what they stand for.
var fastEscapes = [256]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", 'n': "\n", 'v': "\v", 'f': "\f",
	'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '\'': "'", '\\': "\\",
	'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}

// unescape appends the character that the escape at byte i of s (a
// backslash, not the last byte) stands for, and returns the offset after
// the escape.
func unescape(b []byte, s string, i int) ([]byte, int, bool) {
	c := s[i+1]
	if r := fastEscapes[c]; r != "" {
		return append(b, r...), i + 2, true
	}
	var digits int
	switch c {
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	case 'U':
		digits = 8
	default:
		return nil, 0, false // an unknown escape, "\/" among them
	}
	if i+2+digits > len(s) {
		return nil, 0, false
	}
	var r int // not a rune: eight digits may overflow one
	for _, h := range []byte(s[i+2 : i+2+digits]) {
		var d byte
		switch {
		case h >= '0' && h <= '9':
			d = h - '0'
		case h >= 'a' && h <= 'f':
			d = h - 'a' + 10
		case h >= 'A' && h <= 'F':
			d = h - 'A' + 10
		default:
			return nil, 0, false
		}
		r = r<<4 | int(d)
	}
	if r >= 0xD800 && r <= 0xDFFF || r > 0x10FFFF {
		return nil, 0, false // yaml.v3: invalid Unicode character escape code
	}
	return utf8.AppendRune(b, rune(r)), i + 2 + digits, true
}
