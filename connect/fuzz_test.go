package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/connectsync/connectsync/internal/textsafe"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// bodyTransport answers every request in memory with one status and body,
// so that the fuzzer drives the client's whole answer path (status
// handling, error bodies, size cap, JSON decoding, scrubbing, neutralising)
// without a network.
type bodyTransport struct {
	status   int
	location string
	body     []byte
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if b.location != "" {
		h.Set("Location", b.location)
	}
	return &http.Response{StatusCode: b.status, Header: h, Body: io.NopCloser(bytes.NewReader(b.body)), Request: r}, nil
}

const fuzzCanary = `fz"CANARY<\/>`

// FuzzDecodeAnswer feeds arbitrary worker answers to every read and to the
// error path. Whatever comes back must not panic, must not carry the
// registered secret in any form that escapes the raw one, and must hold no
// control character but newline and tab in text a worker sent.
func FuzzDecodeAnswer(f *testing.F) {
	esc, _ := json.Marshal(fuzzCanary)
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"orders":{"info":{"name":"orders","config":{"a":"b"},"tasks":[{"connector":"orders","task":0}],"type":"sink"},"status":{"name":"orders","connector":{"state":"RUNNING","worker_id":"w:8083"},"tasks":[{"id":0,"state":"FAILED","worker_id":"w:8083","trace":"x ` + fuzzCanary + `\u001b]0;t\u0007"}],"type":"sink"}}}`},
		{200, `{"x":{"info":null,"status":{"connector":{"state":"FAILED","trace":` + string(esc) + `}}}}`},
		{200, `{"version":"4.3.1\u001b[2J","commit":"c","kafka_cluster_id":"id"}`},
		{200, `{"name":"c","error_count":1,"configs":[{"definition":{"name":"k","type":"PASSWORD"},"value":{"name":"k","value":"[hidden]","errors":["Invalid value ` + fuzzCanary + `"]}}]}`},
		{400, `{"error_code":400,"message":"bad ` + fuzzCanary + `"}`},
		{500, "<html>" + strings.Repeat(" ", 190) + fuzzCanary + "  x</html>"},
		{307, ""},
		{409, `{"error_code":409,"message":"Cannot complete request because of a conflicting operation (e.g. worker rebalance)"}`},
		{200, `[`},
		{200, `{"a":{"status":{"tasks":[{"id":-1}]}}}`},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 200 + (status%800+800)%800
		}
		tr := bodyTransport{status: status, body: body, location: "http://elsewhere.example/x"}
		c, err := New("http://worker.invalid:8083", Options{
			HTTPClient:       &http.Client{Transport: tr},
			Retry:            RetryPolicy{MaxRetries: -1},
			MaxResponseBytes: 1 << 20,
			Scrub:            func(s string) string { return strings.ReplaceAll(s, fuzzCanary, "***") },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var texts []string
		conns, err := c.Connectors(ctx)
		texts = append(texts, errText(err))
		for _, cn := range conns {
			texts = append(texts, cn.Status.Trace, cn.Status.WorkerID)
			for _, task := range cn.Status.Tasks {
				texts = append(texts, task.Trace, task.WorkerID)
			}
		}
		st, err := c.Status(ctx, "sec-fuzz")
		texts = append(texts, errText(err), st.Trace, st.WorkerID)
		info, err := c.ServerInfo(ctx)
		texts = append(texts, errText(err), info.Version, info.Commit, info.KafkaClusterID)
		v, err := c.Validate(ctx, "org.example.Sink", map[string]string{"k": fuzzCanary})
		texts = append(texts, errText(err))
		if v != nil {
			for _, k := range v.Configs {
				texts = append(texts, k.Errors...)
			}
		}
		_, err = c.PutConfig(ctx, "sec-fuzz", map[string]string{"k": fuzzCanary})
		texts = append(texts, errText(err))
		for _, s := range texts {
			if strings.Contains(s, fuzzCanary) {
				t.Fatalf("the secret survived: %q", s)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
			for _, r := range s {
				if textsafe.Unsafe(r) {
					t.Fatalf("control character %U in %q", r, s)
				}
			}
		}
		if status >= 300 && status <= 399 {
			var re *RedirectError
			if _, err := c.Connectors(ctx); err == nil || !asRedirect(err, &re) {
				t.Fatalf("a %d answer is not a RedirectError: %v", status, err)
			}
		}
	})
}

func asRedirect(err error, re **RedirectError) bool {
	e, ok := err.(*RedirectError)
	*re = e
	return ok
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprint(err)
}
