package bigmodel_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/validate"
)

// compute validates src and returns calc's result, failing on any finding.
func compute(t *testing.T, name string, src []byte) *calc.Result {
	t.Helper()
	res := validate.Source(name, src, validate.Options{})
	for _, d := range res.Diagnostics {
		t.Fatalf("%s: %s", name, d)
	}
	r, err := calc.Compute(res.File, calc.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// TestExpandKeepsTheModel expands every shipped model file and requires the expanded file to
// validate and to give the same totals: it describes the same model, each repeat written out.
// Models of more than 10,000 basic layers (DeepSeek-V3 has 75,696) are left to the benchmarks
// and the memory test.
func TestExpandKeepsTheModel(t *testing.T) {
	files, err := filepath.Glob("../../models/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".config.json") {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			shipped := compute(t, file, src)
			instances := int64(0)
			for _, r := range shipped.Rows {
				instances += r.Count.Int64()
			}
			if instances > 10000 {
				t.Skipf("%d basic layers", instances)
			}
			big, err := bigmodel.Expand(src)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(big), `"repeat"`) {
				t.Error("a repeat is left")
			}
			expanded := compute(t, "expanded", big)
			if int64(len(expanded.Rows)) != instances {
				t.Errorf("%d rows expanded, %d instances as shipped", len(expanded.Rows), instances)
			}
			want, got := shipped.Totals, expanded.Totals
			for _, f := range layers.Formulas {
				if w, g := want.Get(f), got.Get(f); w.Cmp(g) != 0 {
					t.Errorf("%s: %s expanded, %s as shipped", f, g.RatString(), w.RatString())
				}
			}
			if len(got.ByClass) != len(want.ByClass) {
				t.Errorf("%d classes expanded, %d as shipped", len(got.ByClass), len(want.ByClass))
			}
		})
	}
}

// TestWide checks that the synthetic wide file is a clean model file of the size asked for.
func TestWide(t *testing.T) {
	src := bigmodel.Wide(1000)
	res := validate.Source("wide.json", src, validate.Options{})
	for _, d := range res.Diagnostics {
		t.Fatal(d)
	}
	r, err := calc.Compute(res.File, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1000 {
		t.Errorf("%d rows, want 1000", len(r.Rows))
	}
	// 250 Linear layers of 4096 × 4096 without bias; the others have no parameters except the
	// 250 RMSNorm weights of 4096.
	if want := int64(250*4096*4096 + 250*4096); r.Totals.Params.Num().Int64() != want {
		t.Errorf("params %s, want %d", r.Totals.Params.RatString(), want)
	}
}
