package report

import (
	"math/big"
	"strings"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
)

// A report page stays usable however large the model file: a browser draws a few thousand
// table rows and a few hundred plotted points well, not 75,000 (an unrolled DeepSeek-V3) or a
// million. Past these limits the page merges, caps and says so.
const (
	// maxHTMLRows is the most table rows the page draws; a file with more has its rows that
	// differ only in their instance numbers merged first.
	maxHTMLRows = 2000
	// maxHTMLPoints is the most layers the roofline plots: those with the largest time bounds.
	maxHTMLPoints = 400
	// maxHTMLOmitted is the most unplotted layers the roofline note names.
	maxHTMLOmitted = 20
)

// htmlRows is what the page shows of res: res itself when its rows fit on the page; otherwise
// a copy whose rows that differ only in their instance numbers (model.layers_3.mlp and
// model.layers_4.mlp, with the same class and figures) are merged into one row of their
// summed count, path written with * (model.layers_*.mlp), at most maxHTMLRows of them in
// file order. merged says how many rows were merged away and dropped how many were left off.
func htmlRows(res *calc.Result) (shown *calc.Result, merged, dropped int) {
	if len(res.Rows) <= maxHTMLRows {
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

// instancePattern writes the instance numbers of a path as *: the digits ending a name after
// an underscore (decoder_layer_12, experts_0) and names that are numbers (a ModuleList's 3).
func instancePattern(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		end := len(s)
		start := end
		for start > 0 && s[start-1] >= '0' && s[start-1] <= '9' {
			start--
		}
		switch {
		case start == end:
		case start == 0:
			segs[i] = "*"
		case s[start-1] == '_':
			segs[i] = s[:start] + "*"
		}
	}
	return strings.Join(segs, ".")
}

// figuresKey identifies a row's figures of one instance.
func figuresKey(r calc.Row) string {
	var b strings.Builder
	f := r.Figures
	for _, v := range []expr.Value{f.Params, f.WeightBytes, f.FLOPs, f.BytesRead, f.BytesWritten, f.KVCacheBytes} {
		b.WriteString(exactValue(v))
		b.WriteByte(' ')
	}
	return b.String()
}

func ratKey(r *big.Rat) string {
	if r == nil {
		return ""
	}
	return r.RatString()
}
