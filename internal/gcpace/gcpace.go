// Package gcpace paces the garbage collector for a command that usually ends within
// milliseconds: validating a model file in a pre-commit hook allocates a few megabytes, and
// the collector's first cycle (due at 4 MB, with its worker threads) costs more than the
// check itself. Until the runtime's memory reaches Threshold the collector does not run; from
// its first cycle on it runs with the ordinary pacing (GOGC=100), so a large file is collected
// as usual.
package gcpace

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

// Threshold is the memory at which the first collection starts. It is a memory limit, so it
// counts all the runtime holds — the heap's spans, goroutine stacks, the collector's own
// metadata — about twice what a short command has allocated, and the runtime starts working
// to stay under it (collecting, returning memory to the system) some way before it is
// reached. At 16 MiB that work began during populate of Jamba (7 MB allocated, 13.7 MB by the
// limit's count) and cost 1–2 ms of a 20 ms run; at 32 MiB no command on a shipped model
// comes near it.
const Threshold = 32 << 20

// sentinel is freed by the first collection; its finalizer restores the ordinary pacing.
type sentinel struct{ _ *int }

// Start delays the first collection to Threshold, unless the user set GOGC or GOMEMLIMIT
// (their settings stand). Call it first thing in main.
func Start() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(Threshold)
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}
