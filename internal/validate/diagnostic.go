// Package validate checks model files and templates: JSON syntax, duplicate keys, the schema,
// the layer catalog (classes and their required parameters), placeholder expressions, and
// structural rules. Every finding carries its file position and the dotted path of its layer.
package validate

import (
	"cmp"
	"slices"
)

// Severity says whether a finding fails validation.
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

// Diagnostic is one finding.
type Diagnostic struct {
	File string `json:"file"`
	// Line and Column are 1-based; Column counts bytes.
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Pointer  string   `json:"pointer"`
	Layer    string   `json:"layer"`
	Severity Severity `json:"severity"`
	// Code is a stable identifier of the rule, for filtering in scripts.
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Sort orders diagnostics by file, line, column, then severity and message.
func Sort(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Message, b.Message),
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
