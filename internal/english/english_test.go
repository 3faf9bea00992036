package english

import "testing"

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "connectors", 1: "connector", 2: "connectors", -1: "connectors"} {
		if got := Plural(n, "connector", "connectors"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
