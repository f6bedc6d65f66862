package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces the file at path with data so that a reader (or a crash) sees either
// the old content or the new, never a mix: it writes a temporary file in the same directory,
// flushes it to disk, gives it the target's permissions and renames it over the target. A
// symlinked target is followed, so the link stays and the file it points to is replaced. On any
// error the target is left as it was and the temporary file is removed.
func WriteFileAtomic(path string, data []byte) (err error) {
	target, mode, err := resolveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err = writeFile(tmp, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("flushing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("setting the permissions of %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = os.Rename(tmpName, target); err != nil {
		return fmt.Errorf("replacing %s: %w", path, unwrapPath(err))
	}
	// Make the rename itself durable; not every file system supports syncing a directory.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// writeFile writes data to the temporary file; tests replace it to fail halfway, as a full
// disk does.
var writeFile = func(f *os.File, data []byte) (int, error) { return f.Write(data) }

// resolveTarget follows symlinks to the file that will be replaced and returns the mode the
// new file gets: the old file's, or 0644 for a new file.
func resolveTarget(path string) (string, fs.FileMode, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return path, 0o644, nil
	case err != nil:
		return "", 0, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	target := path
	if st.Mode()&fs.ModeSymlink != 0 {
		target, err = filepath.EvalSymlinks(path)
		if err != nil {
			return "", 0, fmt.Errorf("cannot write %s: it is a symlink that does not resolve: %w", path, unwrapPath(err))
		}
		st, err = os.Stat(target)
		if err != nil {
			return "", 0, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
	}
	if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("cannot write %s: it is not a regular file", path)
	}
	// A file without write permission says "do not change me"; honour it even when running as
	// root, which could rename over it.
	if st.Mode().Perm()&0o200 == 0 {
		return "", 0, fmt.Errorf("cannot write %s: it is read-only (mode %04o)", path, st.Mode().Perm())
	}
	return target, st.Mode().Perm(), nil
}

// unwrapPath drops the *PathError wrapper so messages name the path once.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
