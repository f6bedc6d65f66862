// Package browser opens modeltool's HTML report in headless Chromium. It is a module of its own
// (e2e/browser/go.mod) so that chromedp and cdproto are not requirements of modeltool; .ci/run
// runs it with MODELTOOL_BROWSER_TEST=1.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/modeltool/modeltool/internal/cli"
)

var (
	updateDocs = flag.Bool("update-docs", false, "write the browser test's screenshot of the Llama-2-7b report to docs/"+docScreenshot)
	shotDir    = flag.String("screenshots", "", "directory for the browser test's screenshots (default: a temporary one)")
)

// docScreenshot is the screenshot of the report in docs/.
const docScreenshot = "report-llama-2-7b-h100.png"

// chromiumPath is Debian's chromium; MODELTOOL_CHROMIUM names another binary.
func chromiumPath() string {
	if p := os.Getenv("MODELTOOL_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// requireChromium returns the browser to run. The browser test runs only when
// MODELTOOL_BROWSER_TEST=1 (.ci/run sets it); then a missing browser fails it.
func requireChromium(t *testing.T) string {
	t.Helper()
	if os.Getenv("MODELTOOL_BROWSER_TEST") != "1" {
		t.Skip("opens the report in headless Chromium; set MODELTOOL_BROWSER_TEST=1 to run it")
	}
	p := chromiumPath()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("MODELTOOL_BROWSER_TEST=1 but there is no browser at %s (apt-get install chromium): %v", p, err)
	}
	return p
}

// reportLayer is what the test needs of one layer of calc --format json.
type reportLayer struct {
	Path         string      `json:"path"`
	Count        json.Number `json:"count"`
	FLOPs        json.Number `json:"flops"`
	BytesRead    json.Number `json:"bytes_read"`
	BytesWritten json.Number `json:"bytes_written"`
}

type reportJSON struct {
	ModelID string        `json:"model_id"`
	Layers  []reportLayer `json:"layers"`
	Totals  struct {
		ByClass map[string]json.RawMessage `json:"by_class"`
	} `json:"totals"`
}

func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r
}

// repoRoot is the repository's top directory.
var repoRoot = filepath.Join("..", "..")

// runModeltool runs modeltool (in-process, cli.Main) and returns its standard output.
func runModeltool(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, stderr bytes.Buffer
	s := &cli.Streams{In: strings.NewReader(""), Out: &out, Err: &stderr, Getenv: func(string) string { return "" }}
	if code := cli.Main(args, s); code != 0 {
		t.Fatalf("modeltool %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return out.Bytes()
}

// browserEvents records the URLs that the page asks for.
type browserEvents struct {
	mu       sync.Mutex
	requests []string
}

func (b *browserEvents) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			b.requests = append(b.requests, ev.Request.URL)
		}
	}
}

func (b *browserEvents) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests)
}

// TestBrowserReport builds the HTML report of the shipped Llama-2-7b model on an H100 with
// modeltool (calc --format html --hardware H100-SXM), opens it from file:// in headless
// Chromium and checks it as a person would see it: no console errors or exceptions, no
// request but the page itself, one table row per layer, the class chart's bars, one roofline
// point per plottable layer (non-zero FLOPs and bytes), sorting by a click on a column header
// (both directions, exactly by value), the filter, the exact-digits switch, the roofline
// tooltip, and, with JavaScript disabled, the same table and charts rendered by the server.
// It saves a full-page screenshot (-screenshots DIR keeps them; -update-docs writes
// docs/report-llama-2-7b-h100.png).
//
// It needs Debian's chromium at /usr/bin/chromium (MODELTOOL_CHROMIUM names another) and
// runs only when MODELTOOL_BROWSER_TEST=1, as .ci/run sets it.
func TestBrowserReport(t *testing.T) {
	browser := requireChromium(t)

	dir := t.TempDir()
	model, err := os.ReadFile(filepath.Join(repoRoot, "models", "llama-2-7b-hf.json"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Abs(filepath.Join(repoRoot, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "llama-2-7b-hf.json"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the page names the file as a user in its directory would
	args := []string{"calc", "--hardware", "H100-SXM", "llama-2-7b-hf.json"}
	page := runModeltool(t, append([]string{"--format", "html"}, args...)...)
	pagePath := filepath.Join(dir, "report.html")
	if err := os.WriteFile(pagePath, page, 0o644); err != nil {
		t.Fatal(err)
	}
	// What the page should show, from the JSON output of the same calculation.
	var want reportJSON
	dec := json.NewDecoder(strings.NewReader(string(runModeltool(t, append([]string{"--format", "json"}, args...)...))))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	plottable := 0
	for _, l := range want.Layers {
		bytes := new(big.Rat).Add(rat(t, l.BytesRead.String()), rat(t, l.BytesWritten.String()))
		if rat(t, l.FLOPs.String()).Sign() > 0 && bytes.Sign() > 0 {
			plottable++
		}
	}
	if plottable == 0 || plottable == len(want.Layers) {
		t.Fatalf("the model should have both plottable and unplottable layers, has %d plottable of %d", plottable, len(want.Layers))
	}

	shots := *shotDir
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1440, 1000),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// Start the browser and the tab first, so the listeners see everything the page does.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	var events browserEvents
	if err := chromedp.Listen(bctx, events.listen); err != nil {
		t.Fatal(err)
	}
	// The console is read until the marker that the test logs at its end.
	const endMarker = "modeltool-browser-test-end"
	console := chromedp.Console(bctx)
	consoleDone := make(chan []chromedp.ConsoleMessage, 1) // buffered: a test that stops early leaves no goroutine blocked
	go func() {
		var msgs []chromedp.ConsoleMessage
		defer func() { consoleDone <- msgs }()
		for m, err := range console {
			if err != nil {
				msgs = append(msgs, chromedp.ConsoleMessage{Type: chromedp.ConsoleError, Text: "reading the console: " + err.Error()})
				return
			}
			if m.Text == endMarker {
				return
			}
			msgs = append(msgs, m)
		}
	}()

	url := "file://" + filepath.ToSlash(pagePath)
	err = chromedp.Do(bctx,
		chromedp.EmulateViewport(1440, 1000),
		chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS(`html[data-ready="true"]`)),
	)
	if err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}

	count := func(selector string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, selector)))
		if err != nil {
			t.Fatalf("counting %s: %v", selector, err)
		}
		return n
	}

	// The header, the table and the charts.
	title, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#model-id")))
	if err != nil || title != want.ModelID {
		t.Errorf("the header shows %q (%v), want the model id %q", title, err, want.ModelID)
	}
	if n := count("#layers tbody tr"); n != len(want.Layers) {
		t.Errorf("the table has %d rows, want one per layer: %d", n, len(want.Layers))
	}
	if n := count("#layers thead th .sort[role=button]"); n != 12 {
		t.Errorf("the table has %d sortable column headers, want 12 (9 figures and 3 of the roofline)", n)
	}
	if n, w := count("#class-chart rect.bar"), 3*len(want.Totals.ByClass); n != w {
		t.Errorf("the class chart has %d bars, want %d (FLOPs, bytes and time for each of %d classes)", n, w, len(want.Totals.ByClass))
	}
	if n := count("#roofline circle.pt"); n != plottable {
		t.Errorf("the roofline has %d points, want one per plottable layer: %d", n, plottable)
	}
	for _, sel := range []string{"#roofline path.roof", "#roofline .ridge-label", "#roofline path.model-pt"} {
		if count(sel) != 1 {
			t.Errorf("the roofline has no %s", sel)
		}
	}
	note, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#roofline-note")))
	if err != nil || !strings.Contains(note, fmt.Sprintf("%d not plotted", len(want.Layers)-plottable)) {
		t.Errorf("the roofline note %q (%v) does not say that %d layers are not plotted", note, err, len(want.Layers)-plottable)
	}
	// The SVG charts have a size on the page.
	for _, sel := range []string{"#class-chart", "#roofline"} {
		w, err := chromedp.Run(bctx, chromedp.Evaluate[float64](fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().width`, sel)))
		if err != nil || w < 300 {
			t.Errorf("%s is %v px wide (%v), want at least 300", sel, w, err)
		}
	}

	full, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	writeShot(t, filepath.Join(shots, docScreenshot), full)
	for name, sel := range map[string]string{"roofline.png": "#roofline-figure", "classes.png": "#class-figure"} {
		png, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", sel, err)
		}
		writeShot(t, filepath.Join(shots, name), png)
	}
	if *updateDocs {
		writeShot(t, filepath.Join(docs, docScreenshot), full)
	}

	// Sorting: a click on FLOPs sorts largest first, a second click smallest first, both
	// exactly by the values in data-sort; a click on # restores the file's order.
	type column struct {
		Paths []string `json:"paths"`
		Keys  []string `json:"keys"`
		Sort  string   `json:"sort"`
	}
	readColumn := func(key string) column {
		t.Helper()
		c, err := chromedp.Run(bctx, chromedp.Evaluate[column](fmt.Sprintf(`(() => {
			const ths = [...document.querySelectorAll("#layers thead th")];
			const th = ths.find(th => th.dataset.key === %q);
			const i = ths.indexOf(th);
			const rows = [...document.querySelectorAll("#layers tbody tr")];
			return {
				paths: rows.map(r => r.cells[1].dataset.sort),
				keys: rows.map(r => r.cells[i].dataset.sort),
				sort: th.getAttribute("aria-sort") || "",
			};
		})()`, key)))
		if err != nil {
			t.Fatalf("reading column %s: %v", key, err)
		}
		return c
	}
	var filePaths []string
	for _, l := range want.Layers {
		filePaths = append(filePaths, l.Path)
	}
	if got := readColumn("flops").Paths; !slices.Equal(got, filePaths) {
		t.Fatalf("before sorting the rows are %v, want the file's order %v", got, filePaths)
	}
	click := func(key string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#layers thead th[data-key=%q] .sort`, key)))); err != nil {
			t.Fatalf("clicking the %s header: %v", key, err)
		}
	}
	checkOrder := func(c column, dir int, what string) {
		t.Helper()
		for i := 1; i < len(c.Keys); i++ {
			if rat(t, c.Keys[i-1]).Cmp(rat(t, c.Keys[i]))*dir > 0 {
				t.Errorf("%s: row %d (%s = %s) is out of order after row %d (%s)", what, i+1, c.Paths[i], c.Keys[i], i, c.Keys[i-1])
			}
		}
	}
	click("flops")
	desc := readColumn("flops")
	if slices.Equal(desc.Paths, filePaths) {
		t.Errorf("a click on the FLOPs header did not change the order of the rows")
	}
	if desc.Sort != "descending" {
		t.Errorf("after one click the FLOPs header has aria-sort %q, want descending", desc.Sort)
	}
	checkOrder(desc, -1, "FLOPs descending")
	click("flops")
	asc := readColumn("flops")
	if asc.Sort != "ascending" {
		t.Errorf("after two clicks the FLOPs header has aria-sort %q, want ascending", asc.Sort)
	}
	checkOrder(asc, 1, "FLOPs ascending")
	click("intensity")
	checkOrder(readColumn("intensity"), -1, "intensity descending")
	click("index")
	if got := readColumn("flops").Paths; !slices.Equal(got, filePaths) {
		t.Errorf("sorting by # gives %v, want the file's order", got)
	}

	// The exact-digits switch shows every digit of the first row's FLOPs.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#exact-toggle"))); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => {
		const ths = [...document.querySelectorAll("#layers thead th")];
		const i = ths.findIndex(th => th.dataset.key === "flops");
		return document.querySelector("#layers tbody tr:nth-child(2)").cells[i].innerText;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	l := want.Layers[1]
	flops := new(big.Rat).Mul(rat(t, l.FLOPs.String()), rat(t, l.Count.String()))
	if strings.ReplaceAll(shown, ",", "") != flops.FloatString(0) {
		t.Errorf("with every digit the FLOPs of %s show %q, want %s", l.Path, shown, flops.FloatString(0))
	}

	// The filter keeps the rows whose path, class or category matches.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#filter"), "mlp")); err != nil {
		t.Fatal(err)
	}
	wantShown := 0
	for _, l := range want.Layers {
		if strings.Contains(strings.ToLower(l.Path), "mlp") {
			wantShown++
		}
	}
	if n := count("#layers tbody tr:not([hidden])"); n != wantShown {
		t.Errorf("the filter \"mlp\" shows %d rows, want %d", n, wantShown)
	}

	// Hovering the largest roofline point shows its layer in the tooltip and lights its row.
	type hover struct {
		X, Y float64
		Row  string
	}
	h, err := chromedp.Run(bctx, chromedp.Evaluate[hover](`(() => {
		const p = document.querySelector("#roofline circle.pt");
		p.scrollIntoView({block: "center"});
		const r = p.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2, Row: p.dataset.row};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.MouseEvent(chromedp.MouseMoved, h.X, h.Y)); err != nil {
		t.Fatal(err)
	}
	tip, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => { const t = document.getElementById("tooltip"); return t.hidden ? "" : t.innerText; })()`))
	if err != nil {
		t.Fatal(err)
	}
	var rowPath string
	for i, l := range want.Layers {
		if fmt.Sprint(i+1) == h.Row {
			rowPath = l.Path
		}
	}
	if rowPath == "" || !strings.Contains(tip, rowPath) {
		t.Errorf("hovering the point of row %s shows the tooltip %q, want one naming %s", h.Row, tip, rowPath)
	}
	if n := count(`#layers tbody tr.hl[data-row="` + h.Row + `"]`); n != 1 {
		t.Errorf("hovering the point of row %s does not light its table row", h.Row)
	}
	if png, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#roofline-figure"))); err == nil {
		writeShot(t, filepath.Join(shots, "roofline-hover.png"), png)
	}

	// Without JavaScript the server-rendered page still has the totals, every row and the charts.
	nctx, cancelNoJS := chromedp.NewContext(bctx)
	defer cancelNoJS()
	if _, err := chromedp.Call(nctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(nctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#layers"))); err != nil {
		t.Fatal(err)
	}
	type noJS struct {
		Ready, Cards, Rows, Points, Bars int
		Controls                         bool
	}
	nj, err := chromedp.Run(nctx, chromedp.Evaluate[noJS](`({
		Ready: document.querySelectorAll("html[data-ready]").length,
		Cards: document.querySelectorAll(".totals .card").length,
		Rows: document.querySelectorAll("#layers tbody tr").length,
		Points: document.querySelectorAll("#roofline circle.pt").length,
		Bars: document.querySelectorAll("#class-chart rect.bar").length,
		Controls: !document.getElementById("controls").hidden,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if nj.Ready != 0 || nj.Controls {
		t.Errorf("with JavaScript disabled the script ran: %+v", nj)
	}
	if nj.Cards < 6 || nj.Rows != len(want.Layers) || nj.Points != plottable || nj.Bars != 3*len(want.Totals.ByClass) {
		t.Errorf("without JavaScript the page has %+v, want the totals, %d rows, %d points and %d bars", nj, len(want.Layers), plottable, 3*len(want.Totals.ByClass))
	}

	// Nothing went wrong in the console, and the page fetched nothing but itself.
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`console.debug(%q)`, endMarker))); err != nil {
		t.Fatal(err)
	}
	for _, m := range <-consoleDone {
		switch m.Type {
		case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
			t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		default:
			t.Logf("console %s: %s", m.Type, m.Text)
		}
	}
	for _, u := range events.snapshot() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s; it must be self-contained", u)
		}
	}
	t.Logf("screenshots in %s", shots)
}

func writeShot(t *testing.T, path string, png []byte) {
	t.Helper()
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("the screenshot for %s is not a PNG", path)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
