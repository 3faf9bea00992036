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

// ParseMapping parses a DataStax sink mapping:
//
//	col1=key.f1, col2=value.f1, __ttl=value.f2, "Col3"=header.h1, col4=now()
//
// It returns the entries it could read and one message per problem found,
// including columns mapped twice.
func ParseMapping(s string) ([]MappingEntry, []string) {
	var entries []MappingEntry
	var problems []string
	if strings.TrimSpace(s) == "" {
		return nil, []string{"is empty"}
	}
	seen := map[string]bool{}
	for _, part := range splitMapping(s) {
		text := strings.TrimSpace(part)
		if text == "" {
			problems = append(problems, "has an empty entry (two commas in a row, or a trailing comma)")
			continue
		}
		e, err := parseEntry(text)
		if err != "" {
			problems = append(problems, err)
			continue
		}
		if seen[e.Column] {
			problems = append(problems, fmt.Sprintf("column %s appears twice", quoteCol(e)))
			continue
		}
		seen[e.Column] = true
		entries = append(entries, e)
	}
	return entries, problems
}

func quoteCol(e MappingEntry) string { return `"` + e.Column + `"` }

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

func parseEntry(text string) (MappingEntry, string) {
	e := MappingEntry{Text: text}
	col, rest, err := readName(text)
	if err != "" {
		return e, fmt.Sprintf("entry %q: %s", text, err)
	}
	e.Column, e.Quoted = col.name, col.quoted
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "=") {
		return e, fmt.Sprintf("entry %q: expected column=field", text)
	}
	field := strings.TrimSpace(rest[1:])
	if field == "" {
		return e, fmt.Sprintf("column %s is mapped to nothing", quoteCol(e))
	}
	if field == "now()" {
		e.Kind = FromNow
		if e.Special() {
			return e, fmt.Sprintf("%s cannot be now(): map it from a key, value or header field", e.Column)
		}
		return e, ""
	}
	var segs []string
	for field != "" {
		n, r, err := readName(field)
		if err != "" {
			return e, fmt.Sprintf("column %s: field %q: %s", quoteCol(e), strings.TrimSpace(rest[1:]), err)
		}
		segs = append(segs, n.text)
		field = strings.TrimSpace(r)
		if field == "" {
			break
		}
		if field[0] != '.' {
			return e, fmt.Sprintf("column %s: unexpected %q after the field", quoteCol(e), field)
		}
		field = strings.TrimSpace(field[1:])
		if field == "" {
			return e, fmt.Sprintf("column %s: the field ends with a dot", quoteCol(e))
		}
	}
	switch FieldKind(segs[0]) {
	case FromKey, FromValue:
		e.Kind = FieldKind(segs[0])
	case FromHeader:
		if len(segs) < 2 {
			return e, fmt.Sprintf("column %s: header needs a name, as in header.<name>", quoteCol(e))
		}
		e.Kind = FromHeader
	default:
		return e, fmt.Sprintf("column %s: %q is not a field: write key, value, key.<path>, value.<path>, header.<name> or now()",
			quoteCol(e), strings.TrimSpace(rest[1:]))
	}
	e.Path = strings.Join(segs[1:], ".")
	return e, ""
}

type name struct {
	name   string // as the connector looks it up
	text   string // as written
	quoted bool
}

// readName reads an identifier or a double-quoted name ("" escapes a quote)
// from the start of s and returns the rest.
func readName(s string) (name, string, string) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return name{}, "", "expected a name"
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
				return name{}, "", "a quoted name is empty"
			}
			return name{name: b.String(), text: s[:i+1], quoted: true}, s[i+1:], ""
		}
		return name{}, "", "a quoted name has no closing quote"
	}
	i := 0
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == 0 {
		return name{}, "", fmt.Sprintf("unexpected %q", s[:1])
	}
	if i < len(s) && s[i] == '(' {
		return name{}, "", fmt.Sprintf("%s is not a supported function: only now() is", s[:i]+"()")
	}
	return name{name: s[:i], text: s[:i]}, s[i:], ""
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
