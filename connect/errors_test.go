package connect

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type verdict struct {
	Retry  bool
	Reason string
}

// The messages are the worker's own texts; see the constants in errors.go
// for the apache/kafka file each comes from.
func TestRetryableWorkerAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		msg    string
		want   verdict
	}{
		{"409 already exists", 409, "Connector orders already exists", verdict{false, "409 connector already exists"}},
		{"409 already exists, name with spaces", 409, "Connector my orders already exists", verdict{false, "409 connector already exists"}},
		{"409 conflicting operation", 409, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)", verdict{true, "409 rebalance in progress"}},
		{"409 stale configuration", 409, "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)", verdict{true, "409 stale configuration (concurrent config change)"}},
		{"409 no known leader", 409, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.", verdict{true, "409 no known leader (rebalance in progress)"}},
		{"409 rebalance expected via forward", 409, "Request cannot be completed because a rebalance is expected", verdict{true, "409 rebalance in progress"}},
		{"409 unknown text", 409, "something else", verdict{true, "409 conflict"}},
		{"500 request timed out", 500, "Request timed out", verdict{true, "500 worker request timed out"}},
		{"500 staged request timed out", 500, "Request timed out. The worker is currently reading to the end of the config topic, which began at 2024-05-01T10:00:00Z", verdict{true, "500 worker request timed out"}},
		{"500 rebalance expected on a read", 500, "Request cannot be completed because a rebalance is expected", verdict{true, "500 rebalance expected"}},
		{"500 forward IO error", 500, "IO Error trying to forward REST request: java.net.ConnectException: Connection refused", verdict{true, "500 forwarding to the leader failed"}},
		{"500 plugin missing", 500, "Failed to find any class that implements Connector and which name matches com.example.Missing, available connectors are: PluginDesc{...}", verdict{false, "500 connector plugin missing on the worker"}},
		{"400 plugin missing (Kafka 4.3)", 400, "Failed to find any class that implements Connector and which name matches com.example.Missing, available connectors are: PluginDesc{...}", verdict{false, "400 connector plugin missing on the worker"}},
		{"400 plugin missing, relayed by a follower (Kafka 4.3)", 400, "org.apache.kafka.connect.errors.ConnectException: Failed to find any class that implements Connector and which name matches com.example.Missing, available connectors are: PluginDesc{...}", verdict{false, "400 connector plugin missing on the worker"}},
		{"500 other", 500, "java.lang.NullPointerException", verdict{false, "500 worker error"}},
		{"500 forward error, not IO", 500, "Error trying to forward REST request: boom", verdict{false, "500 worker error"}},
		{"500 request interrupted", 500, "Request interrupted", verdict{false, "500 worker error"}},
		{"503", 503, "", verdict{true, "503 Service Unavailable"}},
		{"502", 502, "<html>bad gateway</html>", verdict{true, "502 Bad Gateway"}},
		{"504", 504, "", verdict{true, "504 Gateway Timeout"}},
		{"400 invalid config", 400, "Connector configuration is invalid and contains the following 1 error(s):\nMissing required configuration \"topics\"", verdict{false, "400 Bad Request"}},
		{"401", 401, "", verdict{false, "401 Unauthorized"}},
		{"403", 403, "", verdict{false, "403 Forbidden"}},
		{"404 unknown connector", 404, "Connector orders not found", verdict{false, "404 Not Found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &Error{Method: "PUT", Path: "/connectors/orders/config", StatusCode: tt.status, Message: tt.msg})
			var got verdict
			got.Retry, got.Reason = Retryable(err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Retryable(%d %q) (-want +got):\n%s", tt.status, tt.msg, diff)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestRetryableTransport(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want verdict
	}{
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, verdict{true, "connection refused"}},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, verdict{true, "connection reset"}},
		{"broken pipe", &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, verdict{true, "broken pipe"}},
		{"EOF", io.EOF, verdict{true, "connection closed by the worker"}},
		{"unexpected EOF", io.ErrUnexpectedEOF, verdict{true, "connection closed by the worker"}},
		{"attempt deadline", context.DeadlineExceeded, verdict{true, "timed out"}},
		{"net timeout", &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}, verdict{true, "timed out"}},
		{"canceled", context.Canceled, verdict{false, "canceled"}},
		{"dns temporary", &net.DNSError{Err: "server misbehaving", Name: "connect-1", IsTemporary: true}, verdict{true, "DNS lookup failed temporarily"}},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "connect-9", IsNotFound: true}, verdict{false, "unknown host"}},
		{"unknown CA", x509.UnknownAuthorityError{}, verdict{false, "TLS certificate rejected"}},
		{"wrong host", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "connect-1"}, verdict{false, "TLS certificate rejected"}},
		{"other", errors.New("something odd"), verdict{false, "transport error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &TransportError{Method: "GET", Path: "/", Err: tt.err}
			var got verdict
			got.Retry, got.Reason = Retryable(err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Retryable(%v) (-want +got):\n%s", tt.err, diff)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	exists := &Error{Method: "POST", Path: "/connectors", StatusCode: 409, ErrorCode: 409, Message: "Connector orders already exists"}
	rebalance := &Error{Method: "POST", Path: "/connectors", StatusCode: 409, Message: "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"}
	missing := &Error{Method: "GET", Path: "/connectors/orders/status", StatusCode: 404, Message: "No status found for connector orders"}
	plugin := &Error{Method: "PUT", Path: "/connectors/orders/config", StatusCode: 400, Message: "Failed to find any class that implements Connector and which name matches com.example.Missing"}
	transport := &TransportError{Method: "GET", Path: "/", Err: io.EOF}

	type facts struct {
		Text          string
		Status        int
		NotFound      bool
		AlreadyExists bool
		PluginMissing bool
	}
	tests := []struct {
		err  error
		want facts
	}{
		{exists, facts{"POST /connectors: 409 Conflict: Connector orders already exists", 409, false, true, false}},
		{fmt.Errorf("apply: %w", rebalance), facts{"apply: POST /connectors: 409 Conflict: Cannot complete request because of a conflicting operation (e.g. worker rebalance)", 409, false, false, false}},
		{missing, facts{"GET /connectors/orders/status: 404 Not Found: No status found for connector orders", 404, true, false, false}},
		{plugin, facts{"PUT /connectors/orders/config: 400 Bad Request: Failed to find any class that implements Connector and which name matches com.example.Missing", 400, false, false, true}},
		{&Error{Method: "GET", Path: "/", StatusCode: 503}, facts{"GET /: 503 Service Unavailable", 503, false, false, false}},
		{transport, facts{"GET /: EOF", 0, false, false, false}},
	}
	for _, tt := range tests {
		got := facts{tt.err.Error(), StatusCode(tt.err), IsNotFound(tt.err), errors.Is(tt.err, ErrAlreadyExists), IsPluginMissing(tt.err)}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.err, diff)
		}
	}
}
