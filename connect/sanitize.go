package connect

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// neutralise shows control characters in s escaped (\u001b), so that text a
// worker sent (a trace, a message, a worker id) cannot act on a terminal:
// C0 controls except newline and tab, DEL, C1 controls, Unicode
// bidirectional controls, and bytes that are not UTF-8.
func neutralise(s string) string {
	ok := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || controlRune(r) {
			ok = false
			break
		}
		i += size
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case controlRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func controlRune(r rune) bool {
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

// redirectError describes a 3xx answer without following it. Only the
// scheme and host of its Location are kept: a path or query could carry
// anything.
func (c *Client) redirectError(r request, resp *http.Response) error {
	e := &RedirectError{Method: r.method, Path: r.path, URL: c.base, StatusCode: resp.StatusCode}
	if loc, err := resp.Location(); err == nil && (loc.Scheme == "http" || loc.Scheme == "https") && loc.Host != "" {
		e.Location = neutralise((&url.URL{Scheme: loc.Scheme, Host: loc.Host}).String())
	}
	return e
}
