// Package textsafe shows text that came from elsewhere, a worker's messages and
// traces above all, without letting it act on a terminal: control characters are
// shown escaped. The REST client cleans what a worker sends with it, and the view
// cleans everything it prints, so both hold to one definition of what is unsafe.
package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Neutralise shows in s, escaped, every C0 control except newline and tab, DEL,
// every C1 control, the Unicode bidirectional controls (which reorder text) and
// each byte that is not UTF-8: \u001b, \x9b. A sequence of allowed right after
// mark passes, and the mark is dropped (the view's own colours, marked with a
// token a worker can't know); with mark "", every sequence is escaped.
func Neutralise(s, mark string, allowed []string) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || Unsafe(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case mark != "" && strings.HasPrefix(s[i:], mark) && match(s[i+len(mark):], allowed) != "":
			seq := match(s[i+len(mark):], allowed)
			b.WriteString(seq)
			size = len(mark) + len(seq)
		case Unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func match(s string, allowed []string) string {
	for _, q := range allowed {
		if strings.HasPrefix(s, q) {
			return q
		}
	}
	return ""
}

// Unsafe reports whether r can act on a terminal or reorder text.
func Unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}
