package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const modelJSON = `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}]}`

// fakeRun records the command lines the handler runs and answers as told.
type fakeRun struct {
	mu     sync.Mutex
	calls  [][]string
	stdout string
	stderr string
	code   int
}

func (f *fakeRun) run(_ context.Context, args []string) ([]byte, []byte, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, args)
	return []byte(f.stdout), []byte(f.stderr), f.code
}

func (f *fakeRun) last() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return nil
	}
	return f.calls[len(f.calls)-1]
}

var testParams = []Param{
	{Key: "batch_size", Flag: "--batch-size", Help: "an integer", Pattern: Integer()},
	{Key: "hardware", Flag: "--hardware", Choices: []string{"H100-SXM", "A100-SXM-80GB"}},
	{Key: "tp", Flag: "--tp", Help: "an integer", Pattern: Integer(), Max: 1024},
}

// testServer serves a directory with one model file, m.json.
func testServer(t *testing.T, f *fakeRun) (*httptest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.json"), []byte(modelJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	models, _, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(Options{Models: models, Params: testParams, Run: f.run, Loopback: true}))
	t.Cleanup(srv.Close)
	return srv, dir
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The path is sent as written (no cleaning of dot segments by the client).
	req.URL.Opaque, _, _ = strings.Cut(path, "?")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestCalcRunsCalc: a request becomes calc --format json with the flags of its settings and the
// model's path; calc's output is the answer, byte for byte.
func TestCalcRunsCalc(t *testing.T) {
	f := &fakeRun{stdout: `{"totals": {"flops": 325357493893988352}}` + "\n"}
	srv, dir := testServer(t, f)
	code, body := get(t, srv, "/api/calc?model=m&batch_size=64&hardware=H100-SXM&tp=2")
	if code != 200 || body != f.stdout {
		t.Fatalf("got %d %q, want 200 and calc's output", code, body)
	}
	want := []string{"calc", "--format", "json", "--color", "never", "--batch-size=64", "--hardware=H100-SXM", "--tp=2", "--", filepath.Join(dir, "m.json")}
	if got := f.last(); !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}
	// Empty values leave the file's defaults; /report is calc --format html.
	code, _ = get(t, srv, "/report?model=m&batch_size=&hardware=")
	if code != 200 {
		t.Fatalf("report: %d", code)
	}
	if got := f.last(); !slices.Equal(got, []string{"calc", "--format", "html", "--color", "never", "--", filepath.Join(dir, "m.json")}) {
		t.Errorf("report ran %q", got)
	}
}

// TestCalcFailures: calc's findings (exit 1) are 422 with its diagnostics document; usage
// errors (exit 2) are 400 with the message, without the pointer to --help.
func TestCalcFailures(t *testing.T) {
	f := &fakeRun{stdout: `{"files": 1, "errors": 1, "diagnostics": []}`, code: 1}
	srv, _ := testServer(t, f)
	if code, body := get(t, srv, "/api/calc?model=m"); code != 422 || body != f.stdout {
		t.Errorf("findings: %d %q", code, body)
	}
	f.stdout, f.stderr, f.code = "", "modeltool: --tp must be at least 1, not 0\nRun 'modeltool calc --help' for usage.\n", 2
	code, body := get(t, srv, "/api/calc?model=m&tp=0")
	var e struct{ Error string }
	if code != 400 || json.Unmarshal([]byte(body), &e) != nil || e.Error != "--tp must be at least 1, not 0" {
		t.Errorf("usage error: %d %q", code, body)
	}
}

// TestRefusedRequests: malformed, oversized, unknown and hostile requests get a 4xx with a
// message, and never run calc.
func TestRefusedRequests(t *testing.T) {
	f := &fakeRun{stdout: "{}"}
	srv, _ := testServer(t, f)
	long := strings.Repeat("9", MaxQueryBytes)
	cases := []struct {
		path string
		code int
		msg  string
	}{
		{"/api/calc", 400, "no model"},
		{"/api/calc?model=", 400, "no model"},
		{"/api/calc?model=nope", 404, `no model "nope"`},
		{"/api/calc?model=../m", 404, "no model"},
		{"/api/calc?model=m.json", 404, "no model"},
		{"/api/calc?model=%2e%2e%2fm", 404, "no model"},
		{"/api/calc?model=" + url.QueryEscape("/etc/passwd"), 404, "no model"},
		{"/api/calc?model=m&model=m", 400, "given 2 times"},
		{"/api/calc?model=m&batch_size=x", 400, "batch_size"},
		{"/api/calc?model=m&batch_size=-1", 400, "batch_size"},
		{"/api/calc?model=m&batch_size=1e9", 400, "batch_size"},
		// A number too long for the web app says its limit: 31 nines is 10^31 − 1, 31 digits.
		{"/api/calc?model=m&batch_size=" + strings.Repeat("9", 31), 400, "batch_size=" + strings.Repeat("9", 31) + ": too large: at most 30 digits (below 10^30)"},
		{"/api/calc?model=m&batch_size=1" + strings.Repeat("0", 40), 400, "too large: at most 30 digits"},
		{"/api/calc?model=m&batch_size=12a" + strings.Repeat("0", 40), 400, "batch_size=\"12a"},
		{"/api/calc?model=m&batch_size=" + long, 414, "at most"},
		{"/api/calc?model=m&tp=4096", 400, "at most 1024"},
		{"/api/calc?model=m&hardware=H100", 400, "not one of"},
		{"/api/calc?model=m&hardware=--catalog=/etc/passwd", 400, "not one of"},
		{"/api/calc?model=m&set=x=1", 400, "unknown parameter"},
		{"/api/calc?model=m&%zz", 400, "malformed query"},
		{"/api/calc?model=m;batch_size=1", 400, ""},
		{"/../../etc/passwd", 404, "no such page"},
		{"/%2e%2e/%2e%2e/etc/passwd", 404, "no such page"},
		{"/assets/index.html", 404, "no such page"},
		{"/m.json", 404, "no such page"},
		{"/api/models?x=1", 400, "no parameters"},
	}
	for _, c := range cases {
		before := len(f.calls)
		code, body := get(t, srv, c.path)
		var e struct{ Error string }
		if code != c.code || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, c.msg) {
			t.Errorf("%s: %d %q, want %d and a message with %q", c.path, code, body, c.code, c.msg)
		}
		if len(f.calls) != before {
			t.Errorf("%s ran calc: %q", c.path, f.last())
		}
	}
	// Methods other than GET and HEAD.
	res, err := srv.Client().Post(srv.URL+"/api/calc?model=m", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	// A request addressed to another host name (DNS rebinding) is refused.
	req, _ := http.NewRequest("GET", srv.URL+"/api/calc?model=m", nil)
	req.Host = "attacker.example:80"
	res, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("another Host: %d", res.StatusCode)
	}
	for _, host := range []string{"localhost:8080", "127.0.0.1:1", "[::1]:8080", "LOCALHOST"} {
		if !loopbackHost(host) {
			t.Errorf("%s is loopback", host)
		}
	}
}

// TestPageAndAssets: the page, its script and style and the exact JSON parser are served, the
// page with a policy that lets it load only from this server.
func TestPageAndAssets(t *testing.T) {
	srv, _ := testServer(t, &fakeRun{})
	for path, want := range map[string]string{"/": "<title>modeltool serve</title>", "/app.js": "modeltoolJSON.parse", "/app.css": ".summary", "/exactjson.js": "var modeltoolJSON"} {
		code, body := get(t, srv, path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, no %q", path, code, want)
		}
	}
	res, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("the page's policy: %q", csp)
	}
	code, body := get(t, srv, "/api/models")
	if code != 200 || !strings.Contains(body, `"m"`) || !strings.Contains(body, `"batch_size"`) {
		t.Errorf("/api/models: %d %s", code, body)
	}
}

// TestDiscover: a directory gives its model files (not configs, templates or other JSON);
// symlinks that leave the directory are skipped with a note; a file named is served as it is.
func TestDiscover(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "models")
	outside := filepath.Join(root, "secret")
	for _, d := range []string{dir, outside, filepath.Join(dir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "a.json"), modelJSON)
	write(filepath.Join(dir, "sub", "b.json"), modelJSON)
	write(filepath.Join(dir, "a.config.json"), `{"model_type": "llama"}`)
	write(filepath.Join(dir, "t.json"), `{"template": {"model_type": "x", "config": {}}, "layers": []}`)
	write(filepath.Join(dir, "other.json"), `{"name": "x"}`)
	write(filepath.Join(dir, "notes.txt"), modelJSON)
	write(filepath.Join(outside, "s.json"), modelJSON)
	if err := os.Symlink(filepath.Join(outside, "s.json"), filepath.Join(dir, "escape.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a.json"), filepath.Join(dir, "inside.json")); err != nil {
		t.Fatal(err)
	}
	models, notes, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "inside"}) {
		t.Errorf("served %v, want a, b and inside", names)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "escape.json: skipped, a symlink to") {
		t.Errorf("notes %q", notes)
	}
	// A file named on the command line is served even through a symlink: the user chose it.
	models, _, err = Discover([]string{filepath.Join(dir, "escape.json")})
	if err != nil || len(models) != 1 || models[0].Name != "escape" {
		t.Errorf("a file named: %v %v", models, err)
	}
	if _, _, err := Discover([]string{filepath.Join(root, "secret", "none")}); err == nil {
		t.Error("a missing path is no error")
	}
	if _, _, err := Discover([]string{outside + "/../models/sub/../../secret/nothing"}); err == nil {
		t.Error("a missing path is no error")
	}
	empty := t.TempDir()
	if _, _, err := Discover([]string{empty}); err == nil || !strings.Contains(err.Error(), "no model files") {
		t.Errorf("an empty directory: %v", err)
	}
}

// TestReplacedBySymlink: a model file replaced by a symlink to elsewhere after the server
// started is not read.
func TestReplacedBySymlink(t *testing.T) {
	f := &fakeRun{stdout: "{}"}
	srv, dir := testServer(t, f)
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(modelJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.json")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, path); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, srv, "/api/calc?model=m"); code != http.StatusGone {
		t.Errorf("got %d %s, want 410", code, body)
	}
	if len(f.calls) != 0 {
		t.Errorf("ran calc on a replaced file")
	}
}

// FuzzQuery: whatever the query, the handler answers without a panic and without a 5xx, and
// runs calc only on the model served with flags of the known settings.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"model=m", "model=m&batch_size=8&tp=2", "model=../x", "%", "model=m&hardware=H100-SXM", "a=b&a=c", "model=m&batch_size=" + strings.Repeat("1", 40)} {
		f.Add(s)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.json"), []byte(modelJSON), 0o644); err != nil {
		f.Fatal(err)
	}
	models, _, err := Discover([]string{dir})
	if err != nil {
		f.Fatal(err)
	}
	run := &fakeRun{stdout: "{}"}
	h := Handler(Options{Models: models, Params: testParams, Run: run.run})
	f.Fuzz(func(t *testing.T, q string) {
		req := httptest.NewRequest("GET", "/api/calc", nil)
		req.URL.RawQuery = q
		rec := httptest.NewRecorder()
		before := len(run.calls)
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d", q, rec.Code)
		}
		if len(run.calls) > before {
			args := run.last()
			if args[len(args)-1] != filepath.Join(dir, "m.json") || args[len(args)-2] != "--" {
				t.Fatalf("%q ran %q", q, args)
			}
			for _, a := range args[5 : len(args)-2] {
				if !strings.HasPrefix(a, "--batch-size=") && !strings.HasPrefix(a, "--hardware=") && !strings.HasPrefix(a, "--tp=") {
					t.Fatalf("%q ran %q", q, args)
				}
			}
		}
	})
}

// TestTimeLimit: a calculation that runs past the time limit is stopped (its context is done)
// and answered 503 with the reason; a request that finds every slot taken for the whole limit
// is 503 too; neither keeps a slot, so the next request is answered.
func TestTimeLimit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.json"), []byte(modelJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	models, _, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{}) // a request with batch_size=1 runs until this is closed
	var stopped sync.WaitGroup
	run := func(ctx context.Context, args []string) ([]byte, []byte, int) {
		switch {
		case slices.Contains(args, "--batch-size=9"): // runs until stopped
			<-ctx.Done()
			stopped.Done()
			return nil, []byte("modeltool: generation stopped: " + ctx.Err().Error() + "\n"), 2
		case slices.Contains(args, "--batch-size=1"):
			<-hold
		}
		return []byte("{}"), nil, 0
	}
	srv := httptest.NewServer(Handler(Options{Models: models, Params: testParams, Run: run, Limit: 1, Timeout: 100 * time.Millisecond}))
	t.Cleanup(srv.Close)
	errorOf := func(body string) string {
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		return e.Error
	}

	stopped.Add(1)
	code, body := get(t, srv, "/api/calc?model=m&batch_size=9")
	stopped.Wait() // the computation saw its context done
	if msg := errorOf(body); code != 503 || !strings.Contains(msg, "took longer than 100ms and was stopped") {
		t.Errorf("a long calculation: %d %q", code, body)
	}
	if code, body := get(t, srv, "/api/calc?model=m"); code != 200 || body != "{}" {
		t.Errorf("after it: %d %q", code, body)
	}

	// The one slot held past the limit by a request that does not end: the next is 503.
	done := make(chan int)
	go func() {
		code, _ := get(t, srv, "/api/calc?model=m&batch_size=1")
		done <- code
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body = get(t, srv, "/api/calc?model=m")
		if code == 503 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // the holder has not taken the slot yet
	}
	if msg := errorOf(body); code != 503 || !strings.Contains(msg, "no calculation slot came free within 100ms") {
		t.Errorf("every slot taken: %d %q", code, body)
	}
	close(hold)
	<-done
	if code, body := get(t, srv, "/api/calc?model=m"); code != 200 || body != "{}" {
		t.Errorf("after the slot came free: %d %q", code, body)
	}
}
