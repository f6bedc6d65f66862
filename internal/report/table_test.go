package report

import (
	"bytes"
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
