package calc_test

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/model"
)

// Llama-2-7b-hf's configuration (models/llama-2-7b-hf.config.json), used to derive every
// expected figure below by hand, independently of the catalog's formulas.
const (
	hidden = 4096
	inter  = 11008
	layers = 32
	heads  = 32
	headD  = 128
	vocab  = 32000
)

func n(x int64) *big.Int { return big.NewInt(x) }

func mul(xs ...int64) *big.Int {
	r := big.NewInt(1)
	for _, x := range xs {
		r.Mul(r, big.NewInt(x))
	}
	return r
}

func add(xs ...*big.Int) *big.Int {
	r := new(big.Int)
	for _, x := range xs {
		r.Add(r, x)
	}
	return r
}

func load(t *testing.T, path string, edit func([]byte) []byte) *model.File {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		src = edit(src)
	}
	f, err := model.Parse(path, src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func compute(t *testing.T, f *model.File, set map[string]expr.Value) *calc.Result {
	t.Helper()
	res, err := calc.Compute(f, calc.Options{Set: set})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func want(t *testing.T, what string, got *big.Rat, want *big.Int) {
	t.Helper()
	if !got.IsInt() || got.Num().Cmp(want) != 0 {
		t.Errorf("%s = %s, want %s", what, got.RatString(), want)
	}
}

const llamaPath = "../../models/llama-2-7b-hf.json"

func TestLlama2ReferenceFigures(t *testing.T) {
	res := compute(t, load(t, llamaPath, nil), nil)
	// Parameters: embedding + 32 × (attention 4·h² + MLP 3·h·I + two norms 2·h) + norm h + lm_head h·V.
	params := add(mul(vocab, hidden), mul(layers, 4*hidden*hidden+3*hidden*inter+2*hidden), n(hidden), mul(hidden, vocab))
	want(t, "params", res.Totals.Params, params)
	want(t, "params (reference)", res.Totals.Params, n(6_738_415_616))
	want(t, "fp16 weight bytes", res.Totals.WeightBytes, n(13_476_831_232))

	// Prefill of 2048 tokens: every Linear is 2·tokens·in·out, lm_head on every token.
	tokens := int64(2048)
	linear := add(mul(2, tokens, layers, 4*hidden*hidden+3*hidden*inter), mul(2, tokens, hidden, vocab))
	want(t, "Linear FLOPs", res.Totals.ByCategory["matmul"].FLOPs, linear)
	want(t, "Linear FLOPs (reference)", res.Totals.ByCategory["matmul"].FLOPs, n(27_062_588_932_096))
	// Causal attention core: each of the 2048 queries attends its prefix, 2048·2049/2 pairs per
	// head, QKᵀ and AV at 2·d each.
	pairs := tokens * (tokens + 1) / 2
	want(t, "causal attention FLOPs", res.Totals.ByCategory["attention"].FLOPs, mul(layers, heads, pairs, 2*headD+2*headD))
	want(t, "causal attention FLOPs (reference)", res.Totals.ByCategory["attention"].FLOPs, n(1_100_048_498_688))
	// KV cache after the prefill: K and V, 32 layers × 32 heads × 128 × 2 bytes per token.
	want(t, "KV cache", res.Totals.KVCacheBytes, mul(2, layers, heads, headD, 2, tokens))
	want(t, "KV cache (reference)", res.Totals.KVCacheBytes, n(1_073_741_824))
}

func TestLlama2NonCausalAttention(t *testing.T) {
	f := load(t, llamaPath, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"causal": true`), []byte(`"causal": false`), 1)
	})
	res := compute(t, f, nil)
	// The full square: 2048·2048 pairs per head.
	want(t, "full-square attention FLOPs", res.Totals.ByCategory["attention"].FLOPs, n(2_199_023_255_552))
}

func TestLlama2DecodeStep(t *testing.T) {
	res := compute(t, load(t, llamaPath, nil), map[string]expr.Value{"seq_len": expr.Int(1), "past_len": expr.Int(2048)})
	linear := add(mul(2, layers, 4*hidden*hidden+3*hidden*inter), mul(2, hidden, vocab))
	want(t, "decode Linear FLOPs", res.Totals.ByCategory["matmul"].FLOPs, linear)
	want(t, "decode Linear FLOPs (reference)", res.Totals.ByCategory["matmul"].FLOPs, n(13_214_154_752))
	// One query over 2049 keys.
	want(t, "decode attention FLOPs", res.Totals.ByCategory["attention"].FLOPs, n(2*2*32*32*2049*128))
	want(t, "KV cache after the step", res.Totals.KVCacheBytes, mul(2, layers, heads, headD, 2, 2049))
}

func TestRepeatCountsDoNotExpand(t *testing.T) {
	small := compute(t, load(t, llamaPath, nil), nil)
	big32k := compute(t, load(t, llamaPath, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"repeat": 32,`), []byte(`"repeat": 32000,`), 1)
	}), nil)
	if len(small.Rows) != len(big32k.Rows) {
		t.Fatalf("rows %d vs %d: repeats must not expand", len(small.Rows), len(big32k.Rows))
	}
	perLayer := mul(4*hidden*hidden + 3*hidden*inter + 2*hidden)
	diff := new(big.Rat).Sub(big32k.Totals.Params, small.Totals.Params)
	want(t, "params added by 31,968 more layers", diff, new(big.Int).Mul(perLayer, n(32000-32)))
}

// TestRepeatZeroIsAbsent: a decoder stack whose repeat is a variable set to 0 is absent — no
// rows, nothing in the totals — and set to 2 it counts twice.
func TestRepeatZeroIsAbsent(t *testing.T) {
	f := load(t, llamaPath, func(b []byte) []byte {
		b = bytes.Replace(b, []byte(`"repeat": 32,`), []byte(`"repeat": "{stacks}",`), 1)
		return bytes.Replace(b, []byte(`"variables": {`), []byte(`"variables": {"stacks": 32,`), 1)
	})
	full := compute(t, f, nil)
	none := compute(t, f, map[string]expr.Value{"stacks": expr.Int(0)})
	two := compute(t, f, map[string]expr.Value{"stacks": expr.Int(2)})
	const perLayer = 4*hidden*hidden + 3*hidden*inter + 2*hidden
	want(t, "params with 32 layers", full.Totals.Params, n(6_738_415_616))
	want(t, "params with no layers", none.Totals.Params, n(6_738_415_616-32*perLayer))
	want(t, "params with 2 layers", two.Totals.Params, n(6_738_415_616-30*perLayer))
	want(t, "KV cache with no layers", none.Totals.KVCacheBytes, n(0))
	for _, r := range none.Rows {
		if strings.Contains(r.Path, "decoder_layer") {
			t.Errorf("row %s of an absent layer", r.Path)
		}
	}
}

func TestTiedWeightsCountOnce(t *testing.T) {
	f := load(t, llamaPath, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"name": "lm_head",`), []byte(`"name": "lm_head", "tied_to": "model.embed_tokens",`), 1)
	})
	res := compute(t, f, nil)
	want(t, "params with a tied lm_head", res.Totals.Params, n(6_738_415_616-hidden*vocab))
	// The tied weight is still read: bytes read do not change.
	untied := compute(t, load(t, llamaPath, nil), nil)
	if res.Totals.BytesRead.Cmp(untied.Totals.BytesRead) != 0 {
		t.Errorf("bytes read changed with tying: %s vs %s", res.Totals.BytesRead.RatString(), untied.Totals.BytesRead.RatString())
	}
}

func TestQuantizedWeights(t *testing.T) {
	half := new(big.Rat).SetFrac64(1, 2)
	res := compute(t, load(t, llamaPath, nil), map[string]expr.Value{"weight_dtype_bytes": expr.Rat(half), "kv_dtype_bytes": expr.Int(1)})
	want(t, "int4 weight bytes", res.Totals.WeightBytes, n(6_738_415_616/2))
	want(t, "fp8 KV cache", res.Totals.KVCacheBytes, n(1_073_741_824/2))
}

func TestBadVariables(t *testing.T) {
	f := load(t, llamaPath, nil)
	for _, c := range []struct {
		name string
		set  map[string]expr.Value
	}{
		{"negative seq_len", map[string]expr.Value{"seq_len": expr.Int(-1)}},
		{"zero batch", map[string]expr.Value{"batch_size": expr.Int(0)}},
		{"fractional seq_len", map[string]expr.Value{"seq_len": expr.Rat(big.NewRat(3, 2))}},
		{"unknown variable", map[string]expr.Value{"nope": expr.Int(3)}},
		{"boolean dtype", map[string]expr.Value{"dtype_bytes": expr.Bool(true)}},
	} {
		_, err := calc.Compute(f, calc.Options{Set: c.set})
		var ve *calc.VariableError
		if !errors.As(err, &ve) {
			t.Errorf("%s: error %v, want a VariableError", c.name, err)
		}
	}
}

// TestDefaultComputeDType: without --dtype the roofline takes the peak of the activation bytes.
func TestDefaultComputeDType(t *testing.T) {
	f := load(t, llamaPath, nil)
	for _, c := range []struct {
		bytes expr.Value
		want  string
	}{
		{expr.Int(2), "bf16"}, {expr.Int(4), "fp32"}, {expr.Int(1), "fp8"}, {expr.Rat(big.NewRat(1, 2)), "int4"}, {expr.Int(8), "bf16"},
	} {
		if got := calc.DefaultComputeDType(compute(t, f, map[string]expr.Value{"dtype_bytes": c.bytes})); got != c.want {
			t.Errorf("dtype_bytes %s: %s, want %s", c.bytes, got, c.want)
		}
	}
}
