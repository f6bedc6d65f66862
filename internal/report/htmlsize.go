package report

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
)

// A report page stays usable however large the model file: a browser draws a few thousand
// table rows and a few hundred plotted points well, not 75,000 (an unrolled DeepSeek-V3) or a
// million. Past these limits the page merges, caps and says so.
const (
	// mergeHTMLRows is the most rows the page shows as they are; past it, rows that differ
	// only in their instance numbers are merged (a model whose decoder layers are written as
	// runs of one, as Gemma 2's alternating windows are, shows its 42 layers as the two kinds
	// they are, not as 723 rows).
	mergeHTMLRows = 200
	// maxHTMLRows is the most table rows the page draws, and the most whose figures it embeds.
	maxHTMLRows = 2000
	// maxHTMLPoints is the most layers the roofline plots: those with the largest time bounds.
	maxHTMLPoints = 400
	// maxHTMLOmitted is the most unplotted layers the roofline note names.
	maxHTMLOmitted = 20
)

// htmlRows is what the page shows of res: res itself when it has at most mergeHTMLRows rows;
// otherwise a copy whose rows that differ only in their instance numbers (model.layers_3.mlp
// and model.layers_4.mlp, with the same class and figures) are merged into one row of their
// summed count, path written with * (model.layers_*.mlp), at most maxHTMLRows of them in
// file order. merged says how many rows were merged away and dropped how many were left off.
func htmlRows(res *calc.Result) (shown *calc.Result, merged, dropped int) {
	if len(res.Rows) <= mergeHTMLRows {
		return res, 0, 0
	}
	type key struct {
		path, class, category, tiedTo string
		figures                       string
		comm, share                   string
	}
	at := map[key]int{}
	var rows []calc.Row
	for _, r := range res.Rows {
		k := key{instancePattern(r.Path), r.Class, r.Category, r.TiedTo, figuresKey(r), ratKey(r.CommBytes), ratKey(r.Share)}
		if i, ok := at[k]; ok {
			rows[i].Count = new(big.Int).Add(rows[i].Count, r.Count)
			merged++
			continue
		}
		at[k] = len(rows)
		r.Path = k.path
		rows = append(rows, r)
	}
	if len(rows) > maxHTMLRows {
		dropped = len(rows) - maxHTMLRows
		rows = rows[:maxHTMLRows]
	}
	cp := *res
	cp.Rows = rows
	return &cp, merged, dropped
}

// instancePattern writes the instance numbers of a path as *: the numbers that are a name (a
// ModuleList's 3) or a part of one between underscores (experts_0, decoder_layer_12_13, the
// run of layers 12 to 13).
func instancePattern(path string) string {
	if !strings.ContainsAny(path, "0123456789") {
		return path
	}
	var b strings.Builder
	b.Grow(len(path))
	for i := 0; i < len(path); {
		j := i
		for j < len(path) && path[j] >= '0' && path[j] <= '9' {
			j++
		}
		if j == i {
			b.WriteByte(path[i])
			i++
			continue
		}
		before := i == 0 || path[i-1] == '.' || path[i-1] == '_'
		after := j == len(path) || path[j] == '.' || path[j] == '_'
		if before && after {
			b.WriteByte('*')
		} else {
			b.WriteString(path[i:j])
		}
		i = j
	}
	return b.String()
}

// figuresKey identifies a row's figures of one instance.
func figuresKey(r calc.Row) string {
	var buf [160]byte
	b := buf[:0]
	f := r.Figures
	for _, v := range [...]expr.Value{f.Params, f.WeightBytes, f.FLOPs, f.BytesRead, f.BytesWritten, f.KVCacheBytes} {
		if n, ok := v.Int64(); ok {
			b = strconv.AppendInt(b, n, 10) // exactValue's text, without a string of its own
		} else {
			b = append(b, exactValue(v)...)
		}
		b = append(b, ' ')
	}
	return string(b)
}

func ratKey(r *big.Rat) string {
	if r == nil {
		return ""
	}
	return r.RatString()
}
