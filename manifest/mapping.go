package manifest

import (
	"fmt"
	"strings"
)

// FieldKind is what a mapping entry reads from a Kafka record.
type FieldKind string

// Field kinds of the DataStax mapping grammar.
const (
	FromKey    FieldKind = "key"
	FromValue  FieldKind = "value"
	FromHeader FieldKind = "header"
	FromNow    FieldKind = "now()"
)

// Special mapping columns that set the row's TTL and write time.
const (
	TTLColumn       = "__ttl"
	TimestampColumn = "__timestamp"
)

// MappingEntry is one column=field pair of a DataStax table mapping.
type MappingEntry struct {
	// Column is the column name as the connector looks it up: a quoted
	// name unquoted, an unquoted one as written. The connector does not
	// lower-case unquoted names (MappingInspector.visitColumn takes them
	// literally), unlike CQL.
	Column string
	Quoted bool
	Kind   FieldKind
	// Path is the field below the key or value ("f1.f2"), or the header
	// name; empty for the whole key or value, and for now().
	Path string
	// Text is the entry as written.
	Text string
}

// Special reports whether the entry sets the row's TTL or write time
// (__ttl or __timestamp, unquoted) rather than a column. A quoted "__ttl"
// is an ordinary column.
func (e MappingEntry) Special() bool {
	return !e.Quoted && (e.Column == TTLColumn || e.Column == TimestampColumn)
}

// Field returns the entry's field as written in the grammar: value.f1.
func (e MappingEntry) Field() string {
	if e.Path == "" {
		return string(e.Kind)
	}
	return string(e.Kind) + "." + e.Path
}

// MappingProblemKind is what is wrong with a DataStax mapping.
type MappingProblemKind int

// Kinds of MappingProblem.
const (
	// MappingEmpty: the whole mapping is empty.
	MappingEmpty MappingProblemKind = iota + 1
	// MappingEmptyEntry: two commas in a row, or a trailing comma.
	MappingEmptyEntry
	// MappingBadColumn: the entry does not start with a column name; Name
	// says why.
	MappingBadColumn
	// MappingNoEquals: the column is not followed by '='.
	MappingNoEquals
	// MappingNoField: nothing after '='.
	MappingNoField
	// MappingSpecialNow: __ttl or __timestamp mapped to now().
	MappingSpecialNow
	// MappingBadField: a part of the field is not a name; Name says why.
	MappingBadField
	// MappingTextAfterField: text after the field that is not ".name";
	// Text is that text.
	MappingTextAfterField
	// MappingFieldEndsWithDot: the field ends with a dot.
	MappingFieldEndsWithDot
	// MappingHeaderWithoutName: header with no header name.
	MappingHeaderWithoutName
	// MappingNotAField: the field is not key, value, header or now().
	MappingNotAField
	// MappingDuplicateColumn: the column is mapped twice.
	MappingDuplicateColumn
)

// NameProblem is why a column or field name could not be read.
type NameProblem int

// Kinds of NameProblem.
const (
	NameOK NameProblem = iota
	// NameMissing: nothing where a name was expected.
	NameMissing
	// NameQuotedEmpty: "".
	NameQuotedEmpty
	// NameUnclosedQuote: a quoted name with no closing quote.
	NameUnclosedQuote
	// NameUnexpected: a character that starts no name; the problem's Text
	// is that character.
	NameUnexpected
	// NameFunction: a function other than now(); Text is the function,
	// as in uuid().
	NameFunction
)

// MappingProblem is one problem of a DataStax mapping. String gives its
// message; Hint says how to fix it.
type MappingProblem struct {
	Kind MappingProblemKind
	// Entry is the entry as written, for MappingBadColumn and
	// MappingNoEquals.
	Entry string
	// Column is the column, as the connector looks it up, for the kinds
	// that found one.
	Column string
	// Field is the field as written, for MappingBadField and
	// MappingNotAField.
	Field string
	// Name says why a name could not be read, for MappingBadColumn and
	// MappingBadField.
	Name NameProblem
	// Text is the unexpected text (MappingTextAfterField, NameUnexpected)
	// or the unsupported function (NameFunction).
	Text string
}

// String is the problem as validate reports it, after the field's path:
// column "id" appears twice.
func (p MappingProblem) String() string {
	col := `"` + p.Column + `"`
	switch p.Kind {
	case MappingEmpty:
		return "is empty"
	case MappingEmptyEntry:
		return "has an empty entry (two commas in a row, or a trailing comma)"
	case MappingBadColumn:
		return fmt.Sprintf("entry %q: %s", p.Entry, p.nameProblem())
	case MappingNoEquals:
		return fmt.Sprintf("entry %q: expected column=field", p.Entry)
	case MappingNoField:
		return fmt.Sprintf("column %s is mapped to nothing", col)
	case MappingSpecialNow:
		return fmt.Sprintf("%s cannot be now(): map it from a key, value or header field", p.Column)
	case MappingBadField:
		return fmt.Sprintf("column %s: field %q: %s", col, p.Field, p.nameProblem())
	case MappingTextAfterField:
		return fmt.Sprintf("column %s: unexpected %q after the field", col, p.Text)
	case MappingFieldEndsWithDot:
		return fmt.Sprintf("column %s: the field ends with a dot", col)
	case MappingHeaderWithoutName:
		return fmt.Sprintf("column %s: header needs a name, as in header.<name>", col)
	case MappingNotAField:
		return fmt.Sprintf("column %s: %q is not a field: write key, value, key.<path>, value.<path>, header.<name> or now()", col, p.Field)
	case MappingDuplicateColumn:
		return fmt.Sprintf("column %s appears twice", col)
	}
	return fmt.Sprintf("mapping problem %d", p.Kind)
}

func (p MappingProblem) nameProblem() string {
	switch p.Name {
	case NameMissing:
		return "expected a name"
	case NameQuotedEmpty:
		return "a quoted name is empty"
	case NameUnclosedQuote:
		return "a quoted name has no closing quote"
	case NameUnexpected:
		return fmt.Sprintf("unexpected %q", p.Text)
	case NameFunction:
		return p.Text + " is not a supported function: only now() is"
	}
	return "not a name"
}

// Hint says how to fix the problem.
func (p MappingProblem) Hint() string {
	switch {
	case p.Kind == MappingDuplicateColumn:
		return "map each column once"
	case p.Kind == MappingNotAField, p.Kind == MappingNoField:
		return "write column=field, for example id=key.id, name=value.name"
	case p.Kind == MappingHeaderWithoutName:
		return "name the header, for example source=header.source"
	case p.Name == NameFunction:
		return "now() makes a new TIMEUUID; any other value comes from the key, the value or a header"
	case p.Kind == MappingSpecialNow:
		return "the record must carry it, as in value.<field> or header.<name>"
	}
	return "write column=field pairs separated by commas"
}

// ParseMapping parses a DataStax sink mapping:
//
//	col1=key.f1, col2=value.f1, __ttl=value.f2, "Col3"=header.h1, col4=now()
//
// It returns the entries it could read and one problem per problem found,
// including columns mapped twice.
func ParseMapping(s string) ([]MappingEntry, []MappingProblem) {
	var entries []MappingEntry
	var problems []MappingProblem
	if strings.TrimSpace(s) == "" {
		return nil, []MappingProblem{{Kind: MappingEmpty}}
	}
	seen := map[string]bool{}
	for _, part := range splitMapping(s) {
		text := strings.TrimSpace(part)
		if text == "" {
			problems = append(problems, MappingProblem{Kind: MappingEmptyEntry})
			continue
		}
		e, p := parseEntry(text)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		if seen[e.Column] {
			problems = append(problems, MappingProblem{Kind: MappingDuplicateColumn, Column: e.Column})
			continue
		}
		seen[e.Column] = true
		entries = append(entries, e)
	}
	return entries, problems
}

// splitMapping splits on commas outside double quotes.
func splitMapping(s string) []string {
	var parts []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseEntry(text string) (MappingEntry, *MappingProblem) {
	e := MappingEntry{Text: text}
	col, rest, np, npText := readName(text)
	if np != NameOK {
		return e, &MappingProblem{Kind: MappingBadColumn, Entry: text, Name: np, Text: npText}
	}
	e.Column, e.Quoted = col.name, col.quoted
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "=") {
		return e, &MappingProblem{Kind: MappingNoEquals, Entry: text, Column: e.Column}
	}
	field := strings.TrimSpace(rest[1:])
	problem := func(kind MappingProblemKind) *MappingProblem {
		return &MappingProblem{Kind: kind, Column: e.Column, Field: strings.TrimSpace(rest[1:])}
	}
	if field == "" {
		return e, problem(MappingNoField)
	}
	if field == "now()" {
		e.Kind = FromNow
		if e.Special() {
			return e, problem(MappingSpecialNow)
		}
		return e, nil
	}
	var segs []string
	for field != "" {
		n, r, np, npText := readName(field)
		if np != NameOK {
			p := problem(MappingBadField)
			p.Name, p.Text = np, npText
			return e, p
		}
		segs = append(segs, n.text)
		field = strings.TrimSpace(r)
		if field == "" {
			break
		}
		if field[0] != '.' {
			p := problem(MappingTextAfterField)
			p.Text = field
			return e, p
		}
		field = strings.TrimSpace(field[1:])
		if field == "" {
			return e, problem(MappingFieldEndsWithDot)
		}
	}
	switch FieldKind(segs[0]) {
	case FromKey, FromValue:
		e.Kind = FieldKind(segs[0])
	case FromHeader:
		if len(segs) < 2 {
			return e, problem(MappingHeaderWithoutName)
		}
		e.Kind = FromHeader
	default:
		return e, problem(MappingNotAField)
	}
	e.Path = strings.Join(segs[1:], ".")
	return e, nil
}

type name struct {
	name   string // as the connector looks it up
	text   string // as written
	quoted bool
}

// readName reads an identifier or a double-quoted name ("" escapes a quote)
// from the start of s and returns the rest, or why there is no name there
// (with the text it is about, for NameUnexpected and NameFunction).
func readName(s string) (name, string, NameProblem, string) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return name{}, "", NameMissing, ""
	}
	if s[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			if b.Len() == 0 {
				return name{}, "", NameQuotedEmpty, ""
			}
			return name{name: b.String(), text: s[:i+1], quoted: true}, s[i+1:], NameOK, ""
		}
		return name{}, "", NameUnclosedQuote, ""
	}
	i := 0
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == 0 {
		return name{}, "", NameUnexpected, s[:1]
	}
	if i < len(s) && s[i] == '(' {
		return name{}, "", NameFunction, s[:i] + "()"
	}
	return name{name: s[:i], text: s[:i]}, s[i:], NameOK, ""
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
