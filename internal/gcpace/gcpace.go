// Package gcpace paces the garbage collector for a command that usually ends within
// milliseconds: validating a model file in a pre-commit hook allocates a few megabytes, and
// the collector's first cycle (due at 4 MB, with its worker threads) costs more than the
// check itself. Until the heap reaches Threshold the collector does not run; from its first
// cycle on it runs with the ordinary pacing (GOGC=100), so a large file is collected as usual.
package gcpace

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

// Threshold is the heap size of the first collection.
const Threshold = 16 << 20

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
