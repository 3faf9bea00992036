package manifest_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// encodedSinkJSON is SinkJSON as encoding/json writes it, which SinkJSON
// must match byte for byte: rendered files must not change.
func encodedSinkJSON(name string, values map[string]string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}{name, values})
	return buf.Bytes()
}

func TestSinkJSONMatchesEncodingJSON(t *testing.T) {
	for name, tc := range map[string]struct {
		name   string
		values map[string]string
	}{
		"nil config":   {"a", nil},
		"empty config": {"a", map[string]string{}},
		"plain": {"ds-00001", map[string]string{
			"connector.class": "com.datastax.oss.kafka.sink.CassandraSinkConnector", "tasks.max": "3",
			"topic.orders.shop.orders.mapping": "order_id=key, customer=value.customer",
		}},
		"escapes": {"we\"ird\\name", map[string]string{
			"html":         "<a href='x'>&amp;</a>",
			"controls":     "tab\tnl\nret\rbs\bff\fnul\x00esc\x1bdel\x7f",
			"unicode":      "café ☕ 𝄞 \u2028\u2029",
			"invalid":      "bad\xffbytes\xc3",
			"quote\"key\\": "slash/ and \\ back",
		}},
	} {
		t.Run(name, func(t *testing.T) {
			got := manifest.SinkJSON(tc.name, &manifest.Config{Values: tc.values})
			if diff := cmp.Diff(string(encodedSinkJSON(tc.name, tc.values)), string(got)); diff != "" {
				t.Errorf("SinkJSON (-encoding/json +SinkJSON):\n%s", diff)
			}
		})
	}
}

func FuzzSinkJSON(f *testing.F) {
	f.Add("name", "key", "value")
	f.Add("n\u2028", "k\x00", "v\xff<>&\"\\")
	f.Fuzz(func(t *testing.T, name, key, value string) {
		values := map[string]string{key: value, "other": key + value}
		want := encodedSinkJSON(name, values)
		if got := manifest.SinkJSON(name, &manifest.Config{Values: values}); !bytes.Equal(got, want) {
			t.Errorf("SinkJSON(%q, %q: %q) = %q, want %q", name, key, value, got, want)
		}
	})
}
