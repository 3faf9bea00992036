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
// heap, and then hands it to a tighter pacing than Go's default (GOGC=50
// instead of 100, no limit) for good, once a collection finds more than a
// third of floor still live.
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
// Past the floor the heap may grow by half of what is live, not by all of
// it: a process this large holds a manifest of thousands of sinks and
// their live state to the end, and at GOGC=100 the garbage of the read and
// of the plan doubled that. A no-change plan of 5000 connectors peaked at
// 40-44 MiB of RSS at 100, 39-40 MiB at 50; validate of 10,000 DataStax
// sinks took 0.38 s (0.62 s of CPU) at 100, 0.44 s (0.72 s) at 50, and
// peaked at 84 MiB against 71 (medians of 7, docs/performance.md).
//
// GOGC or GOMEMLIMIT in the environment is the user's choice, and left
// alone.
func gcFloor(floor int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(floor)
	// The live heap is what the last collection marked, from runtime/metrics.
	// runtime.ReadMemStats would spare that package's initialisation (about
	// 0.1 ms of every start-up, net, against a build without it), but its
	// HeapAlloc, read here, still counts the garbage not yet swept: after a
	// collection at 24 MiB that left 4.8 MiB live it read 15.9 MiB, and
	// would have switched to GOGC=50 at the first collection. It also stops
	// the world.
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		// A finalizer runs after the collection that finds its object
		// unreachable: once per cycle, re-armed each time.
		t := new(gcTick)
		runtime.SetFinalizer(t, func(*gcTick) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > uint64(floor/3) {
				debug.SetGCPercent(gcPercent)
				debug.SetMemoryLimit(math.MaxInt64)
				return
			}
			arm()
		})
	}
	arm()
}

// gcPercent is GOGC once the heap is past the floor.
const gcPercent = 50

// gcTick is large enough not to be batched with other tiny objects, whose
// finalizers may never run.
type gcTick struct{ _ [32]byte }
