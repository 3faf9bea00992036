package manifest

import (
	"fmt"
	"github.com/connectsync/connectsync/internal/benchdata"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"gopkg.in/yaml.v3"
)

// treeDiff describes the first difference between two trees, or returns
// "". Comments are not compared: fastParse leaves them out (see there).
func treeDiff(got, want *yaml.Node, path string) string {
	if got == nil || want == nil {
		if got != want {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
		return ""
	}
	type fields struct {
		Kind         yaml.Kind
		Style        yaml.Style
		Tag          string
		Value        string
		Anchor       string
		Alias        *yaml.Node
		Line, Column int
		Len          int
	}
	g := fields{got.Kind, got.Style, got.Tag, got.Value, got.Anchor, got.Alias, got.Line, got.Column, len(got.Content)}
	w := fields{want.Kind, want.Style, want.Tag, want.Value, want.Anchor, want.Alias, want.Line, want.Column, len(want.Content)}
	if g != w {
		return fmt.Sprintf("%s:\n got %+v\nwant %+v", path, g, w)
	}
	for i := range got.Content {
		if d := treeDiff(got.Content[i], want.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkFast compares fastParse with yaml.v3 on data. It fails t when
// fastParse returns a tree that yaml.v3 does not build, and reports
// whether fastParse declined.
func checkFast(t testing.TB, name string, data []byte) (declined bool) {
	t.Helper()
	got, ok := fastParse(data)
	if !ok {
		return true
	}
	want, err := parseYAMLv3(data)
	switch {
	case err != nil:
		t.Errorf("%s: fastParse returned a tree, yaml.v3 an error: %v\ninput: %q", name, err, data)
	case want == nil:
		t.Errorf("%s: fastParse returned a tree, yaml.v3 none\ninput: %q", name, data)
	default:
		if d := treeDiff(got, want, "root"); d != "" {
			t.Errorf("%s: trees differ at %s\ninput: %q", name, d, data)
		}
	}
	return false
}

// benchFlowManifest is what scripts/bench.sh's "manifest local N" writes:
// the quickstart's lines before sinks:, then N one-line FileStreamSinks.
func benchFlowManifest(t testing.TB, n int) []byte {
	return benchdata.FileSinks(append(quickstartHead(t), "sinks:\n"...), "local", n)
}

// benchDataStaxManifest is the first file that writeDataStax of
// internal/cli's benchmarks (and make bench) writes: the quickstart's head
// and n block-style DataStax sinks.
func benchDataStaxManifest(t testing.TB, n int) []byte {
	return benchdata.DataStaxSinks(append(quickstartHead(t), "sinks:\n"...), 1, n)
}

// quickstartHead is examples/quickstart.yaml up to its sinks: line.
func quickstartHead(t testing.TB) []byte {
	head, err := benchdata.QuickstartHead("..")
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// manifestCorpus returns every manifest of the repository by name: the
// examples, the testdata of this package, the cluster's second group, and
// the .yaml files inside internal/cli's test scripts.
func manifestCorpus(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, pattern := range []string{"../examples/*.yaml", "testdata/*/*.yaml", "../cluster/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = data
		}
	}
	scripts, err := filepath.Glob("../internal/cli/testdata/script/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scripts {
		a, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ".yaml") || strings.HasSuffix(f.Name, ".yml") {
				out[s+":"+f.Name] = f.Data
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d manifests found", len(out))
	}
	return out
}

// TestFastParseMatchesYAML compares fastParse with yaml.v3 on every
// manifest of the repository and the benchmarks' manifests, whole and in
// the pieces that splitSinks cuts large files into, and checks that the
// fast path is taken where it matters: the examples and the benchmarks.
func TestFastParseMatchesYAML(t *testing.T) {
	corpus := manifestCorpus(t)
	bench := map[string][]byte{
		"bench: 500 flow-style FileStreamSinks":  benchFlowManifest(t, 500),
		"bench: 1000 block-style DataStax sinks": benchDataStaxManifest(t, 1000),
	}
	inputs := map[string][]byte{}
	for name, data := range corpus {
		inputs[name] = data
	}
	for name, data := range bench {
		inputs[name] = data
		head, pieces, ok := splitSinks(data)
		if !ok {
			t.Fatalf("%s: not cut in pieces", name)
		}
		inputs[name+" head"] = head
		for i, p := range pieces {
			inputs[fmt.Sprintf("%s piece %d", name, i)] = append([]byte("sinks:\n"), p.text...)
		}
	}
	var declined []string
	for name, data := range inputs {
		if checkFast(t, name, data) {
			declined = append(declined, name)
			mustTake := bench[name] != nil || strings.HasPrefix(name, "../examples/") ||
				strings.HasPrefix(name, "bench: ")
			if mustTake {
				t.Errorf("%s: fastParse declined; the fast path must read it", name)
			}
		}
	}
	t.Logf("fastParse declined %d of %d inputs:\n%s", len(declined), len(inputs), strings.Join(sortedStrings(declined), "\n"))
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// fastCases are the inputs of TestFastParseTricky and seeds of
// FuzzFastParse: each feature of the subset, and the edges of it. take
// says whether fastParse must read the input (true) or decline it (false);
// either way, a tree it returns must be yaml.v3's.
var fastCases = []struct {
	in   string
	take bool
}{
	// Block mappings and sequences.
	{"a: b\n", true},
	{"a: b", true}, // no final newline
	{"a:\n", true},
	{"a:", true},
	{"a: b   \nc: d  \n", true}, // trailing spaces
	{"a:   \nb: 1\n", true},
	{"a:\n  b: c\n  d:\n    e: f\n", true},
	{"a:\n- x\n- y\nb: z\n", true},
	{"a:\n  - x\n  - y\nb: z\n", true},
	{"- a\n- b\n", true},
	{"- - a\n  - b\n- c\n", true},
	{"- a: 1\n  b: 2\n- c: 3\n", true},
	{"-   a: 1\n    b: 2\n", true},
	{"-\n  a: 1\n-\n- x\n", true},
	{"- a:\n  - x\n  b: y\n", true},
	{"- a:\n- b\n", true},
	{"-\n", true},
	{"- # c\n  a: b\n", true},
	{"  a: b\n  c: d\n", true}, // an indented document
	{"a b: c\nd e f: g h\n", true},
	{"a : b\n", true},
	{"\"a\": b\n'c': d\n\"e\" : f\n", true},
	{"a: b\nb: c\na: d\n", true}, // duplicate keys are the decoder's to report
	{"<<: {a: b}\n", true},
	{"a: 1\n- b\n", false},
	{"a:\n  b: 1\n c: 2\n", false},
	{"a:\n  b: 1\n   c: 2\n", false},
	{"a: b\n  c\n", false}, // a multi-line plain scalar
	{"a:\n  b\n", false},   // a scalar on the next line
	{"a: b: c\n", false},   // a mapping inside a value
	{"a: - b\n", false},    // an entry inside a value
	{"- a\nb: c\n", false}, // a root sequence, then a key
	{"a:\n  - x\n  b: y\n", false},
	{"- - a\n  b: c\n", false},
	{"  a: b\nc: d\n", false},
	{"a:\n\tb: c\n", false}, // a tab as indentation
	{"a:\tb\n", false},      // a tab, anywhere
	{"a: b\r\nc: d\r\n", false},
	{"\ufeffa: b\n", false},
	{"a: \x01\n", false},
	{"a: \x7f\n", false},
	{"a: \xff\n", false},
	{"a: b\u2028c\n", false},
	{"a: b\u0085c\n", false},
	// Plain scalars and their tags.
	{"a: b:c\n", true},
	{"a: b #c\n", true},
	{"a: b# c\n", true},
	{"a: b  #  c\n", true},
	{"a: -1\n", true},
	{"a: -.5\n", true},
	{"a: -x\n", true},
	{"-1: x\n", true},
	{"a: ~\n", true},
	{"a: null\n", true},
	{"a: Null\n", true},
	{"a: 0x10\n", true},
	{"a: 0o17\n", true},
	{"a: 1e3\n", true},
	{"a: 1_000\n", true},
	{"a: .inf\n", true},
	{"a: -.Inf\n", true},
	{"a: .nan\n", true},
	{"a: 2001-12-14\n", true},
	{"a: 2001-12-14T21:59:43.10-05:00\n", true},
	{"a: yes\n", true},
	{"a: on\n", true},
	{"a: True\n", true},
	{"a: FALSE\n", true},
	{"a: 010\n", true},
	{"a: +1\n", true},
	{"a: 1.0\n", true},
	{"a: 1:20\n", true},
	{"a: http://x:1/y?z=1#f\n", true},
	{"a: ${file:/etc/x:key}\n", true},
	{"a: it's\n", true},
	{"a: x\"y\n", true},
	{"a: [x]y\n", false},
	{"a: ...\n", true},
	{"a: .\n", true},
	{"a: b:\n", false},
	{"a: -\n", false},
	{"a: ---\n", false},
	{"---\na: b\n", false},
	{"a: b\n...\n", false},
	{"%YAML 1.1\n---\na: b\n", false},
	{"a: &x b\n", false},
	{"a: *x\n", false},
	{"a: !!str b\n", false},
	{"a: |\n  b\n", false},
	{"a: >\n  b\n", false},
	{"? a\n: b\n", false},
	{": b\n", false},
	{"a: @b\n", false},
	{"a: `b\n", false},
	{"a: ,b\n", false},
	{"a: %b\n", false},
	// Quoted scalars.
	{"a: 'x''y'\n", true},
	{"a: ''\n", true},
	{"a: ''''\n", true},
	{"a: ' x  y '\n", true},
	{"a: '#x' # c\n", true},
	{"a: \"x\\ty\"\n", true},
	{"a: \"\"\n", true},
	{"a: \"\\\" \\\\ \\n \\t \\0 \\a \\b \\v \\f \\r \\e \\  \\' \\N \\_ \\L \\P\"\n", true},
	{"a: \"\\x41\\u00e9\\U0001F600\"\n", true},
	{"a: \"\\u00E9\"\n", true},
	{"a: \"\\/\"\n", false},     // not an escape of yaml.v3
	{"a: \"\\q\"\n", false},     // an unknown escape
	{"a: \"\\x4\"\n", false},    // too few digits
	{"a: \"\\uD800\"\n", false}, // a surrogate
	{"a: \"\\U00110000\"\n", false},
	{"a: \"\\UFFFFFFFF\"\n", false},
	{"a: \"x\\\n  y\"\n", false},
	{"a: \"x\n  y\"\n", false}, // multi-line
	{"a: 'x\n  y'\n", false},
	{"a: \"x\n", false}, // unterminated
	{"a: 'x\n", false},
	{"a: \"x\"y\n", false},
	{"a: \"x\"#c\n", false},
	{"a: 'x' y\n", false},
	{"'a' b: c\n", false},
	// Flow collections.
	{"key: [a, b]\n", true},
	{"key: []\n", true},
	{"key: {}\n", true},
	{"key: [ ]\n", true},
	{"key: { }\n", true},
	{"key: [a,b]\n", true},
	{"key: [ a , b ]\n", true},
	{"key: [a b, c]\n", true},
	{"a: [b, {c: d}]\n", true},
	{"a: [[], [[]], {}]\n", true},
	{"{name: a, topics: {t1: {}}, config: {file: /dev/null}}\n", false}, // a flow root
	{"- {name: a, topics: {t1: {}}, config: {file: /dev/null}}\n", true},
	{"a: {\"a\": b, 'c': 'd'}\n", true},
	{"a: [\"x\", 'y']\n", true},
	{"a: [a:b, c:]\n", true},
	{"a: [http://x/y#z]\n", true},
	{"a: {b: [1, 2], c: {d: e}}  # c\n", true},
	{"a: {a: b, c}\n", false},
	{"a: {a: b,}\n", false},
	{"a: [a, b,]\n", false},
	{"a: [a: b]\n", false},
	{"a: [\"a\": b]\n", false},
	{"a: {\"a\":b}\n", false},
	{"a: {a:b}\n", false},
	{"a: {a: }\n", false},
	{"a: {a:}\n", false},
	{"a: {[a]: b}\n", false},
	{"a: {? a}\n", false},
	{"a: [a?b]\n", false},
	{"a: [a\n", false}, // unterminated, or spanning lines
	{"a: [a,\n  b]\n", false},
	{"a: {a: b\n", false},
	{"a: [a]]\n", false},
	{"a: [a] b\n", false},
	{"a: [a]#c\n", false},
	{"a: [a] # c\n", true},
	{"a: [- a]\n", false},
	{"a: [a, #c]\n", false},
	{"[a]: b\n", false},
	{"{a: b}: c\n", false},
	// Non-ASCII: columns count characters.
	{"é: ü\nb: [ä, ö]\n", true},
	{"a: 日本語 # c\nb: {ключ: значение, k: v}\n", true},
	{"- ü: 1\n  ö: [x, 😀]\n", true},
	{"a: \"é\\u00e9\" 'x'\n", false},
	// Comments and blank lines.
	{"# c\n\na: b # c\n\n# c\n  # c\nc: d\n# c", true},
	{"a:\n  # c\n  b: c\n", true},
	{"a:\n# c\n  b: c\n", true},
	{"a: b\n    # c\nc: d\n", true},
	{"- a\n  # c\n- b\n", true},
	{"a:   # c\n- x\n", true},
	{"", false},
	{"# only a comment\n", false},
	{"\n\n", false},
	// Other roots.
	{"a\n", false},
	{"[a]\n", false},
	{"'a'\n", false},
}

// TestFastParseTricky checks each case: the tree yaml.v3 builds, or
// declined, as the case says; never a tree where yaml.v3 fails.
func TestFastParseTricky(t *testing.T) {
	for _, c := range fastCases {
		declined := checkFast(t, fmt.Sprintf("%q", c.in), []byte(c.in))
		if declined == c.take {
			_, err := parseYAMLv3([]byte(c.in))
			t.Errorf("%q: declined %v, want %v (yaml.v3: %v)", c.in, declined, !c.take, err)
		}
	}
}

// TestFastParseKeyLength: yaml.v3 reads a simple key of at most 1024
// characters; fastParse declines longer ones.
func TestFastParseKeyLength(t *testing.T) {
	for _, n := range []int{10, 999, 1000, 1001, 1024, 1025, 2000} {
		k := strings.Repeat("k", n)
		for _, in := range []string{k + ": v\n", "a: {" + k + ": v}\n", "- " + k + ": v\n  b: c\n"} {
			checkFast(t, fmt.Sprintf("key of %d", n), []byte(in))
		}
	}
}

// FuzzFastParse compares fastParse with yaml.v3 on arbitrary input: a
// tree it returns must be the one yaml.v3 builds.
//
//	go test -short ./manifest -run '^$' -fuzz '^FuzzFastParse$' -fuzztime 3m
func FuzzFastParse(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c.in))
	}
	for _, name := range []string{"../examples/quickstart.yaml", "../examples/production.yaml", "testdata/render/datastax-sample.yaml", "testdata/render/escaping.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFast(t, "fuzz", data)
	})
}

// BenchmarkParse is parseOne of the benchmarks' manifests, by yaml.v3 and
// by the fast path.
func BenchmarkParse(b *testing.B) {
	for _, m := range []struct {
		name string
		data []byte
	}{
		{"flow500", benchFlowManifest(b, 500)},
		{"datastax1000", benchDataStaxManifest(b, 1000)},
	} {
		for _, fast := range []bool{false, true} {
			name := m.name + "/yaml.v3"
			if fast {
				name = m.name + "/fast"
			}
			b.Run(name, func(b *testing.B) {
				fastYAML = fast
				defer func() { fastYAML = true }()
				b.SetBytes(int64(len(m.data)))
				b.ReportAllocs()
				for b.Loop() {
					if root, err := parseOne(m.data); err != nil || root == nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestMayResolve: yaml.v3 resolves every plain scalar for which
// mayResolve is false to a string, so fastParse need not ask it.
func TestMayResolve(t *testing.T) {
	suffixes := []string{"", "0", "1", "x", ".5", "e3", "_1", "ull", "rue", "alse", "es", "o", "n", "ff",
		"inf", "nan", "<", ":1", "-12-14", "001-12-14", "ullx", "ruex", "alsey", "ULL_", "RUE12", "ALSE1", "ESSS",
		"ame", "ile", "ULl", "rUe", "ALSe", "Ue", "ull ", "rue\n", "ame: x", ".inf", "0x10", "NaN", "Inf"}
	for c := 0; c < 256; c++ {
		for _, s := range suffixes {
			v := string(rune(c)) + s
			if c < 0x80 {
				v = string([]byte{byte(c)}) + s
			}
			if v == "" || mayResolve(v) {
				continue
			}
			if tag := (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag(); tag != "!!str" {
				t.Errorf("%q resolves to %s", v, tag)
			}
		}
	}
	for _, v := range []string{"true", "False", "NULL", "null", "~", "<<", "1", "-1", ".5", "yes", "off", "y", "N", "On", "nO", "YeS", "oFF", "tRUE", "fALSE", "nuLL"} {
		if !mayResolve(v) {
			t.Errorf("mayResolve(%q) is false", v)
		}
	}
}

// TestFastParseFragments compares fastParse with yaml.v3 on many small
// documents made of manifest-like lines at random indentations: where
// the random bytes of FuzzFastParse rarely go, into structure.
func TestFastParseFragments(t *testing.T) {
	fragments := []string{
		"a:", "a: b", "- a", "-", "- a:", "- a: b", "- - a", "- - a: b", "b: c", "b:", "c: [d, e]",
		"- {a: b}", "d: {e: f}", "# c", "", "a: 'b'", "\"a\": b", "a: b # c", "- # c", "e: \"x\\ty\"",
		"- [a, b]", "f: ~", "g: 1", "<<: {a: b}", "é: ü", "- é: [ü]", "a b: c d", "a:   ", "- 'x'", "x",
	}
	n := 200000
	if testing.Short() {
		n = 20000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for range n {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(strings.Repeat(" ", rng.IntN(5)))
			b.WriteString(fragments[rng.IntN(len(fragments))])
			b.WriteByte('\n')
		}
		if !checkFast(t, "fragments", []byte(b.String())) {
			taken++
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("fastParse read %d of %d documents, and declined the others", taken, n)
}

// TestFastParsePieceInArena: a piece parsed into an arena that earlier
// pieces used (pieces.go) is the tree fastParse builds for "sinks:\n" and
// the piece's text, moved to the piece's lines; and each declines the
// same inputs. No node or slot of an earlier tree may show through.
func TestFastParsePieceInArena(t *testing.T) {
	fragments := []string{
		"- a", "-", "- a: b", "- {name: x, topics: {t: {}}, config: {file: /dev/null}}", "  b: c",
		"  - d", "    e: [f, g]", "- - a", "# c", "", "- 'x'", "- é: ü", "  x: {a: [b, {c: d}]}", "- <<: {a: b}",
		"a: b", "-\tx", "  ", "- \"q\\ty\"", "  k: ~", "  k:", "    - nested", "    m: n",
	}
	n := 50000
	if testing.Short() {
		n = 5000
	}
	rng := rand.New(rand.NewPCG(3, 4))
	a := &nodeArena{}
	taken := 0
	for range n {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(strings.Repeat(" ", 2*rng.IntN(2)))
			b.WriteString(fragments[rng.IntN(len(fragments))])
			b.WriteByte('\n')
		}
		text, line := b.String(), 1+rng.IntN(5000)
		want, wantOK := fastParse([]byte("sinks:\n" + text))
		a.reset()
		got, gotOK := fastParsePiece(text, line, a)
		if gotOK != wantOK {
			t.Fatalf("%q: fastParsePiece took it %v, fastParse %v", text, gotOK, wantOK)
		}
		if !gotOK {
			continue
		}
		taken++
		shiftLines(want, line-2)
		if d := treeDiff(got, want, "$"); d != "" {
			t.Fatalf("%q at line %d: %s", text, line, d)
		}
	}
	if taken < n/20 {
		t.Fatalf("only %d of %d pieces were read: the test does not test", taken, n)
	}
	t.Logf("%d of %d pieces read, into one arena", taken, n)
}
