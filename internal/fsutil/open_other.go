//go:build !unix

package fsutil

import "os"

// openNonBlocking opens a file for reading.
func openNonBlocking(path string) (*os.File, error) { return os.Open(path) }
