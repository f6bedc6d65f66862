//go:build unix

package e2e

import (
	"path/filepath"
	"syscall"
)

// withFIFO makes a named pipe at name in a case's directory.
func withFIFO(name string) func(dir string) error {
	return func(dir string) error { return syscall.Mkfifo(filepath.Join(dir, name), 0o644) }
}
