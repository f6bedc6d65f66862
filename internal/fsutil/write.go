package fsutil

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// How a write treats what is already at the path.
type writeMode int

const (
	// replaceAny replaces whatever regular file is there, or creates one: the write without
	// either check, which the tests of what every write does use.
	replaceAny writeMode = iota
	// createOnly refuses a path that exists.
	createOnly
	// replaceUnchanged replaces the file only if it still holds what was read from it.
	replaceUnchanged
)

// ExistsError is a file that a write would have created but that already exists.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string { return e.Path + " already exists" }

// ChangedError is a file that changed on disk between the moment modeltool read it and the
// moment it would have been replaced: the write is abandoned so the other change is kept.
type ChangedError struct {
	Path string
	// Gone says the file was removed rather than changed.
	Gone bool
}

func (e *ChangedError) Error() string {
	what := "changed on disk"
	if e.Gone {
		what = "was removed"
	}
	return fmt.Sprintf("%s %s while modeltool was working on it: nothing written, the file on disk is kept as it is; run the command again", e.Path, what)
}

// ErrInterrupted is returned by a write that a signal stopped (see Interrupt).
var ErrInterrupted = errors.New("interrupted")

// CreateFile writes data to a new file at path and fails with an *ExistsError if something is
// already there, even if it appeared while the data was being written.
func CreateFile(path string, data []byte) error {
	return write(path, data, createOnly, nil)
}

// ReplaceFile replaces the file at path, which held original when it was read, with data. If
// the file no longer holds original (another program saved it meanwhile), nothing is written
// and the error is a *ChangedError.
//
// The file keeps what the file system knows about it. Its mode, owner and group stay. A symlink
// is followed: the link stays and the file it points to is replaced. A file with one name is
// replaced by renaming a complete temporary copy over it (flushed to disk first), so a reader
// or a crash sees the old content or the new, never a mix. A file with several hard links, or
// one whose owner a new file could not be given, is written in place instead, as vim and emacs
// do: a backup copy of the old content is flushed to disk beside it first and removed once the
// new content is on disk, so the links stay shared and a crash leaves the old content
// recoverable. On any error the file is left as it was and the temporary file is removed.
//
// A file without write permission is refused even when running as root, which could rename
// over it: the mode says "do not change me".
func ReplaceFile(path string, data, original []byte) error {
	return write(path, data, replaceUnchanged, original)
}

// testHook, when set (SetTestHook), is called at the named stage of a write: "before-replace"
// is after the new content is complete on disk and just before the target is checked and
// replaced (path is the name the caller gave).
var testHook func(stage, path string)

// SetTestHook makes f run at each stage of every write, so that a test can act at a precise
// moment (save the file from "another editor", send a signal) instead of racing the write
// with a sleep. Only tests call it; modeltool itself never does.
func SetTestHook(f func(stage, path string)) { testHook = f }

func hook(stage, path string) {
	if testHook != nil {
		testHook(stage, path)
	}
}

// target is the file a write replaces, as it was before the write.
type target struct {
	path   string // the file itself, symlinks resolved
	exists bool
	mode   fs.FileMode
	owner  owner
}

func write(path string, data []byte, mode writeMode, original []byte) error {
	t, err := resolveTarget(path)
	if err != nil {
		return err
	}
	if t.exists && mode == createOnly {
		return &ExistsError{Path: path}
	}
	if !t.exists && mode == replaceUnchanged {
		return &ChangedError{Path: path, Gone: true}
	}
	if t.exists && (t.owner.links > 1) {
		return writeInPlace(path, t, data, mode, original)
	}
	err = writeByRename(path, t, data, mode, original)
	if errors.Is(err, errOwner) {
		// A new file cannot be given the old one's owner (not root): keep the file and write
		// into it.
		return writeInPlace(path, t, data, mode, original)
	}
	return err
}

// errOwner is a temporary file that cannot be given the target's owner or group.
var errOwner = errors.New("cannot keep the owner")

// writeByRename writes a temporary file beside the target and renames it over the target.
func writeByRename(path string, t target, data []byte, mode writeMode, original []byte) (err error) {
	dir := filepath.Dir(t.path)
	tmp, tmpName, err := createTemp(dir, "."+filepath.Base(t.path)+".tmp-*")
	if err != nil {
		if errors.Is(err, ErrInterrupted) {
			return err
		}
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	defer func() {
		tmp.Close()
		if err != nil {
			removeTemp(tmpName)
		}
	}()
	if _, err = writeFile(tmp, data); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("flushing %s: %w", path, unwrapPath(err))
	}
	if t.exists {
		if err = chownLike(tmp, t.owner); err != nil {
			return err
		}
	}
	// After the chown, which clears set-user-ID and set-group-ID bits.
	if err = tmp.Chmod(t.mode); err != nil {
		return fmt.Errorf("setting the permissions of %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	hook("before-replace", path)
	err = critical(func() error {
		switch mode {
		case createOnly:
			return linkNew(path, tmpName, t.path)
		case replaceUnchanged:
			if err := unchanged(path, t.path, original); err != nil {
				return err
			}
		}
		if err := os.Rename(tmpName, t.path); err != nil {
			return fmt.Errorf("replacing %s: %w", path, unwrapPath(err))
		}
		forget(tmpName)
		return nil
	})
	if err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// linkNew puts the complete temporary file at target only if nothing is there, atomically
// where the file system has hard links, and removes the temporary name.
func linkNew(path, tmpName, target string) error {
	err := os.Link(tmpName, target)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return &ExistsError{Path: path}
	default:
		// No hard links here (some network and FAT file systems): check, then rename.
		if _, serr := os.Lstat(target); serr == nil {
			return &ExistsError{Path: path}
		}
		if err := os.Rename(tmpName, target); err != nil {
			return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
		}
		forget(tmpName)
		return nil
	}
	os.Remove(tmpName)
	forget(tmpName)
	return nil
}

// writeInPlace overwrites the target's own content, after a backup copy of the old content is
// on disk beside it: hard links and the owner stay because the file stays.
func writeInPlace(path string, t target, data []byte, mode writeMode, original []byte) (err error) {
	old := original
	if mode != replaceUnchanged {
		if old, err = ReadFile(t.path); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
	}
	dir := filepath.Dir(t.path)
	bak, bakName, err := createTemp(dir, "."+filepath.Base(t.path)+".orig-*")
	if err != nil {
		if errors.Is(err, ErrInterrupted) {
			return err
		}
		return fmt.Errorf("cannot write %s: cannot make its backup copy: %w", path, unwrapPath(err))
	}
	keepBackup := false
	defer func() {
		bak.Close()
		if !keepBackup {
			removeTemp(bakName)
		}
	}()
	if _, err = writeFile(bak, old); err == nil {
		err = bak.Sync()
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: cannot make its backup copy: %w", path, unwrapPath(err))
	}
	syncDir(dir)
	hook("before-replace", path)
	return critical(func() error {
		if mode == replaceUnchanged {
			if err := unchanged(path, t.path, original); err != nil {
				return err
			}
		}
		f, err := os.OpenFile(t.path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		werr := overwrite(f, data)
		if werr == nil {
			return f.Close()
		}
		// Put the old content back; if even that fails, the backup is the copy to keep.
		if rerr := overwrite(f, old); rerr != nil {
			keepBackup = true
			forget(bakName)
			f.Close()
			return fmt.Errorf("writing %s: %w; putting the old content back failed too (%v): it is in %s", path, unwrapPath(werr), unwrapPath(rerr), bakName)
		}
		f.Close()
		return fmt.Errorf("writing %s: %w", path, unwrapPath(werr))
	})
}

// overwrite makes f hold exactly data, on disk.
func overwrite(f *os.File, data []byte) error {
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	if _, err := writeFile(f, data); err != nil {
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return err
	}
	return f.Sync()
}

// unchanged checks, just before the target is replaced, that it still holds what was read.
// The content is compared, not the modification time, whose resolution can hide a quick save.
func unchanged(path, target string, original []byte) error {
	now, err := os.ReadFile(target)
	if errors.Is(err, fs.ErrNotExist) {
		return &ChangedError{Path: path, Gone: true}
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	if !bytes.Equal(now, original) {
		return &ChangedError{Path: path}
	}
	return nil
}

// writeFile writes data to a file being written; tests replace it to fail halfway, as a full
// disk does.
var writeFile = func(f *os.File, data []byte) (int, error) { return f.Write(data) }

// syncDir makes a rename or a new name in dir durable; not every file system supports it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// resolveTarget follows symlinks to the file that will be replaced and returns what it is: its
// mode, owner and links, or a new file with mode 0644.
func resolveTarget(path string) (target, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target{path: path, mode: 0o644}, nil
	case err != nil:
		return target{}, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	t := target{path: path, exists: true}
	if st.Mode()&fs.ModeSymlink != 0 {
		t.path, err = filepath.EvalSymlinks(path)
		if err != nil {
			return target{}, fmt.Errorf("cannot write %s: it is a symlink that does not resolve: %w", path, unwrapPath(err))
		}
		st, err = os.Stat(t.path)
		if err != nil {
			return target{}, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
	}
	if !st.Mode().IsRegular() {
		return target{}, fmt.Errorf("cannot write %s: it is %s, not a regular file", path, describeMode(st.Mode()))
	}
	// A file without write permission says "do not change me"; honour it even when running as
	// root, which could rename over it.
	if st.Mode().Perm()&0o200 == 0 {
		return target{}, fmt.Errorf("cannot write %s: it is read-only (mode %04o)", path, st.Mode().Perm())
	}
	t.mode = st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	t.owner = ownerOf(st)
	return t, nil
}

// describeMode names a kind of file that is not a regular one.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "a special file"
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
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// isPermission reports whether err says the caller may not do something.
func isPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM)
}
