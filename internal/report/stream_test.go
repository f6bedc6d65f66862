package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
)

// TestJSONStreamsTheDocument: --format json, written a layer at a time, is byte for byte the
// document figuresJSON builds, with and without a roofline, and for a result without rows.
func TestJSONStreamsTheDocument(t *testing.T) {
	res, roof := llama(t, true)
	f, err := model.Parse("m.json", []byte(`{"model_id": "x\\n  \"layers\": []", "layers": [{"name": "m", "class": "c.M", "repeat": "{n}", "sub_layers": [{"name": "drop", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}]}], "variables": {"n": 0}}`))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Rows) != 0 {
		t.Fatalf("%d rows", len(empty.Rows))
	}
	lf, err := model.Parse("llama.json", mustRead(t, "../../models/llama-2-7b-hf.json"))
	if err != nil {
		t.Fatal(err)
	}
	gen, err := calc.Generate(context.Background(), lf, calc.Options{}, roof, 512, 16)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		res  *calc.Result
		roof *calc.Roofline
		gen  *calc.Generation
	}{{"llama", res, nil, nil}, {"llama on H100", res, roof, nil}, {"generation", res, roof, gen}, {"no rows", empty, nil, nil}} {
		var b bytes.Buffer
		if err := WriteFigures(&b, "json", c.res, FiguresOptions{Roofline: c.roof, Generation: c.gen}); err != nil {
			t.Fatal(err)
		}
		doc := figuresJSON(c.res, c.roof)
		if c.gen != nil {
			doc.Set("generation", generationNode(c.gen))
		}
		if want := jsonpos.Marshal(doc); !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s: streamed\n%s\nwant\n%s", c.name, b.Bytes(), want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFastCells: the table's cells of int64 figures are what the big.Rat printers give, in
// readable units and exact, across every prefix and at the edges of int64.
func TestFastCells(t *testing.T) {
	values := []int64{0, 1, -1, 7, 999, 1000, 1001, 4095, 999_999, 1_000_000, 6_738_415_616, 131_072_000,
		1e12 - 1, 1e12, 1e15, 999_999_999_999_999, 1e18, math.MaxInt64, math.MinInt64, -5_000_000}
	counts := []int64{0, 1, 2, 32, 61, 1e9, math.MaxInt64}
	for _, exact := range []bool{false, true} {
		f := formatter{exact: exact}
		for _, v := range values {
			for _, c := range counts {
				val, n := expr.Int(v), big.NewInt(c)
				for _, x := range []struct {
					name       string
					fast, slow string
				}{
					{"count", f.countCell(val, n), f.count(times(val, n))},
					{"flops", f.flopsCell(val, n), f.flops(times(val, n))},
					{"bytes", f.bytesCell(val, n), f.bytes(times(val, n))},
				} {
					if x.fast != x.slow {
						t.Errorf("exact=%v %s of %d × %d: %q, want %q", exact, x.name, v, c, x.fast, x.slow)
					}
				}
			}
		}
		if got, want := f.bytesCell(expr.Value{}, big.NewInt(3)), f.bytes(new(big.Rat)); got != want {
			t.Errorf("an undefined figure: %q, want %q", got, want)
		}
	}
}

// TestHTMLHugeFile: the page of a file of 5,000 layers merges the rows that differ only in
// their instance numbers, and the page of 3,000 distinct rows draws the first 2,000; both say
// so, keep the totals of every layer, plot at most 400 points and embed the JSON document
// without its rows.
func TestHTMLHugeFile(t *testing.T) {
	f, err := model.ParseShared("wide.json", bigmodel.Wide(5000))
	if err != nil {
		t.Fatal(err)
	}
	wide, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, roof := llama(t, true)
	var b strings.Builder
	b.WriteString(`{"layers": [{"name": "model", "class": "m.M", "sub_layers": [`)
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name": "block%d", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 8, "in_features": 64, "out_features": %d, "bias": false, "dtype_bytes": 2}}`, i, 100+i)
	}
	b.WriteString("]}]}")
	f, err = model.ParseShared("distinct.json", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	distinct, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name            string
		res             *calc.Result
		rows, merged    int
		dropped, points int
	}{{"wide", wide, 4, 4996, 0, 4}, {"distinct", distinct, 2000, 0, 1000, 400}} {
		src, doc := page(t, c.res, roof)
		if len(src) > 4<<20 {
			t.Errorf("%s: the page is %d bytes", c.name, len(src))
		}
		tbody := find(byID(t, doc, "layers"), tag("tbody"))[0]
		if n := len(find(tbody, tag("tr"))); n != c.rows {
			t.Errorf("%s: %d table rows, want %d", c.name, n, c.rows)
		}
		note := text(byID(t, doc, "rows-note"))
		for _, want := range []string{fmt.Sprint(len(c.res.Rows)) + " basic layers", fmt.Sprintf("%d rows merged", c.merged), fmt.Sprintf("%d are left out", c.dropped)} {
			if (c.merged == 0 && strings.Contains(want, "merged")) || (c.dropped == 0 && strings.Contains(want, "left out")) {
				if strings.Contains(note, want) {
					t.Errorf("%s: the note says %q", c.name, want)
				}
				continue
			}
			if !strings.Contains(note, want) {
				t.Errorf("%s: the note %q does not say %q", c.name, note, want)
			}
		}
		if n := len(find(byID(t, doc, "roofline"), func(n *html.Node) bool { return hasClass(n, "pt") })); n != c.points {
			t.Errorf("%s: %d points plotted, want %d", c.name, n, c.points)
		}
		// The foot is the total of every layer, not of the rows drawn.
		foot := text(find(byID(t, doc, "layers"), tag("tfoot"))[0])
		if want := exactGrouped(c.res.Totals.FLOPs); !strings.Contains(foot, want) {
			t.Errorf("%s: the foot %q lacks the FLOPs of every layer, %s", c.name, foot, want)
		}
		data := text(byID(t, doc, "modeltool-data"))
		var d struct{ Layers []any }
		if err := json.Unmarshal([]byte(data), &d); err != nil || len(d.Layers) != 0 {
			t.Errorf("%s: the data island holds %d layers (%v)", c.name, len(d.Layers), err)
		}
	}
}

// TestInstancePattern: the numbers that are a name, or a part of one between underscores,
// become *; numbers inside a word stay.
func TestInstancePattern(t *testing.T) {
	for in, want := range map[string]string{
		"model.decoder_layer_12_13.mlp.experts_0.gate_proj": "model.decoder_layer_*_*.mlp.experts_*.gate_proj",
		"model.layers.3.mlp":          "model.layers.*.mlp",
		"transformer.h.0.attn.c_attn": "transformer.h.*.attn.c_attn",
		"gpt2.wte":                    "gpt2.wte",
		"model.layer2_norm.q_a_proj":  "model.layer2_norm.q_a_proj",
		"7":                           "*",
	} {
		if got := instancePattern(in); got != want {
			t.Errorf("instancePattern(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHTMLMergesRuns: a model whose decoder layers are written as runs of one (Gemma 2's
// alternating sliding and global layers, 723 rows) is shown as its kinds of layer, each with
// the count of its instances, and the page says so; totals stay those of every layer.
func TestHTMLMergesRuns(t *testing.T) {
	f, err := model.Parse("g.json", mustRead(t, "../../models/gemma-2-9b.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) <= mergeHTMLRows {
		t.Fatalf("gemma-2-9b has %d rows; the test needs more than %d", len(res.Rows), mergeHTMLRows)
	}
	_, doc := page(t, res, nil)
	tbody := find(byID(t, doc, "layers"), tag("tbody"))[0]
	rows := find(tbody, tag("tr"))
	if len(rows) >= len(res.Rows) || len(rows) > mergeHTMLRows {
		t.Errorf("%d table rows for %d layers", len(rows), len(res.Rows))
	}
	counts := 0
	for _, tr := range rows {
		n, err := strconv.Atoi(text(find(tr, tag("td"))[3]))
		if err != nil {
			t.Fatal(err)
		}
		counts += n
	}
	want := 0
	for _, r := range res.Rows {
		want += int(r.Count.Int64())
	}
	if counts != want {
		t.Errorf("the rows' counts add up to %d, want %d", counts, want)
	}
	if note := text(byID(t, doc, "rows-note")); !strings.Contains(note, "rows merged") {
		t.Errorf("the note %q does not say rows were merged", note)
	}
}

// TestDataIsland: the page's data island is the JSON document as json.Marshal writes its text
// (compact, <, > and & escaped), with its rows and without, for a result with hostile strings
// in the document and in a row.
func TestDataIsland(t *testing.T) {
	f, err := model.Parse("m.json", []byte(`{"model_id": "</script><b>&amp;\u2028\"x\"", "layers": [{"name": "drop", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}, {"name": "drop</script>&", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	llamaRes, roof := llama(t, true)
	for _, c := range []struct {
		res  *calc.Result
		roof *calc.Roofline
	}{{res, nil}, {llamaRes, roof}} {
		// With its rows, and without them (a page of a huge file).
		for _, rows := range []*calc.Result{c.res, nil} {
			doc := figuresJSON(c.res, c.roof)
			if rows == nil {
				doc = figuresDoc(c.res, c.roof)
			}
			want, err := json.Marshal(json.RawMessage(jsonpos.Marshal(doc)))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			w := bufio.NewWriter(&b)
			writeDataIsland(w, dataIsland{doc: figuresDoc(c.res, c.roof), rows: rows, roof: c.roof})
			w.Flush()
			if got := b.String(); got != string(want) {
				t.Errorf("island\n%s\nwant\n%s", got, want)
			}
		}
	}
}

// figuresJSON is the --format json document (docs/output.md, "JSON output") as one tree: what
// the json printer and the html page's data island write a row at a time.
func figuresJSON(res *calc.Result, roof *calc.Roofline) *jsonpos.Node {
	doc := figuresDoc(res, roof)
	rows := doc.Get("layers")
	bounds := boundNodes{}
	for i := range res.Rows {
		rows.Items = append(rows.Items, rowNode(&res.Rows[i], roof, bounds, nil))
	}
	return doc
}
