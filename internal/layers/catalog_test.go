package layers_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
)

func TestBuiltinCatalog(t *testing.T) {
	cat := layers.Builtin()
	// Every class the issues name is known, by path or alias.
	for _, name := range []string{
		"torch.nn.modules.linear.Linear", "torch.nn.modules.sparse.Embedding", "torch.nn.modules.normalization.LayerNorm",
		"transformers.models.llama.modeling_llama.LlamaRMSNorm", "transformers.models.mistral.modeling_mistral.MistralRMSNorm",
		"transformers.models.mixtral.modeling_mixtral.MixtralRMSNorm", "transformers.models.qwen2.modeling_qwen2.Qwen2RMSNorm",
		"transformers.models.qwen3_moe.modeling_qwen3_moe.Qwen3MoeRMSNorm", "transformers.models.gemma.modeling_gemma.GemmaRMSNorm",
		"transformers.models.phi3.modeling_phi3.Phi3RMSNorm", "transformers.models.deepseek_v3.modeling_deepseek_v3.DeepseekV3RMSNorm",
		"torch.nn.modules.activation.SiLU", "torch.nn.modules.activation.GELU", "torch.nn.modules.activation.ReLU",
		"transformers.activations.SiLUActivation", "transformers.activations.GELUActivation", "transformers.activations.NewGELUActivation",
		"transformers.activations.PytorchGELUTanh", "transformers.models.llama.modeling_llama.LlamaRotaryEmbedding",
		"transformers.pytorch_utils.Conv1D", "torch.nn.modules.dropout.Dropout", "torch.nn.functional.scaled_dot_product_attention",
		"transformers.models.llama.modeling_llama.apply_rotary_pos_emb", "torch.mul", "torch.add", "torch.nn.functional.softmax",
		"transformers.models.falcon.modeling_falcon.FalconLinear", "transformers.models.opt.modeling_opt.OPTLearnedPositionalEmbedding",
	} {
		if cat.Lookup(name) == nil {
			t.Errorf("the catalog lacks %s", name)
		}
	}
	emb := cat.Lookup("torch.nn.modules.sparse.Embedding")
	var req []string
	for _, p := range emb.Required() {
		req = append(req, p.Name)
	}
	if got := strings.Join(req, " "); got != "num_indices num_embeddings embedding_dim dtype_bytes index_dtype_bytes" {
		t.Errorf("Embedding requires %s", got)
	}
	for _, cl := range cat.Classes() {
		for _, p := range cl.Params {
			if p.Meaning == "" {
				t.Errorf("%s.%s has no meaning", cl.Name, p.Name)
			}
		}
	}
}

func ints(kv ...any) map[string]expr.Value {
	m := map[string]expr.Value{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case int:
			m[kv[i].(string)] = expr.Int(int64(v))
		case bool:
			m[kv[i].(string)] = expr.Bool(v)
		}
	}
	return m
}

func TestLinearFigures(t *testing.T) {
	cl := layers.Builtin().Lookup("torch.nn.modules.linear.Linear")
	fig, err := cl.Evaluate(ints("num_tokens", 10, "in_features", 3, "out_features", 5, "bias", true, "dtype_bytes", 2))
	if err != nil {
		t.Fatal(err)
	}
	// params 3·5+5; flops 2·10·3·5 + 10·5; read 10·3·2 + 20·2; written 10·5·2.
	for name, want := range map[string]int64{"params": 20, "weight_bytes": 40, "flops": 350, "bytes_read": 100, "bytes_written": 100, "kv_cache_bytes": 0} {
		if got := figure(fig, name); !got.Equal(expr.Int(want)) {
			t.Errorf("%s = %s, want %d", name, got, want)
		}
	}
	if _, err := cl.Evaluate(ints("num_tokens", 10, "in_features", 3, "out_features", 5, "bias", true)); err == nil || !strings.Contains(err.Error(), "dtype_bytes") {
		t.Errorf("missing parameter: %v", err)
	}
	var pe *layers.ParamError
	if _, err := cl.Evaluate(ints("num_tokens", 10, "in_features", 0, "out_features", 5, "bias", true, "dtype_bytes", 2)); !errors.As(err, &pe) || pe.Param != "in_features" {
		t.Errorf("in_features 0: %v", err)
	}
}

func TestAttentionPairs(t *testing.T) {
	cl := layers.Builtin().Lookup("torch.nn.functional.scaled_dot_product_attention")
	// Brute force: a query at absolute position p attends keys max(0, p-W+1)..p.
	pairs := func(q, kv, w int) int64 {
		var n int64
		for p := kv - q; p < kv; p++ {
			keys := p + 1
			if w > 0 && keys > w {
				keys = w
			}
			n += int64(keys)
		}
		return n
	}
	for _, c := range []struct{ q, kv, w int }{{1, 1, 0}, {5, 5, 0}, {3, 10, 0}, {10, 10, 4}, {1, 100, 4}, {7, 9, 4}, {4, 4, 10}, {6, 20, 15}} {
		args := ints("batch_size", 1, "num_heads", 1, "num_kv_heads", 1, "head_dim", 1, "q_len", c.q, "kv_len", c.kv, "causal", true, "sliding_window", c.w, "dtype_bytes", 1)
		fig, err := cl.Evaluate(args)
		if err != nil {
			t.Fatal(err)
		}
		// flops = 2·pairs·d (QKᵀ) + 2·pairs·d (AV) with d = 1.
		if want := expr.Int(4 * pairs(c.q, c.kv, c.w)); !fig.FLOPs.Equal(want) {
			t.Errorf("%+v: flops %s, want %s", c, fig.FLOPs, want)
		}
	}
	_, err := cl.Evaluate(ints("batch_size", 1, "num_heads", 1, "num_kv_heads", 1, "head_dim", 1, "q_len", 5, "kv_len", 4, "causal", true, "dtype_bytes", 1))
	var ce *layers.CheckError
	if !errors.As(err, &ce) {
		t.Errorf("kv_len < q_len: %v", err)
	}
}

// TestAttentionSharedKV: MLA's absorbed form attends 16 heads over one cached latent of 576
// (512 + 64 rotary) elements, whose first 512 are the values. One query after 99 cached tokens:
// 100 pairs per head; FLOPs 2·16·100·576 (QKᵀ) + 2·16·100·512 (AV); bytes read are Q
// (16·576·2) and the latent once (100·576·2), which is exactly the cache held. Without kv_shared
// the same shapes would read K and V apart (100·(576+512)·2) and cache both.
func TestAttentionSharedKV(t *testing.T) {
	cl := layers.Builtin().Lookup("torch.nn.functional.scaled_dot_product_attention")
	args := ints("batch_size", 1, "num_heads", 16, "num_kv_heads", 1, "head_dim", 576, "v_head_dim", 512,
		"q_len", 1, "kv_len", 100, "causal", true, "dtype_bytes", 2, "kv_shared", true)
	fig, err := cl.Evaluate(args)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{
		"flops":          2*16*100*576 + 2*16*100*512,
		"bytes_read":     16*576*2 + 100*576*2,
		"bytes_written":  16 * 512 * 2,
		"kv_cache_bytes": 100 * 576 * 2,
	} {
		if got := figure(fig, name); !got.Equal(expr.Int(want)) {
			t.Errorf("kv_shared: %s = %s, want %d", name, got, want)
		}
	}
	args["kv_shared"] = expr.Bool(false)
	fig, err = cl.Evaluate(args)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{
		"bytes_read":     16*576*2 + 100*(576+512)*2,
		"kv_cache_bytes": 100 * (576 + 512) * 2,
	} {
		if got := figure(fig, name); !got.Equal(expr.Int(want)) {
			t.Errorf("separate K and V: %s = %s, want %d", name, got, want)
		}
	}
	args["kv_shared"] = expr.Bool(true)
	args["v_head_dim"] = expr.Int(600)
	var ce *layers.CheckError
	if _, err := cl.Evaluate(args); !errors.As(err, &ce) {
		t.Errorf("kv_shared with v_head_dim > head_dim: %v", err)
	}
}

func TestExtendOverridesOneFormula(t *testing.T) {
	base := layers.Builtin()
	cat, err := base.Extend("mine.json", []byte(`{"classes": [
		{"class": "torch.nn.modules.linear.Linear", "formulas": {"flops": "{num_tokens} * {in_features} * {out_features}"}},
		{"class": "my.Op", "category": "elementwise", "parameters": [{"name": "n", "type": "amount", "meaning": "elements"}], "formulas": {"flops": "7 * {n}"}}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	lin := cat.Lookup("transformers.models.falcon.modeling_falcon.FalconLinear")
	fig, err := lin.Evaluate(ints("num_tokens", 2, "in_features", 3, "out_features", 4, "bias", false, "dtype_bytes", 2))
	if err != nil {
		t.Fatal(err)
	}
	if !fig.FLOPs.Equal(expr.Int(24)) || !fig.Params.Equal(expr.Int(12)) {
		t.Errorf("MAC override: flops %s params %s", fig.FLOPs, fig.Params)
	}
	if base.Lookup("torch.nn.modules.linear.Linear").Formula(layers.FormulaFLOPs).String() == lin.Formula(layers.FormulaFLOPs).String() {
		t.Error("Extend changed the base catalog")
	}
	op := cat.Lookup("my.Op")
	if op == nil {
		t.Fatal("new class missing")
	}
	fig, _ = op.Evaluate(map[string]expr.Value{"n": expr.Rat(big.NewRat(1, 2))})
	if !fig.FLOPs.Equal(expr.Rat(big.NewRat(7, 2))) {
		t.Errorf("my.Op flops %s", fig.FLOPs)
	}
}

func TestCatalogErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`{"classes": [{"class": "a.B", "category": "x", "formulas": {"flops": "{nope}"}}]}`, "1:71: error: {nope} is not a parameter, derived value or formula of a.B"},
		{`{"classes": [{"class": "a.B", "category": "x", "formulas": {"flop": "1"}}]}`, `unknown formula "flop"`},
		{`{"classes": [{"class": "a.B", "category": "x", "parameters": [{"name": "n", "type": "weird", "meaning": "m"}]}]}`, `unknown parameter type "weird"`},
		{`{"classes": [{"class": "a.B", "category": "x"}, {"class": "a.B", "category": "x"}]}`, "defined twice"},
		{`{"classes": [{"class": "a.B", "category": "x", "formulas": {"flops": "1 +"}}]}`, "1:74: error: formula flops of a.B: unexpected end of expression"},
		{`{"classes": [`, "not closed"},
		{`{"klasses": []}`, `unknown key "klasses"`},
		{`[]`, `a catalog is an object with a "classes" array, not an array`},
		{`{"classes": [[]]}`, "a class entry must be an object, not an array"},
		{`{"classes": [{"class": {}}]}`, "class must be a string, not an object"},
		// A default may use only parameters: the finding is at the placeholder, with a near miss.
		{`{"classes": [{"class": "a.B", "category": "x", "parameters": [{"name": "dtype_bytes", "type": "bytes", "meaning": "m"},
{"name": "w", "type": "bytes", "meaning": "m", "default": "2 * {dtype_bites}"}]}]}`, "2:64: error: the default of a.B.w uses {dtype_bites}, which is not a parameter of the class (did you mean {dtype_bytes}?)"},
		{`{"classes": [{"class": "a.B", "category": "x", "parameters": [{"name": "w", "type": "bytes", "meaning": "m", "default": "{flops}"}], "formulas": {"flops": "1"}}]}`, "1:122: error: the default of a.B.w uses {flops}, which is not a parameter of the class"},
	} {
		_, err := layers.Builtin().Extend("c.json", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.src, err, c.want)
		}
	}
}

// TestRotaryEmbeddingFigures: the cos/sin tables of P positions with rotary_dim R take 4.5·P·R
// FLOPs, read P position ids and the R/2 fp32 inverse frequencies, and write cos and sin. A
// module the forward pass never calls (num_positions 0, the per-attention rotary_emb of older
// transformers layouts that populate fills) costs nothing at all: it reads no inverse
// frequencies either.
func TestRotaryEmbeddingFigures(t *testing.T) {
	cl := layers.Builtin().Lookup("transformers.models.llama.modeling_llama.LlamaRotaryEmbedding")
	for _, c := range []struct {
		positions                    int
		flops, read, written, weight int64
	}{
		// 4.5·10·128; 10·8 + 64·4; 2·10·128·2.
		{10, 5760, 336, 5120, 0},
		{0, 0, 0, 0, 0},
	} {
		fig, err := cl.Evaluate(ints("num_positions", c.positions, "rotary_dim", 128, "dtype_bytes", 2))
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]int64{"params": 0, "weight_bytes": c.weight, "flops": c.flops, "bytes_read": c.read, "bytes_written": c.written} {
			if got := figure(fig, name); !got.Equal(expr.Int(want)) {
				t.Errorf("num_positions %d: %s = %s, want %d", c.positions, name, got, want)
			}
		}
	}
}

// TestEvaluateUnknownParameters: arguments the class does not have are all named, in order,
// whatever the order of the map they come in.
func TestEvaluateUnknownParameters(t *testing.T) {
	cl := layers.Builtin().Lookup("torch.nn.modules.activation.SiLU")
	args := ints("num_elements", 8, "dtype_bytes", 2, "zeta", 1, "alpha", 2, "mu", 3)
	want := "torch.nn.modules.activation.SiLU has no parameters alpha, mu, zeta"
	for range 50 {
		if _, err := cl.Evaluate(args); err == nil || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
	}
}

// TestExtendThroughAnAlias: an overlay entry that names a builtin class among its aliases
// changes that class, and its own name becomes one more name of it; aliases add up.
func TestExtendThroughAnAlias(t *testing.T) {
	cat, err := layers.Builtin().Extend("mine.json", []byte(`{"classes": [
		{"class": "my.models.MyLinear", "aliases": ["torch.nn.modules.linear.Linear", "my.models.OtherLinear"], "formulas": {"flops": "{num_tokens} * {in_features} * {out_features}"}}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	lin := cat.Lookup("torch.nn.modules.linear.Linear")
	for _, name := range []string{"my.models.MyLinear", "my.models.OtherLinear", "transformers.models.falcon.modeling_falcon.FalconLinear"} {
		if cat.Lookup(name) != lin {
			t.Errorf("%s is not the changed Linear", name)
		}
	}
	if got := lin.Formula(layers.FormulaFLOPs).String(); got != "{num_tokens} * {in_features} * {out_features}" {
		t.Errorf("flops %s", got)
	}
}

// TestSuggest: a near miss of a full path or of a short name finds the class.
func TestSuggest(t *testing.T) {
	cat := layers.Builtin()
	for in, want := range map[string]string{
		"torch.nn.modules.linear.Lnear": "torch.nn.modules.linear.Linear",
		"Linear":                        "torch.nn.modules.linear.Linear",
		"Lnear":                         "torch.nn.modules.linear.Linear",
		"LlamaRMSNrom":                  "transformers.models.llama.modeling_llama.LlamaRMSNorm",
		"scaled_dot_product_atention":   "torch.nn.functional.scaled_dot_product_attention",
		"zzz.Qqq":                       "",
		"Qqq":                           "",
	} {
		if got := cat.Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAliasMap: a catalog file's "aliases" object gives existing classes new names, in a user's
// overlay as in the builtin files, without changing the catalog it extends.
func TestAliasMap(t *testing.T) {
	base := layers.Builtin()
	const rms = "transformers.models.llama.modeling_llama.LlamaRMSNorm"
	c, err := base.Extend("mine.json", []byte(`{"aliases": {"my.pkg.MyRMSNorm": "`+rms+`"}}`))
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Lookup("my.pkg.MyRMSNorm")
	if cl == nil || cl.Name != rms {
		t.Fatalf("alias resolves to %v, want %s", cl, rms)
	}
	if c.Lookup(rms) != cl {
		t.Error("the class and its new alias are different entries")
	}
	if base.Lookup("my.pkg.MyRMSNorm") != nil {
		t.Error("the builtin catalog was changed by an overlay's alias")
	}
	for _, tc := range []struct{ src, want string }{
		{`{"aliases": {"a.B": "no.such.Class"}}`, `bad.json:1:21: error: alias a.B names no.such.Class, which the catalog does not have`},
		{`{"aliases": {"` + rms + `": "torch.add"}}`, `is already a class or alias of the catalog`},
		{`{"aliases": ["a.B"]}`, `aliases must be an object`},
		{`{"aliases": {"a.B": 3}}`, `bad.json:1:21`},
	} {
		_, err := base.Extend("bad.json", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestActivations: the builtin table maps the ACT2FN names templates meet to catalog classes;
// a user's catalog adds names and changes them; a name must map to a class the catalog has.
func TestActivations(t *testing.T) {
	c := layers.Builtin()
	for name, want := range map[string]string{
		"silu":              "torch.nn.modules.activation.SiLU",
		"swish":             "torch.nn.modules.activation.SiLU",
		"gelu":              "transformers.activations.GELUActivation",
		"gelu_new":          "transformers.activations.NewGELUActivation",
		"gelu_pytorch_tanh": "transformers.activations.PytorchGELUTanh",
		"relu2":             "transformers.activations.ReLUSquaredActivation",
	} {
		got, ok := c.Activation(name)
		if !ok || got != want {
			t.Errorf("Activation(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range c.ActivationNames() {
		path, _ := c.Activation(name)
		if cl := c.Lookup(path); cl == nil || cl.Category != "activation" {
			t.Errorf("activation %s names %s, not an activation class of the catalog", name, path)
		}
	}
	if _, ok := c.Activation("gelu_10"); ok {
		t.Error("gelu_10 (clipped GELU) has no class in the catalog, so it must not be in the table")
	}
	// A user's catalog adds a class and its name, and moves "gelu" to it.
	ext, err := c.Extend("mine.json", []byte(`{"classes": [{"class": "my.Gelu", "category": "activation",
	  "parameters": [{"name": "num_elements", "type": "amount", "meaning": "m"}], "formulas": {"flops": "{num_elements}"}}],
	  "activations": {"my_gelu": "my.Gelu", "gelu": "my.Gelu"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := ext.Activation("gelu"); p != "my.Gelu" {
		t.Errorf("overlay gelu = %s", p)
	}
	if p, _ := ext.Activation("silu"); p != "torch.nn.modules.activation.SiLU" {
		t.Errorf("overlay lost silu: %s", p)
	}
	if p, _ := c.Activation("gelu"); p != "transformers.activations.GELUActivation" {
		t.Errorf("the builtin catalog changed: gelu = %s", p)
	}
	_, err = c.Extend("bad.json", []byte(`{"activations": {"x": "no.Such", "y": 3}}`))
	if err == nil || !strings.Contains(err.Error(), "bad.json:1:23: error: activation x names no.Such, which the catalog does not have") ||
		!strings.Contains(err.Error(), "the class of activation y must be a string") {
		t.Errorf("bad activations: %v", err)
	}
	// Formulas are numeric: strings and lists are for templates.
	_, err = c.Extend("f.json", []byte(`{"classes": [{"class": "my.Op", "category": "elementwise",
	  "parameters": [{"name": "n", "type": "amount", "meaning": "m"}], "formulas": {"flops": "{n} in [1]"}}]}`))
	if err == nil || !strings.Contains(err.Error(), `"in" is only allowed in architecture templates`) {
		t.Errorf("template-only formula: %v", err)
	}
}

// TestAttentionChunked: Llama 4's chunked attention. Brute force: a query at absolute position
// p attends the keys of its own chunk, (p // C)·C … p; the closed form must agree for every
// split of cached and new tokens, chunk sizes above, below and equal to the lengths. The keys
// read start at the first query's chunk; the cache holds min(kv_len, C) tokens.
func TestAttentionChunked(t *testing.T) {
	cl := layers.Builtin().Lookup("torch.nn.functional.scaled_dot_product_attention")
	brute := func(q, kv, c int) (pairs, firstKey int64) {
		firstKey = -1
		for p := kv - q; p < kv; p++ {
			start := p / c * c
			if firstKey < 0 {
				firstKey = int64(start)
			}
			pairs += int64(p - start + 1)
		}
		return pairs, firstKey
	}
	for _, c := range []struct{ q, kv, chunk int }{
		{1, 1, 1}, {5, 5, 2}, {8, 8, 8}, {9, 9, 8}, {3, 10, 4}, {1, 100, 8}, {1, 96, 8}, {1, 97, 8},
		{7, 23, 5}, {20, 20, 3}, {4, 4, 100}, {13, 50, 7}, {1, 8192, 8192}, {2048, 10000, 8192},
	} {
		args := ints("batch_size", 1, "num_heads", 1, "num_kv_heads", 1, "head_dim", 1, "q_len", c.q, "kv_len", c.kv,
			"causal", true, "chunk_size", c.chunk, "dtype_bytes", 1)
		fig, err := cl.Evaluate(args)
		if err != nil {
			t.Fatal(err)
		}
		pairs, first := brute(c.q, c.kv, c.chunk)
		// flops = 2·pairs·d (QKᵀ) + 2·pairs·d (AV) with d = 1.
		if want := expr.Int(4 * pairs); !fig.FLOPs.Equal(want) {
			t.Errorf("%+v: flops %s, want %s", c, fig.FLOPs, want)
		}
		// Read: Q (q·1·1) and K, V (1 + 1 per key) for keys first … kv−1.
		if want := expr.Int(int64(c.q) + 2*(int64(c.kv)-first)); !fig.BytesRead.Equal(want) {
			t.Errorf("%+v: bytes read %s, want %s", c, fig.BytesRead, want)
		}
		if want := expr.Int(2 * int64(min(c.kv, c.chunk))); !fig.KVCacheBytes.Equal(want) {
			t.Errorf("%+v: cache %s, want %s", c, fig.KVCacheBytes, want)
		}
	}
	for _, bad := range []map[string]expr.Value{
		ints("batch_size", 1, "num_heads", 1, "num_kv_heads", 1, "head_dim", 1, "q_len", 4, "kv_len", 4, "causal", false, "chunk_size", 2, "dtype_bytes", 1),
		ints("batch_size", 1, "num_heads", 1, "num_kv_heads", 1, "head_dim", 1, "q_len", 4, "kv_len", 4, "causal", true, "chunk_size", 2, "sliding_window", 2, "dtype_bytes", 1),
	} {
		var ce *layers.CheckError
		if _, err := cl.Evaluate(bad); !errors.As(err, &ce) {
			t.Errorf("%v: %v, want a check error", bad, err)
		}
	}
}

// TestAttentionSoftcapAndSinks: Gemma 2's logit soft-capping is 3 FLOPs (divide, tanh, multiply)
// per attended pair and query head; gpt-oss's sinks are one learned logit per query head,
// parameters read once, with no FLOPs of their own (they join the softmax, which the core does
// not count).
func TestAttentionSoftcapAndSinks(t *testing.T) {
	cl := layers.Builtin().Lookup("torch.nn.functional.scaled_dot_product_attention")
	// Prefill of 10 tokens, 8 query heads over 2 KV heads of 64, causal: 55 pairs.
	base := ints("batch_size", 2, "num_heads", 8, "num_kv_heads", 2, "head_dim", 64, "q_len", 10, "kv_len", 10, "causal", true, "dtype_bytes", 2)
	plain, err := cl.Evaluate(base)
	if err != nil {
		t.Fatal(err)
	}
	// 2·2·8·55·64 (QKᵀ) + the same (AV) = 225,280.
	if !plain.FLOPs.Equal(expr.Int(225_280)) || plain.Params.Sign() != 0 {
		t.Fatalf("plain: flops %s params %s", plain.FLOPs, plain.Params)
	}
	capped := ints("softcap", true)
	for k, v := range base {
		capped[k] = v
	}
	fig, err := cl.Evaluate(capped)
	if err != nil {
		t.Fatal(err)
	}
	// + 3·2·8·55 = 2640.
	if !fig.FLOPs.Equal(expr.Int(225_280 + 2640)) {
		t.Errorf("softcap flops %s, want 227920", fig.FLOPs)
	}
	sinks := ints("sinks", true)
	for k, v := range base {
		sinks[k] = v
	}
	fig, err = cl.Evaluate(sinks)
	if err != nil {
		t.Fatal(err)
	}
	// 8 parameters of 2 bytes, read once: Q 2·10·8·64·2 = 20,480, K and V 2·10·2·128·2 = 10,240,
	// the sinks 16.
	if !fig.Params.Equal(expr.Int(8)) || !fig.WeightBytes.Equal(expr.Int(16)) || !fig.FLOPs.Equal(plain.FLOPs) ||
		!fig.BytesRead.Equal(expr.Int(20_480+10_240+16)) || !plain.BytesRead.Equal(expr.Int(20_480+10_240)) {
		t.Errorf("sinks: params %s weight bytes %s flops %s read %s (plain read %s)", fig.Params, fig.WeightBytes, fig.FLOPs, fig.BytesRead, plain.BytesRead)
	}
}

// figure returns the figure of fig named name ("flops", …).
func figure(fig layers.Figures, name string) expr.Value {
	k, ok := layers.FormulaNamed(name)
	if !ok {
		panic("no formula " + name)
	}
	return fig.Get(k)
}
