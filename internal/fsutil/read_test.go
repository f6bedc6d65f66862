package fsutil

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestReadLimited(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640,000 bytes: several chunks
	cases := []struct {
		name  string
		r     io.Reader
		limit int64
		ok    bool
	}{
		{"empty", strings.NewReader(""), 10, true},
		{"small", strings.NewReader("{}"), 10, true},
		{"exactly the limit", bytes.NewReader(data), int64(len(data)), true},
		{"one byte over", bytes.NewReader(data), int64(len(data)) - 1, false},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:100000])), 1 << 20, true},
		{"half reads", iotest.HalfReader(bytes.NewReader(data)), 1 << 20, true},
	}
	for _, c := range cases {
		got, err := ReadLimited(c.r, "in", c.limit)
		if !c.ok {
			var tl *TooLargeError
			if !errors.As(err, &tl) || tl.Name != "in" {
				t.Errorf("%s: err = %v, want a TooLargeError", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := data
		switch c.name {
		case "empty":
			want = nil
		case "small":
			want = []byte("{}")
		case "one byte at a time":
			want = data[:100000]
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: read %d bytes, want %d", c.name, len(got), len(want))
		}
	}
	if _, err := ReadLimited(iotest.ErrReader(errors.New("boom")), "in", 10); err == nil || !strings.Contains(err.Error(), "reading in: boom") {
		t.Errorf("read error: %v", err)
	}
}

// endless is a stream that never ends, like a pipe from yes(1).
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestReadLimitedMemory: refusing an endless stream allocates about the limit, not more
// (io.ReadAll's growing buffer used to allocate about 2.5 times the limit).
func TestReadLimitedMemory(t *testing.T) {
	const limit = 16 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadLimited(endless{}, "stdin", limit)
	runtime.ReadMemStats(&after)
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err = %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit*5/4 {
		t.Errorf("allocated %d bytes to refuse a stream over %d", alloc, limit)
	}
}

// TestReadLimitedRegularFile: a regular file (standard input redirected from a file) that is too
// large is refused from its size, before anything is read; its read position counts.
func TestReadLimitedRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, bytes.Repeat([]byte(" "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ReadLimited(f, "stdin", 999); err == nil {
		t.Fatal("a 1000-byte file passed a 999-byte limit")
	}
	if _, err := f.Seek(500, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLimited(f, "stdin", 999)
	if err != nil || len(got) != 500 {
		t.Fatalf("from offset 500: %d bytes, %v", len(got), err)
	}
}

func TestPathErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.json")
	_, err := ReadFile(missing)
	if err == nil || err.Error() != missing+": no such file or directory" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile: %v", err)
	}
	_, _, err = ExpandPaths([]string{missing})
	if err == nil || err.Error() != missing+": no such file or directory" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ExpandPaths: %v", err)
	}
	if _, err := ReadFile(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("ReadFile(dir): %v", err)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.json", "a.json", "config.json", "x.config.json", "notes.txt", "sub/c.json", ".hidden/d.json"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, skipped, err := ExpandPaths([]string{"-", dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "sub", "c.json")}
	if got := paths(found); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
	if found[0].Dir != "" || found[1].Dir != dir {
		t.Errorf("Dir of - is %q, of a.json %q", found[0].Dir, found[1].Dir)
	}
	wantSkips := []string{
		filepath.Join(dir, ".hidden") + ": a hidden directory",
		filepath.Join(dir, "config.json") + ": a HuggingFace config (populate --check reads it with the model file beside it)",
		filepath.Join(dir, "x.config.json") + ": a HuggingFace config (populate --check reads it with the model file beside it)",
	}
	if got := skips(skipped); strings.Join(got, "\n") != strings.Join(wantSkips, "\n") {
		t.Errorf("skipped %q\nwant %q", got, wantSkips)
	}
	empty := filepath.Join(dir, "sub2")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if found, _, err := ExpandPaths([]string{empty}); err != nil || len(found) != 0 {
		t.Errorf("empty directory: %v %v", found, err)
	}
}

func paths(found []Found) []string {
	var out []string
	for _, f := range found {
		out = append(out, f.Path)
	}
	return out
}

func skips(skipped []Skip) []string {
	var out []string
	for _, s := range skipped {
		out = append(out, s.Path+": "+s.Reason)
	}
	return out
}

// TestExpandPathsOnce: a file named twice, or named and also inside a directory given, is
// validated once (its findings would otherwise be printed twice and counted twice).
func TestExpandPathsOnce(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := filepath.Join(dir, "a.json")
	found, _, err := ExpandPaths([]string{a, dir, "-", filepath.Join(dir, ".", "b.json"), "-", a})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a, filepath.Join(dir, "b.json"), "-"}
	if got := paths(found); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// grownFile is a regular file whose size was sizeSaid when Stat was called but that holds
// more by the time it is read.
type grownFile struct {
	io.Reader
	sizeSaid int64
}

func (g grownFile) Stat() (fs.FileInfo, error) { return fakeInfo{g.sizeSaid}, nil }

type fakeInfo struct{ size int64 }

func (fakeInfo) Name() string       { return "grown" }
func (i fakeInfo) Size() int64      { return i.size }
func (fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (fakeInfo) ModTime() time.Time { return time.Time{} }
func (fakeInfo) IsDir() bool        { return false }
func (fakeInfo) Sys() any           { return nil }

// TestReadLimitedKnownSize: a regular file is read whole into one buffer of its size; one that
// grew after its size was taken is still read to its end, and still refused past the limit.
func TestReadLimitedKnownSize(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for _, said := range []int64{int64(len(data)), 100 << 10, 0} {
		got, err := ReadLimited(grownFile{bytes.NewReader(data), said}, "f", 2<<20)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("size said %d: %d bytes, %v", said, len(got), err)
		}
	}
	if _, err := ReadLimited(grownFile{bytes.NewReader(data), 100 << 10}, "f", 512<<10); err == nil {
		t.Error("a file that grew past the limit was read")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := ReadLimited(grownFile{bytes.NewReader(data), int64(len(data))}, "f", 2<<20); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(data))*9/8 {
		t.Errorf("allocated %d bytes to read %d", alloc, len(data))
	}
}
