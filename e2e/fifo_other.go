//go:build !unix

package e2e

import "errors"

// withFIFO fails: this system has no named pipes, and the case is skipped.
func withFIFO(string) func(dir string) error {
	return func(string) error { return errors.New("no named pipes here") }
}
