// Command readfloor sends GET requests to the URLs it is given and reads
// each answer to its end and discards it. make bench (scripts/bench.sh)
// gives it the requests a no-change plan sends, so that beside each plan
// figure stands what the same reads cost a Go client that does nothing else:
// no manifest, no decoding, no plan. The difference is plan's own work; what
// is left is the reads' own cost on the machine's cores.
//
// It sends them as plan does: every expand read (a URL with a query) at once,
// each on a connection of its own, and beside them, for each worker (scheme,
// host and port), that worker's other requests one after the other, on one
// connection, in the order given.
//
// It exits 1 when a request fails or answers anything but 200.
package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
)

func main() {
	var reads []string
	var workers []string
	others := map[string][]string{}
	for _, raw := range os.Args[1:] {
		u, err := url.Parse(raw)
		if err != nil {
			fmt.Fprintln(os.Stderr, "readfloor:", err)
			os.Exit(1)
		}
		if u.RawQuery != "" {
			reads = append(reads, raw)
			continue
		}
		w := u.Scheme + "://" + u.Host
		if _, ok := others[w]; !ok {
			workers = append(workers, w)
		}
		others[w] = append(others[w], raw)
	}
	var wg sync.WaitGroup
	failed := make(chan string, len(os.Args))
	get := func(url string) {
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
	}
	for _, url := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			get(url)
		}()
	}
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, url := range others[w] {
				get(url)
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
