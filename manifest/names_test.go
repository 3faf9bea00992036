package manifest

import (
	"path"
	"regexp"
	"testing"
)

// The regexps that isObjectName, isTopicName and isJavaClassName replace,
// as validate and the checks used them.
var (
	objectNameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	topicNameRE     = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	javaClassNameRE = regexp.MustCompile(`^[\p{L}_$][\p{L}\p{N}_$]*(\.[\p{L}_$][\p{L}\p{N}_$]*)*$`)
)

var nameCases = []string{
	"", "a", "A", "0", ".", "..", "-", "_", "$", "a.", ".a", "a..b", "a.b", "a-b", "a_b",
	"perf-0001", "ds-00001", "local", "connect-offsets", "_schemas", "-a", "a b", "a/b",
	"a\n", "\na", "a\x00", "a:b", "a+b", "é", "aé", "Ω", "a\xff", "\xff", "\xc3", "a\u00a0",
	"org.apache.kafka.connect.storage.StringConverter",
	"org.apache.kafka.connect.transforms.Flatten$Key", "a.b.C$Inner", "$", "$.$", "_._",
	"a.1b", "a1.b2", "1a", "a.b.", ".a.b", "a..b", "a.b c", "ünïcödé.Klasse", "名前.クラス",
	"a.٣", "a٣", "٣a", "a.ⅷ", "aⅷ", "ª.º", "a\u0300", "a.\u0300", "ǅ", "a\uFFFD", "\uFFFD",
	"a.b\t", " a.b", "a.b.c.d.e.f.g.h.i.j.k", "a.b-c",
}

func TestNameChecksMatchTheirRegexps(t *testing.T) {
	for _, s := range nameCases {
		checkNames(t, s)
	}
}

// FuzzNames compares each name check with its regexp:
//
//	go test -short ./manifest -run '^$' -fuzz '^FuzzNames$' -fuzztime 20s
func FuzzNames(f *testing.F) {
	for _, s := range nameCases {
		f.Add(s)
	}
	f.Fuzz(checkNames)
}

func checkNames(t *testing.T, s string) {
	if got, want := isObjectName(s), objectNameRE.MatchString(s); got != want {
		t.Errorf("isObjectName(%q) = %v, the regexp says %v", s, got, want)
	}
	if got, want := isTopicName(s), topicNameRE.MatchString(s); got != want {
		t.Errorf("isTopicName(%q) = %v, the regexp says %v", s, got, want)
	}
	if got, want := isJavaClassName(s), javaClassNameRE.MatchString(s); got != want {
		t.Errorf("isJavaClassName(%q) = %v, the regexp says %v", s, got, want)
	}
}

// TestSinkFilePath checks that a sink's file path is path.Join's, for
// valid names and others.
func TestSinkFilePath(t *testing.T) {
	for _, c := range nameCases {
		for _, n := range append([]string{"a/b", "../x", "x/..", "/x", "a//b"}, nameCases...) {
			s := &Sink{Cluster: c, Name: n}
			if got, want := sinkFilePath(s), path.Join(c, "connectors", n+".json"); got != want {
				t.Errorf("sinkFilePath(%q, %q) = %q, want %q", c, n, got, want)
			}
		}
	}
}
