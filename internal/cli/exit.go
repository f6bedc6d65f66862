package cli

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/report"
)

// Exit codes (README "Exit codes").
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// faultError ends a command that ran into faults: in the input it checks (exit 1, findings) or
// in a file it needs to do its work — a --catalog, a template, a --hardware-file (exit 2, like
// an unreadable file). The diagnostics in err are printed in the command's diagnostic format
// (see faultFormat); the rest of err and msg are printed after them on standard error as
// "modeltool: …" lines.
type faultError struct {
	code int
	msg  string
	err  error
}

func (e *faultError) Error() string {
	switch {
	case e.err == nil:
		return e.msg
	case e.msg == "":
		return e.err.Error()
	}
	return e.msg + ":\n" + e.err.Error()
}

func (e *faultError) Unwrap() error { return e.err }

// findings is a fault of the input the command checks: exit 1. err may carry diagnostics.
func findings(msg string, err error) error {
	return &faultError{code: exitFindings, msg: msg, err: err}
}

// brokenInput is a fault of a file the command needs to do its work: exit 2.
func brokenInput(msg string, err error) error {
	return &faultError{code: exitUsage, msg: msg, err: err}
}

// usageError is a mistake in how the command was called: exit 2 with a hint to --help. Flag
// errors (through cobra's SetFlagErrorFunc), argument errors (through usageArgs) and the
// commands' own checks of their options are usage errors by construction.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// exiter prints a command's error and maps it to the process exit code: in one place, so every
// command reports the same way.
type exiter struct {
	streams *Streams
	// format is the diagnostic format of the command that ran (text, json or github), and
	// color whether text may be coloured.
	format string
	color  string
	// outUsed says whether the command wrote to standard output: diagnostics in json or
	// github then go to standard error, so they never follow the command's own output.
	outUsed func() bool
}

// exitCode prints err, if it has not been reported already, and returns the exit code.
func (x *exiter) exitCode(err error, cmdPath string) int {
	stderr := x.streams.Err
	if err == nil {
		return exitOK
	}
	if errors.Is(err, syscall.EPIPE) {
		// The reader went away (modeltool calc … | head -1): nothing to say.
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "modeltool: %s\nRun '%s --help' for usage.\n", ue.err, cmdPath)
		return exitUsage
	}
	code, msg := exitUsage, ""
	var fe *faultError
	if errors.As(err, &fe) {
		code, msg, err = fe.code, fe.msg, fe.err
	}
	ds, rest := diag.Split(err)
	if len(ds) > 0 {
		x.printDiagnostics(ds)
	}
	for _, r := range rest {
		fmt.Fprintf(stderr, "modeltool: %s\n", r)
	}
	if msg != "" {
		fmt.Fprintf(stderr, "modeltool: %s\n", msg)
	}
	return code
}

// printDiagnostics prints the faults of a failed command: text on standard error; json (one
// diagnostics document) or github (workflow commands) on standard output, as validate prints
// its findings, unless the command already wrote its own output there. They are printed in
// report.WriteDiagnostics' one order (by file, line and column).
func (x *exiter) printDiagnostics(ds []diag.Diagnostic) {
	var w io.Writer = x.streams.Err
	terminal := x.streams.ErrTerminal
	if x.format != "text" && !x.outUsed() {
		w, terminal = x.streams.Out, x.streams.OutTerminal
	}
	colored, err := useColor(x.color, x.streams, terminal)
	if err != nil {
		colored = false
	}
	files := map[string]bool{}
	for _, d := range ds {
		files[d.File] = true
	}
	// Nothing more can be done if printing fails (a closed pipe): the exit code still tells.
	_ = report.WriteDiagnostics(w, x.format, ds, len(files), colored)
}

// faultFormat is the diagnostic format that goes with a command's --format: json and github
// as they are, every other format (text, table, csv, html) text.
func faultFormat(format string) string {
	switch format {
	case "json", "github":
		return format
	}
	return "text"
}
