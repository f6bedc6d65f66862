package report

import (
	"bytes"
	"encoding/json"
	"html/template"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
)

// llama computes the shipped Llama-2-7b model file, and its roofline on an H100 when hw.
func llama(t *testing.T, hw bool) (*calc.Result, *calc.Roofline) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "models", "llama-2-7b-hf.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Parse("llama-2-7b-hf.json", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !hw {
		return res, nil
	}
	dev, err := hardware.Lookup("H100-SXM")
	if err != nil {
		t.Fatal(err)
	}
	roof, err := calc.NewRoofline(dev, "bf16")
	if err != nil {
		t.Fatal(err)
	}
	return res, roof
}

// page renders res as HTML through WriteFigures and parses it.
func page(t *testing.T, res *calc.Result, roof *calc.Roofline) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteFigures(&b, "html", res, FiguresOptions{Roofline: roof}); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	return b.String(), doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// find returns the elements under n for which match is true, in document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(n, func(d *html.Node) {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	})
	return out
}

// walk calls fn on every node under n, in document order.
func walk(n *html.Node, fn func(*html.Node)) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		fn(c)
		walk(c, fn)
	}
}

func byID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	els := find(n, func(e *html.Node) bool { v, _ := attr(e, "id"); return v == id })
	if len(els) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(els), id)
	}
	return els[0]
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(d *html.Node) {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	})
	return b.String()
}

// plottable counts the rows that have FLOPs and move bytes.
func plottable(res *calc.Result) int {
	n := 0
	for _, r := range res.Rows {
		moved := new(big.Rat).Add(r.Figures.BytesRead.RatOrZero(), r.Figures.BytesWritten.RatOrZero())
		if r.Figures.FLOPs.RatOrZero().Sign() > 0 && moved.Sign() > 0 {
			n++
		}
	}
	return n
}

func TestFigureFormatsHaveHTML(t *testing.T) {
	if !slices.Contains(FigureFormats, "html") {
		t.Fatalf("FigureFormats %v has no html", FigureFormats)
	}
}

func TestHTMLReport(t *testing.T) {
	res, roof := llama(t, true)
	src, doc := page(t, res, roof)

	if !strings.HasPrefix(src, "<!DOCTYPE html>") {
		t.Errorf("the page does not start with a doctype: %.40q", src)
	}
	if got := text(byID(t, doc, "model-id")); got != res.ModelID {
		t.Errorf("the header shows %q, want %q", got, res.ModelID)
	}
	if got := text(byID(t, doc, "device")); !strings.Contains(got, "H100-SXM") || !strings.Contains(got, "bf16") {
		t.Errorf("the device line %q does not name the device and dtype", got)
	}
	vars := text(find(doc, func(n *html.Node) bool { return hasClass(n, "vars") })[0])
	for _, v := range res.Variables {
		if !strings.Contains(vars, v.Name) {
			t.Errorf("the header does not show the variable %s", v.Name)
		}
	}

	// Totals: exact with thousands separators, and readable.
	totals := text(find(doc, func(n *html.Node) bool { return hasClass(n, "totals") })[0])
	tot := &res.Totals.Sum
	for _, want := range []string{
		"6,738,415,616", "6.74 B", Grouped(tot.WeightBytes), Grouped(tot.FLOPs), Human(tot.FLOPs, "FLOP"),
		Grouped(tot.BytesRead), Grouped(tot.BytesWritten), Grouped(tot.KVCacheBytes), Seconds(roof.Total(res).Seconds),
	} {
		if !strings.Contains(totals, want) {
			t.Errorf("the totals do not show %q:\n%s", want, totals)
		}
	}

	// The table: one row per layer in file order, every row as wide as the header, the
	// figures × count as exact sort keys.
	table := byID(t, doc, "layers")
	heads := find(table, func(n *html.Node) bool { return n.Data == "th" && n.Parent.Parent.Data == "thead" })
	var keys []string
	for _, h := range heads {
		k, _ := attr(h, "data-key")
		keys = append(keys, k)
	}
	wantKeys := []string{"index", "path", "class", "count", "params", "flops", "bytes_read", "bytes_written", "kv_cache_bytes", "seconds", "intensity", "bound"}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("columns %v, want %v", keys, wantKeys)
	}
	tbody := find(table, tag("tbody"))[0]
	rows := find(tbody, tag("tr"))
	if len(rows) != len(res.Rows) {
		t.Fatalf("%d table rows, want %d", len(rows), len(res.Rows))
	}
	for i, tr := range rows {
		r := res.Rows[i]
		cells := find(tr, tag("td"))
		if len(cells) != len(heads) {
			t.Errorf("row %d has %d cells, want %d", i+1, len(cells), len(heads))
			continue
		}
		sortKey := func(col string) string {
			v, _ := attr(cells[slices.Index(keys, col)], "data-sort")
			return v
		}
		if got := sortKey("path"); got != r.Path {
			t.Errorf("row %d is %q, want %q", i+1, got, r.Path)
		}
		if got := text(cells[1]); got != r.Path {
			t.Errorf("row %d shows the path %q, want %q", i+1, got, r.Path)
		}
		if got, want := sortKey("count"), r.Count.String(); got != want {
			t.Errorf("%s: count %s, want %s", r.Path, got, want)
		}
		if got, want := sortKey("flops"), Exact(times(r.Figures.FLOPs, r.Count)); got != want {
			t.Errorf("%s: FLOPs sort key %s, want %s", r.Path, got, want)
		}
		if got, want := sortKey("bytes_read"), Exact(times(r.Figures.BytesRead, r.Count)); got != want {
			t.Errorf("%s: bytes read sort key %s, want %s", r.Path, got, want)
		}
		b := roof.Row(r)
		if got, want := sortKey("seconds"), Exact(b.Seconds); got != want {
			t.Errorf("%s: time sort key %s, want %s", r.Path, got, want)
		}
		if got := sortKey("bound"); got != b.Limit {
			t.Errorf("%s: bound %q, want %q", r.Path, got, b.Limit)
		}
	}

	// The data island is the --format json document.
	island := byID(t, doc, "modeltool-data")
	if v, _ := attr(island, "type"); v != "application/json" {
		t.Errorf("the data island has type %q", v)
	}
	assertSameJSON(t, text(island), string(jsonpos.Marshal(figuresJSON(res, roof))))

	// Charts: three bars per class; one roofline point per plottable layer, inside the plot.
	if n, want := len(find(byID(t, doc, "class-chart"), func(n *html.Node) bool { return hasClass(n, "bar") })), 3*len(res.Totals.ByClass); n != want {
		t.Errorf("the class chart has %d bars, want %d", n, want)
	}
	rl := byID(t, doc, "roofline")
	pts := find(rl, func(n *html.Node) bool { return hasClass(n, "pt") })
	if len(pts) != plottable(res) || len(pts) == len(res.Rows) {
		t.Errorf("the roofline has %d points, want %d of %d layers", len(pts), plottable(res), len(res.Rows))
	}
	bg := find(rl, func(n *html.Node) bool { return hasClass(n, "plot-bg") })[0]
	x0, y0, w, h := numAttr(t, bg, "x"), numAttr(t, bg, "y"), numAttr(t, bg, "width"), numAttr(t, bg, "height")
	for _, p := range pts {
		cx, cy := numAttr(t, p, "cx"), numAttr(t, p, "cy")
		if cx < x0 || cx > x0+w || cy < y0 || cy > y0+h {
			t.Errorf("point %v at (%v, %v) is outside the plot", text(p), cx, cy)
		}
	}
	if note := text(byID(t, doc, "roofline-note")); !strings.Contains(note, "1 not plotted") || !strings.Contains(note, "model.embed_tokens") {
		t.Errorf("the roofline note does not name the layer left out: %q", note)
	}
	if got := text(rl); !strings.Contains(got, "ridge 295.3 FLOP/B") || !strings.Contains(got, "989.40 TFLOP/s") {
		t.Errorf("the roofline does not label the ridge and the peak: %q", got)
	}

	checkSelfContained(t, src, doc)
	checkFiniteSVG(t, doc)

	// The page is the same every time.
	if again, _ := page(t, res, roof); again != src {
		t.Error("two renderings of the same result differ")
	}
}

func TestHTMLReportWithoutHardware(t *testing.T) {
	res, _ := llama(t, false)
	src, doc := page(t, res, nil)
	for _, id := range []string{"roofline", "device", "roofline-figure"} {
		if els := find(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id }); len(els) != 0 {
			t.Errorf("without hardware the page has #%s", id)
		}
	}
	heads := find(byID(t, doc, "layers"), func(n *html.Node) bool { return n.Data == "th" && n.Parent.Parent.Data == "thead" })
	if len(heads) != 9 {
		t.Errorf("without hardware the table has %d columns, want 9", len(heads))
	}
	if n, want := len(find(byID(t, doc, "class-chart"), func(n *html.Node) bool { return hasClass(n, "bar") })), 2*len(res.Totals.ByClass); n != want {
		t.Errorf("the class chart has %d bars, want %d (FLOPs and bytes per class)", n, want)
	}
	if rows := find(find(doc, tag("tbody"))[0], tag("tr")); len(rows) != len(res.Rows) {
		t.Errorf("%d rows, want %d", len(rows), len(res.Rows))
	}
	checkSelfContained(t, src, doc)
	checkFiniteSVG(t, doc)
}

// TestHTMLHostileStrings: a model id, layer paths, classes, categories and variable names
// are the file author's text. None of it may end the data island, open an element or add an
// attribute.
func TestHTMLHostileStrings(t *testing.T) {
	res, roof := llama(t, true)
	_, plain := page(t, res, roof)
	const id = `</script><script>alert("id")</script><b>bold</b> & <!-- '"`
	res.ModelID = id
	res.Rows[1].Path = `layer</td><img src=x onerror=alert(1)>`
	res.Rows[2].Class = `evil.<svg onload=alert(2)>`
	res.Rows[3].Category = `cat"><script>alert(3)</script>`
	res.Rows[4].TiedTo = `"><iframe src=//example.org>`
	res.Variables[0].Name = `v</dt><script>alert(4)</script>`
	res.Totals.ByClass[`<style>*{display:none}</style>`] = res.Totals.ByClass[res.Rows[0].Class]

	src, doc := page(t, res, roof)
	scripts := find(doc, tag("script"))
	if len(scripts) != 2 {
		t.Fatalf("the page has %d script elements, want 2 (the data island and the page's script)", len(scripts))
	}
	for _, name := range []string{"b", "img", "iframe", "style", "svg", "script"} {
		if n, want := len(find(doc, tag(name))), len(find(plain, tag(name))); n != want {
			t.Errorf("hostile strings made %d <%s> elements", n-want, name)
		}
	}
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has an event handler attribute %s=%q", n.Data, a.Key, a.Val)
			}
		}
	}
	if got := text(byID(t, doc, "model-id")); got != id {
		t.Errorf("the header shows %q, want the model id as text %q", got, id)
	}
	if got := text(find(doc, tag("title"))[0]); !strings.Contains(got, id) {
		t.Errorf("the title %q does not hold the model id as text", got)
	}
	var data struct {
		ModelID string `json:"model_id"`
	}
	if err := json.Unmarshal([]byte(text(byID(t, doc, "modeltool-data"))), &data); err != nil {
		t.Fatalf("the data island is not JSON: %v", err)
	}
	if data.ModelID != id {
		t.Errorf("the data island's model_id is %q, want %q", data.ModelID, id)
	}
	assertSameJSON(t, text(byID(t, doc, "modeltool-data")), string(jsonpos.Marshal(figuresJSON(res, roof))))
	rows := find(find(doc, tag("tbody"))[0], tag("tr"))
	if got := text(find(rows[1], tag("td"))[1]); got != res.Rows[1].Path {
		t.Errorf("row 2 shows %q, want the hostile path as text", got)
	}
	if strings.Contains(src, "<img") || strings.Contains(src, "<iframe") || strings.Contains(src, `alert("id")</script>`) {
		t.Error("the page holds hostile markup unescaped")
	}
}

func TestHTMLTiedRows(t *testing.T) {
	res, roof := llama(t, true)
	last := len(res.Rows) - 1
	res.Rows[last].TiedTo = "model.embed_tokens"
	_, doc := page(t, res, roof)
	rows := find(find(doc, tag("tbody"))[0], tag("tr"))
	for i, tr := range rows {
		if hasClass(tr, "tied") != (i == last) {
			t.Errorf("row %d (%s) tied mark: %v", i+1, res.Rows[i].Path, hasClass(tr, "tied"))
		}
	}
	tied := rows[last]
	if got := text(tied); !strings.Contains(got, "tied → model.embed_tokens") {
		t.Errorf("the tied row does not name the layer it shares weights with: %q", got)
	}
	params := find(tied, tag("td"))[4]
	if v, _ := attr(params, "data-sort"); v != "0" || !strings.Contains(text(params), "tied") {
		t.Errorf("the tied row's params cell is %q (sort %q), want tied (0)", text(params), v)
	}
	if got := text(find(doc, tag("tfoot"))[0]); !strings.Contains(got, "tied weights once") {
		t.Errorf("the total row does not say tied weights count once: %q", got)
	}
}

// TestHTMLHugeAndEmptyFigures: figures beyond float64 and layers with nothing to plot keep
// the charts finite.
func TestHTMLHugeAndEmptyFigures(t *testing.T) {
	res, roof := llama(t, true)
	huge, _ := new(big.Rat).SetString("1e400")
	res.Rows[1].Figures.FLOPs = expr.Rat(huge)
	res.Rows[2].Figures.FLOPs = expr.Int(0)
	res.Rows[3].Figures.BytesRead = expr.Int(0)
	res.Rows[3].Figures.BytesWritten = expr.Int(0)
	_, doc := page(t, res, roof)
	checkFiniteSVG(t, doc)
	if n, want := len(find(byID(t, doc, "roofline"), func(n *html.Node) bool { return hasClass(n, "pt") })), plottable(res); n != want {
		t.Errorf("%d roofline points, want %d", n, want)
	}
	if note := text(byID(t, doc, "roofline-note")); !strings.Contains(note, "3 not plotted") {
		t.Errorf("the note does not count the 3 layers left out: %q", note)
	}
}

// TestHTMLStaticAssets: the inlined style sheet and script cannot end their elements and
// load nothing.
func TestHTMLStaticAssets(t *testing.T) {
	for name, s := range map[string]string{"report.css": htmlCSS, "report.js": htmlJS, "exactjson.js": exactJSONJS} {
		low := strings.ToLower(s)
		for _, bad := range []string{"</script", "</style", "<!--", "http://", "https://", "@import", "fetch(", "xmlhttprequest", "innerhtml"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

func numAttr(t *testing.T, n *html.Node, key string) float64 {
	t.Helper()
	v, ok := attr(n, key)
	if !ok {
		t.Fatalf("<%s> has no %s", n.Data, key)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.Data, key, v, err)
	}
	return f
}

// checkSelfContained: no address outside the page: no http(s) anywhere, every src/href is
// data: or a fragment, styles import nothing, scripts are inline.
func checkSelfContained(t *testing.T, src string, doc *html.Node) {
	t.Helper()
	low := strings.ToLower(src)
	for _, bad := range []string{"http://", "https://", "@import", "//fonts."} {
		if strings.Contains(low, bad) {
			t.Errorf("the page refers to %q", bad)
		}
	}
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch strings.ToLower(a.Key) {
			case "src", "href", "xlink:href", "action", "poster", "srcset", "data":
				if !strings.HasPrefix(a.Val, "data:") && !strings.HasPrefix(a.Val, "#") {
					t.Errorf("<%s %s=%q> loads from outside the page", n.Data, a.Key, a.Val)
				}
			}
			if strings.Contains(a.Val, "url(") && !strings.Contains(a.Val, "url(#") {
				t.Errorf("<%s %s=%q> refers to a url", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "script" {
			if _, ok := attr(n, "src"); ok {
				t.Errorf("a script has a src")
			}
		}
	}
	if n := len(find(doc, func(n *html.Node) bool { return n.Data == "link" && !strings.Contains(fmtAttrs(n), "data:") })); n != 0 {
		t.Errorf("the page has %d <link> elements to other files", n)
	}
}

func fmtAttrs(n *html.Node) string {
	var b strings.Builder
	for _, a := range n.Attr {
		b.WriteString(a.Key + "=" + a.Val + " ")
	}
	return b.String()
}

// checkFiniteSVG: every number in the charts' geometry is finite.
func checkFiniteSVG(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, svg := range find(doc, tag("svg")) {
		for _, n := range find(svg, func(*html.Node) bool { return true }) {
			for _, a := range n.Attr {
				switch a.Key {
				case "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height":
					f, err := strconv.ParseFloat(a.Val, 64)
					if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
						t.Errorf("<%s %s=%q> is not a finite number", n.Data, a.Key, a.Val)
					}
				case "d", "transform", "viewBox":
					if strings.Contains(a.Val, "NaN") || strings.Contains(a.Val, "Inf") {
						t.Errorf("<%s %s=%q> is not finite", n.Data, a.Key, a.Val)
					}
				}
			}
		}
	}
}

func assertSameJSON(t *testing.T, got, want string) {
	t.Helper()
	decode := func(s string) any {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("not JSON: %v\n%.200s", err, s)
		}
		return v
	}
	if !reflect.DeepEqual(decode(got), decode(want)) {
		t.Errorf("the data island is not the --format json document:\n got %.300s\nwant %.300s", got, want)
	}
}

// TestPrepareHTMLAlongsidePages: the template made ready on another goroutine (as calc does
// while it computes) while pages are written gives the same pages (go test -race checks the
// sharing).
func TestPrepareHTMLAlongsidePages(t *testing.T) {
	res, roof := llama(t, true)
	want, _ := page(t, res, roof)
	done := make(chan bool)
	for range 4 {
		go func() { PrepareHTML(); done <- true }()
	}
	for range 4 {
		if got, _ := page(t, res, roof); got != want {
			t.Error("a page written while the template is prepared differs")
		}
	}
	for range 4 {
		<-done
	}
}

// TestGroupsHTMLAsTheTemplate: the class chart's bars, written in Go, are what the template
// wrote before them, escaping included (quotes, &, +, <, >, NUL, invalid UTF-8).
func TestGroupsHTMLAsTheTemplate(t *testing.T) {
	const before = `<svg>
      {{- $lx := .LabelX}}
      {{- range .Groups}}
      <g class="bar-group">
        <text class="bar-class" x="{{f $lx}}" y="{{f .LabelY}}" text-anchor="end"><title>{{.Tip}}</title>{{.Label}}</text>
        {{- range .Bars}}
        <rect class="bar {{.CSS}}" data-series="{{.Series}}" x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}"><title>{{.Tip}}</title></rect>
        <text class="bar-label" x="{{f .LabelX}}" y="{{f .LabelY}}">{{.Label}}</text>
        {{- end}}
      </g>
      {{- end}}
    </svg>`
	const hostile = "a\"b'c&d+e<f>g\x00h\xffi é </title><script>"
	chart := &barChart{LabelX: 12.25, Groups: []barGroup{
		{Label: "Linear", Tip: "1 + 2 FLOPs", LabelY: 3, Bars: []bar{{X: 1, Y: 2.05, W: 3.14159, H: -4, CSS: "c0", Label: "12%", LabelX: 5, LabelY: 6, Tip: hostile, Series: "flops"}}},
		{Label: hostile, Tip: hostile, Bars: []bar{{CSS: hostile, Series: hostile, Label: hostile, Tip: "x"}, {CSS: "c1"}}},
		{Label: "empty"},
	}}
	tpl := template.Must(template.New("t").Funcs(htmlFuncs).Parse(before))
	var want bytes.Buffer
	if err := tpl.Execute(&want, chart); err != nil {
		t.Fatal(err)
	}
	if got := "<svg>" + string(groupsHTML(chart)) + "\n    </svg>"; got != want.String() {
		t.Errorf("groupsHTML:\n%s\ntemplate:\n%s", got, want.String())
	}
}
