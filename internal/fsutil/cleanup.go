package fsutil

import (
	"os"
	"sync"
)

// The temporary files of writes in progress, so that a signal can remove them before the
// process exits (Interrupt). Every step of a write that creates, renames or removes a name, and
// the in-place overwrite of a file, runs under mu; Interrupt takes mu and never gives it back,
// so once it runs no write starts or finishes a step, and no step is cut in half.
var cleanups = &registry{}

type registry struct {
	mu          sync.Mutex
	interrupted bool
	temps       map[string]bool
}

// firstWrite runs f once, before the first write of the process creates a file (OnFirstWrite).
type firstWrite struct {
	once sync.Once
	f    func()
}

var beforeWrites = &firstWrite{}

// OnFirstWrite makes f run once, before the first write of the process creates a temporary
// file: the command layer starts receiving the signals that call Interrupt there, so that a
// command that writes nothing pays nothing for it (a process that gets a signal before it
// has written anything has nothing to clean up, and ends as the signal ends it).
func OnFirstWrite(f func()) { beforeWrites.f = f }

// Interrupt removes the temporary files of every write in progress and stops all further
// writes: a write step that is running finishes first (a replaced file is whole, old or new),
// and any write that reaches its next step blocks for good. The command layer calls it when
// SIGINT, SIGTERM or SIGHUP arrives, just before the process exits; it is not meant to be
// undone.
func Interrupt() { cleanups.interrupt() }

func (r *registry) interrupt() {
	r.mu.Lock()
	r.interrupted = true
	for name := range r.temps {
		os.Remove(name)
	}
	clear(r.temps)
	// mu stays locked: the process is about to exit.
}

// critical runs f as one step of a write, unless writes were interrupted.
func critical(f func() error) error { return cleanups.critical(f) }

func (r *registry) critical(f func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.interrupted {
		return ErrInterrupted
	}
	return f()
}

// createTemp creates a temporary file in dir (os.CreateTemp's pattern) and records it for
// Interrupt.
func createTemp(dir, pattern string) (f *os.File, name string, err error) {
	beforeWrites.once.Do(func() {
		if beforeWrites.f != nil {
			beforeWrites.f()
		}
	})
	err = critical(func() error {
		f, err = os.CreateTemp(dir, pattern)
		if err != nil {
			return err
		}
		name = f.Name()
		if cleanups.temps == nil {
			cleanups.temps = map[string]bool{}
		}
		cleanups.temps[name] = true
		return nil
	})
	return f, name, err
}

// forget stops tracking a temporary name that has been renamed or removed; the caller holds mu
// (it runs inside critical).
func forget(name string) { delete(cleanups.temps, name) }

// removeTemp removes a temporary file and stops tracking it.
func removeTemp(name string) {
	_ = critical(func() error {
		os.Remove(name)
		forget(name)
		return nil
	})
}
