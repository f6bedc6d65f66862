//go:build !unix

package e2e

import "os"

// peakRSS is not measured on this system.
func peakRSS(*os.ProcessState) (int64, bool) { return 0, false }
