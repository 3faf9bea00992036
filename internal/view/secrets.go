package view

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/connectsync/connectsync/internal/textsafe"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Secrets is the set of secret values resolved during one run, and the
// filter that masks them in everything a Printer writes. It is the last line
// of defence: messages are scrubbed where they enter too (connect.Options.
// Scrub), but every writer connectsync prints through is wrapped in one.
//
// A secret is masked in its raw form and in the forms that encoders and
// workers turn it into: JSON and Go escapes (\u003c, \", \\, \/, \n, \x1b),
// escapes of escapes (a JSON string inside a JSON string), HTML character
// references, and with its runs of whitespace squeezed to one.
type Secrets struct {
	mu     sync.Mutex
	values []string
	seen   map[string]bool
	// set is what Scrub works from, made when Scrub needs it, so that
	// adding n secrets one at a time (the resolver adds each as it
	// resolves it) costs one build, not n over a growing set; nil when a
	// value was added since. A set is not changed once made, except for
	// its pattern, compiled once under its own sync.Once.
	set *secretSet
}

// secretSet is the registered values, longest first, and the one pattern
// that matches them all in every form.
type secretSet struct {
	values []string
	// plain is set when no value has whitespace, a '*' or bytes that are
	// not UTF-8: then a text without '\', '%' and '&' can hold a value
	// only raw, as every other form the pattern matches starts with one
	// of them.
	plain   bool
	once    sync.Once
	pattern *regexp.Regexp
}

func (set *secretSet) compiled() *regexp.Regexp {
	set.once.Do(func() {
		alts := make([]string, len(set.values))
		for i, v := range set.values {
			alts[i] = secretPattern(v)
		}
		set.pattern = regexp.MustCompile(strings.Join(alts, "|"))
	})
	return set.pattern
}

// Mask is what a secret is replaced with.
const Mask = "***"

// MinSecretLen is the shortest value Add registers: masking shorter ones
// would garble ordinary text.
const MinSecretLen = 4

// Add registers secret values. Values shorter than MinSecretLen are not
// registered.
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) < MinSecretLen || s.seen[v] {
			continue
		}
		if s.seen == nil {
			s.seen = map[string]bool{}
		}
		s.seen[v] = true
		s.values = append(s.values, v)
		s.set = nil
	}
}

// current returns the set of the values registered so far.
func (s *Secrets) current() *secretSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil && len(s.values) > 0 {
		// Longest first: the alternation is leftmost-first, and a secret
		// that contains another must be masked whole.
		values := slices.Clone(s.values)
		sort.SliceStable(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
		plain := true
		for _, v := range values {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsSpace) || strings.Contains(v, Mask[:1]) {
				plain = false
			}
		}
		s.set = &secretSet{values: values, plain: plain}
	}
	return s.set
}

// Scrub returns text with every registered secret, in any of the forms
// above, replaced by Mask.
func (s *Secrets) Scrub(text string) string {
	if s == nil {
		return text
	}
	set := s.current()
	if set == nil {
		return text
	}
	// Raw bytes first: a value that is not valid UTF-8 is matched by the
	// pattern only loosely.
	for _, v := range set.values {
		text = strings.ReplaceAll(text, v, Mask)
	}
	if set.plain && !strings.ContainsAny(text, `\%&`) {
		return text
	}
	return set.compiled().ReplaceAllLiteralString(text, Mask)
}

// secretPattern is a regular expression matching v and its encoded forms.
func secretPattern(v string) string {
	var b strings.Builder
	b.WriteString("(?:")
	v = strings.ToValidUTF8(v, "\uFFFD")
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		if unicode.IsSpace(r) {
			// A run of whitespace matches any run of whitespace or of its
			// escapes: text that was squeezed, or re-wrapped.
			for i < len(v) {
				r, size = utf8.DecodeRuneInString(v[i:])
				if !unicode.IsSpace(r) {
					break
				}
				i += size
			}
			b.WriteString(`(?:\s|\\+[ntrfv]|\\+[uU]0*(?:20|0[9aAbBcCdD]|85|[aA]0)|&#0*(?:32|9|10|13);|&#[xX]0*(?:20|[9aAdD]);|&nbsp;)+`)
			continue
		}
		b.WriteString(runePattern(r))
		i += size
	}
	b.WriteString(")")
	return b.String()
}

// runePattern matches one character of a secret, raw or escaped.
func runePattern(r rune) string {
	alts := []string{regexp.QuoteMeta(string(r))}
	hex4 := func(r rune) string { return hexClass(fmt.Sprintf("%04x", r)) }
	if r <= 0xFFFF {
		alts = append(alts, `\\+[uU]`+hex4(r))
	} else {
		hi, lo := surrogates(r)
		alts = append(alts, `\\+[uU]`+hex4(hi)+`\\+[uU]`+hex4(lo), `\\+U`+hexClass(fmt.Sprintf("%08x", r)))
	}
	if r < 0x100 {
		alts = append(alts, `\\+x`+hexClass(fmt.Sprintf("%02x", r)), `%`+hexClass(fmt.Sprintf("%02x", r)))
	}
	if short, ok := shortEscapes[r]; ok {
		alts = append(alts, `\\+`+regexp.QuoteMeta(short))
	}
	if r == '\\' {
		alts = append(alts, `\\+`)
	}
	alts = append(alts, fmt.Sprintf(`&#0*%d;`, r), `&#[xX]0*`+hexClass(fmt.Sprintf("%x", r))+`;`)
	if ent, ok := htmlEntities[r]; ok {
		alts = append(alts, regexp.QuoteMeta(ent))
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

// shortEscapes are the one-letter escapes of JSON, Go and Java string
// literals.
var shortEscapes = map[rune]string{
	'"': `"`, '/': `/`, '\'': `'`, '\n': `n`, '\t': `t`, '\r': `r`, '\b': `b`, '\f': `f`, '\a': `a`, '\v': `v`,
}

var htmlEntities = map[rune]string{'<': "&lt;", '>': "&gt;", '&': "&amp;", '"': "&quot;", '\'': "&apos;"}

// hexClass matches hex digits in either case: "3c" -> "3[cC]".
func hexClass(h string) string {
	var b strings.Builder
	for _, c := range h {
		if c >= 'a' && c <= 'f' {
			fmt.Fprintf(&b, "[%c%c]", c, unicode.ToUpper(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

// writer returns a writer that masks secrets in what it writes to w. Each
// Write is scrubbed whole, and every printer writes whole lines.
func (s *Secrets) writer(w io.Writer) io.Writer { return scrubWriter{s, w} }

type scrubWriter struct {
	s *Secrets
	w io.Writer
}

func (sw scrubWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(sw.w, sw.s.Scrub(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// neutraliser shows control characters escaped, so that nothing a worker
// sends (a trace, a message, a connector name, a config key) can move the
// cursor, clear the screen, retitle the window or hide text on a
// terminal. It keeps newlines and tabs, and the colour sequences the
// Printer itself wrote, which carry its secret mark. Escapes are \u00XX,
// which is also valid inside a JSON string.
type neutraliser struct {
	w    io.Writer
	mark string
}

// sgr are the colour sequences paint writes.
var sgr = []string{ansiReset, ansiBold, ansiRed, ansiGreen, ansiYellow, ansiCyan}

// newMark returns a random marker that no worker can guess.
func newMark() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "\x00cs" + hex.EncodeToString(b)
}

func (n neutraliser) Write(b []byte) (int, error) {
	if _, err := io.WriteString(n.w, Neutralise(string(b), n.mark)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Neutralise escapes control characters in s (textsafe.Neutralise); a colour
// sequence of the view's own right after mark passes, and the mark is dropped;
// with mark "", every sequence is escaped.
func Neutralise(s string, mark string) string { return textsafe.Neutralise(s, mark, sgr) }
