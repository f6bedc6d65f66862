//go:build testhooks

package fsutil

import (
	"os"
	"os/exec"
	"time"
)

// The testhooks build of modeltool (go build -tags testhooks) lets end-to-end tests act at a
// precise moment of a write, instead of racing it with a sleep:
//
//	MODELTOOL_TESTHOOK_BEFORE_REPLACE  a shell command run when the new content is complete on
//	                                   disk, just before the target is checked and replaced
//	                                   (MODELTOOL_TESTHOOK_PATH names the target)
//	MODELTOOL_TESTHOOK_BLOCK=1         then wait there for an hour (for a signal to arrive)
//
// Release builds do not contain this file.
func init() {
	command := os.Getenv("MODELTOOL_TESTHOOK_BEFORE_REPLACE")
	if command == "" {
		return
	}
	testHook = func(stage, path string) {
		if stage != "before-replace" {
			return
		}
		c := exec.Command("sh", "-c", command)
		c.Env = append(os.Environ(), "MODELTOOL_TESTHOOK_PATH="+path)
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		_ = c.Run()
		if os.Getenv("MODELTOOL_TESTHOOK_BLOCK") == "1" {
			time.Sleep(time.Hour)
		}
	}
}
