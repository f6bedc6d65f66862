package calc_test

import (
	"context"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/model"
)

const mistralPath = "../../models/mistral-7b-v0.1.json"

func roofline(t testing.TB, name string) *calc.Roofline {
	t.Helper()
	dev, err := hardware.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := calc.NewRoofline(dev, "bf16")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// stepBound is what a separate calc run gives for one step: the sum of its rows' bounds.
func stepBound(t *testing.T, f *model.File, r *calc.Roofline, opts calc.Options, seq, past int64) *big.Rat {
	t.Helper()
	set := map[string]expr.Value{"seq_len": expr.Int(seq), "past_len": expr.Int(past)}
	for k, v := range opts.Set {
		set[k] = v
	}
	opts.Set = set
	res, err := calc.Compute(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r.Total(res).Seconds
}

// TestGenerateIsTheSumOfCalcRuns: a short generation's times are exactly those of separate
// calc runs — the prefill of IN tokens, then OUT−1 decode steps with the cache growing from IN
// — for a model without a window (Llama-2-7b), across Mistral's sliding window of 4096 (the
// steps stop growing there), and split over devices.
func TestGenerateIsTheSumOfCalcRuns(t *testing.T) {
	for _, c := range []struct {
		name    string
		path    string
		in, out int64
		opts    calc.Options
	}{
		{"llama", llamaPath, 100, 20, calc.Options{}},
		{"mistral across its window", mistralPath, 4090, 20, calc.Options{Set: map[string]expr.Value{"batch_size": expr.Int(4)}}},
		{"mistral --tp 2", mistralPath, 4090, 12, calc.Options{Parallel: calc.Parallelism{TP: 2}}},
		{"mixtral --ep 2", mixtralPath, 64, 12, calc.Options{Parallel: calc.Parallelism{EP: 2}, Set: map[string]expr.Value{"batch_size": expr.Int(2)}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := load(t, c.path, nil)
			r := roofline(t, "H100-SXM")
			g, err := calc.Generate(context.Background(), f, c.opts, r, c.in, c.out)
			if err != nil {
				t.Fatal(err)
			}
			ttft := stepBound(t, f, r, c.opts, c.in, 0)
			decode := new(big.Rat)
			for p := c.in; p <= c.in+c.out-2; p++ {
				decode.Add(decode, stepBound(t, f, r, c.opts, 1, p))
			}
			if g.TTFT.Cmp(ttft) != 0 || g.Decode.Cmp(decode) != 0 {
				t.Errorf("ttft %s, decode %s; the calc runs give %s and %s", g.TTFT.FloatString(9), g.Decode.FloatString(9), ttft.FloatString(9), decode.FloatString(9))
			}
			total := new(big.Rat).Add(ttft, decode)
			tpot := new(big.Rat).Quo(decode, big.NewRat(c.out-1, 1))
			batch := new(big.Rat).SetInt64(1)
			if b, ok := c.opts.Set["batch_size"]; ok {
				batch = b.Rat()
			}
			tps := new(big.Rat).Quo(new(big.Rat).Mul(batch, big.NewRat(c.out, 1)), total)
			if g.Total.Cmp(total) != 0 || g.TPOT.Cmp(tpot) != 0 || g.TokensPerSecond.Cmp(tps) != 0 {
				t.Errorf("total %s tpot %s tokens/s %s", g.Total.FloatString(9), g.TPOT.FloatString(9), g.TokensPerSecond.FloatString(3))
			}
		})
	}
}

// TestGenerateOneToken: OUT = 1 is the prefill alone.
func TestGenerateOneToken(t *testing.T) {
	f := load(t, llamaPath, nil)
	r := roofline(t, "H100-SXM")
	g, err := calc.Generate(context.Background(), f, calc.Options{}, r, 512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g.Decode.Sign() != 0 || g.TPOT.Sign() != 0 || g.Total.Cmp(stepBound(t, f, r, calc.Options{}, 512, 0)) != 0 {
		t.Errorf("decode %s, total %s", g.Decode.RatString(), g.Total.RatString())
	}
}

// BenchmarkGenerate32k measures a generation of 32,768 tokens after a 1,024-token prompt: the
// closed-form sum over the decode steps (Llama-2-7b: no window; Mistral: a sliding window;
// Llama 4 Scout: chunked attention, a sawtooth of 8,192-token pieces).
func BenchmarkGenerate32k(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"llama-2-7b", llamaPath},
		{"mistral-7b", mistralPath},
		{"llama-4-scout", scoutPath},
	} {
		f, err := model.Parse(c.path, mustRead(b, c.path))
		if err != nil {
			b.Fatal(err)
		}
		r := roofline(b, "H100-SXM")
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Generate(context.Background(), f, calc.Options{}, r, 1024, 32768); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

const scoutPath = "../../models/llama-4-scout-17b-16e-text.json"

// BenchmarkGenerateScout is calc --generate 1:OUT on Llama 4 Scout, whose chunked attention
// (chunks of 8192) makes the decode steps' cost a sawtooth of OUT/8192 teeth: summed in blocks
// of whole chunks, 10^9 tokens cost what 10^6 do. The file is parsed as calc reads it (equal
// layers share their nodes, so the 48 decoder layers are evaluated as the few distinct ones).
func BenchmarkGenerateScout(b *testing.B) {
	f, err := model.ParseShared(scoutPath, mustRead(b, scoutPath))
	if err != nil {
		b.Fatal(err)
	}
	r := roofline(b, "H100-SXM")
	for _, c := range []struct {
		name string
		out  int64
	}{{"out=1e6", 1_000_000}, {"out=1e9", 1_000_000_000}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Generate(context.Background(), f, calc.Options{}, r, 1, c.out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLongGenerationCostsLittle: a decode of 10^6 or 10^9 steps on Llama 4 Scout evaluates the
// same few steps — the chunks' sawtooth is summed a chunk at a time, not tooth by tooth (before,
// 10^6 steps evaluated 10,566 and 10^9 took about 20 minutes). The sums' exactness is
// TestStepSumsAreExact's.
func TestLongGenerationCostsLittle(t *testing.T) {
	f := load(t, scoutPath, nil)
	r := roofline(t, "H100-SXM")
	var evaluations []int
	for _, out := range []int64{1_000_000, 1_000_000_000} {
		g, err := calc.Generate(context.Background(), f, calc.Options{}, r, 1, out)
		if err != nil {
			t.Fatal(err)
		}
		evaluations = append(evaluations, g.Evaluations)
	}
	if evaluations[0] > 1000 || evaluations[1] > evaluations[0] {
		t.Errorf("%d steps evaluated for 10^6 tokens, %d for 10^9", evaluations[0], evaluations[1])
	}
}

func mustRead(b *testing.B, path string) []byte {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// TestGeneratePipeline: under --pp a token passes through every stage in turn, so each step
// is the sum of the stages' calc runs (each with its own rows, the first one's send included).
func TestGeneratePipeline(t *testing.T) {
	f := load(t, llamaPath, nil)
	r := roofline(t, "H100-SXM")
	opts := calc.Options{Parallel: calc.Parallelism{TP: 2, PP: 2}}
	const in, out = 64, 5
	g, err := calc.Generate(context.Background(), f, opts, r, in, out)
	if err != nil {
		t.Fatal(err)
	}
	stages := func(seq, past int64) *big.Rat {
		sum := new(big.Rat)
		for s := 1; s <= 2; s++ {
			o := opts
			o.Stage = s
			sum.Add(sum, stepBound(t, f, r, o, seq, past))
		}
		return sum
	}
	decode := new(big.Rat)
	for p := int64(in); p <= in+out-2; p++ {
		decode.Add(decode, stages(1, p))
	}
	if ttft := stages(in, 0); g.TTFT.Cmp(ttft) != 0 || g.Decode.Cmp(decode) != 0 {
		t.Errorf("ttft %s decode %s; the stages' calc runs give %s and %s", g.TTFT.FloatString(12), g.Decode.FloatString(12), ttft.FloatString(12), decode.FloatString(12))
	}
}

// doneAfter is a context that is done from its nth Err call on: a deadline that passes in the
// middle of a computation, at a known point.
type doneAfter struct {
	context.Context
	n int
}

func (c *doneAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// TestGenerateStops: once its context is done, a generation stops at the next decode step it
// evaluates, with an error that says so (serve's time limit reaches the computation).
func TestGenerateStops(t *testing.T) {
	f := load(t, mistralPath, nil)
	r := roofline(t, "H100-SXM")
	for _, n := range []int{0, 1, 5} {
		ctx := &doneAfter{Context: context.Background(), n: n}
		g, err := calc.Generate(ctx, f, calc.Options{}, r, 100, 100000)
		if !errors.Is(err, context.DeadlineExceeded) || g != nil || !strings.Contains(err.Error(), "generation stopped") {
			t.Errorf("done after %d checks: %v, %v", n, g, err)
		}
	}
	if _, err := calc.Generate(context.Background(), f, calc.Options{}, r, 100, 100000); err != nil {
		t.Errorf("without a deadline: %v", err)
	}
}
