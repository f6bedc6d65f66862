package report

import (
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
)

type column struct {
	title string
	left  bool
}

type table struct {
	cols []column
	rows [][]string
	// rules holds the indexes of rows preceded by a horizontal rule.
	rules map[int]bool
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }
func (t *table) rule()               { t.rules[len(t.rows)] = true }

func (t *table) write(b *strings.Builder, head *color.Color) {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = utf8.RuneCountInString(c.title)
	}
	for _, r := range t.rows {
		for i, cell := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	line := func(cells []string) string {
		var lb strings.Builder
		for i, cell := range cells {
			if i > 0 {
				lb.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if t.cols[i].left {
				lb.WriteString(cell)
				if i < len(cells)-1 {
					lb.WriteString(pad)
				}
			} else {
				lb.WriteString(pad)
				lb.WriteString(cell)
			}
		}
		return strings.TrimRight(lb.String(), " ")
	}
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.title
	}
	b.WriteString(head.Sprint(line(titles)))
	b.WriteByte('\n')
	total := 0
	for _, w := range widths {
		total += w
	}
	total += 2 * (len(widths) - 1)
	for i, r := range t.rows {
		if t.rules[i] {
			b.WriteString(strings.Repeat("─", total))
			b.WriteByte('\n')
		}
		b.WriteString(line(r))
		b.WriteByte('\n')
	}
}

// plain is a header style without colour.
var plain = func() *color.Color {
	c := color.New(color.Bold)
	c.DisableColor()
	return c
}()

type formatter struct{ exact bool }

func (f formatter) count(r *big.Rat) string {
	if f.exact {
		return Grouped(r)
	}
	return HumanCount(r)
}

func (f formatter) flops(r *big.Rat) string {
	if f.exact {
		return Grouped(r)
	}
	return Human(r, "")
}

func (f formatter) bytes(r *big.Rat) string {
	if f.exact {
		return Grouped(r)
	}
	return Human(r, "B")
}

// times is a figure of one instance times the number of instances (0 for an undefined figure).
func times(v expr.Value, n *big.Int) *big.Rat {
	r := v.RatOrZero()
	return r.Mul(r, new(big.Rat).SetInt(n))
}

func figuresTable(w io.Writer, res *calc.Result, opts FiguresOptions) error {
	f := formatter{exact: opts.Exact}
	head := color.New(color.Bold)
	dim := color.New(color.Faint)
	for _, c := range []*color.Color{head, dim} {
		if opts.Color {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	var b strings.Builder
	title := res.ModelID
	if title == "" {
		title = "(no model_id)"
	}
	b.WriteString(head.Sprint(title))
	b.WriteByte('\n')
	var vars []string
	for _, v := range res.Variables {
		vars = append(vars, v.Name+"="+v.Value.String())
	}
	b.WriteString(dim.Sprint(strings.Join(vars, " ")))
	b.WriteByte('\n')
	if opts.Roofline != nil {
		r := opts.Roofline
		b.WriteString(dim.Sprintf("on %s: %s FLOP/s %s, %s/s memory bandwidth", r.Device.Name, Human(r.Peak, ""), r.DType, Human(r.Bandwidth, "B")))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')

	cols := []column{{"LAYER", true}, {"CLASS", true}, {"COUNT", false}, {"PARAMS", false}, {"FLOPS", false}, {"READ", false}, {"WRITTEN", false}, {"KV CACHE", false}}
	if opts.Roofline != nil {
		cols = append(cols, column{"TIME", false}, column{"FLOP/B", false}, column{"BOUND", true})
	}
	t := &table{cols: cols, rules: map[int]bool{}}
	for _, r := range res.Rows {
		params := f.count(times(r.Figures.Params, r.Count))
		if r.TiedTo != "" {
			params = "tied"
		}
		cells := []string{
			r.Path, layers.ShortName(r.Class), r.Count.String(), params,
			f.flops(times(r.Figures.FLOPs, r.Count)),
			f.bytes(times(r.Figures.BytesRead, r.Count)),
			f.bytes(times(r.Figures.BytesWritten, r.Count)),
			f.bytes(times(r.Figures.KVCacheBytes, r.Count)),
		}
		if opts.Roofline != nil {
			cells = append(cells, roofCells(opts.Roofline.Row(r))...)
		}
		t.add(cells...)
	}
	t.rule()
	tot := &res.Totals.Sum
	cells := []string{"total", "", "", f.count(tot.Params), f.flops(tot.FLOPs), f.bytes(tot.BytesRead), f.bytes(tot.BytesWritten), f.bytes(tot.KVCacheBytes)}
	if opts.Roofline != nil {
		cells = append(cells, roofCells(opts.Roofline.Total(res))...)
	}
	t.add(cells...)
	t.write(&b, head)
	b.WriteString(dim.Sprint("Each row is the total over its COUNT instances; shared (tied) weights count once."))
	b.WriteByte('\n')
	fmt.Fprintf(&b, "\nparameters %s   weight bytes %s   FLOPs %s   bytes read %s   bytes written %s   KV cache %s\n",
		Grouped(tot.Params), Grouped(tot.WeightBytes), Grouped(tot.FLOPs), Grouped(tot.BytesRead), Grouped(tot.BytesWritten), Grouped(tot.KVCacheBytes))
	if opts.Roofline != nil {
		total := opts.Roofline.Total(res)
		whole := Seconds(maxRat(total.ComputeSeconds, total.MemorySeconds))
		if total.Limit != "" { // no work, no roof
			whole += " (" + total.Limit + "-bound)"
		}
		fmt.Fprintf(&b, "roofline on %s: %s (sum of per-layer bounds); whole-model bound %s\n",
			opts.Roofline.Device.Name, Seconds(total.Seconds), whole)
	}

	for _, group := range []struct {
		title string
		m     map[string]*calc.Sum
	}{{"BY CLASS", res.Totals.ByClass}, {"BY CATEGORY", res.Totals.ByCategory}} {
		b.WriteByte('\n')
		gt := &table{cols: []column{{group.title, true}, {"PARAMS", false}, {"FLOPS", false}, {"%FLOPS", false}, {"READ", false}, {"WRITTEN", false}, {"KV CACHE", false}}, rules: map[int]bool{}}
		for _, k := range slices.Sorted(maps.Keys(group.m)) {
			s := group.m[k]
			name := k
			if group.title == "BY CLASS" {
				name = layers.ShortName(k)
			}
			gt.add(name, f.count(s.Params), f.flops(s.FLOPs), percent(s.FLOPs, tot.FLOPs), f.bytes(s.BytesRead), f.bytes(s.BytesWritten), f.bytes(s.KVCacheBytes))
		}
		gt.write(&b, head)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func roofCells(bd calc.Bound) []string {
	intensity := "-"
	if bd.Intensity != nil {
		x, _ := bd.Intensity.Float64()
		intensity = fmt.Sprintf("%.1f", x)
	}
	limit := bd.Limit
	if limit == "" {
		limit = "-"
	}
	return []string{Seconds(bd.Seconds), intensity, limit}
}

func percent(part, whole *big.Rat) string {
	if whole.Sign() == 0 {
		return "-"
	}
	x, _ := new(big.Rat).Quo(part, whole).Float64()
	return fmt.Sprintf("%.1f%%", 100*x)
}

func maxRat(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}
