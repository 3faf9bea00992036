package object

import "testing"

func TestRef(t *testing.T) {
	for _, tc := range []struct {
		ref                         Ref
		str, qualified, kindAndName string
	}{
		{SinkRef("local", "orders"), "sink local/orders", "local/orders", "sink/orders"},
		{WorkerRef("local", "10.0.0.5:8083"), "worker local/10.0.0.5:8083", "local/10.0.0.5:8083", "worker/10.0.0.5:8083"},
		{ClusterRef("local"), "cluster local", "local", "cluster/local"},
		{SourceRef("prod", "src"), "source prod/src", "prod/src", "source/src"},
	} {
		if got := tc.ref.String(); got != tc.str {
			t.Errorf("%#v.String() = %q, want %q", tc.ref, got, tc.str)
		}
		if got := tc.ref.Qualified(); got != tc.qualified {
			t.Errorf("%#v.Qualified() = %q, want %q", tc.ref, got, tc.qualified)
		}
		if got := tc.ref.KindName(); got != tc.kindAndName {
			t.Errorf("%#v.KindName() = %q, want %q", tc.ref, got, tc.kindAndName)
		}
	}
}

func TestParseDesired(t *testing.T) {
	for _, tc := range []struct {
		word string
		want State
		ok   bool
	}{
		{"", StateRunning, true},
		{"running", StateRunning, true},
		{"paused", StatePaused, true},
		{"stopped", StateStopped, true},
		{"RUNNING", "", false}, // the manifest writes states in lower case
		{"failed", "", false},  // a state a worker reaches, never asked for
		{"restarting", "", false},
		{"pause", "", false},
	} {
		got, ok := ParseDesired(tc.word)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseDesired(%q) = %q, %v; want %q, %v", tc.word, got, ok, tc.want, tc.ok)
		}
		if ok && got.Word() != map[string]string{"": "running"}[tc.word]+tc.word {
			t.Errorf("%q.Word() = %q, want %q", got, got.Word(), tc.word)
		}
	}
}
