package connect

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The expand answer (GET /connectors?expand=info&expand=status) is the one
// answer whose size grows with the cluster: a few hundred bytes a
// connector. It is decoded here by hand, as it streams in, straight into
// the wire structs, where encoding/json's Decoder spent most of a plan's
// decoding time in reflection and in a token per value (about 8 ms of CPU
// for 500 connectors in a plan, against under 2 ms here).
//
// The decoder gives what json.Unmarshal of the whole body into
// map[string]wireConnector gives, for every input: the same values where it
// succeeds (keys matched case-insensitively, a null leaving a field as it
// was, a repeated key merging into what the first one decoded, invalid
// UTF-8 replaced by U+FFFD) and an error where it fails, syntax and types
// alike (FuzzExpandMatchesUnmarshal holds it to that). Its errors name an
// offset and what was expected, never the worker's bytes.

// expandReader is a buffered reader of one JSON text.
type expandReader struct {
	src   io.Reader
	buf   []byte // buf[i:] is read and not yet consumed
	i     int
	off   int64  // offset of buf[0] in the stream
	eof   bool   // src has nothing more
	err   error  // src's first error other than io.EOF
	depth int    // arrays and objects open
	tmp   []byte // a string unescaped, or a number
	key   []byte // the key being read
	// strings interns the strings that repeat (intern).
	strings map[string]string
}

const (
	expandBufSize = 32 << 10
	// maxDepth is encoding/json's limit on nesting.
	maxDepth = 10000
	// maxInterned bounds the strings interned: a hostile answer cannot
	// grow the table past what an honest cluster's keys and workers need.
	maxInterned = 4096
)

// decodeExpand reads one expand answer from src and calls each for every
// connector, in the answer's order; a name repeated is given again, merged
// as json.Unmarshal merges a repeated key. A top-level null holds no
// connectors. Anything after the value but white space is an error.
func decodeExpand(src io.Reader, each func(name string, w *wireConnector)) error {
	d := &expandReader{src: src, buf: make([]byte, 0, expandBufSize), strings: map[string]string{}}
	if err := d.connectors(each); err != nil {
		return err
	}
	if _, ok := d.skipSpace(); ok {
		return d.syntax("after top-level value")
	}
	return d.readErr()
}

// connectors reads the top-level object, or null.
func (d *expandReader) connectors(each func(string, *wireConnector)) error {
	return d.members("an object of connectors", func(key []byte) error {
		name := string(key)
		// A repeated name decodes into a fresh value, as a map's does.
		w := &wireConnector{}
		if err := d.members("a connector object", func(key []byte) error { return d.connector(key, w) }); err != nil {
			return err
		}
		each(name, w)
		return nil
	})
}

func (d *expandReader) connector(key []byte, w *wireConnector) error {
	switch field(key, "info", "status") {
	case "info":
		return pointer(d, &w.Info, d.info)
	case "status":
		return pointer(d, &w.Status, d.status)
	}
	return d.skip()
}

func (d *expandReader) info(i *wireInfo, key []byte) error {
	switch field(key, "type", "config", "tasks") {
	case "type":
		return d.str(&i.Type, true)
	case "config":
		return d.config(&i.Config)
	case "tasks":
		return slice(d, &i.Tasks, func(t *wireTask, key []byte) error {
			if field(key, "task") != "" {
				return d.int(&t.Task)
			}
			return d.skip()
		})
	}
	return d.skip()
}

func (d *expandReader) status(s *wireStatus, key []byte) error {
	switch field(key, "type", "connector", "tasks") {
	case "type":
		return d.str(&s.Type, true)
	case "connector":
		return d.members("a state object", func(key []byte) error { return d.state(&s.Connector, key) })
	case "tasks":
		return slice(d, &s.Tasks, func(t *wireTaskState, key []byte) error {
			if field(key, "id") != "" {
				return d.int(&t.ID)
			}
			return d.state(&t.wireState, key)
		})
	}
	return d.skip()
}

func (d *expandReader) state(s *wireState, key []byte) error {
	switch field(key, "state", "worker_id", "trace") {
	case "state":
		return d.str(&s.State, true)
	case "worker_id":
		return d.str(&s.WorkerID, true)
	case "trace":
		return d.str(&s.Trace, false)
	}
	return d.skip()
}

// field returns the field of names that key names, as encoding/json
// matches a key to a field: exactly, or else by Unicode case folding; ""
// for none.
func field(key []byte, names ...string) string {
	for _, n := range names {
		if string(key) == n {
			return n
		}
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return n
		}
	}
	return ""
}

// pointer decodes an object into *p as encoding/json decodes into a
// pointer to a struct: null sets it to nil, an object decodes into what it
// points to, made first if it is nil; member reads each member's value.
func pointer[T any](d *expandReader, p **T, member func(*T, []byte) error) error {
	opened, err := d.begin('{', "an object")
	if err != nil || !opened {
		if err == nil {
			*p = nil
		}
		return err
	}
	if *p == nil {
		*p = new(T)
	}
	return d.object(func(key []byte) error { return member(*p, key) })
}

// slice decodes an array of objects into *s as encoding/json does: null
// sets it to nil; each element decodes into the slice's element at its
// index, within the slice's capacity, so that a repeated key merges; an
// empty array gives an empty slice. member reads each member's value.
func slice[T any](d *expandReader, s *[]T, member func(*T, []byte) error) error {
	opened, err := d.begin('[', "an array")
	if err != nil || !opened {
		if err == nil {
			*s = nil
		}
		return err
	}
	i := 0
	err = d.array(func() error {
		if i >= cap(*s) {
			grown := make([]T, len(*s), max(2*cap(*s), 4))
			copy(grown, *s)
			*s = grown
		}
		if i >= len(*s) {
			*s = (*s)[:i+1]
		}
		t := &(*s)[i]
		if err := d.members("an object", func(key []byte) error { return member(t, key) }); err != nil {
			return err
		}
		i++
		return nil
	})
	if err != nil {
		return err
	}
	*s = (*s)[:i]
	if i == 0 {
		*s = []T{}
	}
	return nil
}

// config decodes an object of strings into *m as encoding/json decodes into
// a map: null sets it to nil, an object adds to the map (made if nil), and
// a null value is the empty string.
func (d *expandReader) config(m *map[string]string) error {
	opened, err := d.begin('{', "an object of strings")
	if err != nil || !opened {
		if err == nil {
			*m = nil
		}
		return err
	}
	if *m == nil {
		*m = map[string]string{}
	}
	return d.object(func(key []byte) error {
		k := d.intern(key)
		var v string
		if err := d.str(&v, false); err != nil {
			return err
		}
		(*m)[k] = v
		return nil
	})
}

// value reads past white space to the start of the next value and
// returns its first byte: '{' or '[' consumed (their contents are the
// caller's to read), 'n' for a null consumed, '"' for a string not yet
// consumed, and for any other value its first byte, the value consumed.
func (d *expandReader) value() (byte, error) {
	c, ok := d.skipSpace()
	if !ok {
		return 0, d.eofErr()
	}
	switch {
	case c == '{' || c == '[':
		d.i++
		if d.depth++; d.depth > maxDepth {
			return 0, d.syntax("exceeded max depth")
		}
		return c, nil
	case c == '"':
		return c, nil
	case c == 'n':
		return c, d.literal("null")
	case c == 't':
		return c, d.literal("true")
	case c == 'f':
		return c, d.literal("false")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return c, err
	}
	return 0, d.syntax("looking for beginning of value")
}

// begin reads the start of a value that must be null or open with open
// ('{' or '['), want naming it for the error otherwise. It reports whether
// the value opened; a null is read whole.
func (d *expandReader) begin(open byte, want string) (bool, error) {
	c, err := d.value()
	switch {
	case err != nil:
		return false, err
	case c == 'n':
		return false, nil
	case c != open:
		return false, d.mismatch(c, want)
	}
	return true, nil
}

// members reads an object, or null, calling member with each key; want
// names the object for the error when the value is neither.
func (d *expandReader) members(want string, member func(key []byte) error) error {
	opened, err := d.begin('{', want)
	if err != nil || !opened {
		return err
	}
	return d.object(member)
}

// object reads the members of an object whose '{' value consumed, calling
// member with each key; member reads the value. The key's bytes are valid
// until member reads anything.
func (d *expandReader) object(member func(key []byte) error) error {
	c, ok := d.skipSpace()
	if !ok {
		return d.eofErr()
	}
	if c == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if c != '"' {
			return d.syntax("looking for beginning of object key string")
		}
		key, err := d.readString()
		if err != nil {
			return err
		}
		// Reading on may move the buffer the key was read in.
		d.key = append(d.key[:0], key...)
		key = d.key
		if c, ok = d.skipSpace(); !ok {
			return d.eofErr()
		}
		if c != ':' {
			return d.syntax("after object key")
		}
		d.i++
		if err := member(key); err != nil {
			return err
		}
		if c, ok = d.skipSpace(); !ok {
			return d.eofErr()
		}
		d.i++
		switch c {
		case '}':
			d.depth--
			return nil
		case ',':
		default:
			return d.syntax("after object key:value pair")
		}
		if c, ok = d.skipSpace(); !ok {
			return d.eofErr()
		}
	}
}

// array reads the elements of an array whose '[' value consumed; elem
// reads each element.
func (d *expandReader) array(elem func() error) error {
	c, ok := d.skipSpace()
	if !ok {
		return d.eofErr()
	}
	if c == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if c, ok = d.skipSpace(); !ok {
			return d.eofErr()
		}
		d.i++
		switch c {
		case ']':
			d.depth--
			return nil
		case ',':
		default:
			return d.syntax("after array element")
		}
	}
}

// skip reads a value nothing keeps, checking its syntax.
func (d *expandReader) skip() error {
	c, err := d.value()
	switch {
	case err != nil:
		return err
	case c == '"':
		_, err = d.readString()
	case c == '{':
		err = d.object(func([]byte) error { return d.skip() })
	case c == '[':
		err = d.array(d.skip)
	}
	return err
}

// str decodes a string or null into *s; null leaves it as it is. A value
// that many connectors repeat (a state, a worker, a type) is interned.
func (d *expandReader) str(s *string, intern bool) error {
	c, err := d.value()
	switch {
	case err != nil || c == 'n':
		return err
	case c != '"':
		return d.mismatch(c, "a string")
	}
	b, err := d.readString()
	if err != nil {
		return err
	}
	if intern {
		*s = d.intern(b)
	} else {
		*s = string(b)
	}
	return nil
}

// intern returns b as a string, the same string for the same bytes: the
// keys of configs and the states, workers and types repeat from one
// connector to the next, and each would otherwise be an allocation.
func (d *expandReader) intern(b []byte) string {
	if s, ok := d.strings[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.strings) < maxInterned {
		d.strings[s] = s
	}
	return s
}

// int decodes an integer or null into *n, as encoding/json decodes into an
// int: a number with a fraction or an exponent is a type error.
func (d *expandReader) int(n *int) error {
	c, ok := d.skipSpace()
	if !ok {
		return d.eofErr()
	}
	if c != '-' && (c < '0' || c > '9') {
		c, err := d.value()
		if err != nil || c == 'n' {
			return err
		}
		return d.mismatch(c, "an integer")
	}
	at := d.pos()
	text, err := d.number()
	if err != nil {
		return err
	}
	v, err := strconv.ParseInt(text, 10, strconv.IntSize)
	if err != nil {
		return fmt.Errorf("cannot decode a number at offset %d into an integer", at)
	}
	*n = int(v)
	return nil
}

// number reads a JSON number and returns its text.
func (d *expandReader) number() (string, error) {
	d.tmp = d.tmp[:0]
	take := func(digits bool) bool {
		n := 0
		for {
			c, ok := d.peek()
			if !ok || !(c >= '0' && c <= '9') {
				return n > 0 || !digits
			}
			d.tmp = append(d.tmp, c)
			d.i++
			n++
		}
	}
	accept := func(set string) bool {
		c, ok := d.peek()
		if ok && strings.IndexByte(set, c) >= 0 {
			d.tmp = append(d.tmp, c)
			d.i++
			return true
		}
		return false
	}
	accept("-")
	if accept("0") {
		// No more digits after a leading zero.
	} else if c, ok := d.peek(); ok && c >= '1' && c <= '9' {
		take(true)
	} else {
		return "", d.syntax("in numeric literal")
	}
	if accept(".") && !take(true) {
		return "", d.syntax("after decimal point in numeric literal")
	}
	if accept("eE") {
		accept("+-")
		if !take(true) {
			return "", d.syntax("in exponent of numeric literal")
		}
	}
	return string(d.tmp), nil
}

// literal reads true, false or null.
func (d *expandReader) literal(word string) error {
	for j := 0; j < len(word); j++ {
		c, ok := d.peek()
		if !ok {
			return d.eofErr()
		}
		if c != word[j] {
			return d.syntax("in literal " + word)
		}
		d.i++
	}
	return nil
}

// readString reads a string whose opening quote is next, and returns it
// unescaped, with invalid UTF-8 replaced as encoding/json replaces it. The
// bytes are valid until the next read.
func (d *expandReader) readString() ([]byte, error) {
	d.i++ // the quote
	// Fast path: plain printable ASCII up to the closing quote, in the
	// buffer: no copy.
	for j := d.i; j < len(d.buf); j++ {
		c := d.buf[j]
		if c == '"' {
			s := d.buf[d.i:j]
			d.i = j + 1
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	d.tmp = d.tmp[:0]
	for {
		if !d.ensure(1) {
			return nil, d.eofErr()
		}
		c := d.buf[d.i]
		switch {
		case c == '"':
			d.i++
			return d.tmp, nil
		case c < 0x20:
			return nil, d.syntax("in string literal")
		case c == '\\':
			if err := d.escape(); err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			d.tmp = append(d.tmp, c)
			d.i++
		default:
			d.ensure(utf8.UTFMax)
			r, size := utf8.DecodeRune(d.buf[d.i:])
			d.tmp = utf8.AppendRune(d.tmp, r)
			d.i += size
		}
	}
}

// escape reads one escape sequence of a string into tmp.
func (d *expandReader) escape() error {
	if !d.ensure(2) {
		return d.eofErr()
	}
	c := d.buf[d.i+1]
	if r, ok := simpleEscapes[c]; ok {
		d.tmp = append(d.tmp, r)
		d.i += 2
		return nil
	}
	if c != 'u' {
		return d.syntax("in string escape code")
	}
	r, err := d.hex4()
	if err != nil {
		return err
	}
	if utf16.IsSurrogate(r) {
		// A pair is two escapes; anything else makes the first U+FFFD.
		if d.ensure(6) && d.buf[d.i] == '\\' && d.buf[d.i+1] == 'u' {
			if r2, ok := parseHex4(d.buf[d.i+2 : d.i+6]); ok {
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					d.tmp = utf8.AppendRune(d.tmp, pair)
					d.i += 6
					return nil
				}
			}
		}
		r = utf8.RuneError
	}
	d.tmp = utf8.AppendRune(d.tmp, r)
	return nil
}

var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 reads \uXXXX.
func (d *expandReader) hex4() (rune, error) {
	if !d.ensure(6) {
		return 0, d.eofErr()
	}
	r, ok := parseHex4(d.buf[d.i+2 : d.i+6])
	if !ok {
		return 0, d.syntax("in \\u hexadecimal character escape")
	}
	d.i += 6
	return r, nil
}

func parseHex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// skipSpace returns the next byte that is not white space, unconsumed.
func (d *expandReader) skipSpace() (byte, bool) {
	for {
		for d.i < len(d.buf) {
			switch c := d.buf[d.i]; c {
			case ' ', '\t', '\r', '\n':
				d.i++
			default:
				return c, true
			}
		}
		if !d.fill() {
			return 0, false
		}
	}
}

func (d *expandReader) peek() (byte, bool) {
	if !d.ensure(1) {
		return 0, false
	}
	return d.buf[d.i], true
}

// ensure makes n bytes available at buf[i:], unless the input ends first.
func (d *expandReader) ensure(n int) bool {
	for len(d.buf)-d.i < n {
		if !d.fill() {
			return false
		}
	}
	return true
}

// fill reads more of src, keeping what is not consumed; false when src has
// nothing more.
func (d *expandReader) fill() bool {
	if d.eof {
		return false
	}
	kept := copy(d.buf[:cap(d.buf)], d.buf[d.i:])
	d.off += int64(d.i)
	d.i = 0
	for {
		n, err := d.src.Read(d.buf[kept:cap(d.buf)])
		d.buf = d.buf[:kept+n]
		if err != nil {
			d.eof = true
			if err != io.EOF {
				d.err = err
			}
		}
		if n > 0 || d.eof {
			return n > 0
		}
	}
}

func (d *expandReader) pos() int64 { return d.off + int64(d.i) }

func (d *expandReader) readErr() error { return d.err }

// eofErr is the error of an input that ends inside a value: the source's
// own error if it failed, else io.ErrUnexpectedEOF.
func (d *expandReader) eofErr() error {
	if d.err != nil {
		return d.err
	}
	return io.ErrUnexpectedEOF
}

// syntax is a syntax error at the current offset. It names what was
// expected, never the byte found: that is the worker's text.
func (d *expandReader) syntax(what string) error {
	return &ExpandSyntaxError{Offset: d.pos(), What: what}
}

// mismatch is a value of the wrong type; c is its first byte.
func (d *expandReader) mismatch(c byte, want string) error {
	return fmt.Errorf("want %s at offset %d, got %s", want, d.pos(), kindOf(c))
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// ExpandSyntaxError is an expand answer that is not JSON.
type ExpandSyntaxError struct {
	Offset int64
	What   string
}

func (e *ExpandSyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.What)
}
