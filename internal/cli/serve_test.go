package cli

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/serve"
)

// TestServeAPIIsCalc: for several settings, /api/calc answers exactly what calc --format json
// prints for the same model and flags, and /report exactly calc --format html.
func TestServeAPIIsCalc(t *testing.T) {
	dir := filepath.Join("..", "..", "models")
	files := []string{filepath.Join(dir, "llama-2-7b-hf.json"), filepath.Join(dir, "deepseek-v3.json"), filepath.Join(dir, "mixtral-8x7b-v0.1.json")}
	models, _, err := serve.Discover(files)
	if err != nil {
		t.Fatal(err)
	}
	s := testStreams()
	srv := httptest.NewServer(serve.Handler(serve.Options{Models: models, Params: serveParams(s), Run: inProcess, Loopback: true}))
	defer srv.Close()
	cases := []struct {
		model string
		query url.Values
		flags []string
	}{
		{"llama-2-7b-hf", url.Values{}, nil},
		{"llama-2-7b-hf", url.Values{"batch_size": {"8"}, "seq_len": {"1"}, "past_len": {"4096"}, "hardware": {"H100-SXM"}},
			[]string{"--batch-size", "8", "--seq-len", "1", "--past-len", "4096", "--hardware", "H100-SXM"}},
		{"llama-2-7b-hf", url.Values{"dtype": {"bf16"}, "weight_dtype": {"int4"}, "kv_dtype": {"fp8"}, "hardware": {"A100-SXM-80GB"}, "tp": {"2"}},
			[]string{"--dtype", "bf16", "--weight-dtype", "int4", "--kv-dtype", "fp8", "--hardware", "A100-SXM-80GB", "--tp", "2"}},
		{"deepseek-v3", url.Values{"batch_size": {"64"}, "seq_len": {"32768"}}, []string{"--batch-size", "64", "--seq-len", "32768"}},
		{"llama-2-7b-hf", url.Values{"batch_size": {"4"}, "hardware": {"H100-SXM"}, "generate": {"512:128"}},
			[]string{"--batch-size", "4", "--hardware", "H100-SXM", "--generate", "512:128"}},
		{"mixtral-8x7b-v0.1", url.Values{"batch_size": {"4"}, "seq_len": {"1"}, "past_len": {"1000"}, "hardware": {"H100-SXM"}, "ep": {"2"}, "pp": {"2"}},
			[]string{"--batch-size", "4", "--seq-len", "1", "--past-len", "1000", "--hardware", "H100-SXM", "--ep", "2", "--pp", "2"}},
		// Names calc --hardware and --dtype accept besides the presets' and dtypes' own: an
		// alias, any case, no dash, the vendor's name as nvidia-smi prints it.
		{"llama-2-7b-hf", url.Values{"hardware": {"H100"}}, []string{"--hardware", "H100"}},
		{"llama-2-7b-hf", url.Values{"hardware": {"h100"}}, []string{"--hardware", "h100"}},
		{"llama-2-7b-hf", url.Values{"hardware": {"h100-sxm"}}, []string{"--hardware", "h100-sxm"}},
		{"llama-2-7b-hf", url.Values{"hardware": {"A100"}}, []string{"--hardware", "A100"}},
		{"llama-2-7b-hf", url.Values{"hardware": {"NVIDIA H100 80GB HBM3"}}, []string{"--hardware", "NVIDIA H100 80GB HBM3"}},
		{"llama-2-7b-hf", url.Values{"dtype": {"BF16"}, "kv_dtype": {"FP8"}}, []string{"--dtype", "BF16", "--kv-dtype", "FP8"}},
	}
	for _, c := range cases {
		c.query.Set("model", c.model)
		path := filepath.Join(dir, c.model+".json")
		for _, format := range []string{"json", "html"} {
			endpoint := "/api/calc?"
			if format == "html" {
				endpoint = "/report?"
			}
			res, err := srv.Client().Get(srv.URL + endpoint + c.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var want, stderr bytes.Buffer
			args := append(append([]string{"calc", "--format", format}, c.flags...), path)
			if code := Main(args, &Streams{In: strings.NewReader(""), Out: &want, Err: &stderr, Getenv: func(string) string { return "" }}); code != 0 {
				t.Fatalf("modeltool %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
			}
			if res.StatusCode != 200 || !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s%s: status %d and %d bytes, want what modeltool %s prints (%d bytes)", endpoint, c.query.Encode(), res.StatusCode, len(got), strings.Join(args, " "), want.Len())
			}
		}
	}
}

// TestServeRefusesWhatCalcRefuses: a hardware or dtype name calc does not know is refused
// with calc's own message (its suggestion included), not a list of the page's choices.
func TestServeRefusesWhatCalcRefuses(t *testing.T) {
	models, _, err := serve.Discover([]string{filepath.Join("..", "..", "models", "gpt2.json")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(serve.Handler(serve.Options{Models: models, Params: serveParams(testStreams()), Run: inProcess, Loopback: true}))
	defer srv.Close()
	for _, c := range []struct{ key, value, want string }{
		{"hardware", "H100-SMX", `hardware=\"H100-SMX\": unknown hardware \"H100-SMX\": did you mean H100-SXM?`},
		{"generate", "1:1" + strings.Repeat("0", 40), `generate=1:1` + strings.Repeat("0", 40) + `: too large: at most 30 digits (below 10^30)`},
		{"dtype", "bfloat8", `dtype=\"bfloat8\": \"bfloat8\" is not a dtype modeltool knows (fp32, fp16, bf16, fp8, int8, int4)`},
	} {
		res, err := srv.Client().Get(srv.URL + "/api/calc?" + url.Values{"model": {"gpt2"}, c.key: {c.value}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 400 || !strings.Contains(string(got), c.want) {
			t.Errorf("%s=%s: status %d, %s; want 400 with %s", c.key, c.value, res.StatusCode, got, c.want)
		}
	}
}

// TestServeParamsAreCalcFlags: every setting the web app offers is a flag of calc.
func TestServeParamsAreCalcFlags(t *testing.T) {
	s := testStreams()
	flags := newCalcCmd(s).Flags()
	params := serveParams(s)
	if len(params) < 8 {
		t.Fatalf("only %d settings", len(params))
	}
	for _, p := range params {
		if flags.Lookup(strings.TrimPrefix(p.Flag, "--")) == nil {
			t.Errorf("%s: calc has no %s", p.Key, p.Flag)
		}
	}
}

func testStreams() *Streams {
	return &Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
}

// expiring is a context whose deadline passes at its nth Err call: in the middle of a
// computation, at a known point.
type expiring struct {
	context.Context
	n int
}

func (c *expiring) Err() error {
	if c.n--; c.n < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// TestCalcStopsWithItsContext: the web app's time limit reaches calc's computation — a
// generation whose context expires midway stops with exit 2 and says why, instead of running
// to its end.
func TestCalcStopsWithItsContext(t *testing.T) {
	args := []string{"calc", "--hardware", "H100-SXM", "--generate", "1:1000000", "../../models/llama-4-scout-17b-16e-text.json"}
	stdout, stderr, code := inProcess(&expiring{Context: context.Background(), n: 20}, args)
	if code != 2 || len(stdout) != 0 || !strings.Contains(string(stderr), "generation stopped: context deadline exceeded") {
		t.Errorf("exit %d, stdout %d bytes, stderr %q", code, len(stdout), stderr)
	}
	if _, stderr, code := inProcess(context.Background(), args); code != 0 {
		t.Errorf("without a deadline: exit %d: %s", code, stderr)
	}
}
