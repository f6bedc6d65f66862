// Package diag is the one shape of a fault found at a place in an input file — a model file,
// a template, a config.json, a catalog or a hardware file — and the error that carries such
// faults from the package that finds them to the command that prints them.
//
// Domain packages return faults as a *Error (or errors that wrap one); they never print. The
// command layer prints every diagnostic through one printer (internal/report), so a fault in a
// config comes out in text, JSON or GitHub workflow commands exactly like a validation finding.
package diag

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a diagnostic fails the command.
type Severity int

// Severities.
const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q (error or warning)", b)
	}
	return nil
}

// Diagnostic is one fault at a place in a file. Its JSON form is the element of the
// "diagnostics" array of every command's --format json.
type Diagnostic struct {
	File string `json:"file"`
	// Line and Column are 1-based; Column counts bytes. 0 means the fault concerns the file as a
	// whole (a config that fails a template's requirement).
	Line   int `json:"line"`
	Column int `json:"column"`
	// Pointer is the RFC 6901 JSON pointer of the offending value ("" when there is none).
	Pointer string `json:"pointer"`
	// Layer is the dotted path of the layer the fault is in ("" for faults outside layers).
	Layer    string   `json:"layer"`
	Severity Severity `json:"severity"`
	// Code is a stable identifier of the rule, for filtering in scripts.
	Code    string `json:"code"`
	Message string `json:"message"`
}

// String renders d as one line: FILE:LINE:COL: SEVERITY: [LAYER: ]MESSAGE (FILE: SEVERITY:
// MESSAGE for a fault without a position), escaping what must not reach a terminal.
func (d Diagnostic) String() string {
	msg := Printable(d.Message)
	if d.Layer != "" {
		msg = DisplayLayer(d.Layer) + ": " + msg
	}
	return fmt.Sprintf("%s %s: %s", d.Place(), d.Severity, msg)
}

// Place is d's position as printed in front of it: "FILE:LINE:COL:", or "FILE:" for a fault
// without a position.
func (d Diagnostic) Place() string {
	if d.Line <= 0 {
		return Printable(d.File) + ":"
	}
	return fmt.Sprintf("%s:%d:%d:", Printable(d.File), d.Line, d.Column)
}

// Sort orders diagnostics by file name, then line and column (a fault of the file as a whole,
// line 0, first), errors before warnings at one place, and otherwise keeps the order in which
// they were found (a stable sort): the order docs/output.md promises. A package whose checks
// find faults in an order that varies from run to run (a map's) makes that order fixed itself.
func Sort(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Severity, b.Severity),
		)
	})
}

// Count returns the number of errors and warnings in ds.
func Count(ds []Diagnostic) (errors, warnings int) {
	for _, d := range ds {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Errors returns the diagnostics of ds that are errors.
func Errors(ds []Diagnostic) []Diagnostic {
	var out []Diagnostic
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Faults is an error made of diagnostics: what a package returns when its input has faults
// at places in a file. Its Error text is the diagnostics, one a line.
type Faults struct {
	Diagnostics []Diagnostic
}

func (e *Faults) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// New returns ds as an error, or nil when ds is empty.
func New(ds ...Diagnostic) error {
	if len(ds) == 0 {
		return nil
	}
	return &Faults{Diagnostics: ds}
}

// Split separates err into the diagnostics of every *Faults in it (through %w wrapping and
// errors.Join, in order) and the rest: each other error of the tree that carries none. A
// wrapper around faults adds no diagnostic of its own; give context in the diagnostics'
// messages or in the command's summary instead.
func Split(err error) (ds []Diagnostic, rest []error) {
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *Faults:
			ds = append(ds, e.Diagnostics...)
		case interface{ Unwrap() []error }:
			for _, c := range e.Unwrap() {
				walk(c)
			}
		default:
			var f *Faults
			if errors.As(err, &f) {
				walk(errors.Unwrap(err))
				return
			}
			rest = append(rest, err)
		}
	}
	walk(err)
	return ds, rest
}
