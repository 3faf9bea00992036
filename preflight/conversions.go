package preflight

import (
	"math/big"
	"regexp"
	"strings"
	"sync"
)

// fate is what the DataStax connector does with one mapped field of one
// record.
type fate string

// Fates, as docs/preflight.md names them.
const (
	fateConverts fate = "converts"
	// Fails: the record fails, is logged as a WARN and retried forever
	// while the task stays RUNNING (ignoreErrors None, the default).
	fateFails fate = "fails"
	// Null: the column silently gets null, or stays unset.
	fateNull fate = "null"
	// Missing: the record lacks the field, so it fails.
	fateMissing fate = "missing"
)

// Kinds of a sampled JSON field.
const (
	kindMissing  = "missing"
	kindNull     = "null"
	kindInteger  = "integer"
	kindFraction = "fraction"
	kindString   = "string"
	kindBoolean  = "boolean"
	kindObject   = "object"
	kindArray    = "array"
)

// conversionRule predicts one case of the connector's conversion of a JSON field
// (a field of a JSON object that reached the sink through StringConverter or
// schemaless JsonConverter) into a column. Rules are tried in order; the
// first whose Types, Kind, Codec and Test all match decides. A field no
// rule matches gets no prediction.
type conversionRule struct {
	// Types are CQL column types; empty matches every type.
	Types []string
	// Kind is the sampled field's JSON kind.
	Kind string
	// Codec is a condition on the topic's codec.timestamp: "" any,
	// "UNITS_SINCE_EPOCH", or "!UNITS_SINCE_EPOCH" (the default
	// CQL_TIMESTAMP included). Other codec settings are not predicted.
	Codec string
	// Test names a condition on the value (valueTests); "" is none.
	Test string
	Fate fate
	// Message is the connector's own message; %v is the value, %f the
	// field, %c the column.
	Message string
	// Fix is the setting or data change that makes the record convert.
	Fix string
	// Source is where the rule comes from, and Confirmed the test that held
	// it against the real connector 1.5.0.
	Source, Confirmed string
}

var (
	integerTypes = []string{"tinyint", "smallint", "int", "bigint"}
	scalarTypes  = []string{"tinyint", "smallint", "int", "bigint", "varint", "decimal", "float", "double", "timestamp", "date", "time", "uuid", "timeuuid"}
)

// conversionRules is the prediction table (docs/preflight.md prints it). Only rules
// confirmed on the real connector 1.5.0 are here.
var conversionRules = []conversionRule{
	{Kind: kindMissing, Fate: fateMissing,
		Message: "Required field '%f' (mapped to column %c) was missing from record (or may refer to an invalid function). Please remove it from the mapping.",
		Fix:     "make every record carry the field, or map it from a field they all have",
		Source:  "MC:RecordMapper.map (allowMissingFields=false)", Confirmed: "TestSampledPredictions/missing"},
	{Types: []string{"timestamp"}, Kind: kindInteger, Codec: "!UNITS_SINCE_EPOCH", Fate: fateFails,
		Message: "Text '%v' could not be parsed at index 0",
		Fix:     "set codec.timestamp: UNITS_SINCE_EPOCH on the topic (numbers are then codec.unit, default MILLISECONDS, since the epoch), or send ISO-8601 text",
		Source:  "DB:text/json/JsonNodeToTemporalCodec (a number is read as one only under UNITS_SINCE_EPOCH)", Confirmed: "TestBadTimestampEndToEnd, TestSampledPredictions/timestamp_number"},
	{Types: []string{"timestamp"}, Kind: kindInteger, Codec: "UNITS_SINCE_EPOCH", Fate: fateConverts,
		Source: "DB:text/json/JsonNodeToTemporalCodec", Confirmed: "TestBadTimestampEndToEnd"},
	{Types: []string{"timestamp"}, Kind: kindString, Codec: "!UNITS_SINCE_EPOCH", Test: "cqlTimestamp", Fate: fateConverts,
		Source: "DB:api/format/temporal/CqlTemporalFormat", Confirmed: "TestBadTimestampEndToEnd, TestSampledPredictions/timestamp_iso"},
	{Types: integerTypes, Kind: kindInteger, Test: "outOfRange", Fate: fateFails,
		Message: "Cannot convert %v from Long to %t",
		Fix:     "widen the column (bigint, varint), or send values that fit it",
		Source:  "DB:api/util/CodecUtils (exact narrowing)", Confirmed: "TestSampledPredictions/int_overflow"},
	{Types: []string{"boolean"}, Kind: kindInteger, Test: "notZeroOne", Fate: fateFails,
		Message: "Invalid boolean value: %v",
		Fix:     "send true/false (or 1/0)",
		Source:  "DB:text/json/JsonNodeToBooleanCodec", Confirmed: "TestSampledPredictions/boolean_number"},
	{Types: scalarTypes, Kind: kindObject, Fate: fateNull,
		Fix:    "map the nested field by name (with Flatten), or a text column for the JSON",
		Source: "DB:text/json/JsonNodeConvertingCodec (a container's text is empty, read as null)", Confirmed: "TestSampledPredictions/object_into_int"},
}

// valueTests are the conditions a conversionRule's Test names.
var valueTests = map[string]func(typ, text string) bool{
	"cqlTimestamp": func(_, s string) bool { return cqlTimestamp().MatchString(s) },
	"outOfRange":   func(typ, s string) bool { return !fits(typ, s) },
	"notZeroOne":   func(_, s string) bool { return s != "0" && s != "1" },
}

// cqlTimestamp is the CQL_TIMESTAMP grammar: yyyy-MM-dd, then optionally
// 'T' or a space and HH:mm[:ss[.fraction]], then optionally a zone name
// and/or an offset (DB:api/format/temporal/CqlTemporalFormat). It is
// compiled on first use: only preflight's sampling needs it, and at
// package initialisation it cost every command about 0.1 ms.
var cqlTimestamp = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?( ?[A-Za-z]{1,5})?(Z|[+-]\d{2}(:?\d{2})?)?$`)
})

var ranges = map[string][2]int64{
	"tinyint": {-1 << 7, 1<<7 - 1}, "smallint": {-1 << 15, 1<<15 - 1}, "int": {-1 << 31, 1<<31 - 1},
}

func fits(typ, s string) bool {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return true // not an integer: not this rule's business
	}
	if typ == "bigint" {
		return n.IsInt64()
	}
	r, ok := ranges[typ]
	return !ok || n.IsInt64() && n.Int64() >= r[0] && n.Int64() <= r[1]
}

// javaType is the Java type the connector narrows to, for messages.
var javaType = map[string]string{"tinyint": "Byte", "smallint": "Short", "int": "Integer", "bigint": "Long"}

// predict returns the rule that decides a field's fate, or nil.
func predict(typ, kind, text, codecTimestamp string) *conversionRule {
	units := strings.TrimSpace(codecTimestamp) == "UNITS_SINCE_EPOCH"
	for i := range conversionRules {
		r := &conversionRules[i]
		if r.Kind != kind || len(r.Types) > 0 && !contains(r.Types, typ) {
			continue
		}
		switch r.Codec {
		case "UNITS_SINCE_EPOCH":
			if !units {
				continue
			}
		case "!UNITS_SINCE_EPOCH":
			// Other formats (a pattern, ISO_INSTANT...) are not predicted.
			if c := strings.TrimSpace(codecTimestamp); units || c != "" && c != "CQL_TIMESTAMP" {
				continue
			}
		}
		if r.Test != "" && !valueTests[r.Test](typ, text) {
			continue
		}
		return r
	}
	return nil
}

// message fills a rule's message in.
func (r *conversionRule) message(field, column, typ, text string) string {
	return strings.NewReplacer("%v", text, "%f", field, "%c", column, "%t", javaType[typ]).Replace(r.Message)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
