package manifest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// Every problem ParseMapping finds: its kind and fields, the message
// validate prints after the field's path, and the hint.
func TestParseMappingProblems(t *testing.T) {
	type want struct {
		problem       manifest.MappingProblem
		message, hint string
	}
	const commas = "write column=field pairs separated by commas"
	const example = "write column=field, for example id=key.id, name=value.name"
	for _, tc := range []struct {
		mapping string
		want    []want
	}{
		{"  ", []want{{manifest.MappingProblem{Kind: manifest.MappingEmpty},
			"is empty", commas}}},
		{"a=key,,b=value", []want{{manifest.MappingProblem{Kind: manifest.MappingEmptyEntry},
			"has an empty entry (two commas in a row, or a trailing comma)", commas}}},
		{"a=key,", []want{{manifest.MappingProblem{Kind: manifest.MappingEmptyEntry},
			"has an empty entry (two commas in a row, or a trailing comma)", commas}}},
		{`""=key`, []want{{manifest.MappingProblem{Kind: manifest.MappingBadColumn, Entry: `""=key`, Name: manifest.NameQuotedEmpty},
			`entry "\"\"=key": a quoted name is empty`, commas}}},
		{`"id=key`, []want{{manifest.MappingProblem{Kind: manifest.MappingBadColumn, Entry: `"id=key`, Name: manifest.NameUnclosedQuote},
			`entry "\"id=key": a quoted name has no closing quote`, commas}}},
		{"=key", []want{{manifest.MappingProblem{Kind: manifest.MappingBadColumn, Entry: "=key", Name: manifest.NameUnexpected, Text: "="},
			`entry "=key": unexpected "="`, commas}}},
		{"uuid()=key", []want{{manifest.MappingProblem{Kind: manifest.MappingBadColumn, Entry: "uuid()=key", Name: manifest.NameFunction, Text: "uuid()"},
			`entry "uuid()=key": uuid() is not a supported function: only now() is`,
			"now() makes a new TIMEUUID; any other value comes from the key, the value or a header"}}},
		{"total value.total", []want{{manifest.MappingProblem{Kind: manifest.MappingNoEquals, Entry: "total value.total", Column: "total"},
			`entry "total value.total": expected column=field`, commas}}},
		{"id=", []want{{manifest.MappingProblem{Kind: manifest.MappingNoField, Column: "id"},
			`column "id" is mapped to nothing`, example}}},
		{"__ttl=now()", []want{{manifest.MappingProblem{Kind: manifest.MappingSpecialNow, Column: "__ttl", Field: "now()"},
			"__ttl cannot be now(): map it from a key, value or header field",
			"the record must carry it, as in value.<field> or header.<name>"}}},
		{"id=value.-x", []want{{manifest.MappingProblem{Kind: manifest.MappingBadField, Column: "id", Field: "value.-x", Name: manifest.NameUnexpected, Text: "-"},
			`column "id": field "value.-x": unexpected "-"`, commas}}},
		{"id=uuid()", []want{{manifest.MappingProblem{Kind: manifest.MappingBadField, Column: "id", Field: "uuid()", Name: manifest.NameFunction, Text: "uuid()"},
			`column "id": field "uuid()": uuid() is not a supported function: only now() is`,
			"now() makes a new TIMEUUID; any other value comes from the key, the value or a header"}}},
		{"id=value.a b", []want{{manifest.MappingProblem{Kind: manifest.MappingTextAfterField, Column: "id", Field: "value.a b", Text: "b"},
			`column "id": unexpected "b" after the field`, commas}}},
		{"id=value.", []want{{manifest.MappingProblem{Kind: manifest.MappingFieldEndsWithDot, Column: "id", Field: "value."},
			`column "id": the field ends with a dot`, commas}}},
		{"source=header", []want{{manifest.MappingProblem{Kind: manifest.MappingHeaderWithoutName, Column: "source", Field: "header"},
			`column "source": header needs a name, as in header.<name>`,
			"name the header, for example source=header.source"}}},
		{"total=body.total", []want{{manifest.MappingProblem{Kind: manifest.MappingNotAField, Column: "total", Field: "body.total"},
			`column "total": "body.total" is not a field: write key, value, key.<path>, value.<path>, header.<name> or now()`, example}}},
		{`id=key, "id"=value.id`, []want{{manifest.MappingProblem{Kind: manifest.MappingDuplicateColumn, Column: "id"},
			`column "id" appears twice`, "map each column once"}}},
		// The hint follows the problem, not words of the entry that the
		// message quotes: choosing it by matching the message's text gave
		// "map each column once" here, and the example of column=field
		// to the second.
		{"x appears twice", []want{{manifest.MappingProblem{Kind: manifest.MappingNoEquals, Entry: "x appears twice", Column: "x"},
			`entry "x appears twice": expected column=field`, commas}}},
		{"id=value.a is not a field", []want{{manifest.MappingProblem{Kind: manifest.MappingTextAfterField, Column: "id", Field: "value.a is not a field", Text: "is not a field"},
			`column "id": unexpected "is not a field" after the field`, commas}}},
		// Several problems, in order, and the good entries kept.
		{"a=key, b=, a=value, c=header", []want{
			{manifest.MappingProblem{Kind: manifest.MappingNoField, Column: "b"}, `column "b" is mapped to nothing`, example},
			{manifest.MappingProblem{Kind: manifest.MappingDuplicateColumn, Column: "a"}, `column "a" appears twice`, "map each column once"},
			{manifest.MappingProblem{Kind: manifest.MappingHeaderWithoutName, Column: "c", Field: "header"},
				`column "c": header needs a name, as in header.<name>`, "name the header, for example source=header.source"},
		}},
	} {
		t.Run(tc.mapping, func(t *testing.T) {
			_, problems := manifest.ParseMapping(tc.mapping)
			var got []want
			for _, p := range problems {
				got = append(got, want{p, p.String(), p.Hint()})
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("ParseMapping(%q) problems (-want +got):\n%s", tc.mapping, diff)
			}
		})
	}
}

func TestParseMappingEntries(t *testing.T) {
	entries, problems := manifest.ParseMapping(`id=key, "Name"=value.name, city=value.address.city, src=header.source, at=now(), __ttl=value.ttl`)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := []manifest.MappingEntry{
		{Column: "id", Kind: manifest.FromKey, Text: "id=key"},
		{Column: "Name", Quoted: true, Kind: manifest.FromValue, Path: "name", Text: `"Name"=value.name`},
		{Column: "city", Kind: manifest.FromValue, Path: "address.city", Text: "city=value.address.city"},
		{Column: "src", Kind: manifest.FromHeader, Path: "source", Text: "src=header.source"},
		{Column: "at", Kind: manifest.FromNow, Text: "at=now()"},
		{Column: "__ttl", Kind: manifest.FromValue, Path: "ttl", Text: "__ttl=value.ttl"},
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}
