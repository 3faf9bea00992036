package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// gcFloor lets the garbage collector wait until the process holds floor
// bytes before it first runs, instead of Go's default of about 4 MB of
// heap, and then hands it back to the default pacing (GOGC=100, no limit)
// for good, once a collection finds more than a third of floor still live.
//
// A no-change plan of 500 connectors holds about 10 MB at its largest and
// is over in a few tens of milliseconds: at the default, three
// collections took a fifth of its CPU (24 ms instead of 30 ms, GOGC=200
// against 100, in 15 runs), on cores it shares with the worker serving
// the read; with a floor of 24 MiB it runs none. A large manifest is back
// on the default pacing soon after its live heap passes a third of floor,
// so its peak memory is about what it was (validate of 5000 sinks: 42 MB
// either way). Until then the collector runs whenever the process
// reaches floor (the memory limit, with GOGC off), which is a normal
// collection while most of floor is garbage.
//
// GOGC or GOMEMLIMIT in the environment is the user's choice, and left
// alone.
func gcFloor(floor int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(floor)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		// A finalizer runs after the collection that finds its object
		// unreachable: once per cycle, re-armed each time.
		t := new(gcTick)
		runtime.SetFinalizer(t, func(*gcTick) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > uint64(floor/3) {
				debug.SetGCPercent(100)
				debug.SetMemoryLimit(math.MaxInt64)
				return
			}
			arm()
		})
	}
	arm()
}

// gcTick is large enough not to be batched with other tiny objects, whose
// finalizers may never run.
type gcTick struct{ _ [32]byte }
