package cli

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hookSignals makes the process's signal router record exits instead of exiting and calls
// received when a signal has arrived, before it is decided — the window where the scheduler
// may delay the router. It returns the exit codes recorded and a wait for the next signal to
// be decided; the router is restored at the end of the test.
func hookSignals(t *testing.T, received func()) (exits func() []int, decided <-chan struct{}) {
	t.Helper()
	signals.start()
	var mu sync.Mutex
	var codes []int
	done := make(chan struct{}, 1)
	signals.mu.Lock()
	exit, cleanup := signals.exit, signals.cleanup
	signals.exit = func(code int) { mu.Lock(); codes = append(codes, code); mu.Unlock() }
	signals.cleanup = func() {}
	signals.received = func(os.Signal) { received() }
	signals.handled = func(os.Signal) { done <- struct{}{} }
	signals.mu.Unlock()
	t.Cleanup(func() {
		signals.mu.Lock()
		signals.exit, signals.cleanup, signals.received, signals.handled = exit, cleanup, nil, nil
		signals.mu.Unlock()
	})
	return func() []int { mu.Lock(); defer mu.Unlock(); return append([]int(nil), codes...) }, done
}

// TestSignalHandOver: a command that has taken the signals over (serve) is stopped by SIGINT
// and gives them back; the process must not exit afterwards, however late the router runs.
// The hook holds the router after the signal arrived until the command has given the signals
// back (or 20 ms passed): where two receivers each got the signal, the router then found
// nobody holding it and exited 130 — every time, not once in a hundred runs. Then a SIGINT with
// nobody holding the signals exits 130.
func TestSignalHandOver(t *testing.T) {
	var released atomic.Pointer[chan struct{}]
	exits, decided := hookSignals(t, func() {
		select {
		case <-*released.Load():
		case <-time.After(20 * time.Millisecond):
		}
	})
	for i := 0; i < 100; i++ {
		ch := make(chan struct{})
		released.Store(&ch)
		ctx, stop := context.WithCancel(context.Background())
		release := signals.take(stop)
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d: SIGINT did not stop the command that took the signals", i)
		}
		release()
		close(ch)
		<-decided
		if got := exits(); len(got) != 0 {
			t.Fatalf("run %d: SIGINT while the signals were taken over exited %v", i, got)
		}
	}
	ch := make(chan struct{})
	close(ch)
	released.Store(&ch)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-decided
	if got := exits(); len(got) != 1 || got[0] != 130 {
		t.Fatalf("SIGINT with nobody holding the signals: exits %v, want [130]", got)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestServeInterruptExitsZero runs modeltool serve in-process and stops it with a real SIGINT,
// ten times, with the router held (as above) until serve has returned: serve says it stopped,
// Main returns 0 and the router never exits.
func TestServeInterruptExitsZero(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "models", "gpt2.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gpt2.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var returned atomic.Pointer[chan struct{}]
	exits, decided := hookSignals(t, func() {
		select {
		case <-*returned.Load():
		case <-time.After(20 * time.Millisecond):
		}
	})
	serving := regexp.MustCompile(`serving 1 model\(s\) \(gpt2\) at http://127\.0\.0\.1:[0-9]+/`)
	for i := 0; i < 10; i++ {
		ch := make(chan struct{})
		returned.Store(&ch)
		stderr := &syncBuffer{}
		code := make(chan int, 1)
		go func() {
			code <- Main([]string{"serve", "--addr", "127.0.0.1:0", dir}, &Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: stderr})
			close(ch)
		}()
		deadline := time.Now().Add(30 * time.Second)
		for !serving.MatchString(stderr.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("serve said nothing in 30 s: %q", stderr.String())
			}
			time.Sleep(time.Millisecond)
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-code:
			if c != 0 {
				t.Fatalf("run %d: exit %d, stderr %q", i, c, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("run %d: serve did not stop on SIGINT", i)
		}
		<-decided
		if got := exits(); len(got) != 0 {
			t.Fatalf("run %d: the router exited %v after serve stopped", i, got)
		}
		if !strings.Contains(stderr.String(), "modeltool: stopped") {
			t.Fatalf("run %d: stderr %q does not say it stopped", i, stderr.String())
		}
	}
}

// TestNotIgnored: a signal the process ignores (as under nohup) is not taken over by the router.
func TestNotIgnored(t *testing.T) {
	if signal.Ignored(syscall.SIGHUP) {
		t.Skip("SIGHUP is ignored by whoever started the tests")
	}
	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	got := notIgnored(stopSignals)
	if slices.Contains(got, os.Signal(syscall.SIGHUP)) || !slices.Contains(got, os.Signal(syscall.SIGINT)) {
		t.Errorf("notIgnored = %v, want SIGINT and SIGTERM without SIGHUP", got)
	}
}
