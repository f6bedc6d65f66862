package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/model"
)

// TestTableRooflineWithoutWork: a model whose layers do no work (a dropout at inference) has a
// roofline bound of 0 and no limiting roof; the summary line says so instead of "(-bound)".
func TestTableRooflineWithoutWork(t *testing.T) {
	f, err := model.Parse("m.json", []byte(`{"layers": [{"name": "drop", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, roof := llama(t, true)
	var b bytes.Buffer
	if err := WriteFigures(&b, "table", res, FiguresOptions{Roofline: roof}); err != nil {
		t.Fatal(err)
	}
	want := "roofline on H100-SXM: 0 (sum of per-layer bounds); whole-model bound 0\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("no line %q in\n%s", want, b.String())
	}
	res, _ = llama(t, false)
	b.Reset()
	if err := WriteFigures(&b, "table", res, FiguresOptions{Roofline: roof}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(memory-bound)\n") && !strings.Contains(b.String(), "(compute-bound)\n") {
		t.Errorf("the whole-model bound does not name its roof:\n%s", b.String())
	}
}

// TestStreamKeepsShortTables: a table of at most keptRows rows is written from the cells its
// first pass made (its rows are made once), a longer one makes them again; both come out as
// the columns say — the first left-aligned without trailing blanks, the second right-aligned,
// a rule before the last row — though each reuses one slice for every row's cells.
func TestStreamKeepsShortTables(t *testing.T) {
	for _, n := range []int{1, 7, keptRows, keptRows + 1} {
		tb := &table{cols: []column{{"NAME", true}, {"N", false}}}
		calls := 0
		var b strings.Builder
		tb.stream(&b, plain, func(emit func(bool, []string)) {
			calls++
			cells := make([]string, 2)
			for i := range n {
				cells[0], cells[1] = strings.Repeat("x", i%5), strconv.Itoa(i*i)
				emit(i == n-1 && n > 1, cells)
			}
		})
		wantCalls := 1
		if n > keptRows {
			wantCalls = 2
		}
		if calls != wantCalls {
			t.Errorf("%d rows: the rows were made %d times, want %d", n, calls, wantCalls)
		}
		name := min(n, 5) - 1 // the widest name
		name = max(name, len("NAME"))
		num := max(len(strconv.Itoa((n-1)*(n-1))), 1)
		var want strings.Builder
		want.WriteString(strings.TrimRight(fmt.Sprintf("%-*s  %*s", name, "NAME", num, "N"), " ") + "\n")
		for i := range n {
			if i == n-1 && n > 1 {
				want.WriteString(strings.Repeat("─", name+2+num) + "\n")
			}
			want.WriteString(fmt.Sprintf("%-*s  %*s\n", name, strings.Repeat("x", i%5), num, strconv.Itoa(i*i)))
		}
		if b.String() != want.String() {
			t.Errorf("%d rows: got\n%.400s\nwant\n%.400s", n, b.String(), want.String())
		}
	}
}
