// Package connect is a client for the Kafka Connect REST API. It knows HTTP,
// TLS, authentication and which worker answers deserve a retry, and nothing
// about manifests, plans or diffs.
//
// Every call takes a context and runs each attempt under its own timeout.
// Failed attempts are retried with an exponential backoff when Retryable says
// the failure is transient; a call gives up when the policy's MaxElapsedTime
// or MaxRetries is reached, or when the caller's context ends.
//
// Secrets: request bodies never appear in errors or logs, and every message
// that comes from a worker (error bodies, status traces, validation errors)
// goes through Options.Scrub first.
package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v4"
)

// Defaults for Options.
const (
	// DefaultTimeout bounds one attempt of a read (GET). A worker answers
	// reads from memory; one that takes longer is stuck or frozen, and the
	// call should move on (or retry) rather than hang a plan.
	DefaultTimeout = 30 * time.Second

	// DefaultWriteTimeout bounds one attempt of a write (PUT, POST, DELETE,
	// and validation, which can run connector code). It is above the
	// worker's own REST request timeout (90s, RestServer.
	// DEFAULT_REST_REQUEST_TIMEOUT_MS), so that a slow write ends with the
	// worker's own 500 "Request timed out. The worker is currently ...",
	// which says what it was stuck on, rather than with the client
	// abandoning a request that the worker may still apply.
	DefaultWriteTimeout = 100 * time.Second

	DefaultInitialInterval = 500 * time.Millisecond
	DefaultMaxInterval     = 10 * time.Second
	DefaultMaxElapsedTime  = 2 * time.Minute

	// DefaultMaxResponseBytes caps the body of one answer. A real cluster
	// of 5,000 connectors answers GET /connectors?expand=info&expand=status
	// with tens of MiB: a FileStreamSink takes 0.5 KiB on the local
	// cluster, a DataStax sink with its mappings a few KiB, and a failed
	// task adds its Java stack trace, a few KiB more. The cap is far above
	// that, and stops a worker, or anything at its URL, from streaming until
	// memory runs out.
	DefaultMaxResponseBytes = 256 << 20

	// maxErrorBodyBytes caps a non-2xx body: error bodies are small, and a
	// proxy's HTML page is cut short.
	maxErrorBodyBytes = 64 << 10
)

// TLSConfig says how to reach workers over HTTPS. Certificate verification
// is on unless InsecureSkipVerify is set.
type TLSConfig struct {
	CAFile   string // PEM bundle of the CAs to trust instead of the system pool
	CertFile string // PEM client certificate, with KeyFile, for mutual TLS
	KeyFile  string
	// InsecureSkipVerify turns certificate verification off. Never the default.
	InsecureSkipVerify bool
}

func (t TLSConfig) isZero() bool { return t == TLSConfig{} }

// RetryPolicy shapes the exponential backoff between attempts. Zero fields
// take the defaults above.
type RetryPolicy struct {
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// MaxElapsedTime is the bound on a whole call, retries included, that the
	// user sets. Zero means DefaultMaxElapsedTime; negative means no bound
	// but the caller's context.
	MaxElapsedTime time.Duration
	// MaxRetries caps the number of retries after the first attempt. Zero
	// means no cap but MaxElapsedTime; negative means never retry.
	MaxRetries int
}

func (p RetryPolicy) newBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = orDefault(p.InitialInterval, DefaultInitialInterval)
	b.MaxInterval = orDefault(p.MaxInterval, DefaultMaxInterval)
	switch {
	case p.MaxElapsedTime < 0:
		b.MaxElapsedTime = 0 // backoff: never stop
	case p.MaxElapsedTime == 0:
		b.MaxElapsedTime = DefaultMaxElapsedTime
	default:
		b.MaxElapsedTime = p.MaxElapsedTime
	}
	switch {
	case p.MaxRetries < 0:
		return &backoff.StopBackOff{}
	case p.MaxRetries > 0:
		return backoff.WithMaxRetries(b, uint64(p.MaxRetries))
	}
	return b
}

// Options configure a Client. The zero value is usable.
type Options struct {
	TLS                TLSConfig
	Username, Password string            // HTTP basic auth, sent when Username is set
	Headers            map[string]string // extra headers on every request

	// Timeout bounds one attempt of a read; WriteTimeout one attempt of a
	// write. Zero means DefaultTimeout and DefaultWriteTimeout.
	Timeout      time.Duration
	WriteTimeout time.Duration

	Retry RetryPolicy
	// NewBackOff, when set, replaces the policy built from Retry. It is called
	// once per operation: backoff policies keep state and are not safe to
	// share. Tests return a zero-wait policy here.
	NewBackOff func() backoff.BackOff

	// OnRetry is told of each retry before its wait, as a Retry.
	OnRetry func(Retry)
	// Scrub is applied to every message that comes from a worker before it
	// is stored in an error, a status or a validation result, or logged. The
	// caller uses it to replace secret values.
	Scrub func(string) string
	// OnRequest is called before every HTTP attempt, retries included, with
	// the method and the path (query included).
	OnRequest func(method, path string)

	// MaxResponseBytes caps the body of one answer; a larger one is an
	// error. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64

	// HTTPClient replaces the client built from TLS. Its own Timeout, if any,
	// applies on top of the per-attempt timeouts. Setting both HTTPClient and
	// TLS is an error: put the TLS settings on the client's transport. Its
	// CheckRedirect is replaced: redirects are never followed (see
	// RedirectError).
	HTTPClient *http.Client
}

// Client talks to one Kafka Connect worker (or a load balancer in front of
// a cluster). It is safe for concurrent use.
type Client struct {
	base         string // scheme://host[:port][/prefix], no trailing slash
	hc           *http.Client
	username     string
	password     string
	headers      map[string]string
	timeout      time.Duration
	writeTimeout time.Duration
	newBackOff   func() backoff.BackOff
	onRetry      func(Retry)
	scrub        func(string) string
	onRequest    func(method, path string)
	maxBody      int64
}

// New returns a client for the worker at baseURL ("http://connect-1:8083").
// It reads the TLS files now, and fails if they are unreadable.
func New(baseURL string, o Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("connect: worker URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("connect: worker URL %q: scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("connect: worker URL %q: no host", baseURL)
	}
	if u.User != nil {
		// Never echo the URL back here: it holds the credentials.
		return nil, errors.New("connect: worker URL must not carry credentials; set Options.Username and Options.Password")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("connect: worker URL %q: must not have a query or fragment", baseURL)
	}
	if o.Timeout < 0 || o.WriteTimeout < 0 || o.MaxResponseBytes < 0 {
		return nil, errors.New("connect: timeouts and MaxResponseBytes must not be negative")
	}
	if o.Password != "" && o.Username == "" {
		return nil, errors.New("connect: a password is set without a username")
	}

	hc := o.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// A parallel apply sends many requests to one worker.
		tr.MaxIdleConnsPerHost = 32
		if u.Scheme == "https" || !o.TLS.isZero() {
			tc, err := o.TLS.load()
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig = tc
		}
		hc = &http.Client{Transport: tr}
	} else if !o.TLS.isZero() {
		return nil, errors.New("connect: set either Options.HTTPClient or Options.TLS, not both")
	} else {
		copied := *hc
		hc = &copied
	}
	// Never follow a redirect: the request carries the resolved secrets
	// (in its body, the basic auth and rest.headers), and a redirect can
	// send them to another host, or from https to plain http. A worker
	// does not redirect; something at its URL that does is reported.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	c := &Client{
		base:         strings.TrimRight(u.String(), "/"),
		hc:           hc,
		username:     o.Username,
		password:     o.Password,
		headers:      o.Headers,
		timeout:      orDefault(o.Timeout, DefaultTimeout),
		writeTimeout: orDefault(o.WriteTimeout, DefaultWriteTimeout),
		newBackOff:   o.NewBackOff,
		onRetry:      o.OnRetry,
		scrub:        o.Scrub,
		onRequest:    o.OnRequest,
		maxBody:      o.MaxResponseBytes,
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.newBackOff == nil {
		p := o.Retry
		c.newBackOff = p.newBackOff
	}
	if c.scrub == nil {
		c.scrub = func(s string) string { return s }
	}
	return c, nil
}

// URL returns the worker's base URL.
func (c *Client) URL() string { return c.base }

// request is one REST operation, which may take several attempts.
type request struct {
	method string
	path   string // escaped, query included
	// connector is the connector the request reads or writes, if any.
	connector string
	body      any // marshalled to JSON once; nil for none
	out       any // decoded from a 2xx body, if not nil
	// stream, when set instead of out, decodes a 2xx body as it arrives,
	// so that a large answer is never held whole: one JSON value, and
	// nothing after it but white space. It is not called for an empty body.
	stream func(io.Reader) error
}

// outcome is what a call learned across its attempts.
type outcome struct {
	status   int  // of the last answer
	attempts int  // HTTP attempts made
	unsure   bool // a failed attempt may have been applied by the worker
}

// do runs r with retries. Each attempt gets its own timeout, and a fresh
// backoff policy is made for the call.
func (c *Client) do(ctx context.Context, r request) (outcome, error) {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			// The error names a type, never a value.
			return outcome{}, fmt.Errorf("%s %s: encoding request: %w", r.method, r.path, err)
		}
	}
	timeout := c.writeTimeout
	if r.method == http.MethodGet {
		timeout = c.timeout
	}

	var (
		out     outcome
		lastErr error
		start   = time.Now()
	)
	op := func() error {
		out.attempts++
		status, err := c.attempt(ctx, r, body, timeout)
		out.status = status
		lastErr = err
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// The caller gave up; this attempt's failure is a consequence.
			return backoff.Permanent(err)
		}
		cl := classify(err)
		if !cl.retry {
			return backoff.Permanent(err)
		}
		if cl.uncertain {
			out.unsure = true
		}
		return err
	}
	notify := func(err error, next time.Duration) {
		if c.onRetry == nil {
			return
		}
		_, reason := Retryable(err)
		c.onRetry(Retry{Method: r.method, Path: r.path, Connector: r.connector,
			Attempt: out.attempts + 1, Status: StatusCode(err), Reason: reason, Delay: roundDelay(next)})
	}

	err := backoff.RetryNotify(op, backoff.WithContext(c.newBackOff(), ctx), notify)
	switch {
	case err == nil:
		return out, nil
	case lastErr != nil && ctx.Err() != nil && err == ctx.Err():
		// backoff returned the context's error: keep the last answer too.
		return out, fmt.Errorf("%s %s: %w after %d attempts; last error: %w", r.method, r.path, err, out.attempts, lastErr)
	case out.attempts > 1:
		if ok, _ := Retryable(err); ok {
			return out, &GaveUpError{Attempts: out.attempts, Elapsed: time.Since(start), Err: err}
		}
	}
	return out, err
}

// Retry is one retry a Client is about to make, for its caller to report.
type Retry struct {
	Method string
	// Path is the request's path, escaped, query included.
	Path string
	// Connector is the connector the request reads or writes; empty when
	// it targets none (GET /connectors, the plugins, the worker itself).
	Connector string
	// Attempt is the number of the attempt about to be made: 2 for the
	// first retry.
	Attempt int
	// Status is the HTTP status of the failed attempt; 0 when none came
	// back (a timeout, a refused connection).
	Status int
	// Reason says why the failure deserves a retry, as Retryable does:
	// "409 rebalance in progress", "timed out".
	Reason string
	// Delay is the wait before the attempt, rounded for reading.
	Delay time.Duration
}

// GaveUpError is the last failure of a call that ran out of retries.
type GaveUpError struct {
	Attempts int
	Elapsed  time.Duration
	Err      error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts in %s)", e.Err, e.Attempts, e.Elapsed.Round(time.Millisecond))
}

func (e *GaveUpError) Unwrap() error { return e.Err }

// attempt sends one HTTP request and reads the whole answer.
func (c *Client) attempt(ctx context.Context, r request, body []byte, timeout time.Duration) (int, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, c.base+r.path, rd)
	if err != nil {
		return 0, &TransportError{Method: r.method, Path: r.path, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "connectsync")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	if c.username != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	if c.onRequest != nil {
		c.onRequest(r.method, r.path)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, c.transportError(ctx, r, timeout, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return resp.StatusCode, c.redirectError(r, resp)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		return resp.StatusCode, c.answerError(r, resp.StatusCode, raw)
	}
	if r.stream != nil {
		return resp.StatusCode, c.decodeStream(ctx, r, resp, timeout)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return resp.StatusCode, c.transportError(ctx, r, timeout, err)
	}
	if int64(len(raw)) > c.maxBody {
		return resp.StatusCode, &TooLargeError{Method: r.method, Path: r.path, URL: c.base, Limit: c.maxBody}
	}
	if r.out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, r.out); err != nil {
			// json's errors name types and offsets, not values.
			return resp.StatusCode, fmt.Errorf("%s %s: %d answer is not the expected JSON: %w", r.method, r.path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, nil
}

// decodeStream decodes a 2xx body with r.stream as it is read, under the
// same cap, and with the same verdicts, as a body read whole: over the cap
// is a TooLargeError, a failed read a TransportError, and anything but one
// JSON value (and white space) is not the expected JSON.
func (c *Client) decodeStream(ctx context.Context, r request, resp *http.Response, timeout time.Duration) error {
	body := &cappedReader{r: io.LimitReader(resp.Body, c.maxBody+1)}
	var err error
	if body.hasValue() {
		err = r.stream(body)
	}
	if err != nil && body.err == nil {
		// The verdict on a body read whole was "too large" before "not
		// JSON": read on to the cap (at most) to give the same one.
		_, _ = io.Copy(io.Discard, body)
	}
	switch {
	case body.n > c.maxBody:
		return &TooLargeError{Method: r.method, Path: r.path, URL: c.base, Limit: c.maxBody}
	case body.err != nil:
		return c.transportError(ctx, r, timeout, body.err)
	case err != nil:
		// json's errors name types and offsets, not values.
		return fmt.Errorf("%s %s: %d answer is not the expected JSON: %w", r.method, r.path, resp.StatusCode, err)
	}
	return nil
}

// cappedReader counts what it reads and keeps the first read error that is
// not the end of the body.
type cappedReader struct {
	r    io.Reader
	n    int64
	err  error
	peek []byte // read by hasValue, not yet handed on
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if len(c.peek) > 0 {
		n := copy(p, c.peek)
		c.peek = c.peek[n:]
		return n, nil
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// hasValue reads past leading white space and reports whether the body
// holds anything else: an empty body decodes to nothing, as io.ReadAll and
// a length check did.
func (c *cappedReader) hasValue() bool {
	var b [1]byte
	for {
		n, err := c.r.Read(b[:])
		c.n += int64(n)
		if n == 1 {
			switch b[0] {
			case ' ', '\t', '\r', '\n':
				continue
			}
			c.peek = []byte{b[0]}
			return true
		}
		if err != nil {
			if err != io.EOF && c.err == nil {
				c.err = err
			}
			return false
		}
	}
}

func (c *Client) transportError(ctx context.Context, r request, timeout time.Duration, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the method and URL
	}
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return &TransportError{Method: r.method, Path: r.path, Err: err}
}

// answerError turns a worker's non-2xx answer into an *Error, classifying
// the raw message before scrubbing it.
func (c *Client) answerError(r request, status int, raw []byte) *Error {
	var body struct {
		ErrorCode int     `json:"error_code"`
		Message   *string `json:"message"`
	}
	var msg, classified string
	if err := json.Unmarshal(raw, &body); err == nil && body.Message != nil {
		classified = *body.Message
		msg = c.clean(classified)
	} else {
		// Not a worker's JSON error: a proxy, or Jetty itself. Keep a line.
		// Secrets are masked in the raw body first, escaped forms included,
		// and only then is it squeezed and cut: reshaping first would hide
		// a secret from the scrubber (two spaces squeezed to one, a secret
		// cut in two).
		// Squeezing can also spell a secret out of what was not one ("a  b"
		// becoming "a b"): scrub again after it.
		classified = strings.Join(strings.Fields(string(raw)), " ")
		msg = cutLine(c.scrub(strings.Join(strings.Fields(c.clean(string(raw))), " ")), maxNonJSONMessage)
	}
	cl := classifyStatus(status, classified)
	return &Error{
		Method:     r.method,
		Path:       r.path,
		StatusCode: status,
		ErrorCode:  body.ErrorCode,
		Message:    msg,
		class:      &cl,
	}
}

// maxNonJSONMessage is how much of a non-JSON error body an Error keeps.
const maxNonJSONMessage = 200

// clean makes text from a worker fit to print: secrets masked (by the
// caller's Scrub), then control characters shown escaped, then secrets
// masked again, since an escape next to text can spell one ("\u007f" and
// "z..." reading "fz...").
func (c *Client) clean(s string) string { return c.scrub(neutralise(c.scrub(s))) }

// cutLine cuts s to at most n bytes, on a rune boundary, adding "...".
// It never cuts through a mask ("***"): a cut there would leave no secret,
// but the reader could not tell what was cut.
func cutLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	for cut > 0 && s[cut-1] == '*' && s[cut] == '*' {
		cut--
	}
	return s[:cut] + "..."
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func roundDelay(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
