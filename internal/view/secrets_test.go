package view

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// A run resolves secrets one at a time, and each is added as it is
// resolved: every one of many added that way is masked, a secret that
// contains another is masked whole, and a secret added after a Scrub is
// masked by the next one.
func TestSecretsAddedOneAtATime(t *testing.T) {
	s := &Secrets{}
	const n = 1000
	for i := range n {
		s.Add(fmt.Sprintf("pw-%05d", i))
		s.Add(fmt.Sprintf("pw-%05d", i)) // again: no second entry
	}
	if len(s.values) != n {
		t.Fatalf("%d values registered, want %d", len(s.values), n)
	}
	if got := s.Scrub("a pw-00007 b pw-00999 c"); got != "a *** b *** c" {
		t.Errorf("Scrub = %q", got)
	}
	if got := s.Scrub(`{"a": "pw\u002d00500"}`); got != `{"a": "***"}` {
		t.Errorf("an escaped form: Scrub = %q", got)
	}
	s.Add("pw-00007-longer")
	if got := s.Scrub("x pw-00007-longer y"); got != "x *** y" {
		t.Errorf("a secret containing another: Scrub = %q", got)
	}
}

// Scrub and Add may run at once (the client scrubs worker messages while
// the resolver adds), and a text with an escaped secret is scrubbed while a
// secret is added.
func TestSecretsConcurrentScrubAndAdd(t *testing.T) {
	s := &Secrets{}
	s.Add("first-secret")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				s.Add(fmt.Sprintf("secret-%d-%d", g, i))
				if got := s.Scrub("say first-secret"); strings.Contains(got, "first") {
					t.Errorf("Scrub = %q", got)
					return
				}
				if got := s.Scrub(`say first\u002dsecret`); strings.Contains(got, "first") {
					t.Errorf("Scrub = %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
