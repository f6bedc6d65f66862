//go:build unix

package fsutil

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func stat(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t)
}

// TestReplaceKeepsOwner gives the file to another user and group (as root, which the tests run
// as in CI) and replaces it: the new file has the old owner, group and mode, including the
// set-group-ID bit that chown would clear.
func TestReplaceKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	os.WriteFile(p, []byte("old"), 0o640)
	if err := os.Chown(p, 4321, 8765); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, os.ModeSetgid|0o640); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceFile(p, []byte("new"), []byte("old")); err != nil {
		t.Fatal(err)
	}
	s := stat(t, p)
	if s.Uid != 4321 || s.Gid != 8765 {
		t.Errorf("owner %d:%d, want 4321:8765", s.Uid, s.Gid)
	}
	if st, _ := os.Stat(p); st.Mode()&(os.ModePerm|os.ModeSetgid) != 0o640|os.ModeSetgid {
		t.Errorf("mode %v, want g+s and 0640", st.Mode())
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	assertNoTemporaries(t, dir, 1)
}

// TestReplaceKeepsHardLinks: a file with two names is written in place, so both names still
// show the new content and share one inode; the backup copy is gone afterwards.
func TestReplaceKeepsHardLinks(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(a, []byte("a much longer old content"), 0o644)
	if err := os.Link(a, b); err != nil {
		t.Skip("no hard links here:", err)
	}
	ino := stat(t, a).Ino
	if err := ReplaceFile(a, []byte("new"), []byte("a much longer old content")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b} {
		if got, _ := os.ReadFile(p); string(got) != "new" {
			t.Errorf("%s holds %q", p, got)
		}
		if s := stat(t, p); s.Ino != ino || s.Nlink != 2 {
			t.Errorf("%s: inode %d (want %d), %d links", p, s.Ino, ino, s.Nlink)
		}
	}
	assertNoTemporaries(t, dir, 2)
}

// TestInPlaceFailureRestores: a write in place that fails half way (a full disk) puts the old
// content back.
func TestInPlaceFailureRestores(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	old := []byte("old content, kept")
	os.WriteFile(a, old, 0o644)
	if err := os.Link(a, b); err != nil {
		t.Skip("no hard links here:", err)
	}
	defer func(orig func(*os.File, []byte) (int, error)) { writeFile = orig }(writeFile)
	calls := 0
	writeFile = func(f *os.File, data []byte) (int, error) {
		calls++
		if calls == 2 { // the first call writes the backup, the second the target
			n, _ := f.Write(data[:len(data)/2])
			return n, syscall.ENOSPC
		}
		return f.Write(data)
	}
	err := ReplaceFile(a, []byte("a new content that is longer than the old"), old)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v", err)
	}
	if got, _ := os.ReadFile(b); !bytes.Equal(got, old) {
		t.Errorf("content %q, want the old", got)
	}
	assertNoTemporaries(t, dir, 2)
}

// TestReplaceDetectsConcurrentEdit saves the file from "another program" at the last moment
// before the replacement (through the test hook): the write is abandoned and the other
// program's content stays, in both ways of writing.
func TestReplaceDetectsConcurrentEdit(t *testing.T) {
	for _, links := range []int{1, 2} {
		dir := t.TempDir()
		p := filepath.Join(dir, "m.json")
		os.WriteFile(p, []byte("as read"), 0o644)
		if links == 2 {
			if err := os.Link(p, filepath.Join(dir, "other.json")); err != nil {
				t.Skip("no hard links here:", err)
			}
		}
		testHook = func(stage, path string) {
			if stage == "before-replace" && path == p {
				os.WriteFile(p, []byte("the user's edit"), 0o644)
			}
		}
		err := ReplaceFile(p, []byte("populate's output"), []byte("as read"))
		testHook = nil
		var ce *ChangedError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "changed on disk") {
			t.Fatalf("links %d: error %v", links, err)
		}
		if got, _ := os.ReadFile(p); string(got) != "the user's edit" {
			t.Errorf("links %d: content %q", links, got)
		}
		assertNoTemporaries(t, dir, links)
	}
}

// TestCreateRefusesLateArrival: a file that appears at the target while CreateFile writes is
// not overwritten.
func TestCreateRefusesLateArrival(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.json")
	testHook = func(stage, path string) { os.WriteFile(p, []byte("someone else's"), 0o644) }
	err := CreateFile(p, []byte("ours"))
	testHook = nil
	var ee *ExistsError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "someone else's" {
		t.Errorf("content %q", got)
	}
	assertNoTemporaries(t, dir, 1)
	if err := CreateFile(p, []byte("x")); !errors.As(err, &ee) {
		t.Errorf("existing file: %v", err)
	}
	q := filepath.Join(dir, "fresh.json")
	if err := CreateFile(q, []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(q); string(got) != "fresh" {
		t.Errorf("content %q", got)
	}
}

// TestInterruptRemovesTemporary interrupts a write after its temporary file is complete: the
// temporary file is removed, the target is untouched, and the write reports ErrInterrupted.
func TestInterruptRemovesTemporary(t *testing.T) {
	saved := cleanups
	cleanups = &registry{}
	defer func() { cleanups = saved }()
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	os.WriteFile(p, []byte("old"), 0o644)
	var seen []string
	testHook = func(stage, path string) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			seen = append(seen, e.Name())
		}
		// What the signal handler does; it keeps the lock, so hand the write a registry that
		// says it was interrupted without blocking this test.
		cleanups.interrupt()
		cleanups = &registry{interrupted: true}
	}
	err := ReplaceFile(p, []byte("new"), []byte("old"))
	testHook = nil
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v", err)
	}
	if len(seen) != 2 {
		t.Errorf("the temporary file did not exist at the hook: %v", seen)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("content %q", got)
	}
	assertNoTemporaries(t, dir, 1)
}

// TestReadRefusesFIFO: a named pipe is refused at once, never waited on.
func TestReadRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo); done <- err }()
	select {
	case err := <-done:
		var se *SpecialFileError
		if !errors.As(err, &se) || err.Error() != fifo+" is a named pipe (FIFO), not a regular file: modeltool reads regular files, or standard input given as -" {
			t.Errorf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO")
	}
	os.WriteFile(filepath.Join(dir, "a.json"), []byte("{}"), 0o644)
	os.Symlink("pipe.json", filepath.Join(dir, "link.json"))
	found, skipped, err := ExpandPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(found); len(got) != 1 || got[0] != filepath.Join(dir, "a.json") {
		t.Errorf("found %v", got)
	}
	want := []string{filepath.Join(dir, "link.json") + ": a symlink to a named pipe (FIFO)", fifo + ": a named pipe (FIFO), not a regular file"}
	if got := skips(skipped); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped %q", got)
	}
	if err := writeAny(fifo, []byte("x")); err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO), not a regular file") {
		t.Errorf("write to a FIFO: %v", err)
	}
}

// assertNoTemporaries checks that dir holds exactly n entries: no temporary or backup file is
// left.
func assertNoTemporaries(t *testing.T, dir string, n int) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != n {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%d entries in the directory, want %d: %v", len(entries), n, names)
	}
}
