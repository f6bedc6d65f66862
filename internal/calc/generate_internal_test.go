package calc

import (
	"math/big"
	"os"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/model"
)

// TestStepSumsAreExact compares the piecewise closed-form sum of long decodes with every step
// evaluated one by one: across Mistral's sliding window, Gemma 2's alternating sliding and
// global layers (window 4096), Llama 4 Scout's chunked attention (a sawtooth with a piece per
// chunk of 8192), a large batch, a data-parallel, expert-parallel MoE, and a file whose steps
// repeat every 1536 (testdata/periods.json: chunked attention of 512 keys that turns
// compute-bound at 345 keys in every chunk, a "page" count ceil(kv_len / 48) in a variable, and
// global attention that turns compute-bound once, at about 1,890 cached tokens, inside the first
// block) summed in blocks across 13 periods.
func TestStepSumsAreExact(t *testing.T) {
	dev, err := hardware.Lookup("H100-SXM")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRoofline(dev, "bf16")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		set        map[string]expr.Value
		par        Parallelism
		in, out    int64
	}{
		{"mistral window", "../../models/mistral-7b-v0.1.json", nil, Parallelism{}, 3000, 3000},
		{"gemma-2 sliding and global", "../../models/gemma-2-9b.json", nil, Parallelism{}, 3500, 1200},
		{"llama 4 chunks", "../../models/llama-4-scout-17b-16e-text.json", nil, Parallelism{}, 8000, 1200},
		// Many periods of a file made for it: blocks of lcm(512, 48) = 1536 steps (below).
		{"periods", "testdata/periods.json", nil, Parallelism{}, 100, 20000},
		{"batch 512", "../../models/mistral-7b-v0.1.json", map[string]expr.Value{"batch_size": expr.Int(512)}, Parallelism{}, 100, 5000},
		{"mixtral ep 2 dp 2", "../../models/mixtral-8x7b-v0.1.json", map[string]expr.Value{"batch_size": expr.Int(8)}, Parallelism{EP: 2, DP: 2}, 10, 3000},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := model.Parse(c.path, src)
			if err != nil {
				t.Fatal(err)
			}
			s, err := newStepper(f, Options{Set: c.set, Parallel: c.par}, r, c.in)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := c.in, c.in+c.out-2
			closed := new(big.Rat)
			if err := s.sum(lo, hi, closed); err != nil {
				t.Fatal(err)
			}
			evaluated := s.evaluations
			brute := new(big.Rat)
			for p := lo; p <= hi; p++ {
				v, err := s.at(p)
				if err != nil {
					t.Fatal(err)
				}
				brute.Add(brute, v)
			}
			if closed.Cmp(brute) != 0 {
				t.Errorf("closed form %s, step by step %s", closed.FloatString(12), brute.FloatString(12))
			}
			if evaluated >= int(c.out)/2 {
				t.Errorf("%d of %d steps evaluated: the closed form saved little", evaluated, c.out-1)
			}
		})
	}
}
