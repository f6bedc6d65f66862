package report

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
)

// The page is one template with its style sheet and script inserted inline, so that the
// report is a single self-contained file: no fonts, scripts, styles or images are fetched.

//go:embed report.html.tmpl
var htmlSource string

//go:embed report.css
var htmlCSS string

//go:embed report.js
var htmlJS string

//go:embed exactjson.js
var exactJSONJS string

// ExactJSONJS is the script that parses modeltool's JSON in a browser without losing digits
// (modeltoolJSON.parse: numbers as their literal strings); the report inlines it and the web
// app of modeltool serve loads it.
func ExactJSONJS() string { return exactJSONJS }

// htmlPage is parsed when the first page is written, not when modeltool starts: parsing it
// costs most of a millisecond that validate and every other command would pay for nothing.
var htmlPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html.tmpl").Funcs(htmlFuncs).Parse(htmlSource))
})

// PrepareHTML parses the page template and makes html/template work out its escaping — about
// a millisecond, which the first page would otherwise spend — so that calc can have it done
// on another core while it reads and computes the model file. Safe to call at any time, from
// any goroutine, any number of times.
func PrepareHTML() {
	page := htmlPage()
	// Executing a template escapes it first; an empty page writes nothing worth keeping.
	_ = page.Execute(io.Discard, &htmlReport{})
	_ = page.ExecuteTemplate(io.Discard, "rows-after", &htmlReport{})
}

var htmlFuncs = template.FuncMap{
	"f":    func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) },
	"addf": func(a, b float64) float64 { return a + b },
	"half": func(a float64) float64 { return a / 2 },
	"neg":  func(a float64) float64 { return -a },
	"add":  func(a, b int) int { return a + b },
}

// figuresHTML writes the calculation as one self-contained HTML page: header, totals, a
// sortable per-layer table, where FLOPs, bytes (and time) go by class, and with a roofline
// the roofline plot. Everything the page shows is rendered here, so it reads without
// JavaScript; the inline script adds sorting, exact digits, filtering and tooltips. The
// figures are also in the page as the --format json document (a JSON data island).
func figuresHTML(w io.Writer, res *calc.Result, roof *calc.Roofline, gen *calc.Generation) error {
	page, err := buildHTMLReport(res, roof, gen)
	if err != nil {
		return err
	}
	// The template writes a page in thousands of small pieces: one system call for each, to
	// standard output, would cost more than the rest of the page.
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlPage().Execute(bw, page); err != nil {
		return err
	}
	// The rows and the figures, most of the page, are written here: a template would copy
	// each into a buffer of its own first (fmt.Fprint), growing it a doubling at a time.
	bw.WriteString(page.RowsHTML)
	if err := htmlPage().ExecuteTemplate(bw, "rows-after", page); err != nil {
		return err
	}
	bw.WriteString(`<script type="application/json" id="modeltool-data">`)
	writeDataIsland(bw, page.data)
	bw.WriteString("</script>\n<script>")
	bw.WriteString(exactJSONJS)
	bw.WriteString(htmlJS)
	bw.WriteString("</script>\n</body>\n</html>\n")
	return bw.Flush()
}

type htmlReport struct {
	Title     string
	Variables []htmlVar
	Device    *htmlDevice
	Totals    []htmlTotal
	Bound     *htmlBound
	Columns   []htmlColumn
	Rows      []htmlRow
	// RowsHTML is the table's rows, written by rowsHTML, HTML that figuresHTML writes after
	// the template's part up to <tbody>.
	RowsHTML string
	Foot     []htmlCell
	Tied     int
	Legend   []htmlLegend
	Classes  *barChart
	Roofline *rooflineChart
	Parallel *htmlParallel
	Memory   []*memoryPanel
	Timeline *timelinePlot
	// Layers is the number of basic layers (rows of calc); Merged and Dropped say how many
	// rows the page merged and left off to stay usable (htmlRows); LayersEmbedded whether the
	// data island holds the per-layer rows.
	Layers          int
	Merged, Dropped int
	LayersEmbedded  bool
	CSS             template.CSS
	// data is what the data island holds, which figuresHTML writes after the template's part
	// rows-after, with the page's script.
	data dataIsland
}

type htmlVar struct{ Name, Value string }

type htmlDevice struct {
	Name, Vendor, DType string
	Peak, PeakExact     string
	Bandwidth, BWExact  string
	Ridge, RidgeExact   string
	Memory              string
	// Link is the interconnect, shown when figures are per device.
	Link, LinkExact, Interconnect string
}

// htmlTotal is one figure of the totals: readable and exact.
type htmlTotal struct {
	Label, Human, Exact, Note string
}

type htmlBound struct {
	Sum, SumExact     string
	Whole, WholeLimit string
	Achieved          string
	OfPeak            string
	ComputeShare      string
	MemoryShare       string
}

type htmlColumn struct {
	Key, Title, Tip string
	Num             bool
}

// htmlCell is one figure in the table: Text is readable, Exact has every digit, Sort is
// the exact decimal the table sorts on.
type htmlCell struct {
	Text, Exact, Sort, Tip, Class string
}

type htmlRow struct {
	Index            int
	Path             string
	Parent, Leaf     string
	Class, Short     string
	Category, CatCSS string
	TiedTo           string
	Count            string
	Cells            []htmlCell
}

type htmlLegend struct{ Name, CSS string }

// categoryColors gives the known categories fixed colours (classes c0…c9 in report.css);
// other categories take the free ones in name order.
var categoryColors = []string{"matmul", "attention", "normalization", "activation", "elementwise", "lookup", "rotary", "routing", "communication"}

const paletteSize = 10

func categoryClasses(res *calc.Result) map[string]string {
	out := map[string]string{}
	used := map[int]bool{}
	var others []string
	seen := map[string]bool{}
	for _, r := range res.Rows {
		if seen[r.Category] {
			continue
		}
		seen[r.Category] = true
		found := false
		for i, c := range categoryColors {
			if c == r.Category {
				out[c] = fmt.Sprintf("c%d", i)
				used[i] = true
				found = true
			}
		}
		if !found {
			others = append(others, r.Category)
		}
	}
	sort.Strings(others)
	next := 0
	for _, c := range others {
		for used[next%paletteSize] && len(used) < paletteSize {
			next++
		}
		out[c] = fmt.Sprintf("c%d", next%paletteSize)
		used[next%paletteSize] = true
		next++
	}
	return out
}

func buildHTMLReport(res *calc.Result, roof *calc.Roofline, gen *calc.Generation) (*htmlReport, error) {
	// full has every row, for every sum; res what the page draws (htmlRows).
	full := res
	res, merged, dropped := htmlRows(full)
	doc := figuresDoc(full, roof) // a page of a huge file embeds the figures without its rows
	embedded := len(full.Rows) <= maxHTMLRows
	if gen != nil {
		doc.Set("generation", generationNode(gen))
	}
	island := dataIsland{doc: doc, roof: roof}
	if embedded {
		island.rows = full
	}
	p := &htmlReport{
		Title:  res.ModelID,
		Layers: len(full.Rows), Merged: merged, Dropped: dropped, LayersEmbedded: embedded,
		data: island,
		CSS:  template.CSS(htmlCSS),
	}
	if p.Title == "" {
		p.Title = "(no model_id)"
	}
	for _, v := range res.Variables {
		p.Variables = append(p.Variables, htmlVar{v.Name, v.Value.String()})
	}
	if roof != nil {
		ridge := ridgeOf(roof)
		d := &htmlDevice{
			Name: roof.Device.Name, Vendor: roof.Device.Vendor, DType: roof.DType,
			Peak: Human(roof.Peak, "FLOP/s"), PeakExact: exactGrouped(roof.Peak) + " FLOP/s",
			Bandwidth: Human(roof.Bandwidth, "B/s"), BWExact: exactGrouped(roof.Bandwidth) + " B/s",
			Ridge: fixed(ridge, 1) + " FLOP/B", RidgeExact: exactGrouped(ridge) + " FLOP/B",
		}
		if m := roof.Device.MemoryBytes; m != nil && m.Sign() > 0 {
			gib := new(big.Int).Lsh(big.NewInt(1), 30)
			if new(big.Int).Mod(m, gib).Sign() == 0 {
				d.Memory = new(big.Int).Quo(m, gib).String() + " GiB"
			} else {
				d.Memory = Human(new(big.Rat).SetInt(m), "B")
			}
		}
		if roof.Link != nil && res.Parallel != nil {
			d.Link = Human(roof.Link, "B/s")
			d.LinkExact = exactGrouped(roof.Link) + " B/s"
			d.Interconnect = roof.Device.Interconnect
		}
		p.Device = d
	}

	tot := &res.Totals.Sum
	p.Totals = []htmlTotal{
		{"Parameters", HumanCount(tot.Params), exactGrouped(tot.Params), "tied weights counted once"},
		{"Weight bytes", Human(tot.WeightBytes, "B"), exactGrouped(tot.WeightBytes) + " B", ""},
		{"FLOPs", Human(tot.FLOPs, "FLOP"), exactGrouped(tot.FLOPs), ""},
		{"Bytes read", Human(tot.BytesRead, "B"), exactGrouped(tot.BytesRead) + " B", ""},
		{"Bytes written", Human(tot.BytesWritten, "B"), exactGrouped(tot.BytesWritten) + " B", ""},
		{"KV cache", Human(tot.KVCacheBytes, "B"), exactGrouped(tot.KVCacheBytes) + " B", ""},
	}
	if a := res.Totals.ActiveParams; a != nil {
		note := "per token: all but the routed experts, plus top_k of them"
		if a.Cmp(tot.Params) == 0 && res.Parallel == nil {
			note = "per token: every parameter (no routed experts)"
		}
		p.Totals = append(p.Totals, htmlTotal{"Active parameters", HumanCount(a), exactGrouped(a), note})
	}
	if par := res.Parallel; par != nil {
		p.Parallel = &htmlParallel{Line: parallelLine(par)}
		p.Totals[0].Label = "Parameters per device"
		p.Totals = append(p.Totals, htmlTotal{"Sent to other devices", Human(tot.CommBytes, "B"), exactGrouped(tot.CommBytes) + " B", "communication rows, one device"})
	}
	if roof != nil {
		p.Memory = append(p.Memory, buildMemoryPanel("memory", "Memory on one "+roof.Device.Name, calc.MemoryOn(full, roof.Device), roof.Device.Name))
		if gen != nil {
			p.Memory = append(p.Memory, buildMemoryPanel("generation-memory", "Generation's peak memory", gen.PeakMemory, roof.Device.Name))
		}
	}
	if gen != nil {
		p.Timeline = buildTimeline(gen)
	}
	for _, r := range full.Rows {
		if r.TiedTo != "" {
			p.Tied++
		}
	}
	if p.Tied > 0 {
		p.Totals[0].Note = fmt.Sprintf("%d tied layer(s) counted once", p.Tied)
	}

	var bounds, fullBounds []calc.Bound
	if roof != nil {
		bounds = make([]calc.Bound, len(res.Rows))
		for i, r := range res.Rows {
			bounds[i] = roof.Row(r)
		}
		fullBounds = bounds
		if full != res {
			fullBounds = make([]calc.Bound, len(full.Rows))
			for i, r := range full.Rows {
				fullBounds[i] = roof.Row(r)
			}
		}
		p.Bound = totalBound(full, roof, fullBounds)
	}

	cats := categoryClasses(full)
	p.Columns = []htmlColumn{
		{"index", "#", "order in the model file", true},
		{"path", "Layer", "dotted path of the basic layer", false},
		{"class", "Class", "basic class (hover for the full name and category)", false},
		{"count", "Count", "instances: the product of the repeats above the layer", true},
		{"params", "Params", "parameters × count (tied layers count 0 here)", true},
		{"flops", "FLOPs", "FLOPs × count", true},
		{"bytes_read", "Read", "bytes read × count", true},
		{"bytes_written", "Written", "bytes written × count", true},
		{"kv_cache_bytes", "KV cache", "KV-cache bytes × count", true},
	}
	if roof != nil {
		p.Columns = append(p.Columns,
			htmlColumn{"seconds", "Time", "roofline time bound of all instances: max(FLOPs / peak, bytes / bandwidth)", true},
			htmlColumn{"intensity", "FLOP/B", "arithmetic intensity: FLOPs per byte read or written", true},
			htmlColumn{"bound", "Bound", "which roof limits the layer", false},
		)
	}
	boundCellsOf := map[*big.Rat][]htmlCell{}
	for i, r := range res.Rows {
		parent, leaf := "", r.Path
		if j := strings.LastIndexByte(r.Path, '.'); j >= 0 {
			parent, leaf = r.Path[:j+1], r.Path[j+1:]
		}
		row := htmlRow{
			Index: i + 1, Path: r.Path, Parent: parent, Leaf: leaf,
			Class: r.Class, Short: layers.ShortName(r.Class),
			Category: r.Category, CatCSS: cats[r.Category],
			TiedTo: r.TiedTo, Count: r.Count.String(),
		}
		var params htmlCell
		if r.TiedTo != "" {
			shared := times(r.Figures.Params, r.Count)
			params = htmlCell{Text: "tied", Exact: "tied", Sort: "0", Class: "tied-cell",
				Tip: fmt.Sprintf("shares its weights with %s: its %s parameters are counted there, once", r.TiedTo, exactGrouped(shared))}
		} else {
			params = countCell(r.Figures.Params, r.Count, HumanCount, "")
		}
		row.Cells = []htmlCell{
			params,
			countCell(r.Figures.FLOPs, r.Count, func(x *big.Rat) string { return Human(x, "") }, ""),
			countCell(r.Figures.BytesRead, r.Count, func(x *big.Rat) string { return Human(x, "B") }, " B"),
			countCell(r.Figures.BytesWritten, r.Count, func(x *big.Rat) string { return Human(x, "B") }, " B"),
			countCell(r.Figures.KVCacheBytes, r.Count, func(x *big.Rat) string { return Human(x, "B") }, " B"),
		}
		if roof != nil {
			// Equal rows share their bound (calc.Roofline.Row), and its cells.
			bc, ok := boundCellsOf[bounds[i].Seconds]
			if !ok {
				bc = boundCells(bounds[i])
				boundCellsOf[bounds[i].Seconds] = bc
			}
			row.Cells = append(row.Cells, bc...)
		}
		p.Rows = append(p.Rows, row)
	}
	p.RowsHTML = rowsHTML(p.Rows)
	p.Foot = []htmlCell{
		sumCell(tot.Params, HumanCount(tot.Params), ""),
		sumCell(tot.FLOPs, Human(tot.FLOPs, ""), ""),
		sumCell(tot.BytesRead, Human(tot.BytesRead, "B"), " B"),
		sumCell(tot.BytesWritten, Human(tot.BytesWritten, "B"), " B"),
		sumCell(tot.KVCacheBytes, Human(tot.KVCacheBytes, "B"), " B"),
	}
	if roof != nil {
		b := roof.Total(full)
		p.Foot = append(p.Foot, boundCells(b)...)
		p.Foot[len(p.Foot)-3].Tip = "sum of the per-layer bounds (layers run one after another)"
	}

	for _, c := range slices.Sorted(maps.Keys(cats)) {
		p.Legend = append(p.Legend, htmlLegend{c, cats[c]})
	}
	p.Classes = classChart(full, roof, fullBounds)
	if roof != nil {
		p.Roofline = rooflinePlot(res, roof, bounds, cats, roof.Total(full).Seconds)
	}
	return p, nil
}

// exactGrouped prints a figure exactly with thousands separators, marked ≈ when rounded.
func exactGrouped(r *big.Rat) string {
	if IsExact(r) {
		return Grouped(r)
	}
	return "≈" + Grouped(r)
}

func fixed(r *big.Rat, prec int) string {
	if r == nil {
		return "-"
	}
	return r.FloatString(prec)
}

// sumSeconds sums n times by key: each (key, time) is the i-th of them. Equal rows share their
// bound (calc.Roofline.Row), so a time is added once times its rows, not once a row.
func sumSeconds(n int, at func(i int) (string, *big.Rat)) map[string]*big.Rat {
	type pair struct {
		key string
		t   *big.Rat
	}
	times := map[pair]int64{}
	var order []pair
	for i := range n {
		k, t := at(i)
		p := pair{k, t}
		if times[p] == 0 {
			order = append(order, p)
		}
		times[p]++
	}
	out := map[string]*big.Rat{}
	m := new(big.Rat)
	for _, p := range order {
		if out[p.key] == nil {
			out[p.key] = new(big.Rat)
		}
		out[p.key].Add(out[p.key], m.Mul(p.t, m.SetInt64(times[p])))
	}
	return out
}

// dataIsland is the figures document as the page embeds it: the --format json document, or
// without its rows for a huge file (rows nil).
type dataIsland struct {
	doc  *jsonpos.Node // figuresDoc's, layers empty
	rows *calc.Result
	roof *calc.Roofline
}

// writeDataIsland writes the figures document compact, with <, > and & (and U+2028, U+2029)
// escaped as \u003c…, so nothing in it can end the script element — what json.Marshal of the
// document's text gives. It is written a row at a time, each row's nodes in the same memory
// (rowSlab), not as one tree and one text of the whole.
func writeDataIsland(w *bufio.Writer, d dataIsland) {
	var buf, esc bytes.Buffer
	flush := func() {
		if needsHTMLEscape(buf.Bytes()) {
			esc.Reset()
			json.HTMLEscape(&esc, buf.Bytes())
			w.Write(esc.Bytes())
		} else {
			w.Write(buf.Bytes())
		}
		buf.Reset()
	}
	buf.WriteByte('{')
	for i, m := range d.doc.Members {
		if i > 0 {
			buf.WriteByte(',')
		}
		jsonpos.WriteString(&buf, m.Key)
		buf.WriteByte(':')
		if m.Key != "layers" || d.rows == nil {
			jsonpos.WriteCompact(&buf, m.Value)
			continue
		}
		buf.WriteByte('[')
		bounds := boundNodes{}
		var slab rowSlab
		for k := range d.rows.Rows {
			if k > 0 {
				buf.WriteByte(',')
			}
			slab.reset()
			jsonpos.WriteCompact(&buf, rowNode(&d.rows.Rows[k], d.roof, bounds, &slab))
			flush()
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	flush()
}

// needsHTMLEscape reports whether json.HTMLEscape would change text: it holds <, > or &, or
// the first byte of U+2028 or U+2029.
func needsHTMLEscape(text []byte) bool {
	for _, c := range text {
		if c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return true
		}
	}
	return false
}

// groupsHTML writes the bars of the class chart, a group for each class, as the template
// would (a template's reflection costs about 2 µs an action, and a chart of 12 classes and
// three series has 500 of them), each string escaped as html/template escapes text and quoted
// attributes (htmlEscape).
func groupsHTML(c *barChart) template.HTML {
	var b strings.Builder
	e := func(s string) { htmlEscape.WriteString(&b, s) }
	f := func(x float64) { b.WriteString(strconv.FormatFloat(x, 'f', 1, 64)) }
	for _, g := range c.Groups {
		b.WriteString("\n      <g class=\"bar-group\">\n        <text class=\"bar-class\" x=\"")
		f(c.LabelX)
		b.WriteString("\" y=\"")
		f(g.LabelY)
		b.WriteString("\" text-anchor=\"end\"><title>")
		e(g.Tip)
		b.WriteString("</title>")
		e(g.Label)
		b.WriteString("</text>")
		for _, r := range g.Bars {
			b.WriteString("\n        <rect class=\"bar ")
			e(r.CSS)
			b.WriteString("\" data-series=\"")
			e(r.Series)
			b.WriteString("\" x=\"")
			f(r.X)
			b.WriteString("\" y=\"")
			f(r.Y)
			b.WriteString("\" width=\"")
			f(r.W)
			b.WriteString("\" height=\"")
			f(r.H)
			b.WriteString("\"><title>")
			e(r.Tip)
			b.WriteString("</title></rect>\n        <text class=\"bar-label\" x=\"")
			f(r.LabelX)
			b.WriteString("\" y=\"")
			f(r.LabelY)
			b.WriteString("\">")
			e(r.Label)
			b.WriteString("</text>")
		}
		b.WriteString("\n      </g>")
	}
	return template.HTML(b.String())
}

// htmlEscape escapes a string as html/template does in text, quoted attribute values and
// RCDATA (its htmlReplacementTable): NUL, quotes, &, +, < and >.
var htmlEscape = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// rowsHTML writes the rows of the layer table. They are written here, not by the template: a
// template's reflection costs about 40 µs a row, which a page of 700 layers would spend 30 ms
// on. Every string is escaped as html/template escapes text and quoted attributes.
func rowsHTML(rows []htmlRow) string {
	var b strings.Builder
	b.Grow(1600 * len(rows))
	e := func(s string) { b.WriteString(template.HTMLEscapeString(s)) }
	for _, r := range rows {
		idx := strconv.Itoa(r.Index)
		b.WriteString("\n      <tr data-row=\"" + idx + "\" class=\"")
		if r.TiedTo != "" {
			b.WriteString("tied")
		}
		b.WriteString("\">\n        <td class=\"num idx\" data-sort=\"" + idx + "\">" + idx + "</td>")
		b.WriteString("\n        <td class=\"path\" data-sort=\"")
		e(r.Path)
		b.WriteString("\"><span class=\"swatch ")
		e(r.CatCSS)
		b.WriteString("\" title=\"")
		e(r.Category)
		b.WriteString("\"></span><code><span class=\"parent\">")
		e(r.Parent)
		b.WriteString("</span><span class=\"leaf\">")
		e(r.Leaf)
		b.WriteString("</span></code>")
		if r.TiedTo != "" {
			b.WriteString(" <span class=\"badge badge-tied\" title=\"shares its weights with ")
			e(r.TiedTo)
			b.WriteString("; they count once, there\">tied → ")
			e(r.TiedTo)
			b.WriteString("</span>")
		}
		b.WriteString("</td>\n        <td class=\"cls\" data-sort=\"")
		e(r.Short)
		b.WriteString("\" data-category=\"")
		e(r.Category)
		b.WriteString("\" title=\"")
		e(r.Class + " · " + r.Category)
		b.WriteString("\">")
		e(r.Short)
		b.WriteString("</td>\n        <td class=\"num\" data-sort=\"")
		e(r.Count)
		b.WriteString("\">")
		e(r.Count)
		b.WriteString("</td>")
		for _, c := range r.Cells {
			b.WriteString("\n        <td class=\"num ")
			e(c.Class)
			b.WriteString("\" data-sort=\"")
			e(c.Sort)
			b.WriteString("\"")
			if c.Tip != "" {
				b.WriteString(" title=\"")
				e(c.Tip)
				b.WriteString("\"")
			}
			b.WriteString("><span class=\"r\">")
			e(c.Text)
			b.WriteString("</span><span class=\"x\">")
			e(c.Exact)
			b.WriteString("</span></td>")
		}
		b.WriteString("\n      </tr>")
	}
	return b.String()
}

func countCell(v expr.Value, count *big.Int, human func(*big.Rat) string, unit string) htmlCell {
	if p, ok := timesInt(v, count); ok {
		// Nearly every figure: printed without big.Rat (as sumCell and human would).
		r := new(big.Rat).SetInt64(p)
		exact := groupDigits(strconv.FormatInt(p, 10))
		c := htmlCell{Text: human(r), Exact: exact, Sort: strconv.FormatInt(p, 10), Tip: exact + unit}
		if count.Cmp(big.NewInt(1)) != 0 && p != 0 {
			c.Tip = fmt.Sprintf("%s%s = %s × %s", exact, unit, count.String(), exactGrouped(v.RatOrZero()))
		}
		return c
	}
	total := times(v, count)
	c := sumCell(total, human(total), unit)
	if count.Cmp(big.NewInt(1)) != 0 && total.Sign() != 0 {
		c.Tip = fmt.Sprintf("%s%s = %s × %s", exactGrouped(total), unit, count.String(), exactGrouped(v.RatOrZero()))
	}
	return c
}

func sumCell(r *big.Rat, human, unit string) htmlCell {
	return htmlCell{Text: human, Exact: exactGrouped(r), Sort: Exact(r), Tip: exactGrouped(r) + unit}
}

func boundCells(b calc.Bound) []htmlCell {
	t := htmlCell{Text: Seconds(b.Seconds), Exact: exactGrouped(b.Seconds) + " s", Sort: Exact(b.Seconds),
		Tip: fmt.Sprintf("compute %s, memory %s", Seconds(b.ComputeSeconds), Seconds(b.MemorySeconds))}
	in := htmlCell{Text: "–", Exact: "–", Sort: "", Tip: "no bytes move"}
	if b.Intensity != nil {
		in = htmlCell{Text: fixed(b.Intensity, 1), Exact: exactGrouped(b.Intensity), Sort: Exact(b.Intensity), Tip: exactGrouped(b.Intensity) + " FLOP/B"}
	}
	lim := htmlCell{Text: "–", Exact: "–", Sort: "", Tip: "no work"}
	if b.Limit != "" {
		lim = htmlCell{Text: b.Limit, Exact: b.Limit, Sort: b.Limit, Class: "bound-" + b.Limit}
	}
	return []htmlCell{t, in, lim}
}

func ridgeOf(roof *calc.Roofline) *big.Rat {
	if roof.Bandwidth.Sign() == 0 {
		return new(big.Rat)
	}
	return new(big.Rat).Quo(roof.Peak, roof.Bandwidth)
}

func totalBound(res *calc.Result, roof *calc.Roofline, bounds []calc.Bound) *htmlBound {
	b := roof.Total(res)
	hb := &htmlBound{Sum: Seconds(b.Seconds), SumExact: exactGrouped(b.Seconds) + " s", WholeLimit: b.Limit}
	hb.Whole = Seconds(maxRat(b.ComputeSeconds, b.MemorySeconds))
	if b.Seconds.Sign() > 0 {
		ach := new(big.Rat).Quo(res.Totals.FLOPs, b.Seconds)
		hb.Achieved = Human(ach, "FLOP/s")
		if roof.Peak.Sign() > 0 {
			hb.OfPeak = pct(ach, roof.Peak)
		}
		byLimit := sumSeconds(len(bounds), func(i int) (string, *big.Rat) { return bounds[i].Limit, bounds[i].Seconds })
		comp, mem := ratOrNil(byLimit["compute"]), ratOrNil(byLimit["memory"])
		hb.ComputeShare = pct(comp, b.Seconds)
		hb.MemoryShare = pct(mem, b.Seconds)
	}
	return hb
}

// pct prints part/whole as a percentage with one decimal; a share too small to show is "<0.1%".
func pct(part, whole *big.Rat) string {
	if whole == nil || whole.Sign() == 0 {
		return "–"
	}
	x, _ := new(big.Rat).Quo(part, whole).Float64()
	if x > 0 && x < 0.0005 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

// share is part/whole as a float in [0, 1]; 0 when whole is 0.
func share(part, whole *big.Rat) float64 {
	if whole == nil || whole.Sign() <= 0 || part.Sign() <= 0 {
		return 0
	}
	x, _ := new(big.Rat).Quo(part, whole).Float64()
	return math.Min(1, x)
}

// log10Rat is log10(r) for r > 0, for figures of any size (a float64 would overflow).
func log10Rat(r *big.Rat) float64 {
	f := new(big.Float).SetPrec(64).SetRat(r)
	mant := new(big.Float)
	exp := f.MantExp(mant)
	m, _ := mant.Float64()
	return math.Log10(m) + float64(exp)*math.Log10(2)
}

// --- where FLOPs, bytes and time go, by class ---

type barChart struct {
	Width, Height int
	LabelX        float64
	Series        []barSeries
	Groups        []barGroup
	// GroupsHTML is the groups' SVG, written by groupsHTML.
	GroupsHTML  template.HTML
	Grid        []barGridLine
	Top, Bottom float64
}

type barSeries struct{ Name, CSS, Total string }

type barGroup struct {
	Label, Tip string
	LabelY     float64
	Bars       []bar
}

type bar struct {
	X, Y, W, H float64
	CSS        string
	Label      string
	LabelX     float64
	LabelY     float64
	Tip        string
	Series     string
}

type barGridLine struct {
	X     float64
	Label string
}

func classChart(res *calc.Result, roof *calc.Roofline, bounds []calc.Bound) *barChart {
	if len(res.Totals.ByClass) == 0 {
		return nil
	}
	tot := &res.Totals.Sum
	totBytes := new(big.Rat).Add(tot.BytesRead, tot.BytesWritten)
	var timeBy map[string]*big.Rat
	totTime := new(big.Rat)
	if roof != nil {
		timeBy = sumSeconds(len(res.Rows), func(i int) (string, *big.Rat) { return res.Rows[i].Class, bounds[i].Seconds })
		for _, t := range timeBy {
			totTime.Add(totTime, t)
		}
	}
	type entry struct {
		class              string
		flops, bytes, time *big.Rat
		read, written      *big.Rat
	}
	var es []entry
	for class, s := range res.Totals.ByClass {
		e := entry{class: class, flops: s.FLOPs, bytes: new(big.Rat).Add(s.BytesRead, s.BytesWritten), read: s.BytesRead, written: s.BytesWritten, time: new(big.Rat)}
		if timeBy != nil && timeBy[class] != nil {
			e.time = timeBy[class]
		}
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if c := a.time.Cmp(b.time); c != 0 {
			return c > 0
		}
		if c := a.flops.Cmp(b.flops); c != 0 {
			return c > 0
		}
		if c := a.bytes.Cmp(b.bytes); c != 0 {
			return c > 0
		}
		return a.class < b.class
	})
	shortCount := map[string]int{}
	for _, e := range es {
		shortCount[layers.ShortName(e.class)]++
	}

	ch := &barChart{Width: 600, LabelX: 168}
	ch.Series = []barSeries{
		{"FLOPs", "m-flops", Human(tot.FLOPs, "FLOP")},
		{"bytes moved (read + written)", "m-bytes", Human(totBytes, "B")},
	}
	if roof != nil {
		ch.Series = append(ch.Series, barSeries{"time bound on " + roof.Device.Name, "m-time", Seconds(totTime)})
	}
	const (
		barH     = 11.0
		barGap   = 2.0
		groupGap = 12.0
		top      = 22.0
		x0       = 176.0
		maxW     = 300.0
	)
	ch.Top = top - 8
	y := top
	for _, e := range es {
		label := layers.ShortName(e.class)
		if shortCount[label] > 1 {
			label = e.class
		}
		if r := []rune(label); len(r) > 28 {
			label = "…" + string(r[len(r)-27:]) // the tail names the class; the tooltip has all of it
		}
		g := barGroup{Label: label, Tip: e.class}
		type metric struct {
			part, whole *big.Rat
			css, human  string
			tip         string
			series      string
		}
		ms := []metric{
			{e.flops, tot.FLOPs, "m-flops", Human(e.flops, "FLOP"), exactGrouped(e.flops) + " FLOP", "flops"},
			{e.bytes, totBytes, "m-bytes", Human(e.bytes, "B"), fmt.Sprintf("%s B (read %s B, written %s B)", exactGrouped(e.bytes), exactGrouped(e.read), exactGrouped(e.written)), "bytes"},
		}
		if roof != nil {
			ms = append(ms, metric{e.time, totTime, "m-time", Seconds(e.time), exactGrouped(e.time) + " s", "time"})
		}
		n := float64(len(ms))
		g.LabelY = y + (n*barH+(n-1)*barGap)/2 + 4
		for _, m := range ms {
			w := share(m.part, m.whole) * maxW
			if m.part.Sign() > 0 && w < 1 {
				w = 1 // a sliver, so a non-zero share is never invisible
			}
			p := pct(m.part, m.whole)
			g.Bars = append(g.Bars, bar{
				X: x0, Y: y, W: w, H: barH, CSS: m.css, Series: m.series,
				Label: p + " · " + m.human, LabelX: x0 + w + 5, LabelY: y + barH - 2,
				Tip: fmt.Sprintf("%s — %s of the total: %s", label, p, m.tip),
			})
			y += barH + barGap
		}
		ch.Groups = append(ch.Groups, g)
		y += groupGap - barGap
	}
	ch.Bottom = y - groupGap + barGap + 4
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		ch.Grid = append(ch.Grid, barGridLine{X: x0 + f*maxW, Label: fmt.Sprintf("%d%%", int(f*100))})
	}
	ch.Height = int(math.Ceil(ch.Bottom + 18))
	ch.GroupsHTML = groupsHTML(ch)
	return ch
}

// --- roofline ---

type rooflineChart struct {
	Width, Height  int
	PX, PY, PW, PH float64 // the plot area
	XTicks, YTicks []tick
	Roof           string
	RidgeX, RidgeY float64
	RidgeLabel     string
	PeakLabel      svgText
	BWLabel        svgText
	Points         []rooflinePoint
	Model          *rooflinePoint
	ModelPath      string
	Omitted        []string
	// MoreOmitted counts the unplotted layers not named (past maxHTMLOmitted); Unplotted the
	// plottable layers left out (past maxHTMLPoints, the smallest time bounds).
	MoreOmitted int
	Unplotted   int
	Plotted     int
	Legend      []htmlLegend
}

type tick struct {
	Pos   float64
	Label string
	Major bool
}

type svgText struct {
	X, Y, Angle float64
	Text        string
}

type rooflinePoint struct {
	X, Y, R float64
	CSS     string
	Row     int
	Tip     string
}

// rooflinePlot places the rows of res at their bounds; totTime is the time of the whole model
// (the sum of every layer's bound, also of rows the page does not draw).
func rooflinePlot(res *calc.Result, roof *calc.Roofline, bounds []calc.Bound, cats map[string]string, totTime *big.Rat) *rooflineChart {
	if roof.Peak.Sign() <= 0 || roof.Bandwidth.Sign() <= 0 {
		return nil
	}
	ch := &rooflineChart{Width: 600, Height: 420, PX: 62, PY: 14}
	ch.PW = float64(ch.Width) - ch.PX - 16
	ch.PH = float64(ch.Height) - ch.PY - 46
	peakL := log10Rat(roof.Peak)
	bwL := log10Rat(roof.Bandwidth)
	ridge := ridgeOf(roof)
	ridgeL := log10Rat(ridge)

	type pt struct {
		ai, perf float64 // log10
		share    float64
		row      int
	}
	var pts []pt
	xlo, xhi := ridgeL, ridgeL
	ylo := peakL
	for i, r := range res.Rows {
		b := bounds[i]
		flops := times(r.Figures.FLOPs, r.Count)
		if b.Intensity == nil || b.Intensity.Sign() <= 0 || flops.Sign() <= 0 || b.Seconds.Sign() <= 0 {
			if len(ch.Omitted) < maxHTMLOmitted {
				ch.Omitted = append(ch.Omitted, r.Path)
			} else {
				ch.MoreOmitted++
			}
			continue
		}
		p := pt{ai: log10Rat(b.Intensity), perf: log10Rat(new(big.Rat).Quo(flops, b.Seconds)), share: share(b.Seconds, totTime), row: i}
		pts = append(pts, p)
		xlo, xhi = math.Min(xlo, p.ai), math.Max(xhi, p.ai)
		ylo = math.Min(ylo, p.perf)
	}
	ch.Plotted = len(pts)
	// Pad the ranges and keep at least two decades on each axis.
	xlo, xhi = xlo-0.35, xhi+0.45
	if d := 3 - (xhi - xlo); d > 0 {
		xlo, xhi = xlo-d/2, xhi+d/2
	}
	// The bottom edge meets the memory roof at the left edge, so the slope starts in the corner.
	ylo = math.Min(ylo-0.3, bwL+xlo)
	yhi := peakL + 0.3
	if d := 2 - (yhi - ylo); d > 0 {
		ylo -= d
	}
	sx := func(l float64) float64 { return ch.PX + (l-xlo)/(xhi-xlo)*ch.PW }
	sy := func(l float64) float64 { return ch.PY + ch.PH - (l-ylo)/(yhi-ylo)*ch.PH }

	ch.XTicks = logTicks(xlo, xhi, sx, aiLabel)
	ch.YTicks = logTicks(ylo, yhi, sy, func(k int) string { return siDecade(k) })

	// Roof: bandwidth × AI up to the ridge, then flat at the peak. Start where the slope
	// enters the plot (at the bottom edge or the left edge).
	startL := math.Max(xlo, ylo-bwL)
	ch.Roof = fmt.Sprintf("M%.1f %.1f L%.1f %.1f L%.1f %.1f", sx(startL), sy(bwL+startL), sx(ridgeL), sy(peakL), sx(xhi), sy(peakL))
	ch.RidgeX, ch.RidgeY = sx(ridgeL), sy(peakL)
	ch.RidgeLabel = "ridge " + fixed(ridge, 1) + " FLOP/B"
	// The peak label sits left of the ridge, level with the flat roof, where no point can be
	// (points left of the ridge lie on the slope below it).
	// With too little room there, it sits above the roof at the right edge.
	ch.PeakLabel = svgText{X: sx(ridgeL) - 8, Y: sy(peakL) + 4, Text: fmt.Sprintf("peak %s %s", Human(roof.Peak, "FLOP/s"), roof.DType)}
	if ch.PeakLabel.X-ch.PX < 7*float64(len(ch.PeakLabel.Text)) {
		ch.PeakLabel.X, ch.PeakLabel.Y = ch.PX+ch.PW-4, sy(peakL)-6
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].share > pts[j].share })
	if len(pts) > maxHTMLPoints {
		ch.Unplotted = len(pts) - maxHTMLPoints
		pts = pts[:maxHTMLPoints]
		ch.Plotted = len(pts)
	}
	for _, p := range pts {
		r := res.Rows[p.row]
		b := bounds[p.row]
		flops := times(r.Figures.FLOPs, r.Count)
		perf := new(big.Rat).Quo(flops, b.Seconds)
		tip := fmt.Sprintf("%s\n%s × %s · %s\n%s FLOP/B · %s · %s-bound\ntime bound %s (%s of the total)",
			r.Path, r.Count.String(), layers.ShortName(r.Class), r.Category,
			fixed(b.Intensity, 1), Human(perf, "FLOP/s"), b.Limit,
			Seconds(b.Seconds), pct(b.Seconds, totTime))
		ch.Points = append(ch.Points, rooflinePoint{
			X: sx(p.ai), Y: sy(p.perf), R: 3 + 20*math.Sqrt(p.share),
			CSS: cats[r.Category], Row: p.row + 1, Tip: tip,
		})
	}
	seen := map[string]bool{}
	for _, p := range pts {
		c := res.Rows[p.row].Category
		if !seen[c] {
			seen[c] = true
		}
	}
	for _, c := range slices.Sorted(maps.Keys(seen)) {
		ch.Legend = append(ch.Legend, htmlLegend{c, cats[c]})
	}

	// The whole model: its intensity and the FLOP/s it reaches when each layer runs at its bound.
	tot := &res.Totals.Sum
	bytes := new(big.Rat).Add(tot.BytesRead, tot.BytesWritten)
	if tot.FLOPs.Sign() > 0 && bytes.Sign() > 0 && totTime.Sign() > 0 {
		ai := new(big.Rat).Quo(tot.FLOPs, bytes)
		perf := new(big.Rat).Quo(tot.FLOPs, totTime)
		x, y := sx(log10Rat(ai)), sy(log10Rat(perf))
		ch.Model = &rooflinePoint{X: x, Y: y, R: 6,
			Tip: fmt.Sprintf("whole model\n%s FLOP/B · %s (%s of peak)\ntime bound %s, the sum of the layers' bounds", fixed(ai, 1), Human(perf, "FLOP/s"), pct(perf, roof.Peak), Seconds(totTime))}
		ch.ModelPath = fmt.Sprintf("M%.1f %.1f l6 6 l-6 6 l-6 -6 z", x, y-6)
	}

	// The bandwidth label runs along the slope, just above it, where it keeps farthest
	// from the points (which lie on the roof too).
	x0, y0 := sx(startL), sy(bwL+startL)
	x1, y1 := sx(ridgeL), sy(peakL)
	length := math.Hypot(x1-x0, y1-y0)
	text := Human(roof.Bandwidth, "B/s") + " memory"
	half := 3.3 * float64(len(text)) // about half the label's width at 11.5px
	ux, uy := (x1-x0)/length, (y1-y0)/length
	nx, ny := uy, -ux // the normal pointing up-left of the slope
	if ny > 0 {
		nx, ny = -nx, -ny
	}
	var marks []rooflinePoint
	marks = append(marks, ch.Points...)
	if ch.Model != nil {
		marks = append(marks, *ch.Model)
	}
	best, bestT := math.Inf(-1), 0.5
	for t := 0.15; t <= 0.851; t += 0.05 {
		cx, cy := x0+t*(x1-x0)+9*nx, y0+t*(y1-y0)+9*ny
		if t*length < half || (1-t)*length < half+10 {
			continue // the label would run off the slope
		}
		clear := math.Inf(1)
		for _, m := range marks {
			d := segmentDistance(m.X, m.Y, cx-half*ux, cy-half*uy, cx+half*ux, cy+half*uy) - m.R - 7
			clear = math.Min(clear, d)
		}
		// Prefer the middle of the slope when several places are clear.
		score := math.Min(clear, 40) - 10*math.Abs(t-0.5)
		if score > best {
			best, bestT = score, t
		}
	}
	cx, cy := x0+bestT*(x1-x0)+6*nx, y0+bestT*(y1-y0)+6*ny
	ch.BWLabel = svgText{X: cx, Y: cy, Angle: math.Atan2(y1-y0, x1-x0) * 180 / math.Pi, Text: text}
	return ch
}

// segmentDistance is the distance from (px, py) to the segment from (ax, ay) to (bx, by).
func segmentDistance(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l))
	}
	return math.Hypot(px-(ax+t*dx), py-(ay+t*dy))
}

// logTicks returns a major tick at each power of ten in [lo, hi] and minor ticks at 2…9 of
// each decade.
func logTicks(lo, hi float64, scale func(float64) float64, label func(int) string) []tick {
	var ts []tick
	for k := int(math.Floor(lo)); float64(k) <= hi; k++ {
		if float64(k) >= lo {
			ts = append(ts, tick{Pos: scale(float64(k)), Label: label(k), Major: true})
		}
		for m := 2; m <= 9; m++ {
			l := float64(k) + math.Log10(float64(m))
			if l >= lo && l <= hi {
				ts = append(ts, tick{Pos: scale(l)})
			}
		}
	}
	return ts
}

// aiLabel prints 10^k as an intensity: 0.01, 0.1, 1, 10, 100, 1k, 10k…
func aiLabel(k int) string {
	switch {
	case k < 0:
		return strconv.FormatFloat(math.Pow(10, float64(k)), 'f', -k, 64)
	case k < 3:
		return strconv.Itoa(int(math.Pow(10, float64(k))))
	}
	return siDecade(k)
}

// siDecade prints 10^k with an SI prefix: 1 G, 10 G, 100 G, 1 T…
func siDecade(k int) string {
	prefixes := []string{"", "k", "M", "G", "T", "P", "E", "Z", "Y"}
	if k < 0 {
		return aiLabel(k)
	}
	i := k / 3
	if i >= len(prefixes) {
		return fmt.Sprintf("1e%d", k)
	}
	return strconv.Itoa(int(math.Pow(10, float64(k%3)))) + prefixes[i]
}
