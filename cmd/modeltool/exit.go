package main

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// Exit codes (architecture §6).
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// findingsError means the command ran and found problems in its input: exit 1. msg, if any,
// is printed after "modeltool: "; raw lines (already in FILE:LINE:COL form) are printed as
// they are.
type findingsError struct {
	msg string
	raw bool
}

func (e *findingsError) Error() string { return e.msg }

// usageError is a mistake in how the command was called: exit 2 with a hint to --help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// exitCode maps a command's error to the process exit code and prints it, if it has not been
// reported already.
func exitCode(err error, cmdPath string, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, syscall.EPIPE) {
		// The reader went away (modeltool calc … | head -1): nothing to say.
		return exitOK
	}
	var fe *findingsError
	if errors.As(err, &fe) {
		switch {
		case fe.msg == "":
		case fe.raw:
			fmt.Fprintln(stderr, fe.msg)
		default:
			fmt.Fprintf(stderr, "modeltool: %s\n", fe.msg)
		}
		return exitFindings
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "modeltool: %s\nRun '%s --help' for usage.\n", ue.err, cmdPath)
		return exitUsage
	}
	fmt.Fprintf(stderr, "modeltool: %s\n", err)
	return exitUsage
}
