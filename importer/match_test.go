package importer

import (
	"regexp"
	"testing"
)

// The regexps isPlaceholder and isTopicName replaced, the definition both
// are held to.
var (
	placeholderRE = regexp.MustCompile(`^\$\{[A-Za-z0-9_.-]+:[^}]*\}$`)
	topicNameRE   = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
)

// strs returns every string of up to n pieces of alphabet.
func strs(alphabet []string, n int) []string {
	out, last := []string{""}, []string{""}
	for range n {
		var next []string
		for _, s := range last {
			for _, a := range alphabet {
				next = append(next, s+a)
			}
		}
		out, last = append(out, next...), next
	}
	return out
}

func TestIsPlaceholder(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"${file:/etc/imp/paths.properties:path}", true},
		{"${env:PASSWORD}", true},
		{"${vault.v2-kv_1:secret/data/x:pw}", true},
		{"${a:}", true},
		{"${a:b\nc}", true}, // [^}] matches a newline
		{"${a:\xff}", true}, // and invalid UTF-8
		{"${a:b{c}", true},
		{"${a:b}c}", false},
		{"${a:b}}", false},
		{"${:b}", false},
		{"${a b:c}", false},
		{"${ä:c}", false},
		{"${a}", false},
		{"${}", false},
		{"${a:b", false},
		{"$a:b}", false},
		{"x${a:b}", false},
		{"${a:b}\n", false}, // $ is the end of the text, not of a line
		{"", false},
	} {
		if got := isPlaceholder(c.v); got != c.want || placeholderRE.MatchString(c.v) != c.want {
			t.Errorf("isPlaceholder(%q) = %v, regexp %v, want %v", c.v, got, placeholderRE.MatchString(c.v), c.want)
		}
	}
	var n int
	for _, s := range strs([]string{"$", "{", "}", ":", "a", "-", "/", " ", "\n", "\xff", "é"}, 3) {
		for _, v := range []string{s, "${" + s + "}", "${" + s, s + "}", "${a" + s + "}", "${a:" + s + "}"} {
			n++
			if got, want := isPlaceholder(v), placeholderRE.MatchString(v); got != want {
				t.Errorf("isPlaceholder(%q) = %v, the regexp says %v", v, got, want)
			}
		}
	}
	if n < 5000 {
		t.Fatalf("only %d strings compared", n)
	}
}

func TestIsTopicName(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"orders", true},
		{"Orders.v2_raw-1", true},
		{"...", true},
		{"", false},
		{"a b", false},
		{"a,b", false},
		{"a\n", false},
		{"ä", false},
		{"a\xff", false},
		{"a/b", false},
	} {
		if got := isTopicName(c.v); got != c.want || topicNameRE.MatchString(c.v) != c.want {
			t.Errorf("isTopicName(%q) = %v, regexp %v, want %v", c.v, got, topicNameRE.MatchString(c.v), c.want)
		}
	}
	for _, v := range strs([]string{"a", "Z", "0", ".", "_", "-", " ", ",", "\n", "\xff", "é", "$"}, 3) {
		if got, want := isTopicName(v), topicNameRE.MatchString(v); got != want {
			t.Errorf("isTopicName(%q) = %v, the regexp says %v", v, got, want)
		}
	}
}
