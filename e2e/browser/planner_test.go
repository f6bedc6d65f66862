package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// plannerPage is a report opened in the browser, with what went wrong in its console.
type plannerPage struct {
	ctx     context.Context
	events  *browserEvents
	console chan []chromedp.ConsoleMessage
}

const plannerEndMarker = "modeltool-planner-test-end"

// openPlannerPage writes page to a file and opens it from file:// in headless Chromium.
func openPlannerPage(t *testing.T, browser string, page []byte) *plannerPage {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1440, 1000),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	p := &plannerPage{ctx: bctx, events: &browserEvents{}, console: make(chan []chromedp.ConsoleMessage, 1)}
	if err := chromedp.Listen(bctx, p.events.listen); err != nil {
		t.Fatal(err)
	}
	console := chromedp.Console(bctx)
	go func() {
		var msgs []chromedp.ConsoleMessage
		defer func() { p.console <- msgs }()
		for m, err := range console {
			if err != nil || m.Text == plannerEndMarker {
				return
			}
			msgs = append(msgs, m)
		}
	}()
	url := "file://" + filepath.ToSlash(path)
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1440, 1000), chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`html[data-ready="true"]`))); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	return p
}

// eval evaluates a JavaScript expression on the page.
func eval[T any](t *testing.T, p *plannerPage, js string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// clean checks that the console has no errors and that the page fetched nothing.
func (p *plannerPage) clean(t *testing.T) {
	t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`console.debug(%q)`, plannerEndMarker))); err != nil {
		t.Fatal(err)
	}
	for _, m := range <-p.console {
		switch m.Type {
		case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
			t.Errorf("console %s: %s", m.Type, m.Text)
		}
	}
	for _, u := range p.events.snapshot() {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s; it must be self-contained", u)
		}
	}
}

// plannerJSON is what the test needs of calc --format json with --generate.
type plannerJSON struct {
	Totals struct {
		ActiveParams json.Number `json:"active_params"`
		CommBytes    json.Number `json:"comm_bytes"`
		Roofline     struct {
			Seconds json.Number `json:"seconds"`
		} `json:"roofline"`
	} `json:"totals"`
	Memory struct {
		Weights     json.Number `json:"weights"`
		KVCache     json.Number `json:"kv_cache"`
		Activations json.Number `json:"activations"`
		Total       json.Number `json:"total"`
		Capacity    json.Number `json:"capacity"`
		Fits        bool        `json:"fits"`
	} `json:"memory"`
	Generation struct {
		TTFT json.Number `json:"ttft_seconds"`
		TPOT json.Number `json:"tpot_seconds"`
	} `json:"generation"`
	Layers []struct {
		Path     string `json:"path"`
		Category string `json:"category"`
	} `json:"layers"`
}

func decodePlanner(t *testing.T, data []byte) plannerJSON {
	t.Helper()
	var v plannerJSON
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserPlannerPanels opens the planner's panels in headless Chromium: Mixtral-8x7B at
// batch 64 on an H100 (93.4 GB of weights and 17.2 GB of KV cache: the memory bar crosses the
// capacity line and a warning says it does not fit), its active parameters, and the generation
// of 64 tokens after 512 — one timeline point per decode step, the first and last at exactly
// the bound calc gives for that step; then Llama-2-7b over --tp 2 (the per-device banner, the
// communication rows, what a device sends) which fits (no warning).
func TestBrowserPlannerPanels(t *testing.T) {
	browser := requireChromium(t)
	mixtral := filepath.Join(repoRoot, "models", "mixtral-8x7b-v0.1.json")
	args := []string{"calc", "--hardware", "H100-SXM", "--batch-size", "64", "--generate", "512:64", mixtral}
	want := decodePlanner(t, runModeltool(t, append([]string{"--format", "json"}, args...)...))
	p := openPlannerPage(t, browser, runModeltool(t, append([]string{"--format", "html"}, args...)...))

	type memory struct {
		Segments           int
		Names              []string
		Widths             []float64
		CapacityX, BarEnd  float64
		Warning            string
		WarningVisible     bool
		Badge, ActiveExact string
	}
	m := eval[memory](t, p, `(() => {
		const fig = document.getElementById("memory");
		const segs = [...fig.querySelectorAll("rect.mem-seg")];
		const cap = fig.querySelector("line.capacity-line");
		const w = document.getElementById("memory-warning");
		const active = [...document.querySelectorAll(".totals .card")].find(c => c.querySelector(".card-label").textContent.trim() === "Active parameters");
		const last = segs[segs.length - 1];
		return {
			Segments: segs.length,
			Names: segs.map(s => s.dataset.name),
			Widths: segs.map(s => s.getBBox().width),
			CapacityX: cap ? cap.x1.baseVal.value : -1,
			BarEnd: last.x.baseVal.value + last.width.baseVal.value,
			Warning: w ? w.innerText : "",
			WarningVisible: !!w && w.getBoundingClientRect().height > 0 && w.getAttribute("role") === "alert",
			Badge: fig.querySelector(".badge").textContent,
			ActiveExact: active ? active.querySelector(".card-exact").textContent : "",
		};
	})()`)
	if m.Segments != 3 || strings.Join(m.Names, ",") != "weights,KV cache,activations" {
		t.Errorf("the memory bar has %d segments %v, want weights, KV cache and activations", m.Segments, m.Names)
	}
	// The bar is drawn to the larger of the total and the capacity: here the total, so the bar
	// ends at the full width and the capacity line stands at capacity / total of it.
	capacity, total := rat(t, want.Memory.Capacity.String()), rat(t, want.Memory.Total.String())
	wantX, _ := capacity.Quo(capacity, total).Float64()
	if want.Memory.Fits || m.CapacityX <= 0 || m.CapacityX >= m.BarEnd || abs(m.CapacityX/m.BarEnd-wantX) > 0.01 {
		t.Errorf("capacity line at %.1f of %.1f, want %.3f of the bar (fits %v)", m.CapacityX, m.BarEnd, wantX, want.Memory.Fits)
	}
	weights, _ := rat(t, want.Memory.Weights.String()).Float64()
	totalF, _ := total.Float64()
	if len(m.Widths) == 3 && abs(m.Widths[0]/m.BarEnd-weights/totalF) > 0.01 {
		t.Errorf("the weights segment is %.3f of the bar, want %.3f", m.Widths[0]/m.BarEnd, weights/totalF)
	}
	if !m.WarningVisible || !strings.Contains(m.Warning, "Does not fit") || m.Badge != "does not fit" {
		t.Errorf("no visible warning: %q (visible %v), badge %q", m.Warning, m.WarningVisible, m.Badge)
	}
	if m.ActiveExact != "12,879,925,248" {
		t.Errorf("the active-parameter card shows %q, want 12,879,925,248", m.ActiveExact)
	}

	type timeline struct {
		Points       int
		FirstPast    string
		FirstSeconds string
		LastPast     string
		LastSeconds  string
		Increasing   bool
		Width        float64
		TTFT         string
	}
	tl := eval[timeline](t, p, `(() => {
		const pts = [...document.querySelectorAll("#timeline circle.tl-pt")];
		const ys = pts.map(c => c.cy.baseVal.value);
		const ttft = [...document.querySelectorAll(".generation .card")].find(c => c.querySelector(".card-label").textContent.trim() === "Time to first token");
		return {
			Points: pts.length,
			FirstPast: pts[0].dataset.past, FirstSeconds: pts[0].dataset.seconds,
			LastPast: pts[pts.length - 1].dataset.past, LastSeconds: pts[pts.length - 1].dataset.seconds,
			Increasing: ys.every((y, i) => i === 0 || y <= ys[i - 1] + 0.001),
			Width: document.getElementById("timeline").getBoundingClientRect().width,
			TTFT: ttft ? ttft.querySelector(".card-exact").textContent : "",
		};
	})()`)
	if tl.Points != 63 || tl.FirstPast != "512" || tl.LastPast != "574" {
		t.Errorf("the timeline has %d points from %s to %s, want 63 decode steps from 512 to 574 cached tokens", tl.Points, tl.FirstPast, tl.LastPast)
	}
	for _, c := range []struct{ past, got string }{{"512", tl.FirstSeconds}, {"574", tl.LastSeconds}} {
		step := decodePlanner(t, runModeltool(t, "calc", "--format", "json", "--hardware", "H100-SXM", "--batch-size", "64", "--seq-len", "1", "--past-len", c.past, mixtral))
		if c.got != step.Totals.Roofline.Seconds.String() {
			t.Errorf("the step with %s cached shows %s s, calc gives %s", c.past, c.got, step.Totals.Roofline.Seconds)
		}
	}
	if !tl.Increasing || tl.Width < 300 {
		t.Errorf("the step times should not fall as the cache grows (%v), and the plot be wide (%v px)", tl.Increasing, tl.Width)
	}
	if !strings.Contains(tl.TTFT, want.Generation.TTFT.String()) {
		t.Errorf("the time-to-first-token card shows %q, JSON %s", tl.TTFT, want.Generation.TTFT)
	}
	if png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)); err == nil {
		writeShot(t, filepath.Join(t.TempDir(), "planner.png"), png)
	}
	p.clean(t)

	// Llama-2-7b over two devices: the banner, the communication rows and what a device
	// sends; it fits, so no warning.
	llama := filepath.Join(repoRoot, "models", "llama-2-7b-hf.json")
	args = []string{"calc", "--hardware", "H100-SXM", "--tp", "2", llama}
	want = decodePlanner(t, runModeltool(t, append([]string{"--format", "json"}, args...)...))
	comm := 0
	for _, l := range want.Layers {
		if l.Category == "communication" {
			comm++
		}
	}
	q := openPlannerPage(t, browser, runModeltool(t, append([]string{"--format", "html"}, args...)...))
	type parallel struct {
		Banner   string
		CommRows int
		Sent     string
		Warning  bool
		Badge    string
	}
	pr := eval[parallel](t, q, `(() => {
		const sent = [...document.querySelectorAll(".totals .card")].find(c => c.querySelector(".card-label").textContent.trim() === "Sent to other devices");
		return {
			Banner: (document.getElementById("parallel") || {}).textContent || "",
			CommRows: document.querySelectorAll('#layers tbody td.cls[data-category="communication"]').length,
			Sent: sent ? sent.querySelector(".card-exact").textContent : "",
			Warning: !!document.getElementById("memory-warning"),
			Badge: document.querySelector("#memory .badge").textContent,
		};
	})()`)
	if !strings.Contains(pr.Banner, "--tp 2 (2 devices)") {
		t.Errorf("the banner says %q", pr.Banner)
	}
	if comm == 0 || pr.CommRows != comm {
		t.Errorf("the table has %d communication rows, the JSON %d", pr.CommRows, comm)
	}
	if strings.ReplaceAll(strings.TrimSuffix(pr.Sent, " B"), ",", "") != want.Totals.CommBytes.String() {
		t.Errorf("the sent card shows %q, JSON comm_bytes %s", pr.Sent, want.Totals.CommBytes)
	}
	if pr.Warning || pr.Badge != "fits" {
		t.Errorf("Llama-2-7b at --tp 2 fits an H100: warning %v, badge %q", pr.Warning, pr.Badge)
	}
	q.clean(t)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
