package connect

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Security cases of issue 9, for the REST client. docs/security.md maps each
// defect to its test. The servers here are httptest servers standing in for
// something at a worker's URL that a real worker can't be made to be on
// demand (a redirect, an endless stream, a non-JSON page echoing a secret);
// what a real worker can do is tested in integration_test.go and apply/.

const secret = "s3cr3t  pass<word>-CANARY"

// rawScrub masks the raw secret only: the client must hand the scrubber
// the body as the worker sent it, before squeezing or cutting it.
func rawScrub(s string) string { return strings.ReplaceAll(s, secret, "***") }

// newEchoingProxy answers every request with status and a non-JSON body
// (a proxy's page) built by page.
func newEchoingProxy(t *testing.T, status int, page string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, page)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// Defect 2: a non-JSON error body is masked before it is squeezed and cut,
// so that a secret with two spaces, or one that straddles the cut, is
// never printed, whole or in part.
func TestSecurityNonJSONErrorMaskedBeforeReshaping(t *testing.T) {
	for _, tc := range []struct {
		name string
		page string
	}{
		{"two spaces", "<html><body>bad gateway: " + secret + "</body></html>"},
		{"straddles the cut", strings.Repeat("x", 190) + secret + strings.Repeat("y", 50)},
		{"after newlines", "<pre>\n\n" + secret + "\n</pre>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newEchoingProxy(t, http.StatusBadGateway, tc.page)
			c, err := New(ts.URL, Options{Scrub: rawScrub, Retry: RetryPolicy{MaxRetries: -1}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Connectors(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, part := range []string{"s3cr3t", "pass<word>", "CANARY", "s3cr3t pass"} {
				if strings.Contains(msg, part) {
					t.Errorf("the error carries %q of the secret: %s", part, msg)
				}
			}
			if len(msg) > 400 {
				t.Errorf("the message is not cut: %d bytes", len(msg))
			}
		})
	}
	// The cut lands on a rune boundary and never inside a mask.
	if got := cutLine(strings.Repeat("é", 150), 200); !strings.HasSuffix(got, "...") || !isUTF8(got) {
		t.Errorf("cutLine cut a rune: %q", got)
	}
	if got := cutLine(strings.Repeat("a", 199)+"***tail", 200); strings.Contains(got, "*") {
		t.Errorf("cutLine cut through a mask: %q", got)
	}
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "?") == s }

// newRedirectingWorker answers every request with a redirect to target,
// counting the requests it gets.
func newRedirectingWorker(t *testing.T, tls bool, status int, target string, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, target+r.URL.RequestURI(), status)
	})
	var ts *httptest.Server
	if tls {
		ts = httptest.NewTLSServer(h)
	} else {
		ts = httptest.NewServer(h)
	}
	t.Cleanup(ts.Close)
	return ts
}

// newSecretCollector is the host a redirect points to. It records what
// reaches it.
func newSecretCollector(t *testing.T, got *atomic.Int64) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.Write([]byte("{}"))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// Defect 5: a redirect is never followed (not to another host, not from
// https to http), is not retried, and the error names the worker and the
// status.
func TestSecurityRedirectNotFollowed(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, useTLS := range []bool{false, true} {
			var hits, collected atomic.Int64
			collector := newSecretCollector(t, &collected)
			w := newRedirectingWorker(t, useTLS, status, collector.URL, &hits)
			o := Options{Username: "admin", Password: secret, Headers: map[string]string{"X-Token": secret},
				Retry: RetryPolicy{MaxElapsedTime: 30 * time.Second}}
			if useTLS {
				o.HTTPClient = w.Client() // trusts the test CA; its CheckRedirect is replaced
			}
			c, err := New(w.URL, o)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.PutConfig(context.Background(), "sec-orders", map[string]string{"auth.password": secret})
			var re *RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("%d (tls %v): want a RedirectError, got %v", status, useTLS, err)
			}
			if collected.Load() != 0 {
				t.Errorf("%d (tls %v): the redirect was followed: the secret reached %s", status, useTLS, collector.URL)
			}
			// One request, under a retry budget of 30 s: a retried redirect
			// would be a second.
			if hits.Load() != 1 {
				t.Errorf("%d (tls %v): a redirect was retried: %d requests", status, useTLS, hits.Load())
			}
			msg := err.Error()
			for _, want := range []string{w.URL, http.StatusText(status), "does not follow redirects", "/connectors/sec-orders/config"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not say %q: %s", want, msg)
				}
			}
			if strings.Contains(msg, secret) {
				t.Errorf("the error carries the secret: %s", msg)
			}
			if ok, _ := Retryable(err); ok {
				t.Errorf("a redirect is retryable")
			}
		}
	}
}

// newStreamingWorker answers 200 and streams bytes without end, until the
// client goes away.
func newStreamingWorker(t *testing.T) *httptest.Server {
	t.Helper()
	chunk := []byte(`{"a":"` + strings.Repeat("x", 1<<16))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// Defect 6: every answer is read up to a cap, with a clear error past it.
func TestSecurityResponseSizeCapped(t *testing.T) {
	ts := newStreamingWorker(t)
	c, err := New(ts.URL, Options{MaxResponseBytes: 4 << 20, Retry: RetryPolicy{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connectors(context.Background())
	var tl *TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "larger than 4 MiB") || !strings.Contains(err.Error(), ts.URL) {
		t.Fatalf("want a TooLargeError naming the worker and the limit, got %v", err)
	}
	if ok, _ := Retryable(err); ok {
		t.Error("an oversized answer is retried")
	}
	// The default is far above a real 5,000-connector expand answer (tens
	// of MiB), and applies when MaxResponseBytes is zero.
	if DefaultMaxResponseBytes < 256<<20 {
		t.Errorf("DefaultMaxResponseBytes = %d", DefaultMaxResponseBytes)
	}
	if c, _ := New(ts.URL, Options{}); c.maxBody != DefaultMaxResponseBytes {
		t.Errorf("default cap %d", c.maxBody)
	}
	if _, err := New(ts.URL, Options{MaxResponseBytes: -1}); err == nil {
		t.Error("a negative cap is accepted")
	}
}

// Defect 7: control characters in what a worker sends are shown escaped.
func TestSecurityControlCharactersNeutralised(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttext\nnext":          "plain\ttext\nnext",
		"\x1b]0;pwned\x07":           `\u001b]0;pwned\u0007`,
		"\x1b[2J\x1b[H":              `\u001b[2J\u001b[H`,
		"csi\u009b31m and \u0085":    `csi\u009b31m and \u0085`,
		"cr\roverwrite":              `cr\u000doverwrite`,
		"bidi \u202egnp.exe":         `bidi \u202egnp.exe`,
		"raw byte \x9b1m":            `raw byte \x9b1m`,
		"del\x7f":                    `del\u007f`,
		"unicode stays: é, ü, 漢字, ✓": "unicode stays: é, ü, 漢字, ✓",
	} {
		if got := neutralise(in); got != want {
			t.Errorf("neutralise(%q) = %q, want %q", in, got, want)
		}
	}
	// A worker's error message and a non-JSON body go through it.
	ts := newEchoingProxy(t, http.StatusBadRequest, `{"error_code":400,"message":"bad \u001b]0;title\u0007 value"}`)
	c, _ := New(ts.URL, Options{Retry: RetryPolicy{MaxRetries: -1}})
	_, err := c.Connectors(context.Background())
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07") {
		t.Errorf("control characters reach the error: %q", err)
	}
}
