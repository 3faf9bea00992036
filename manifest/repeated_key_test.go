package manifest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectsync/connectsync/manifest"
)

// TestRepeatedKeys checks the repeated keys of a mapping, with a merge
// key and a key that is not a string among them, in a mapping of a few
// keys and in one of many: the decoder looks back over a short mapping's
// keys and keeps a map of a long one's, and both must say the same.
func TestRepeatedKeys(t *testing.T) {
	for _, n := range []int{3, 8, 15, 16, 17, 40} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("version: 1\nsinks:\n  - name: s\n    config:\n")
			line := 5 // of the next key
			var want []string
			key := func(k string) {
				fmt.Fprintf(&b, "      %s: v\n", k)
				line++
			}
			first := map[string]int{}
			for i := range n {
				k := fmt.Sprintf("k%d", i%max(n/2, 1))
				if i == 1 {
					b.WriteString("      <<: {a: b}\n")
					want = append(want, fmt.Sprintf("m.yaml:%d:7: sinks[0].config: merge keys are not supported (hint: write the keys out; merge keys (<<) are not supported)", line))
					line++
					b.WriteString("      [x]: v\n")
					want = append(want, fmt.Sprintf(`m.yaml:%d:7: sinks[0].config: a key must be a plain string, got a list`, line))
					line++
				}
				if l, dup := first[k]; dup {
					want = append(want, fmt.Sprintf(`m.yaml:%d:7: sinks[0].config.%s: key %q appears twice (first at line %d) (hint: remove one of them)`, line, k, k, l))
				} else {
					first[k] = line
				}
				key(k)
			}
			_, ds := manifest.Parse("m.yaml", []byte(b.String()))
			if diff := cmp.Diff(want, lines(ds)); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s\nmanifest:\n%s", diff, b.String())
			}
		})
	}
}
