package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltool/modeltool/internal/cli"
)

// docServeScreenshot is the screenshot of modeltool serve in docs/.
const docServeScreenshot = "serve-llama-2-7b-h100.png"

// calcTotals is what the serve test reads of calc --format json: the totals as the exact
// literals calc printed (json.Number keeps every digit).
type calcTotals struct {
	Totals struct {
		Params       json.Number `json:"params"`
		FLOPs        json.Number `json:"flops"`
		BytesRead    json.Number `json:"bytes_read"`
		BytesWritten json.Number `json:"bytes_written"`
		KVCache      json.Number `json:"kv_cache_bytes"`
		Roofline     *struct {
			Seconds json.Number `json:"seconds"`
		} `json:"roofline"`
	} `json:"totals"`
	Memory *struct {
		Total json.Number `json:"total"`
	} `json:"memory"`
}

func calcJSON(t *testing.T, args ...string) calcTotals {
	t.Helper()
	var c calcTotals
	dec := json.NewDecoder(strings.NewReader(string(runModeltool(t, append([]string{"calc", "--format", "json"}, args...)...))))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// pageTotals is what the page shows: the exact figure of each card (data-exact).
type pageTotals struct {
	Params, FLOPs, BytesRead, BytesWritten, KVCache, Time, Memory string
	Query, Search                                                 string
	ReportTitle                                                   string
	ReportPoints, ReportBars                                      int
	ReportFLOPs                                                   string
}

const readPage = `(() => {
	const x = id => { const e = document.getElementById(id); return e ? e.getAttribute("data-exact") : ""; };
	const doc = document.getElementById("report").contentDocument;
	const data = doc.getElementById("modeltool-data");
	return {
		Params: x("total-params"), FLOPs: x("total-flops"), BytesRead: x("total-bytes-read"),
		BytesWritten: x("total-bytes-written"), KVCache: x("total-kv-cache"), Time: x("total-time") || "",
		Memory: x("memory-fit") || "",
		Query: document.documentElement.getAttribute("data-query"), Search: location.search,
		ReportTitle: doc.getElementById("model-id").textContent,
		ReportPoints: doc.querySelectorAll("#roofline circle.pt").length,
		ReportBars: doc.querySelectorAll("#class-chart rect.bar").length,
		ReportFLOPs: data ? doc.defaultView.modeltoolJSON.parse(data.textContent).totals.flops : "",
	};
})()`

// TestBrowserServe runs the web app of modeltool serve (cli.ServeHandler, in-process) over
// three shipped models and uses it in headless Chromium as a person would: it opens a link
// with a model in its address, changes the batch by typing into the page's batch field and the
// hardware through its menu, and after each change reads the totals the page shows — every
// digit, equal to calc --format json's for the same settings — and the report of the same
// settings in the frame (the model, its class bars, with hardware the roofline). DeepSeek-V3 at
// batch 64 × 32,768 tokens has FLOPs beyond 2^53: the page and the report's data island show
// them exactly. The address holds the state: opening it again shows the same view. No console
// errors, and nothing is requested from anywhere but the server. -update-docs writes the
// screenshot docs/serve-llama-2-7b-h100.png.
func TestBrowserServe(t *testing.T) {
	browser := requireChromium(t)
	dir := t.TempDir()
	for _, f := range []string{"llama-2-7b-hf.json", "mistral-7b-v0.1.json", "deepseek-v3.json", "llama-2-7b-hf.config.json"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "models", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := filepath.Abs(filepath.Join(repoRoot, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the models are served by the names a user in their directory gives
	s := &cli.Streams{In: strings.NewReader(""), Out: os.Stderr, Err: os.Stderr, Getenv: func(string) string { return "" }}
	handler, names, err := cli.ServeHandler(s, []string{"."}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 {
		t.Fatalf("serving %v, want the three models (not the config)", names)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

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
		chromedp.WindowSize(1440, 1100),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	var events browserEvents
	if err := chromedp.Listen(bctx, events.listen); err != nil {
		t.Fatal(err)
	}
	const endMarker = "modeltool-serve-test-end"
	console := chromedp.Console(bctx)
	consoleDone := make(chan []chromedp.ConsoleMessage, 1)
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

	// waitFor waits until the page has drawn the settings of query (and says it is ready).
	waitFor := func(query string) pageTotals {
		t.Helper()
		sel := fmt.Sprintf(`html[data-state="ready"][data-query=%q]`, query)
		if err := chromedp.Do(bctx, chromedp.WaitReady(chromedp.CSS(sel))); err != nil {
			state, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.getAttribute("data-state") + " " + document.documentElement.getAttribute("data-query") + " " + document.getElementById("error").textContent`))
			t.Fatalf("the page never showed %s: %v (it is %s)", query, err, state)
		}
		p, err := chromedp.Run(bctx, chromedp.Evaluate[pageTotals](readPage))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := func(what string, p pageTotals, want calcTotals, hardware bool) {
		t.Helper()
		for _, c := range []struct{ name, got, want string }{
			{"parameters", p.Params, want.Totals.Params.String()},
			{"FLOPs", p.FLOPs, want.Totals.FLOPs.String()},
			{"bytes read", p.BytesRead, want.Totals.BytesRead.String()},
			{"bytes written", p.BytesWritten, want.Totals.BytesWritten.String()},
			{"KV cache", p.KVCache, want.Totals.KVCache.String()},
			{"the report's FLOPs", p.ReportFLOPs, want.Totals.FLOPs.String()},
		} {
			if c.got != c.want {
				t.Errorf("%s: the page shows %s %q, calc says %q", what, c.name, c.got, c.want)
			}
		}
		if hardware {
			if want.Totals.Roofline == nil || p.Time != want.Totals.Roofline.Seconds.String() {
				t.Errorf("%s: the page shows the time bound %q, calc says %+v", what, p.Time, want.Totals.Roofline)
			}
			if want.Memory != nil && p.Memory != want.Memory.Total.String() {
				t.Errorf("%s: the page shows memory %q, calc says %q", what, p.Memory, want.Memory.Total)
			}
			if p.ReportPoints == 0 {
				t.Errorf("%s: the report in the page has no roofline", what)
			}
		} else if p.Time != "" {
			t.Errorf("%s: a time bound %q without hardware", what, p.Time)
		}
		if p.ReportBars == 0 {
			t.Errorf("%s: the report in the page has no class bars", what)
		}
	}

	// A link with the model in its address.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/?model=llama-2-7b-hf")); err != nil {
		t.Fatal(err)
	}
	p := waitFor("model=llama-2-7b-hf")
	same("defaults", p, calcJSON(t, "llama-2-7b-hf.json"), false)
	if p.ReportTitle != "meta-llama/Llama-2-7b-hf" {
		t.Errorf("the report in the page is of %q", p.ReportTitle)
	}

	// The batch, typed into the page's field.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#batch_size"), "8")); err != nil {
		t.Fatal(err)
	}
	p = waitFor("model=llama-2-7b-hf&batch_size=8")
	same("batch 8", p, calcJSON(t, "--batch-size", "8", "llama-2-7b-hf.json"), false)

	// The hardware, chosen in the page's menu (as a person's choice: the value, then change).
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS("#hardware"), "H100-SXM"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("hardware").dispatchEvent(new Event("change", {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	p = waitFor("model=llama-2-7b-hf&batch_size=8&hardware=H100-SXM")
	same("batch 8 on an H100", p, calcJSON(t, "--batch-size", "8", "--hardware", "H100-SXM", "llama-2-7b-hf.json"), true)
	if p.Search != "?model=llama-2-7b-hf&batch_size=8&hardware=H100-SXM" {
		t.Errorf("the address holds %q, not the settings", p.Search)
	}

	// The generation length, typed in: the page shows calc's time to first token and per
	// output token, and the report's memory and prefill/decode timeline panels.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#generate"), "512:128")); err != nil {
		t.Fatal(err)
	}
	p = waitFor("model=llama-2-7b-hf&batch_size=8&generate=512%3A128&hardware=H100-SXM")
	var gen struct {
		Generation struct {
			TTFT json.Number `json:"ttft_seconds"`
			TPOT json.Number `json:"tpot_seconds"`
		} `json:"generation"`
	}
	dec := json.NewDecoder(strings.NewReader(string(runModeltool(t, "calc", "--format", "json", "--batch-size", "8", "--hardware", "H100-SXM", "--generate", "512:128", "llama-2-7b-hf.json"))))
	dec.UseNumber()
	if err := dec.Decode(&gen); err != nil {
		t.Fatal(err)
	}
	type genPage struct {
		TTFT, TPOT       string
		Timeline, Memory int
	}
	g, err := chromedp.Run(bctx, chromedp.Evaluate[genPage](`(() => {
		const doc = document.getElementById("report").contentDocument;
		return {
			TTFT: document.getElementById("generation-ttft").getAttribute("data-exact"),
			TPOT: document.getElementById("generation-tpot").getAttribute("data-exact"),
			Timeline: doc.querySelectorAll("#timeline").length,
			Memory: doc.querySelectorAll("#memory-h").length,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if g.TTFT != gen.Generation.TTFT.String() || g.TPOT != gen.Generation.TPOT.String() {
		t.Errorf("the page shows TTFT %s and TPOT %s, calc says %s and %s", g.TTFT, g.TPOT, gen.Generation.TTFT, gen.Generation.TPOT)
	}
	if g.Timeline != 1 || g.Memory != 1 {
		t.Errorf("the report in the page has %d timelines and %d memory panels, want one of each", g.Timeline, g.Memory)
	}
	full, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shots := *shotDir
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	writeShot(t, filepath.Join(shots, docServeScreenshot), full)
	if *updateDocs {
		writeShot(t, filepath.Join(docs, docServeScreenshot), full)
	}

	// The link reproduces the view: opened afresh, the controls hold the settings.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"+p.Search)); err != nil {
		t.Fatal(err)
	}
	again := waitFor("model=llama-2-7b-hf&batch_size=8&generate=512%3A128&hardware=H100-SXM")
	if again.FLOPs != p.FLOPs || again.Time != p.Time {
		t.Errorf("the link shows %+v, the view was %+v", again, p)
	}
	controls, err := chromedp.Run(bctx, chromedp.Evaluate[string](`["model", "batch_size", "hardware", "generate"].map(id => document.getElementById(id).value).join(" ")`))
	if err != nil || controls != "llama-2-7b-hf 8 H100-SXM 512:128" {
		t.Errorf("the controls hold %q (%v)", controls, err)
	}

	// A bad value: the page says what is wrong and keeps the last figures.
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS("#tp"), "0"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("tp").dispatchEvent(new Event("input", {bubbles: true}))`),
		chromedp.WaitReady(chromedp.CSS(`html[data-state="error"]`))); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#error")))
	if err != nil || !strings.Contains(msg, "--tp must be at least 1") {
		t.Errorf("the error shown is %q (%v)", msg, err)
	}

	// Figures beyond 2^53, every digit: DeepSeek-V3 at batch 64 × 32,768 tokens.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/?model=deepseek-v3&batch_size=64&seq_len=32768")); err != nil {
		t.Fatal(err)
	}
	p = waitFor("model=deepseek-v3&batch_size=64&seq_len=32768")
	big := calcJSON(t, "--batch-size", "64", "--seq-len", "32768", "deepseek-v3.json")
	if len(big.Totals.FLOPs.String()) < 17 {
		t.Fatalf("DeepSeek-V3's FLOPs %s are not beyond 2^53", big.Totals.FLOPs)
	}
	same("DeepSeek-V3, batch 64 × 32k", p, big, false)

	// Nothing went wrong in the console, and nothing was fetched from elsewhere.
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`console.debug(%q)`, endMarker))); err != nil {
		t.Fatal(err)
	}
	for _, m := range <-consoleDone {
		switch {
		case m.Type == chromedp.ConsoleError && strings.Contains(m.Text, "400"):
			t.Logf("console (the refused tp=0): %s", m.Text) // the browser logs the 400 answer
		case m.Type == chromedp.ConsoleError, m.Type == chromedp.ConsoleException, m.Type == "assert":
			t.Errorf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}
	for _, u := range events.snapshot() {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s; it must load only from the server", u)
		}
	}
}
