// Package parallel runs the iterations of a loop on several goroutines:
// the one worker pool that loading, validating and writing files share.
package parallel

import (
	"sync"
	"sync/atomic"
)

// For calls f(0) .. f(n-1), up to workers of them at once, and returns
// when all have returned. With workers <= 1 it calls them in order, on the
// caller's goroutine. f must be safe to call concurrently for distinct i.
func For(n, workers int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		}()
	}
	wg.Wait()
}
