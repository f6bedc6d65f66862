package cli

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/modeltool/modeltool/internal/fsutil"
)

// stopSignals are the signals that end modeltool: Ctrl-C, kill's default and a closed terminal.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// signalRouter is the one owner of stopSignals' delivery in the process. Each signal is decided
// once, under mu, when the router handles it: while a command has taken the signals over (serve,
// which writes no files and stops cleanly), the signal stops that command; otherwise the
// temporary files of a write in progress are removed and the process exits with 128 + the
// signal's number, as a shell reports a process killed by it. Because nothing else receives the
// signals, a command that has stopped and given them back can never see its own Ctrl-C turned
// into an exit afterwards.
type signalRouter struct {
	mu      sync.Mutex
	started bool
	taker   func()         // the stop of the command that has taken the signals over; nil if none
	exit    func(code int) // os.Exit; tests record instead
	cleanup func()         // fsutil.Interrupt
	// Tests' hooks, nil in the program: received runs when a signal has arrived, before it is
	// decided (where a scheduling delay falls); handled after.
	received, handled func(os.Signal)
}

// signals is the process's router.
var signals = &signalRouter{exit: os.Exit, cleanup: fsutil.Interrupt}

// start makes the router receive stopSignals, once.
func (r *signalRouter) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return
	}
	r.started = true
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, notIgnored(stopSignals)...)
	go func() {
		for sig := range ch {
			r.deliver(sig)
		}
	}()
}

// deliver decides what sig does: it stops the command that has taken the signals over, or
// removes the temporary files and exits.
func (r *signalRouter) deliver(sig os.Signal) {
	r.mu.Lock()
	received, handled := r.received, r.handled
	r.mu.Unlock()
	if received != nil {
		received(sig)
	}
	r.mu.Lock()
	if r.taker == nil {
		// A write step already under way finishes first (cleanup waits for it), so a file
		// being replaced is whole: old or new. mu stays held: nothing takes over now.
		r.cleanup()
		code := 128 + 15
		if n, ok := sig.(syscall.Signal); ok {
			code = 128 + int(n)
		}
		r.exit(code)
	} else {
		r.taker()
	}
	r.mu.Unlock()
	if handled != nil {
		handled(sig)
	}
}

// take makes stopSignals call stop instead of ending the process, until release is called.
// The router is started if it was not (a command run in-process, without Run).
func (r *signalRouter) take(stop func()) (release func()) {
	r.start()
	r.mu.Lock()
	r.taker = stop
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.taker = nil
		r.mu.Unlock()
	}
}

// notIgnored returns the signals of sigs that the process does not ignore: a modeltool started
// under nohup, or in the background by a script, keeps ignoring SIGHUP or SIGINT as its parent
// asked (signal.Notify would turn them back on).
func notIgnored(sigs []os.Signal) []os.Signal {
	var out []os.Signal
	for _, s := range sigs {
		if !signal.Ignored(s) {
			out = append(out, s)
		}
	}
	return out
}

// removeTempFilesOnSignal makes SIGINT, SIGTERM and SIGHUP remove the temporary files of a
// write in progress before the process exits (signalRouter). Run has it called before the
// first write (fsutil.OnFirstWrite): receiving signals costs a command that writes nothing
// two threads, about 0.7 ms of a 10 ms validate.
func removeTempFilesOnSignal() { signals.start() }
