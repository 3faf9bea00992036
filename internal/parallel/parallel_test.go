package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForCallsEachIndexOnce(t *testing.T) {
	for _, c := range []struct{ n, workers int }{{0, 4}, {1, 4}, {5, 1}, {5, 0}, {100, 3}, {3, 100}} {
		seen := make([]atomic.Int32, c.n)
		For(c.n, c.workers, func(i int) { seen[i].Add(1) })
		for i := range seen {
			if got := seen[i].Load(); got != 1 {
				t.Errorf("n=%d workers=%d: f(%d) called %d times", c.n, c.workers, i, got)
			}
		}
	}
}

func TestForInOrderWithOneWorker(t *testing.T) {
	var got []int
	For(4, 1, func(i int) { got = append(got, i) })
	for i, v := range got {
		if v != i {
			t.Fatalf("one worker: order %v", got)
		}
	}
}
