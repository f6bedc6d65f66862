//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

// openNonBlocking opens a file for reading without waiting: a named pipe that replaced a
// regular file after it was checked opens at once (and is then refused) instead of blocking
// until a writer comes. Reads from a regular file are not affected.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
