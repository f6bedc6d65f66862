// Package fsutil reads inputs with a size limit, never opening special files, and writes
// outputs so that nothing already on disk is lost: atomically or in place after a backup copy,
// keeping the target's mode, owner, group and hard links, refusing to clobber what the caller
// did not name and what changed on disk since it was read, and leaving no temporary file
// behind when a signal stops the process.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxInputBytes is the largest file modeltool reads: model files of 50,000 basic layers are
// about 20 MB, so 64 MiB leaves room while bounding memory.
const MaxInputBytes = 64 << 20

// TooLargeError is an input over the size limit.
type TooLargeError struct {
	Name  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d MiB, the most modeltool reads", e.Name, e.Limit>>20)
}

// PathError is a file or directory that cannot be read: "models/x.json: no such file or
// directory", without the name of the system call that failed. It unwraps to the cause, so
// errors.Is(err, fs.ErrNotExist) still works.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PathError) Unwrap() error { return e.Err }

// pathError turns an *fs.PathError ("open x.json: permission denied") into a *PathError.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &PathError{Path: pe.Path, Err: pe.Err}
	}
	return err
}

// ReadLimited reads all of r, failing with a *TooLargeError past limit bytes. Memory stays
// bounded by the limit, not by what r holds: a regular file (standard input redirected from one)
// that is too large is refused before reading, and a pipe is read in chunks, so refusing a
// 200 MB stream holds about limit bytes, and a successful read about twice its size at most
// (io.ReadAll's doubling would keep several generations of its buffer alive).
func ReadLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	var (
		chunks [][]byte
		total  int64
		size   = 64 << 10
	)
	if f, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			known := st.Size()
			if sk, ok := r.(io.Seeker); ok {
				if off, err := sk.Seek(0, io.SeekCurrent); err == nil {
					known -= off
				}
			}
			if known > limit {
				return nil, &TooLargeError{Name: name, Limit: limit}
			}
			// A file of known size is read into one buffer of that size (and a byte more, to
			// see it end), not in chunks copied together: reading 50 MB holds 50 MB, not 100.
			if known > int64(size) {
				buf := make([]byte, known+1)
				n, err := io.ReadFull(r, buf)
				total = int64(n)
				switch {
				case err == io.EOF || err == io.ErrUnexpectedEOF:
					return buf[:n], nil
				case err != nil:
					return nil, fmt.Errorf("reading %s: %w", name, err)
				}
				chunks = append(chunks, buf) // it grew while we read: go on in chunks
				size = 4 << 20
			}
		}
	}
	for {
		buf := make([]byte, size)
		n, err := io.ReadFull(r, buf)
		total += int64(n)
		if total > limit {
			return nil, &TooLargeError{Name: name, Limit: limit}
		}
		if n > 0 {
			chunks = append(chunks, buf[:n])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		size = min(size*2, 4<<20)
	}
	switch len(chunks) {
	case 0:
		return []byte{}, nil
	case 1:
		return chunks[0], nil
	}
	data := make([]byte, 0, total)
	for i, c := range chunks {
		data = append(data, c...)
		chunks[i] = nil
	}
	return data, nil
}

// URLError is a path that is a URL: modeltool never touches the network.
type URLError struct{ Path string }

func (e *URLError) Error() string {
	return fmt.Sprintf("%s is a URL; modeltool never fetches anything over the network: download it and give the file's path", e.Path)
}

// IsURL reports whether path looks like a URL rather than a file name.
func IsURL(path string) bool {
	i := strings.Index(path, "://")
	if i <= 0 {
		return false
	}
	for _, c := range path[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// SpecialFileError is a path that names a named pipe, socket or device: reading one can block
// forever or have side effects, so modeltool reads only regular files (and standard input, -).
type SpecialFileError struct {
	Path string
	Mode fs.FileMode
}

func (e *SpecialFileError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file: modeltool reads regular files, or standard input given as -", e.Path, describeMode(e.Mode))
}

// ReadFile reads a regular file of at most MaxInputBytes. A URL, a directory and a special
// file (named pipe, socket, device) are refused without being read: a named pipe is opened
// without waiting for a writer, and checked again once open, so nothing blocks.
func ReadFile(path string) ([]byte, error) {
	if IsURL(path) {
		return nil, &URLError{Path: path}
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, pathError(err)
	}
	if err := checkRegular(path, st); err != nil {
		return nil, err
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, pathError(err)
	}
	defer f.Close()
	if st, err = f.Stat(); err == nil {
		if err := checkRegular(path, st); err != nil {
			return nil, err
		}
		if st.Size() > MaxInputBytes {
			return nil, &TooLargeError{Name: path, Limit: MaxInputBytes}
		}
	}
	return ReadLimited(f, path, MaxInputBytes)
}

func checkRegular(path string, st fs.FileInfo) error {
	switch {
	case st.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case !st.Mode().IsRegular():
		return &SpecialFileError{Path: path, Mode: st.Mode()}
	}
	return nil
}

// IsHuggingFaceConfig reports whether a file name is that of a HuggingFace config
// (config.json, or NAME.config.json as modeltool ships them beside model files), which
// directory walks skip.
func IsHuggingFaceConfig(name string) bool {
	base := filepath.Base(name)
	return base == "config.json" || strings.HasSuffix(base, ".config.json")
}

// Found is a file to read: named on the command line, or found by walking a directory.
type Found struct {
	Path string
	// Dir is the directory given on the command line that the file was found in; "" for a file
	// named itself. A walk finds candidates; the command decides from their content which are
	// model files (model.Classify), while a file named itself is always read.
	Dir string
}

// Skip is a file a directory walk passed over without opening it, and why.
type Skip struct {
	Path   string
	Reason string
}

// ExpandPaths turns command-line paths into files to read. A file stays as given (even a
// special one: reading it reports what it is), "-" stays as it is (standard input), and a
// directory becomes the *.json files below it, sorted. The walk never opens anything but
// directories: it skips hidden directories, HuggingFace configs (config.json, NAME.config.json)
// and whatever is not a regular file (named pipes, sockets, devices, symlinks to them or to
// nothing), and returns those skips with their reasons. A file named more than once (or also
// found in a directory given) is listed once, where it first comes.
func ExpandPaths(paths []string) ([]Found, []Skip, error) {
	var (
		out     []Found
		skipped []Skip
	)
	seen := map[string]bool{}
	add := func(dir string, names ...string) {
		for _, n := range names {
			if key := filepath.Clean(n); !seen[key] {
				seen[key] = true
				out = append(out, Found{Path: n, Dir: dir})
			}
		}
	}
	for _, p := range paths {
		if p == "-" {
			add("", p)
			continue
		}
		if IsURL(p) {
			return nil, nil, &URLError{Path: p}
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, pathError(err)
		}
		if !st.IsDir() {
			add("", p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					skipped = append(skipped, Skip{path, "a hidden directory"})
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(d.Name(), ".json") {
				return nil
			}
			if reason := walkSkip(path, d); reason != "" {
				skipped = append(skipped, Skip{path, reason})
				return nil
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			return nil, nil, pathError(err)
		}
		sort.Strings(found)
		add(p, found...)
	}
	return out, skipped, nil
}

// walkSkip says why a walk does not read a *.json entry, or "" when it reads it.
func walkSkip(path string, d fs.DirEntry) string {
	mode := d.Type()
	if mode&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		if err != nil {
			return "a symlink that does not resolve"
		}
		if !st.Mode().IsRegular() {
			return "a symlink to " + describeMode(st.Mode())
		}
		mode = 0
	}
	if !mode.IsRegular() {
		return describeMode(mode) + ", not a regular file"
	}
	if IsHuggingFaceConfig(path) {
		return "a HuggingFace config (populate --check reads it with the model file beside it)"
	}
	return ""
}
