// Command readfloor sends GET requests to the URLs it is given, all at once,
// reads each answer to its end and discards it. make bench (scripts/bench.sh)
// gives it the requests a no-change plan sends, so that beside each plan
// figure stands what the same reads cost a Go client that does nothing else:
// no manifest, no decoding, no plan. The difference is plan's own work; what
// is left is the reads' own cost on the machine's cores.
//
// It exits 1 when a request fails or answers anything but 200.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	failed := make(chan string, len(os.Args))
	for _, url := range os.Args[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url)
			if err != nil {
				failed <- err.Error()
				return
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				failed <- fmt.Sprintf("%s: %v", url, err)
			} else if resp.StatusCode != http.StatusOK {
				failed <- fmt.Sprintf("%s: %s", url, resp.Status)
			}
		}()
	}
	wg.Wait()
	close(failed)
	code := 0
	for msg := range failed {
		fmt.Fprintln(os.Stderr, "readfloor:", msg)
		code = 1
	}
	os.Exit(code)
}
