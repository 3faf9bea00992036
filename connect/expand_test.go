package connect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// unmarshalExpand is the reference decodeExpand is held to: the whole body
// decoded by encoding/json into the wire map.
func unmarshalExpand(body []byte) (map[string]wireConnector, error) {
	out := map[string]wireConnector{}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	var wire map[string]wireConnector
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, err
	}
	for name, w := range wire {
		out[name] = w
	}
	return out, nil
}

// streamExpand decodes body with decodeExpand, handing it to the decoder
// in reads of at most chunk bytes (0: all at once), as decodeStream does
// for a body that is not empty.
func streamExpand(body []byte, chunk int) (map[string]wireConnector, error) {
	out := map[string]wireConnector{}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	var r io.Reader = bytes.NewReader(body)
	if chunk > 0 {
		r = &chunkReader{b: body, n: chunk}
	}
	err := decodeExpand(r, func(name string, w *wireConnector) { out[name] = *w })
	if err != nil {
		return nil, err
	}
	return out, nil
}

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// expandsDiffer says how decodeExpand's result for body differs from
// json.Unmarshal's, read whole and in small pieces, or "" when it does not.
func expandsDiffer(body []byte) string {
	want, wantErr := unmarshalExpand(body)
	for _, chunk := range []int{0, 1, 7} {
		got, gotErr := streamExpand(body, chunk)
		if (gotErr != nil) != (wantErr != nil) {
			return fmt.Sprintf("in reads of %d: error %v; json.Unmarshal: %v", chunk, gotErr, wantErr)
		}
		if d := cmp.Diff(want, got, cmp.AllowUnexported(wireTaskState{})); d != "" {
			return fmt.Sprintf("in reads of %d (-json.Unmarshal +decodeExpand):\n%s", chunk, d)
		}
	}
	return ""
}

var expandCases = []string{
	`{"orders":{"info":{"name":"orders","config":{"connector.class":"x","tasks.max":"3"},"tasks":[{"connector":"orders","task":0},{"connector":"orders","task":1}],"type":"sink"},"status":{"name":"orders","connector":{"state":"RUNNING","worker_id":"w:8083"},"tasks":[{"id":0,"state":"FAILED","worker_id":"w:8083","trace":"boom\nat x"},{"id":1,"state":"RUNNING","worker_id":"w:8084"}],"type":"sink"}}}`,
	"", " \n\t\r ", "null", " null ", "{}", "[]", `"x"`, "1", "true", "[", "{", `{"a"`, `{"a":`, `{"a":}`, `{"a":{},}`, `{,}`,
	`{"a":null}`, `{"a":{"info":null,"status":null}}`, `{"a":{"info":{},"status":{}}}`,
	`{"a":1}`, `{"a":"s"}`, `{"a":[]}`, `{"a":{"info":[]}}`, `{"a":{"info":"x"}}`, `{"a":{"status":1}}`,
	`{"a":{"info":{"config":{"k":1}}}}`, `{"a":{"info":{"config":{"k":null}}}}`, `{"a":{"info":{"config":null}}}`,
	`{"a":{"info":{"config":[]}}}`, `{"a":{"info":{"config":{"k":"v","k":"w"}}}}`,
	`{"a":{"info":{"tasks":null}}}`, `{"a":{"info":{"tasks":[]}}}`, `{"a":{"info":{"tasks":[null,{"task":2}]}}}`,
	`{"a":{"info":{"tasks":[{"task":1.0}]}}}`, `{"a":{"info":{"tasks":[{"task":1e2}]}}}`, `{"a":{"info":{"tasks":[{"task":-0}]}}}`,
	`{"a":{"info":{"tasks":[{"task":"1"}]}}}`, `{"a":{"info":{"tasks":[{"task":99999999999999999999}]}}}`,
	`{"a":{"info":{"tasks":[{"task":-9223372036854775808}]}}}`, `{"a":{"info":{"tasks":[1]}}}`,
	`{"a":{"info":{"tasks":[{"task":01}]}}}`, `{"a":{"info":{"tasks":[{"task":-}]}}}`, `{"a":{"info":{"tasks":[{"task":1.}]}}}`,
	`{"a":{"status":{"connector":null}}}`, `{"a":{"status":{"connector":"x"}}}`, `{"a":{"status":{"tasks":[{"id":null,"state":null}]}}}`,
	`{"a":{},"a":{"info":{"type":"sink"}}}`, `{"a":{"info":{"type":"sink"}},"a":{}}`,
	`{"a":{"info":{"type":"sink","config":{"x":"1"}},"info":{"config":{"y":"2"}}}}`,
	`{"a":{"info":{"tasks":[{"connector":"c","task":1},{"task":2}]},"info":{"tasks":[{"task":3}]}}}`,
	`{"a":{"info":{"tasks":[{"connector":"c","task":1},{"task":2}]},"info":{"tasks":[]},"info":{"tasks":[{"task":5},{"task":6}]}}}`,
	`{"a":{"info":{"type":"sink"},"info":null}}`, `{"a":{"status":{"connector":{"state":"RUNNING"},"connector":{"worker_id":"w"}}}}`,
	`{"a":{"INFO":{"Type":"sink","CONFIG":{"K":"v"}},"Status":{"Connector":{"STATE":"RUNNING","Worker_ID":"w"}}}}`,
	`{"a":{"info":{"ty\u0070e":"sink"}}}`, "{\"a\":{\"info\":{\"\u212aey\":1}}}", "{\"a\":{\"status\":{\"tasks\":[{\"\u017ftate\":\"X\"}]}}}",
	`{"a\"b\\c\/d\b\f\n\r\t":{}}`, `{"\u00e9\ud83d\ude00":{}}`, `{"\ud800":{}}`, `{"\udc00x":{}}`, `{"\ud800\u0041":{}}`, `{"\ud800\ud800":{}}`,
	`{"\u12":{}}`, `{"\u12G4":{}}`, `{"\x":{}}`, "{\"a\x01\":{}}", "{\"\xff\xfe\":{}}", "{\"\xe2\x82\":{}}", "{\"\xed\xa0\x80\":{}}",
	"{\"caf\xc3\xa9\":{}}", "{\"\xef\xbf\xbd\":{}}",
	`{"a":{"x":[1,-2.5e+3,true,false,null,"s",{"y":[]}]}}`, `{"a":{"x":tru}}`, `{"a":{"x":nul}}`, `{"a":{"x":nulll}}`,
	`{"a":{}} x`, `{"a":{}} {}`, `{"a":{}}` + "\n", `{"a":{}}null`,
	`{"a" : { "info" : { "config" : { "k" : "v" } } } }`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"a":{"x":` + strings.Repeat("[", 9997) + strings.Repeat("]", 9997) + `}}`,
	`{"a":{"x":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}}`,
	`{"a":{"info":{"config":{"k":"` + strings.Repeat("long value ", 5000) + `"}}}}`,
}

// TestExpandMatchesUnmarshal holds decodeExpand to json.Unmarshal on the
// edge cases of JSON and of encoding/json's rules.
func TestExpandMatchesUnmarshal(t *testing.T) {
	for _, body := range expandCases {
		if d := expandsDiffer([]byte(body)); d != "" {
			t.Errorf("body %.60q: %s", body, d)
		}
	}
}

// FuzzExpandMatchesUnmarshal holds decodeExpand to json.Unmarshal on any
// input: the same connectors, or an error from both.
func FuzzExpandMatchesUnmarshal(f *testing.F) {
	for _, body := range expandCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if d := expandsDiffer(body); d != "" {
			t.Fatalf("body %q: %s", body, d)
		}
	})
}

// TestExpandReadError: a failed read of the body is the read's own error,
// not a JSON error, inside the value and after it (the body must end).
func TestExpandReadError(t *testing.T) {
	for _, first := range []string{`{"a":{`, `{"a":{}}`, `{"a":{}} `} {
		err := decodeExpand(io.MultiReader(strings.NewReader(first), iotest.ErrReader(io.ErrClosedPipe)), func(string, *wireConnector) {})
		if err != io.ErrClosedPipe {
			t.Errorf("%q, then a failed read: %v, want %v", first, err, io.ErrClosedPipe)
		}
	}
}

// expandAnswer is an expand answer of n connectors shaped as a worker
// writes it (FileStreamSinks, one task each).
func expandAnswer(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("perf-%04d", i)
		fmt.Fprintf(&b, `"%[1]s":{"status":{"name":"%[1]s","connector":{"state":"STOPPED","worker_id":"127.0.0.1:38083"},"tasks":[],"type":"sink"},"info":{"name":"%[1]s","config":{"connector.class":"org.apache.kafka.connect.file.FileStreamSinkConnector","file":"/dev/null","tasks.max":"1","topics":"%[1]s","name":"%[1]s"},"tasks":[{"connector":"%[1]s","task":0}],"type":"sink"}}`, name)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// BenchmarkDecodeExpand500 decodes the expand answer of 500 connectors, as
// plan does (go test -bench DecodeExpand ./connect).
func BenchmarkDecodeExpand500(b *testing.B) {
	body := expandAnswer(500)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		n := 0
		if err := decodeExpand(bytes.NewReader(body), func(string, *wireConnector) { n++ }); err != nil || n != 500 {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkUnmarshalExpand500 is the same with encoding/json's streaming
// Decoder, token by token, as the client decoded it before.
func BenchmarkUnmarshalExpand500(b *testing.B) {
	body := expandAnswer(500)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(body))
		if _, err := dec.Token(); err != nil {
			b.Fatal(err)
		}
		for dec.More() {
			if _, err := dec.Token(); err != nil {
				b.Fatal(err)
			}
			var w wireConnector
			if err := dec.Decode(&w); err != nil {
				b.Fatal(err)
			}
		}
	}
}
