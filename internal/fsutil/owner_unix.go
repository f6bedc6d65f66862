//go:build unix

package fsutil

import (
	"io/fs"
	"os"
	"syscall"
)

// owner is what a file system records about a file besides its mode: its owner, group and
// number of hard links.
type owner struct {
	known    bool
	uid, gid int
	links    uint64
}

func ownerOf(st fs.FileInfo) owner {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{links: 1}
	}
	return owner{known: true, uid: int(s.Uid), gid: int(s.Gid), links: uint64(s.Nlink)}
}

// chownLike gives f the owner and group o, unless it has them already. It returns errOwner
// when the process may not (only root can give a file away).
func chownLike(f *os.File, o owner) error {
	if !o.known {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if now := ownerOf(st); now.uid == o.uid && now.gid == o.gid {
		return nil
	}
	if err := f.Chown(o.uid, o.gid); err != nil {
		if isPermission(err) {
			return errOwner
		}
		return err
	}
	return nil
}
