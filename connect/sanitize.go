package connect

import (
	"github.com/connectsync/connectsync/internal/textsafe"
	"net/http"
	"net/url"
)

// neutralise shows control characters in s escaped (\u001b), so that text a
// worker sent (a trace, a message, a worker id) cannot act on a terminal.
func neutralise(s string) string { return textsafe.Neutralise(s, "", nil) }

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
