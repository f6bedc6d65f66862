package fsutil

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// writeAny replaces (or creates) the file at path with data, whatever it holds now: what
// ReplaceFile and CreateFile do, without their checks, so these tests see the write itself.
func writeAny(path string, data []byte) error {
	return write(path, data, replaceAny, nil)
}

func TestWriteKeepsPermissions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := writeAny(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %04o, want 0640", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteNewFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "new.json")
	if err := writeAny(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %04o, want 0644", st.Mode().Perm())
	}
}

// TestWriteFailingHalfway makes the write stop half way with "no space left on device": the
// target keeps its old content and no temporary file is left.
func TestWriteFailingHalfway(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	os.WriteFile(p, []byte("old content"), 0o644)
	defer func(orig func(*os.File, []byte) (int, error)) { writeFile = orig }(writeFile)
	writeFile = func(f *os.File, data []byte) (int, error) {
		n, _ := f.Write(data[:len(data)/2])
		return n, syscall.ENOSPC
	}
	err := writeAny(p, []byte("a much longer new content"))
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "writing "+p) {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old content" {
		t.Errorf("target changed: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

func TestWriteFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	os.WriteFile(real, []byte("old"), 0o600)
	if err := os.Symlink("real.json", link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := writeAny(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target content %q", b)
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
		t.Errorf("target mode %04o", st.Mode().Perm())
	}
}

func TestWriteRefusesReadOnlyTarget(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ro.json")
	os.WriteFile(p, []byte("keep"), 0o444)
	err := writeAny(p, []byte("new"))
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Errorf("content %q", b)
	}
}

func TestWriteFailsInReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write into a read-only directory; the read-only target case covers refusal")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "m.json")
	os.WriteFile(p, []byte("keep"), 0o644)
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)
	if err := writeAny(p, []byte("new")); err == nil {
		t.Fatal("wrote into a read-only directory")
	}
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Errorf("content %q", b)
	}
}

func TestWriteRefusesDirectoryAndDanglingLink(t *testing.T) {
	dir := t.TempDir()
	if err := writeAny(dir, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	link := filepath.Join(dir, "dangling.json")
	if err := os.Symlink("nowhere.json", link); err == nil {
		if err := writeAny(link, []byte("x")); err == nil || !strings.Contains(err.Error(), "does not resolve") {
			t.Errorf("dangling link: %v", err)
		}
	}
}

// TestConcurrentWritesNeverMix has many writers replace one file at once: every read in
// between and the final content is exactly one writer's complete output.
func TestConcurrentWritesNeverMix(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.json")
	os.WriteFile(p, bytes.Repeat([]byte("0"), 1<<16), 0o644)
	const writers = 8
	contents := make([][]byte, writers)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte(fmt.Sprint(i)), 1<<16)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad []string
	var mu sync.Mutex
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(p)
			if err != nil || len(b) != 1<<16 || bytes.Count(b, b[:1]) != len(b) {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("err=%v len=%d", err, len(b)))
				mu.Unlock()
			}
		}
	}()
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				if err := writeAny(p, contents[i]); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	if len(bad) > 0 {
		t.Fatalf("a reader saw a partial file: %v", bad[:min(3, len(bad))])
	}
	final, _ := os.ReadFile(p)
	if bytes.Count(final, final[:1]) != len(final) || len(final) != 1<<16 {
		t.Fatal("final content is a mix")
	}
}

func TestReadLimitedBoundary(t *testing.T) {
	if _, err := ReadLimited(strings.NewReader("12345"), "in", 4); err == nil {
		t.Error("read past the limit")
	}
	if b, err := ReadLimited(strings.NewReader("1234"), "in", 4); err != nil || string(b) != "1234" {
		t.Errorf("%q %v", b, err)
	}
}

func TestExpandPathsSkipsConfigsAndHidden(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.json", "a.json", "config.json", "x.config.json", "notes.txt", ".hidden/h.json", "sub/c.json"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644)
	}
	found, _, err := ExpandPaths([]string{dir, "-"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "sub/c.json"), "-"}
	if got := paths(found); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, _, err := ExpandPaths([]string{filepath.Join(dir, "missing.json")}); err == nil {
		t.Error("a missing path passed")
	}
}
