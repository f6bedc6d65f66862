package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/modeltool/modeltool/internal/populate"
)

// WritePopulate says what a populate run did: the keys it filled, the layers it added, the
// values it updated, the author's values it kept, what it could not match and what the file
// still lacks. written says whether the result went anywhere: when it did not (it would not
// validate), the changes are what a fill would make ("would fill", "would add", "would
// update"). The validation errors left in the result are diagnostics, printed by the command
// with the rest.
func WritePopulate(w io.Writer, res *populate.Result, written bool) error {
	r := &res.Report
	filled, added, updated := "filled", "added", "updated"
	if !written {
		filled, added, updated = "would fill", "would add", "would update"
	}
	var b strings.Builder
	for _, c := range r.Filled {
		path := c.Path
		if path == "" {
			path = "(file)"
		}
		fmt.Fprintf(&b, "%s %s: %s\n", filled, path, strings.Join(c.Keys, ", "))
	}
	for _, p := range r.Added {
		fmt.Fprintf(&b, "%s %s\n", added, p)
	}
	for _, u := range r.Updated {
		fmt.Fprintf(&b, "%s %s\n", updated, u)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, k := range r.Kept {
		fmt.Fprintf(&b, "kept %s\n", k)
	}
	for _, p := range r.Unmatched {
		fmt.Fprintf(&b, "not filled: %s has no counterpart in the template\n", p)
	}
	for _, p := range r.Missing {
		fmt.Fprintf(&b, "missing: %s (the template has it; --add-missing inserts it)\n", p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
