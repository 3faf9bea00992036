package diff

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cmpReporter is a go-cmp Reporter that collects the keys of two
// map[string]string values that differ: what diff.Configs asked go-cmp for
// before differingKeys replaced it, kept here as the reference.
type cmpReporter struct {
	path  cmp.Path
	diffs []Field
}

func (r *cmpReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *cmpReporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *cmpReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	mi, ok := r.path.Last().(cmp.MapIndex)
	if !ok {
		return
	}
	vb, va := mi.Values()
	f := Field{Key: mi.Key().String()}
	if vb.IsValid() {
		f.Before, f.HasBefore = vb.String(), true
	}
	if va.IsValid() {
		f.After, f.HasAfter = va.String(), true
	}
	r.diffs = append(r.diffs, f)
}

func cmpDifferingKeys(before, after map[string]string) []Field {
	rep := &cmpReporter{}
	cmp.Equal(before, after, cmp.Reporter(rep))
	return sortedFields(rep.diffs)
}

func sortedFields(fs []Field) []Field {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	return fs
}

func TestDifferingKeysMatchesCmp(t *testing.T) {
	for _, c := range []struct{ before, after map[string]string }{
		{nil, nil},
		{map[string]string{}, nil},
		{map[string]string{"a": "1"}, map[string]string{"a": "1"}},
		{map[string]string{"a": "1"}, map[string]string{"a": "2"}},
		{map[string]string{"a": "1"}, map[string]string{"b": "1"}},
		{map[string]string{"a": ""}, map[string]string{}},
		{map[string]string{}, map[string]string{"a": ""}},
		{map[string]string{"a": "1", "b": "2", "c": "3"}, map[string]string{"b": "2", "c": "4", "d": "5"}},
		{map[string]string{"k": "[hidden]"}, map[string]string{"k": "secret"}},
	} {
		got, want := sortedFields(differingKeys(c.before, c.after)), cmpDifferingKeys(c.before, c.after)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("differingKeys(%v, %v), against go-cmp (-want +got):\n%s", c.before, c.after, d)
		}
	}
}

// FuzzDifferingKeysMatchesCmp holds differingKeys to go-cmp's answer on
// configs parsed from two texts: "k=v" pairs separated by ';'.
func FuzzDifferingKeysMatchesCmp(f *testing.F) {
	f.Add("a=1;b=2", "a=1;b=3;c=")
	f.Add("", "x=")
	f.Add("k=[hidden]", "k=s3cret;k2=v")
	f.Fuzz(func(t *testing.T, before, after string) {
		b, a := parsePairs(before), parsePairs(after)
		got, want := sortedFields(differingKeys(b, a)), cmpDifferingKeys(b, a)
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("differingKeys(%q, %q), against go-cmp (-want +got):\n%s", before, after, d)
		}
	})
}

func parsePairs(s string) map[string]string {
	m := map[string]string{}
	for _, p := range strings.Split(s, ";") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		m[k] = v
	}
	return m
}
