package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/connectsync/connectsync/object"
)

// TestFingerprintIsUnchanged pins Fingerprint to the bytes it hashed when
// it was written with fmt, so that plans saved by older builds still
// match.
func TestFingerprintIsUnchanged(t *testing.T) {
	old := func(cfg map[string]string, state object.State, sensitive func(string) bool) string {
		h := sha256.New()
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := cfg[k]
			if sensitive != nil && sensitive(k) {
				v = "(sensitive)"
			}
			fmt.Fprintf(h, "%q=%q\n", k, v)
		}
		fmt.Fprintf(h, "state=%q\n", state)
		return hex.EncodeToString(h.Sum(nil))[:16]
	}
	secret := func(k string) bool { return k == "password" }
	for _, cfg := range []map[string]string{
		nil,
		{},
		{"connector.class": "org.example.Sink", "topics": "a,b", "password": "hunter2"},
		{"quote\"d": "tab\tnew\nline", "unicode": "héllo \u2028 \x00 \xff"},
	} {
		for _, state := range []object.State{object.StateRunning, object.StateStopped, object.StateAbsent} {
			if cfg == nil && state == object.StateAbsent {
				continue
			}
			if got, want := Fingerprint(cfg, state, secret), old(cfg, state, secret); got != want {
				t.Errorf("Fingerprint(%v, %q) = %s, want %s", cfg, state, got, want)
			}
		}
	}
}

// TestAppendQuoteIsStrconv: the fast path quotes exactly as strconv does,
// so that fingerprints, and the plans saved with them, do not change.
func TestAppendQuoteIsStrconv(t *testing.T) {
	for _, s := range []string{"", "plain", "org.example.Sink", "a b~", "q\"", `b\s`, "tab\t", "nl\n", "\x7f", "é", "\xff", "日本", "\u2028", " !#}~"} {
		if got, want := string(appendQuote([]byte("x="), s)), strconv.Quote(s); got != "x="+want {
			t.Errorf("appendQuote(%q) = %s, want x=%s", s, got, want)
		}
	}
}

func FuzzAppendQuoteIsStrconv(f *testing.F) {
	f.Add("org.apache.kafka.connect.file.FileStreamSinkConnector")
	f.Add("\"\\\x00é")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQuote(nil, s)), strconv.Quote(s); got != want {
			t.Fatalf("appendQuote(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestNoFingerprints: a plan that is only read skips the fingerprints, and
// plans the same changes otherwise.
func TestNoFingerprints(t *testing.T) {
	desired := []Sink{{Cluster: "c", Name: "a", Config: map[string]string{"k": "2"}, State: object.StateRunning},
		{Cluster: "c", Name: "new", Config: map[string]string{"k": "1"}, State: object.StateRunning}}
	live := map[string]Connector{"a": {Name: "a", Config: map[string]string{"k": "1"}, State: object.StateRunning},
		"gone": {Name: "gone", Config: map[string]string{"k": "1"}, State: object.StatePaused}}
	o := SinkOptions{Prune: Prune{Enabled: true}}
	with := PlanSinks("c", desired, live, o)
	o.NoFingerprints = true
	without := PlanSinks("c", desired, live, o)
	if len(with) != 3 || len(without) != 3 {
		t.Fatalf("changes: %d with fingerprints, %d without; want 3", len(with), len(without))
	}
	for i := range with {
		if with[i].Fingerprint == "" || without[i].Fingerprint != "" {
			t.Errorf("%s: fingerprint %q with, %q without", with[i].Ref, with[i].Fingerprint, without[i].Fingerprint)
		}
		with[i].Fingerprint = ""
		if fmt.Sprint(with[i]) != fmt.Sprint(without[i]) {
			t.Errorf("%s planned differently without fingerprints:\n%v\n%v", with[i].Ref, with[i], without[i])
		}
	}
}
