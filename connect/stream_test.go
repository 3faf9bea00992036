package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConnectorsStreamMatchesWholeDecode holds the streaming decode of the
// expand answer to what decoding the body whole gave: the same connectors
// for every body that decodes, and an error for every body that does not,
// including the edge cases a stream could get wrong (white space only, null,
// a second value, trailing garbage, a body cut short).
func TestConnectorsStreamMatchesWholeDecode(t *testing.T) {
	full := `{"orders":{"info":{"name":"orders","config":{"a":"b"},"tasks":[{"connector":"orders","task":0},{"connector":"orders","task":1}],"type":"sink"},"status":{"name":"orders","connector":{"state":"RUNNING","worker_id":"w:8083"},"tasks":[{"id":0,"state":"FAILED","worker_id":"w:8083","trace":"boom\nat x"}],"type":"sink"}},` +
		`"creating":{"info":null,"status":{"connector":{"state":"UNASSIGNED"},"type":"source"}},"bare":{}}`
	bodies := []string{
		full, "  \n" + full + "\n  ", "", "  \r\n\t", "null", "{}", "[]", `"x"`, "[", "{", full + "x", full + " {}",
		full[:len(full)/2], `{"a":1}`, `{"a":{"info":{"config":{"k":1}}}}`, `{"a":{},"a":{"info":{"type":"sink"}}}`,
	}
	for _, body := range bodies {
		c, err := New("http://worker.invalid:8083", Options{
			HTTPClient: &http.Client{Transport: bodyTransport{status: 200, body: []byte(body)}},
			Retry:      RetryPolicy{MaxRetries: -1},
		})
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := wholeDecode(c, body)
		got, gotErr := c.Connectors(context.Background())
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("body %.40q: error %v; decoded whole: %v", body, gotErr, wantErr)
			continue
		}
		if gotErr == nil {
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("body %.40q (-whole +stream):\n%s", body, d)
			}
		}
	}
}

// wholeDecode is the expand answer decoded as before streaming: the whole
// body at once into the wire map, then turned into Connectors.
func wholeDecode(c *Client, body string) (map[string]Connector, error) {
	out := map[string]Connector{}
	if len(bytes.TrimSpace([]byte(body))) == 0 {
		return out, nil
	}
	var wire map[string]wireConnector
	if err := json.Unmarshal([]byte(body), &wire); err != nil {
		return nil, err
	}
	for name, w := range wire {
		out[name] = c.connector(name, &w)
	}
	return out, nil
}
