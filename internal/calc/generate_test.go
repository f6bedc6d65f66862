package calc_test

import (
	"math/big"
	"os"
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
			g, err := calc.Generate(f, c.opts, r, c.in, c.out)
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
	g, err := calc.Generate(f, calc.Options{}, r, 512, 1)
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
		{"llama-4-scout", "../../models/llama-4-scout-17b-16e-text.json"},
	} {
		f, err := model.Parse(c.path, mustRead(b, c.path))
		if err != nil {
			b.Fatal(err)
		}
		r := roofline(b, "H100-SXM")
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Generate(f, calc.Options{}, r, 1024, 32768); err != nil {
					b.Fatal(err)
				}
			}
		})
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
	g, err := calc.Generate(f, opts, r, in, out)
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
