package cli

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/modeltool/modeltool/internal/fsutil"
)

// removeTempFilesOnSignal makes SIGINT, SIGTERM and SIGHUP remove the temporary files of a
// write in progress before the process exits (with 128 + the signal's number, as a shell
// reports a process killed by it). A write step already under way finishes first, so a file
// being replaced is whole: old or new.
func removeTempFilesOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigs
		for signalsTakenOver.Load() {
			sig = <-sigs
		}
		fsutil.Interrupt()
		code := 128 + 15
		if n, ok := sig.(syscall.Signal); ok {
			code = 128 + int(n)
		}
		os.Exit(code)
	}()
}

// signalsTakenOver is set while a command that writes no files (serve) handles the signals
// itself, to stop cleanly.
var signalsTakenOver atomic.Bool
