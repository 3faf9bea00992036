package preflight

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPredict: each rule of the table, and the cases it must leave alone.
func TestPredict(t *testing.T) {
	cases := []struct {
		typ, kind, text, codec string
		want                   fate // "" is no prediction
		msg                    string
	}{
		{"timestamp", kindInteger, "1764000000000", "", fateFails, "Text '1764000000000' could not be parsed at index 0"},
		{"timestamp", kindInteger, "1764000000000", "CQL_TIMESTAMP", fateFails, "Text '1764000000000' could not be parsed at index 0"},
		{"timestamp", kindInteger, "1764000000000", "UNITS_SINCE_EPOCH", fateConverts, ""},
		{"timestamp", kindInteger, "1764000000000", "yyyyMMddHHmmss", "", ""}, // a pattern: not predicted
		{"timestamp", kindString, "2026-11-25T09:30:00Z", "", fateConverts, ""},
		{"timestamp", kindString, "2026-11-25 09:30:00.123+01:00", "", fateConverts, ""},
		{"timestamp", kindString, "2026-11-25", "", fateConverts, ""},
		{"timestamp", kindString, "25/11/2026", "", "", ""}, // not confirmed: no prediction
		{"int", kindInteger, "2147483647", "", "", ""},
		{"int", kindInteger, "2147483648", "", fateFails, "Cannot convert 2147483648 from Long to Integer"},
		{"smallint", kindInteger, "-40000", "", fateFails, "Cannot convert -40000 from Long to Short"},
		{"bigint", kindInteger, "9223372036854775808", "", fateFails, "Cannot convert 9223372036854775808 from Long to Long"},
		{"bigint", kindInteger, "1764000000000", "", "", ""},
		{"boolean", kindInteger, "2", "", fateFails, "Invalid boolean value: 2"},
		{"boolean", kindInteger, "1", "", "", ""},
		{"int", kindObject, `{"a":1}`, "", fateNull, ""},
		{"text", kindObject, `{"a":1}`, "", "", ""},
		{"text", kindMissing, "", "", fateMissing, "Required field 'value.f' (mapped to column c) was missing from record (or may refer to an invalid function). Please remove it from the mapping."},
	}
	for _, c := range cases {
		r := predict(c.typ, c.kind, c.text, c.codec)
		var got fate
		msg := ""
		if r != nil {
			got, msg = r.Fate, r.message("value.f", "c", c.typ, c.text)
		}
		if got != c.want || (c.msg != "" && msg != c.msg) {
			t.Errorf("predict(%s, %s %s, codec %q) = %q %q, want %q %q", c.typ, c.kind, c.text, c.codec, got, msg, c.want, c.msg)
		}
	}
	for _, r := range conversionRules {
		if r.Source == "" || r.Confirmed == "" {
			t.Errorf("rule %+v lacks its source or its confirmation", r)
		}
		if r.Test != "" && valueTests[r.Test] == nil {
			t.Errorf("rule %+v names an unknown test", r)
		}
	}
}

// TestDecode: records as the converters hand them to the sink.
func TestDecode(t *testing.T) {
	str := converter{side: "value", class: stringConverter}
	plain := converter{side: "value", class: jsonConverter}
	enveloped := converter{side: "value", class: jsonConverter, schemas: true}
	cases := []struct {
		name string
		c    converter
		in   []byte
		want decoded
	}{
		{"tombstone", plain, nil, decoded{tombstone: true}},
		{"object", plain, []byte(`{"n":17,"f":1.50,"s":"x","o":{"a":1},"l":[1],"z":null,"b":true}`), decoded{fields: map[string]field{
			"n": {kindInteger, "17"}, "f": {kindFraction, "1.50"}, "s": {kindString, "x"}, "o": {kindObject, `{"a":1}`},
			"l": {kindArray, "[1]"}, "z": {kindNull, "null"}, "b": {kindBoolean, "true"}}}},
		{"string converter, JSON text", str, []byte(`{"n":1}`), decoded{fields: map[string]field{"n": {kindInteger, "1"}}}},
		{"string converter, plain text", str, []byte(`hello`), decoded{}},
		{"json, not JSON", plain, []byte(`hello`), decoded{rejected: serializationError}},
		{"json, a scalar", plain, []byte(`42`), decoded{}},
		{"envelope required", enveloped, []byte(`{"n":1}`), decoded{rejected: envelopeError}},
		{"envelope", enveloped, []byte(`{"schema":{"type":"int32"},"payload":1}`), decoded{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, c.c.decode(c.in), cmp.AllowUnexported(decoded{}, field{})); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	w := map[string]string{"value.converter": jsonConverter, "value.converter.schemas.enable": "false", "key.converter": stringConverter}
	if c := converterOf("value", w, map[string]string{}); c.class != jsonConverter || c.schemas {
		t.Errorf("worker's converter: %+v", c)
	}
	if c := converterOf("value", w, map[string]string{"value.converter": jsonConverter}); !c.schemas {
		t.Errorf("a sink's own converter takes none of the worker's settings: %+v", c)
	}
	if c := converterOf("value", w, map[string]string{"value.converter": jsonConverter, "value.converter.schemas.enable": "false"}); c.schemas || c.key != "value.converter.schemas.enable" {
		t.Errorf("a sink's schemas.enable: %+v", c)
	}
	if c := converterOf("value", w, map[string]string{"value.converter.schemas.enable": "true"}); c.schemas {
		t.Errorf("a sink's schemas.enable without its own class is ignored, as Connect does: %+v", c)
	}
}

// TestRulesDocumented: docs/preflight.md's prediction table names every rule's
// source and confirming test, so that the table and conversionRules cannot drift apart
// silently.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/preflight.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range conversionRules {
		for _, s := range append(strings.Split(r.Confirmed, ", "), strings.Fields(r.Source)[0]) {
			if !strings.Contains(string(doc), s) {
				t.Errorf("docs/preflight.md does not name %q (rule %s %s → %s)", s, r.Types, r.Kind, r.Fate)
			}
		}
	}
}
