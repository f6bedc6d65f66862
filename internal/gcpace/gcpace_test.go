package gcpace

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// percent returns the current GC percent.
func percent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// TestStart: no collection runs while the heap stays under the threshold; past it, one does,
// and the ordinary pacing (GOGC=100, no memory limit) is back.
func TestStart(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set")
	}
	defer func(p int, l int64) { debug.SetGCPercent(p); debug.SetMemoryLimit(l) }(percent(), debug.SetMemoryLimit(-1))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	Start()
	if p := percent(); p != -1 {
		t.Fatalf("GC percent %d after Start", p)
	}
	var keep [][]byte
	for range 8 { // 8 MB kept: far past the 4 MB of the usual first cycle
		keep = append(keep, make([]byte, 1<<20))
	}
	runtime.ReadMemStats(&after)
	if after.NumGC != before.NumGC {
		t.Errorf("%d collections under the threshold", after.NumGC-before.NumGC)
	}
	for range 2 * Threshold >> 20 { // garbage past the threshold
		keep[0] = make([]byte, 1<<20)
	}
	deadline := time.Now().Add(5 * time.Second)
	for percent() != 100 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if p := percent(); p != 100 {
		t.Errorf("GC percent %d after the first collection", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit %d after the first collection", l)
	}
	runtime.KeepAlive(keep)
}
