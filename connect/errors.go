package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// Error is a non-2xx answer from a worker. Message is the worker's own
// message (the "message" field of its {"error_code", "message"} body), passed
// through Options.Scrub before it was stored. Request bodies are never part of
// an Error: they hold secrets.
type Error struct {
	Method string // "PUT"
	Path   string // "/connectors/orders/config", escaped as sent, query included
	// StatusCode is the HTTP status; ErrorCode is the body's error_code, which
	// is usually the same number.
	StatusCode int
	ErrorCode  int
	Message    string

	// AfterUncertainAttempt is set on the 409 "already exists" that Create
	// returns when an earlier attempt of the same call may have reached the
	// worker (it timed out, the connection dropped, or the worker answered
	// with its own request timeout). The connector found is then probably the
	// one this call created: read it back before treating the 409 as a clash.
	AfterUncertainAttempt bool

	// class is the classification of the raw (unscrubbed) message, computed
	// when the worker's answer was read, so that a scrubber can't change it.
	class *classification
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.AfterUncertainAttempt {
		b.WriteString(" (an earlier attempt of this create may have succeeded)")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrAlreadyExists) true for the worker's 409
// "Connector <name> already exists".
func (e *Error) Is(target error) bool {
	return target == ErrAlreadyExists && e.classify().alreadyExists
}

func (e *Error) classify() classification {
	if e.class != nil {
		return *e.class
	}
	return classifyStatus(e.StatusCode, e.Message)
}

// ErrAlreadyExists matches (with errors.Is) the worker's 409 answer to
// POST /connectors for a name that is taken. See Error.AfterUncertainAttempt.
var ErrAlreadyExists = errors.New("connector already exists")

// TransportError is a request that got no HTTP answer: the connection was
// refused or dropped, TLS failed, or the attempt ran out of time.
type TransportError struct {
	Method, Path string
	Err          error
}

// Error neutralises control characters: Go's HTTP client quotes part of a
// malformed answer in its errors.
func (e *TransportError) Error() string {
	return e.Method + " " + e.Path + ": " + neutralise(e.Err.Error())
}
func (e *TransportError) Unwrap() error { return e.Err }

// RedirectError is a 3xx answer. connectsync never follows a redirect: the
// request carries the resolved secrets (its body, basic auth, rest.headers),
// and a redirect could hand them to another host, or downgrade https to
// http. A Kafka Connect worker does not redirect, so the URL points at
// something else (a proxy, a login page, a moved service). It is never
// retried.
type RedirectError struct {
	Method, Path string
	URL          string // the worker's base URL
	StatusCode   int
	// Location is the scheme and host the answer redirects to, without
	// user, path or query; "" when it had none or could not be parsed.
	Location string
}

func (e *RedirectError) Error() string {
	to := ""
	if e.Location != "" {
		to = " to " + e.Location
	}
	return fmt.Sprintf("%s %s: the worker at %s answered %d %s%s; connectsync does not follow redirects, since the request carries secrets: set the worker's url to the address that answers",
		e.Method, e.Path, e.URL, e.StatusCode, http.StatusText(e.StatusCode), to)
}

// TooLargeError is an answer whose body is over Options.MaxResponseBytes.
type TooLargeError struct {
	Method, Path string
	URL          string
	Limit        int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s %s: the answer of the worker at %s is larger than %d MiB; connectsync stopped reading it (a real worker's answer is far smaller: check what answers at that URL)",
		e.Method, e.Path, e.URL, e.Limit>>20)
}

// StatusCode returns the HTTP status of the worker's answer inside err, or 0
// if err holds none.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a worker's 404 (unknown connector, task
// or plugin).
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsPluginMissing reports whether err is a worker saying that no installed
// plugin matches the connector.class ("Failed to find any class that
// implements Connector ..."), with 500 or, on Kafka 4.3, 400.
func IsPluginMissing(err error) bool {
	e, ok := asError(err)
	return ok && e.classify().pluginMissing
}

// Worker messages this package recognises. Each is quoted from the
// apache/kafka source, connect/runtime/src/main/java/org/apache/kafka/connect/
// runtime/..., as named; the worker sends them as the "message" of its error
// body. Every text below is also in the connect-runtime 4.3.1 jar that the
// local cluster runs (the same classes), and the "already exists" and
// missing-plugin answers are exercised against it in integration_test.go.
const (
	// distributed/DistributedHerder.java and standalone/StandaloneHerder.java:
	//   new AlreadyExistsException("Connector " + connName + " already exists")
	// which rest/errors/ConnectExceptionMapper.java maps to 409.
	msgAlreadyExistsPrefix = "Connector "
	msgAlreadyExistsSuffix = " already exists"

	// rest/HerderRequestHandler.java completeRequest, 500:
	//   "Request timed out"  (bare), or
	//   "Request timed out. The worker is currently <stage>, which began at <t>"
	// and rest/resources/ConnectorPluginsResource.java validateConfigs, 500:
	//   "Request timed out. The last operation the worker completed was ..."
	msgRequestTimedOut = "Request timed out"

	// distributed/DistributedHerder.java checkRebalanceNeeded:
	//   new RebalanceNeededException("Request cannot be completed because a rebalance is expected")
	// Reads that use completeRequest (GET /connectors/{n}/config, ...) let it
	// reach ConnectExceptionMapper, which answers 500; writes go through
	// completeOrForwardRequest, which turns it into the 409 below.
	msgRebalanceExpected = "rebalance is expected"

	// rest/RestClient.java httpRequest, 500, when a follower can't reach the
	// leader it forwards to:
	//   "IO Error trying to forward REST request: " + e.getMessage()
	msgForwardIOError = "IO Error trying to forward REST request"

	// rest/HerderRequestHandler.java completeOrForwardRequest, all 409:
	//   "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."
	//   "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
	//   "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
	msgNoKnownLeader = "no known leader"
	msgRebalance     = "rebalance"
	msgStaleConfig   = "stale configuration"

	// isolation/Plugins.java connectorClass, a ConnectException that
	// ConnectExceptionMapper answers with 500 (the plugin is not installed):
	//   "Failed to find any class that implements Connector and which name matches <class>, available connectors are: ..."
	// Kafka 4.3.1 (the local cluster) answers the same message with 400 to
	// PUT /connectors/{n}/config; both are recognised.
	msgPluginMissing = "Failed to find any class that implements"
)

type classification struct {
	retry         bool
	reason        string
	alreadyExists bool
	pluginMissing bool
	// uncertain: the worker may have applied the request before this answer.
	uncertain bool
}

// javaExceptionPrefix is the "<exception class>: " a worker puts before the
// leader's message when it forwarded the request to the leader and relays its
// error (seen on 4.3.1: "org.apache.kafka.connect.errors.ConnectException:
// Failed to find any class that implements Connector ..." from a follower,
// the bare message from the leader). It is compiled on the first error
// answer, not at start-up, which every command would pay for.
var javaExceptionPrefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error): `)
})

// classifyStatus classifies a worker's HTTP answer by status and raw message.
func classifyStatus(status int, msg string) classification {
	for prefix := javaExceptionPrefix(); prefix.MatchString(msg); {
		msg = prefix.ReplaceAllString(msg, "")
	}
	code := fmt.Sprintf("%d", status)
	if (status == http.StatusBadRequest || status == http.StatusInternalServerError) && strings.HasPrefix(msg, msgPluginMissing) {
		return classification{reason: code + " connector plugin missing on the worker", pluginMissing: true}
	}
	switch status {
	case http.StatusConflict:
		switch {
		case strings.HasPrefix(msg, msgAlreadyExistsPrefix) && strings.HasSuffix(msg, msgAlreadyExistsSuffix):
			return classification{reason: "409 connector already exists", alreadyExists: true}
		case strings.Contains(msg, msgNoKnownLeader):
			return classification{retry: true, reason: "409 no known leader (rebalance in progress)"}
		case strings.Contains(msg, msgStaleConfig):
			return classification{retry: true, reason: "409 stale configuration (concurrent config change)"}
		case strings.Contains(msg, msgRebalance):
			return classification{retry: true, reason: "409 rebalance in progress"}
		default:
			return classification{retry: true, reason: "409 conflict"}
		}
	case http.StatusInternalServerError:
		switch {
		case strings.HasPrefix(msg, msgRequestTimedOut):
			return classification{retry: true, uncertain: true, reason: "500 worker request timed out"}
		case strings.Contains(msg, msgRebalanceExpected):
			return classification{retry: true, reason: "500 rebalance expected"}
		case strings.HasPrefix(msg, msgForwardIOError):
			return classification{retry: true, uncertain: true, reason: "500 forwarding to the leader failed"}
		default:
			return classification{reason: "500 worker error"}
		}
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		// From a proxy in front of the workers, or /health while starting.
		// A 504 from a proxy says nothing about whether the worker applied it.
		return classification{retry: true, uncertain: status == http.StatusGatewayTimeout,
			reason: code + " " + http.StatusText(status)}
	default:
		// 400 invalid config, 401/403 auth, 404 unknown connector/plugin, ...
		return classification{reason: code + " " + http.StatusText(status)}
	}
}

// classifyTransport classifies an error that got no HTTP answer.
func classifyTransport(err error) classification {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.Canceled):
		return classification{reason: "canceled"}
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return classification{reason: "TLS certificate rejected"}
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout || dnsErr.IsTemporary {
			return classification{retry: true, reason: "DNS lookup failed temporarily"}
		}
		return classification{reason: "unknown host"}
	case errors.Is(err, syscall.ECONNREFUSED):
		// Never reached the worker: safe to retry even a POST.
		return classification{retry: true, reason: "connection refused"}
	case errors.Is(err, syscall.ECONNRESET):
		return classification{retry: true, uncertain: true, reason: "connection reset"}
	case errors.Is(err, syscall.EPIPE):
		return classification{retry: true, uncertain: true, reason: "broken pipe"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return classification{retry: true, uncertain: true, reason: "connection closed by the worker"}
	case errors.Is(err, context.DeadlineExceeded):
		return classification{retry: true, uncertain: true, reason: "timed out"}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return classification{retry: true, uncertain: true, reason: "timed out"}
	}
	return classification{reason: "transport error"}
}

func classify(err error) classification {
	var e *Error
	if errors.As(err, &e) {
		return e.classify()
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return classification{reason: fmt.Sprintf("%d redirect (never followed)", re.StatusCode)}
	}
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return classification{reason: "answer too large"}
	}
	if err == nil {
		return classification{}
	}
	return classifyTransport(err)
}

// Retryable reports whether a request that failed with err is worth another
// attempt, and why, in words fit for a log line ("409 rebalance in
// progress", "connection refused").
//
// Retried: 409 except "already exists" (rebalance, stale configuration, no
// known leader), 502/503/504, 500 for the worker's own request timeout, for
// "rebalance is expected" and for a failed forward to the leader, and
// connections refused, reset or closed, timeouts, and temporary DNS failures.
//
// Never retried: redirects (3xx), answers over MaxResponseBytes, 400, 401, 403, 404, 409 "already exists", 500 for a missing
// plugin and every other 500, TLS certificate errors, unknown hosts, and a
// canceled context.
func Retryable(err error) (bool, string) {
	c := classify(err)
	return c.retry, c.reason
}

func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
