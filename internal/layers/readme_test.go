package layers_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/layers"
)

var update = flag.Bool("update", false, "rewrite the conventions table in README.md from the catalog")

// conventionsTable renders one row per catalog class: its parameter count and FLOP formulas and
// the choice behind them, so the README can never disagree with the catalog.
func conventionsTable(cat *layers.Catalog) string {
	var b strings.Builder
	b.WriteString("| class | params | FLOPs | choice |\n|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") }
	for _, cl := range cat.Classes() {
		name := "`" + cl.Name + "`"
		seen := map[string]bool{layers.ShortName(cl.Name): true}
		var short []string
		for _, a := range cl.Aliases {
			if s := layers.ShortName(a); !seen[s] {
				seen[s] = true
				short = append(short, s)
			}
		}
		if len(short) > 0 {
			name += " (also " + strings.Join(short, ", ") + ")"
		}
		formula := func(f layers.Formula) string {
			e := cl.Formula(f)
			if e == nil {
				return "0"
			}
			out := "`" + cell(e.String()) + "`"
			// Name the derived values the formula uses, transitively.
			var where []string
			used := map[string]bool{}
			var visit func(names []string)
			visit = func(names []string) {
				for _, n := range names {
					for _, d := range cl.Derived {
						if d.Name == n && !used[n] {
							used[n] = true
							visit(d.Expr.VarNames())
							where = append(where, "`"+n+" = "+cell(d.Expr.String())+"`")
						}
					}
				}
			}
			visit(e.VarNames())
			if len(where) > 0 {
				out += ", where " + strings.Join(where, ", ")
			}
			return out
		}
		b.WriteString("| " + name + " | " + formula(layers.FormulaParams) + " | " + formula(layers.FormulaFLOPs) + " | " + cell(cl.Notes) + " |\n")
	}
	return b.String()
}

func TestReadmeConventions(t *testing.T) {
	const begin, end = "<!-- BEGIN CONVENTIONS -->\n", "<!-- END CONVENTIONS -->"
	path := "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", begin, end)
	}
	want := conventionsTable(layers.Builtin())
	if got := text[i+len(begin) : j]; got != want {
		if !*update {
			t.Fatalf("the conventions table in README.md is out of date with the catalog; run go test ./internal/layers -run TestReadmeConventions -update")
		}
		text = text[:i+len(begin)] + want + text[j:]
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
