// Package fsutil reads inputs with a size limit and writes outputs atomically, keeping the
// target's permissions and following symlinks, so that nothing already on disk is lost.
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

// ReadLimited reads all of r, failing with a *TooLargeError past limit bytes; it never holds
// more than limit+1 bytes.
func ReadLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
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

// ReadFile reads a file of at most MaxInputBytes. A URL is refused.
func ReadFile(path string) ([]byte, error) {
	if IsURL(path) {
		return nil, &URLError{Path: path}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a directory", path)
		}
		if st.Size() > MaxInputBytes {
			return nil, &TooLargeError{Name: path, Limit: MaxInputBytes}
		}
	}
	return ReadLimited(f, path, MaxInputBytes)
}

// IsHuggingFaceConfig reports whether a file name is that of a HuggingFace config
// (config.json, or NAME.config.json as modeltool ships them beside model files), which
// directory walks skip.
func IsHuggingFaceConfig(name string) bool {
	base := filepath.Base(name)
	return base == "config.json" || strings.HasSuffix(base, ".config.json")
}

// ExpandPaths turns command-line paths into file names: files stay as given, "-" stays as it
// is (standard input), directories become the *.json files below them (sorted, HuggingFace
// configs and hidden directories skipped).
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		if IsURL(p) {
			return nil, &URLError{Path: p}
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), ".json") && !IsHuggingFaceConfig(d.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s holds no *.json model files", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// IsNotExist reports whether err says a file does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
