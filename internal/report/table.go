package report

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
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
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder, head *color.Color) {
	t.stream(b, head, func(emit func(rule bool, cells []string)) {
		for _, r := range t.rows {
			emit(false, r)
		}
	})
}

// keptRows is how many rows stream keeps from measuring for writing: a table that long is
// written from what the first pass made, a longer one is made again.
const keptRows = 4096

// stream writes a table whose rows each gives (each calls emit once per row, with rule set
// when a horizontal rule precedes it; it may reuse cells). each is called twice, to measure
// the columns and then to write the lines, so no row is kept: a table of a million layers
// costs its output. A table of at most keptRows rows keeps its cells from the first call
// instead of making them again.
func (t *table) stream(w io.StringWriter, head *color.Color, each func(emit func(rule bool, cells []string))) {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = utf8.RuneCountInString(c.title)
	}
	type keptRow struct {
		rule  bool
		cells []string
	}
	var kept []keptRow
	keeping := true
	each(func(rule bool, cells []string) {
		for i, cell := range cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
		if keeping = keeping && len(kept) < keptRows; keeping {
			kept = append(kept, keptRow{rule, slices.Clone(cells)})
		} else {
			kept = nil
		}
	})
	var lb strings.Builder
	line := func(cells []string) string {
		lb.Reset()
		for i, cell := range cells {
			if i > 0 {
				lb.WriteString("  ")
			}
			pad := widths[i] - utf8.RuneCountInString(cell)
			if t.cols[i].left {
				lb.WriteString(cell)
				if i < len(cells)-1 {
					spaces(&lb, pad)
				}
			} else {
				spaces(&lb, pad)
				lb.WriteString(cell)
			}
		}
		return strings.TrimRight(lb.String(), " ")
	}
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.title
	}
	w.WriteString(head.Sprint(line(titles)) + "\n")
	total := 0
	for _, w := range widths {
		total += w
	}
	total += 2 * (len(widths) - 1)
	emit := func(rule bool, cells []string) {
		if rule {
			w.WriteString(strings.Repeat("─", total) + "\n")
		}
		w.WriteString(line(cells))
		w.WriteString("\n")
	}
	if !keeping {
		each(emit)
		return
	}
	for _, r := range kept {
		emit(r.rule, r.cells)
	}
}

// spaces writes n spaces.
func spaces(b *strings.Builder, n int) {
	const blank = "                                                                "
	for n > len(blank) {
		b.WriteString(blank)
		n -= len(blank)
	}
	if n > 0 {
		b.WriteString(blank[:n])
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

// timesInt is times when the product is an int64 (nearly every row of a model file).
func timesInt(v expr.Value, n *big.Int) (int64, bool) {
	x, ok := v.Int64()
	if !v.IsValid() {
		x, ok = 0, true
	}
	if !ok || !n.IsInt64() {
		return 0, false
	}
	y := n.Int64()
	if x == 0 || y == 0 {
		return 0, true
	}
	p := x * y
	if p/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// cell formats a figure of one instance times n instances with format, as format(times(v,
// n)) would, without big.Rat arithmetic when the product fits in an int64.
func cell(v expr.Value, n *big.Int, format func(*big.Rat) string, human func(int64) (string, bool)) string {
	if p, ok := timesInt(v, n); ok {
		if s, ok := human(p); ok {
			return s
		}
		return format(new(big.Rat).SetInt64(p))
	}
	return format(times(v, n))
}

func (f formatter) countCell(v expr.Value, n *big.Int) string {
	return cell(v, n, f.count, f.intOr(func(x int64) (string, bool) { return humanInt(x, "", countPrefixes) }))
}

func (f formatter) flopsCell(v expr.Value, n *big.Int) string {
	return cell(v, n, f.flops, f.intOr(func(x int64) (string, bool) { return humanInt(x, "", siPrefixes) }))
}

func (f formatter) bytesCell(v expr.Value, n *big.Int) string {
	return cell(v, n, f.bytes, f.intOr(func(x int64) (string, bool) { return humanInt(x, "B", siPrefixes) }))
}

// intOr is the int64 printer of the formatter: human, or every digit grouped when exact.
func (f formatter) intOr(human func(int64) (string, bool)) func(int64) (string, bool) {
	if f.exact {
		return func(x int64) (string, bool) { return groupDigits(strconv.FormatInt(x, 10)), true }
	}
	return human
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
		line := fmt.Sprintf("on %s: %s FLOP/s %s, %s/s memory bandwidth", r.Device.Name, Human(r.Peak, ""), r.DType, Human(r.Bandwidth, "B"))
		if r.Link != nil && res.Parallel != nil {
			line += fmt.Sprintf(", %s/s each way over %s", Human(r.Link, "B"), r.Device.Interconnect)
		}
		b.WriteString(dim.Sprint(line))
		b.WriteByte('\n')
	}
	if p := res.Parallel; p != nil {
		b.WriteString(dim.Sprint(parallelLine(p)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')

	sent := res.Parallel != nil
	cols := []column{{"LAYER", true}, {"CLASS", true}, {"COUNT", false}, {"PARAMS", false}, {"FLOPS", false}, {"READ", false}, {"WRITTEN", false}, {"KV CACHE", false}}
	if sent {
		cols = append(cols, column{"SENT", false})
	}
	if opts.Roofline != nil {
		cols = append(cols, column{"TIME", false}, column{"FLOP/B", false}, column{"BOUND", true})
	}
	t := &table{cols: cols}
	tot := &res.Totals.Sum
	totals := []string{"total", "", "", f.count(tot.Params), f.flops(tot.FLOPs), f.bytes(tot.BytesRead), f.bytes(tot.BytesWritten), f.bytes(tot.KVCacheBytes)}
	if sent {
		totals = append(totals, f.bytes(tot.CommBytes))
	}
	if opts.Roofline != nil {
		totals = append(totals, roofCells(opts.Roofline.Total(res))...)
	}
	// The rows go straight to w, buffered: the table of a million layers is never one string.
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(b.String())
	b.Reset()
	cells := make([]string, 0, len(cols))
	roofs := map[*big.Rat][]string{} // equal rows share their bound (calc.Roofline.Row)
	t.stream(bw, head, func(emit func(bool, []string)) {
		for i := range res.Rows {
			r := &res.Rows[i]
			params := f.countCell(r.Figures.Params, r.Count)
			if r.TiedTo != "" {
				params = "tied"
			}
			cells = append(cells[:0],
				r.Path, layers.ShortName(r.Class), r.Count.String(), params,
				f.flopsCell(r.Figures.FLOPs, r.Count),
				f.bytesCell(r.Figures.BytesRead, r.Count),
				f.bytesCell(r.Figures.BytesWritten, r.Count),
				f.bytesCell(r.Figures.KVCacheBytes, r.Count),
			)
			if sent {
				cells = append(cells, f.bytes(new(big.Rat).Mul(ratOrNil(r.CommBytes), new(big.Rat).SetInt(r.Count))))
			}
			if opts.Roofline != nil {
				bd := opts.Roofline.Row(*r)
				rc, ok := roofs[bd.Seconds]
				if !ok {
					rc = roofCells(bd)
					roofs[bd.Seconds] = rc
				}
				cells = append(cells, rc...)
			}
			emit(false, cells)
		}
		emit(true, totals)
	})
	b.WriteString(dim.Sprint("Each row is the total over its COUNT instances; shared (tied) weights count once."))
	b.WriteByte('\n')
	perDevice := ""
	if sent {
		perDevice = "per device: "
	}
	fmt.Fprintf(&b, "\n%sparameters %s   weight bytes %s   FLOPs %s   bytes read %s   bytes written %s   KV cache %s",
		perDevice, Grouped(tot.Params), Grouped(tot.WeightBytes), Grouped(tot.FLOPs), Grouped(tot.BytesRead), Grouped(tot.BytesWritten), Grouped(tot.KVCacheBytes))
	if sent {
		fmt.Fprintf(&b, "   sent %s", Grouped(tot.CommBytes))
	}
	b.WriteByte('\n')
	if a := res.Totals.ActiveParams; a != nil {
		if res.Parallel != nil {
			fmt.Fprintf(&b, "active parameters %s per token (the model's: routed experts count top_k of E)\n", Grouped(a))
		} else {
			fmt.Fprintf(&b, "active parameters %s per token (%s of the parameters)\n", Grouped(a), activeShare(a, res))
		}
	}
	if opts.Roofline != nil {
		total := opts.Roofline.Total(res)
		whole := Seconds(maxRat(total.ComputeSeconds, total.MemorySeconds))
		if total.Limit != "" { // no work, no roof
			whole += " (" + total.Limit + "-bound)"
		}
		fmt.Fprintf(&b, "roofline on %s: %s (sum of per-layer bounds); whole-model bound %s\n",
			opts.Roofline.Device.Name, Seconds(total.Seconds), whole)
		writeMemory(&b, calc.MemoryOn(res, opts.Roofline.Device), opts.Roofline.Device.Name, opts.Color, true)
		if g := opts.Generation; g != nil {
			fmt.Fprintf(&b, "generation of %s after %d, batch %s: first token %s, %s, %s in all: %s tokens/s\n",
				count(g.Out, "token", "tokens"), g.In, g.Batch, Seconds(g.TTFT), decodeSteps(g), Seconds(g.Total), fixed(g.TokensPerSecond, 1))
			b.WriteString("generation's peak ")
			writeMemory(&b, g.PeakMemory, opts.Roofline.Device.Name, opts.Color, true)
		}
	}

	for _, group := range []struct {
		title string
		m     map[string]*calc.Sum
	}{{"BY CLASS", res.Totals.ByClass}, {"BY CATEGORY", res.Totals.ByCategory}} {
		b.WriteByte('\n')
		gcols := []column{{group.title, true}, {"PARAMS", false}, {"FLOPS", false}, {"%FLOPS", false}, {"READ", false}, {"WRITTEN", false}, {"KV CACHE", false}}
		if sent {
			gcols = append(gcols, column{"SENT", false})
		}
		gt := &table{cols: gcols}
		for _, k := range slices.Sorted(maps.Keys(group.m)) {
			s := group.m[k]
			name := k
			if group.title == "BY CLASS" {
				name = layers.ShortName(k)
			}
			cells := []string{name, f.count(s.Params), f.flops(s.FLOPs), percent(s.FLOPs, tot.FLOPs), f.bytes(s.BytesRead), f.bytes(s.BytesWritten), f.bytes(s.KVCacheBytes)}
			if sent {
				cells = append(cells, f.bytes(s.CommBytes))
			}
			gt.add(cells...)
		}
		gt.write(&b, head)
	}
	bw.WriteString(b.String())
	return bw.Flush()
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

// parallelLine says which device the figures are for.
func parallelLine(p *calc.ParallelInfo) string {
	var parts []string
	for _, d := range []struct {
		flag string
		v    int
	}{{"--tp", p.TP}, {"--pp", p.PP}, {"--ep", p.EP}, {"--dp", p.DP}} {
		if d.v > 1 {
			parts = append(parts, fmt.Sprintf("%s %d", d.flag, d.v))
		}
	}
	line := fmt.Sprintf("one device of %s (%s devices)", strings.Join(parts, " "), p.Devices())
	if p.Stages > 1 {
		line += fmt.Sprintf(", pipeline stage %d of %d", p.Stage+1, p.Stages)
	}
	line += fmt.Sprintf(", batch %s", p.BatchSize)
	if p.EP > 1 {
		line += fmt.Sprintf(" (its experts: the routed tokens of batch %s)", p.ExpertBatchSize)
	}
	return line
}

// count writes n with its noun, singular for 1: "1 token", "2 tokens".
func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// decodeSteps says what follows a generation's first token: its Out − 1 decode steps and their
// mean time, or that there are none (one output token is the prefill alone).
func decodeSteps(g *calc.Generation) string {
	if g.Out <= 1 {
		return "no decode step"
	}
	if g.Out == 2 {
		return fmt.Sprintf("then %s for the one decode step", Seconds(g.TPOT))
	}
	return fmt.Sprintf("then %s per token (mean of %d steps)", Seconds(g.TPOT), g.Out-1)
}

// activeShare prints the active parameters as a share of the model's parameters.
func activeShare(active *big.Rat, res *calc.Result) string {
	whole := res.Totals.Params
	if whole.Sign() == 0 || active.Cmp(whole) == 0 {
		return "all"
	}
	return percent(active, whole)
}

// writeMemory writes what one device holds against its memory, with a warning when it does
// not fit.
func writeMemory(b *strings.Builder, m calc.Memory, device string, colored, hint bool) {
	fmt.Fprintf(b, "memory on %s: weights %s + KV cache %s + activations %s = %s",
		device, Human(m.Weights, "B"), Human(m.KVCache, "B"), Human(m.Activations, "B"), Human(m.Total, "B"))
	if !m.Known {
		b.WriteString(" (the device's capacity is not known)\n")
		return
	}
	fmt.Fprintf(b, " of %s\n", capacity(m.Capacity))
	if !m.Fits {
		warn := color.New(color.FgRed, color.Bold)
		if colored {
			warn.EnableColor()
		} else {
			warn.DisableColor()
		}
		over := new(big.Rat).Sub(m.Total, m.Capacity)
		msg := fmt.Sprintf("WARNING: does not fit on one %s: %s over its %s", device, Human(over, "B"), capacity(m.Capacity))
		if hint {
			msg += " (modeltool fit finds the largest batch or context that fits; --tp/--pp spread the model)"
		}
		b.WriteString(warn.Sprint(msg))
		b.WriteByte('\n')
	}
}

// capacity prints a device's memory, with its GiB when that is whole (vendors' "80GB").
func capacity(c *big.Rat) string {
	s := Human(c, "B")
	gib := new(big.Rat).Quo(c, new(big.Rat).SetInt64(1<<30))
	if gib.IsInt() {
		s += " (" + gib.Num().String() + " GiB)"
	}
	return s
}
