package models_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
)

// GLM-4.5 (transformers 4.56.2 modeling_glm4_moe.py). Parameters of one layer, d = head_dim:
//
//	attention  q hidden·(H·d) + H·d, k and v hidden·(Hkv·d) + Hkv·d (the biases iff
//	           attention_bias), o (H·d)·hidden without bias; q_norm and k_norm d each iff
//	           use_qk_norm
//	dense      3·hidden·intermediate_size (layers < first_k_dense_replace)
//	MoE        E experts 3·hidden·moe_I; shared_experts 3·hidden·(moe_I·n_shared); the router's
//	           weight E·hidden (its e_score_correction_bias is a buffer, not counted)
//	norms      2·hidden
//
// plus embed V·hidden, lm_head V·hidden (untied) and the final norm hidden. The MTP layer
// (model.layers.num_hidden_layers, with --set mtp_layers=1) is a MoE layer plus enorm, hnorm
// (2·hidden), eh_proj 2·hidden·hidden, shared_head.norm (hidden) and its own copies of the
// embedding and the head (2·V·hidden).
func TestGlm4MoeCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// GLM-4.5-Air: hidden 4096, 96 heads of 128, 8 KV heads, biases on q/k/v, no q/k norm,
		// 46 layers (layer 0 dense of 10944), 128 experts of 1408, 1 shared, V 151552, untied.
		//   attention 4096·12288 + 12288 + 2·(4096·1024 + 1024) + 12288·4096 = 109,066,240
		//   norms 8,192
		//   layer 0: dense 3·4096·10944 = 134,479,872 → 243,554,304
		//   layers 1–45: MoE 128·3·4096·1408 = 2,214,592,512 + shared 3·4096·1408 = 17,301,504 +
		//     router 128·4096 = 524,288 = 2,232,418,304 → 2,341,492,736; ×45 = 105,367,173,120
		//   embed + lm_head 2·151552·4096 = 1,241,513,984; final norm 4,096
		//   total 106,852,245,504 (the model card: 106B), without the MTP layer (mtp_layers
		//   defaults to 0; TestGlm4MoeMTP counts it).
		{"models/glm-4.5-air.config.json", "106_852_245_504"},
		// The full-size GLM-4.5 family (GLM-4.5, 4.6, 4.7 share these shapes; this config, as a
		// public converter test copies it, has max_position_embeddings 202752 of 4.6/4.7, which
		// changes no count): hidden 5120, 96 heads of 128, 8 KV heads, q/k/v biases, q/k norm,
		// 92 layers (0–2 dense of 12288), 160 experts of 1536, 1 shared, V 151552, untied.
		//   attention 5120·12288 + 12288 + 2·(5120·1024 + 1024) + 12288·5120 + q/k norms
		//     2·128 = 136,329,472
		//   norms 10,240
		//   layers 0–2: dense 3·5120·12288 = 188,743,680 → 325,083,392; ×3 = 975,250,176
		//   layers 3–91: MoE 160·3·5120·1536 = 3,774,873,600 + shared 3·5120·1536 = 23,592,960 +
		//     router 160·5120 = 819,200 = 3,799,285,760 → 3,935,625,472; ×89 = 350,270,667,008
		//   embed + lm_head 2·151552·5120 = 1,551,892,480; final norm 5,120
		//   total 352,797,814,784 (the model card of GLM-4.5: 355B, which counts the MTP layer)
		{"testdata/configs/zai-org__GLM-4.7.json", "352_797_814_784"},
	})
}

// TestGlm4MoeMTP: the checkpoints hold one multi-token-prediction layer after the decoder
// layers, counted with --set mtp_layers=1.
//
// GLM-4.5-Air's checkpoint has the layer (model.layers.46: enorm, hnorm, eh_proj, embed_tokens,
// shared_head.norm and a MoE block, as the ignore list of its FP8 sibling names them), and its
// config says num_nextn_predict_layers 1 (the shipped copy lacked the key until it was added:
// vLLM's Glm4MoeMTP reads it without a default):
//
//	MoE layer 109,066,240 + 8,192 + 2,232,418,304 = 2,341,492,736; enorm, hnorm 8,192;
//	eh_proj 8192·4096 = 33,554,432; shared_head.norm 4,096; embedding and head copies
//	2·151552·4096 = 1,241,513,984 → 3,616,573,440; 106,852,245,504 + 3,616,573,440 =
//	110,468,818,944. The Hub's count of the checkpoint's tensors is 110,468,824,832: the
//	difference, 5,888 = 46 MoE layers × 128, is the e_score_correction_bias buffers.
//
// The full-size config: MoE layer 3,935,625,472 + 10,240 + eh_proj 10240·5120 = 52,428,800 +
// 5,120 + 2·151552·5120 = 1,551,892,480 → 5,539,962,112; 352,797,814,784 + 5,539,962,112 =
// 358,337,776,896. GLM-4.7's published tensor total is 358,337,791,296: the difference, 14,400 =
// 90 MoE layers × 160, is again the correction-bias buffers.
func TestGlm4MoeMTP(t *testing.T) {
	for _, c := range []struct {
		config    string
		set       map[string]any
		off, with string
	}{
		{"models/glm-4.5-air.config.json", nil, "106_852_245_504", "110_468_818_944"},
		{"testdata/configs/zai-org__GLM-4.7.json", nil, "352_797_814_784", "358_337_776_896"},
	} {
		t.Run(c.config, func(t *testing.T) {
			src := buildConfig(t, c.config, c.set)
			off := computeWith(t, c.config, src, decode2048, nil)
			on := computeWith(t, c.config, src, decode2048, map[string]expr.Value{"mtp_layers": expr.Int(1)})
			wantFigure(t, "params without MTP", off.Totals.Params, c.off)
			wantFigure(t, "params with MTP", on.Totals.Params, c.with)
			if hasLayer(off, "model.mtp_layer.eh_proj") {
				t.Error("the MTP layer is computed with mtp_layers 0")
			}
			if !hasLayer(on, "model.mtp_layer.shared_head.head") {
				t.Error("no MTP layer with mtp_layers 1")
			}
		})
	}

	// One GLM-4.5-Air decode step through the MTP layer: its Linears pass eh_proj 8192·4096 =
	// 33,554,432 + attention 109,051,904 (q 50,331,648, k and v 4,194,304 each, o
	// 50,331,648) + MoE (8 routed experts and the shared one, 9·17,301,504 =
	// 155,713,536) + head 620,756,992 = 919,076,864 weights, 2 FLOPs each, plus the q/k/v
	// bias adds 12288 + 2·1024 = 14,336: 1,838,168,064. Its attention caches 2049 tokens of 8
	// KV heads · (128 + 128) bf16 values: 8,392,704 bytes.
	const cfg = "models/glm-4.5-air.config.json"
	src := buildConfig(t, cfg, nil)
	off := computeWith(t, cfg, src, decode2048, nil)
	on := computeWith(t, cfg, src, decode2048, map[string]expr.Value{"mtp_layers": expr.Int(1)})
	wantFigure(t, "matmul FLOPs the MTP layer adds", new(big.Rat).Sub(categoryFLOPs(on, "matmul"), categoryFLOPs(off, "matmul")), "1_838_168_064")
	wantFigure(t, "KV cache the MTP layer adds", new(big.Rat).Sub(on.Totals.KVCacheBytes, off.Totals.KVCacheBytes), "8_392_704")
}

// TestGlm4MoeVariants builds a small made-up config through the branches the released
// checkpoints do not take, and edits of it. Base: hidden 64, 4 heads, 2 KV heads, head_dim
// absent (so 64 // 4 = 16), partial_rotary_factor 1.0, no attention bias, q/k norm, 4 layers,
// 8 experts of 32 (k 2), 2 shared experts, intermediate 128, V 1000, tied, gelu.
//
//	attention 64·64 + 2·(64·32) + 64·64 = 12,288 + q/k norms 2·16 = 12,320; norms 128
//	MoE 8·3·64·32 = 49,152 + shared 3·64·64 = 12,288 + router 8·64 = 512 = 61,952
//	dense 3·64·128 = 24,576
//	a MoE layer 74,400, a dense one 37,024; embed 64,000 (tied, once) + final norm 64
func TestGlm4MoeVariants(t *testing.T) {
	base := `{"model_type": "glm4_moe", "torch_dtype": "bfloat16", "hidden_act": "gelu",
  "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "moe_intermediate_size": 32,
  "num_hidden_layers": 4, "first_k_dense_replace": %d, "num_attention_heads": 4,
  "num_key_value_heads": 2, "partial_rotary_factor": 1.0, "attention_bias": false,
  "use_qk_norm": true, "n_routed_experts": 8, "num_experts_per_tok": 2, "n_shared_experts": 2,
  "tie_word_embeddings": true}`
	for _, c := range []struct {
		name   string
		dense  int
		params string
		runs   []string
	}{
		// All MoE: 64,064 + 4·74,400 = 361,664; every layer alike, one run.
		{"all MoE", 0, "361_664", []string{"decoder_layer"}},
		// Two dense, two MoE: 64,064 + 2·37,024 + 2·74,400 = 286,912.
		{"two dense", 2, "286_912", []string{"decoder_layer_0_1", "decoder_layer_2_3"}},
		// All dense: 64,064 + 4·37,024 = 212,160.
		{"all dense", 4, "212_160", []string{"decoder_layer"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "glm4-moe-" + strings.ReplaceAll(c.name, " ", "-") + ".config.json"
			src, err := populateConfig(t, name, []byte(strings.Replace(base, "%d", fmt.Sprint(c.dense), 1)), "")
			if err != nil {
				t.Fatal(err)
			}
			wantFigure(t, "params", params(t, name, src), c.params)
			res := computeStep(t, name, src, prefill2048)
			for _, r := range c.runs {
				if !hasLayer(res, "model."+r+".input_layernorm") {
					t.Errorf("no decoder layer run %s", r)
				}
			}
			first := "model." + c.runs[0] + ".self_attn."
			// Per-head norms: 2048 tokens · 4 heads rows of 16, 4 FLOPs per element.
			wantFigure(t, "q_norm FLOPs", row(t, res, first+"q_norm").Figures.FLOPs.Rat(), "524_288")
			// Full rotary (factor 1.0): 3 FLOPs per rotated element, 2048·(4 + 2)·16 of them.
			wantFigure(t, "rotary FLOPs", row(t, res, first+"apply_rotary").Figures.FLOPs.Rat(), "589_824")
		})
	}

	// GLM-4.5-Air's own shapes with use_qk_norm on: 46 layers · 2·128 = 11,776 more; tied: one
	// 151552·4096 = 620,756,992 fewer; attention_bias off: 46·(12288 + 2·1024) = 659,456 fewer.
	const air = "models/glm-4.5-air.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		params string
	}{
		{"qk norm", map[string]any{"use_qk_norm": true}, "106_852_257_280"},
		{"tied", map[string]any{"tie_word_embeddings": true}, "106_231_488_512"},
		{"no attention bias", map[string]any{"attention_bias": false}, "106_851_586_048"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.name, buildConfig(t, air, c.set)), c.params)
		})
	}

	// GLM-4.5-Air's partial rotary: int(128·0.5) = 64 dimensions of q (96 heads) and k (8).
	res := computeStep(t, air, shipped(t, "glm-4.5-air.json"), prefill2048)
	wantFigure(t, "rotary FLOPs", row(t, res, "model.decoder_layer_0_0.self_attn.apply_rotary").Figures.FLOPs.Rat(), "40_894_464") // 3·2048·104·64
	if r := row(t, res, "model.decoder_layer_0_0.mlp.act_fn"); !strings.HasSuffix(r.Class, "SiLU") {
		t.Errorf("act_fn is %s, want SiLU", r.Class)
	}
}

// TestGlm4MoeRefusals: configs transformers could not build, or this template cannot count.
func TestGlm4MoeRefusals(t *testing.T) {
	const air = "models/glm-4.5-air.config.json"
	for _, c := range []struct {
		set  map[string]any
		want string
	}{
		{map[string]any{"partial_rotary_factor": 0.01}, "int(head_dim * partial_rotary_factor)"},
		{map[string]any{"num_experts_per_tok": 129}, "num_experts_per_tok cannot exceed n_routed_experts"},
		{map[string]any{"first_k_dense_replace": 47}, "first_k_dense_replace cannot exceed num_hidden_layers"},
		{map[string]any{"num_key_value_heads": 7}, "num_key_value_heads must divide num_attention_heads"},
		{map[string]any{"hidden_act": "swiglu-of-my-own"}, "hidden_act"},
	} {
		if _, err := configVariant(t, air, c.set); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.set, err, c.want)
		}
	}
}

// TestGlm4MoeFLOPs checks GLM-4.5-Air's matmul, attention and routing FLOPs and its KV cache
// against the module tree print(model) shows for zai-org/GLM-4.5-Air.
//
// Linear weights a token passes through:
//
//	attention, 46 layers  q 4096·12288 + k, v 2·4096·1024 + o 12288·4096 = 109,051,904;
//	                      ×46 = 5,016,387,584 (and the q/k/v bias adds 14,336 per layer and
//	                      token, 659,456 for 46 layers)
//	layer 0 MLP           3·4096·10944 = 134,479,872
//	MoE, 45 layers        8 routed experts and the shared one, 9·3·4096·1408 = 155,713,536;
//	                      ×45 = 7,007,109,120 (each expert gets tokens·8/128 rows)
//	lm_head               4096·151552 = 620,756,992
//	→ 12,778,733,568, 2 FLOPs each: 25,557,467,136 + 659,456 = 25,558,126,592 per token
//
// The routers (DeepseekV3TopkRouter's arithmetic) are routing, not matmul. Attention core:
// 2·96·(128 + 128) = 49,152 FLOPs per causal pair and layer, ×46 = 2,260,992.
func TestGlm4MoeFLOPs(t *testing.T) {
	const file = "glm-4.5-air.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		// 2048·25,558,126,592; 2,260,992·2048·2049/2.
		{"prefill 2048", 2048, 0, "52_343_043_260_416", "4_743_959_150_592"},
		// 25,558,126,592; 2,260,992·2049.
		{"decode after 2048", 1, 2048, "25_558_126_592", "4_632_772_608"},
	})
	src := shipped(t, file)
	pre := computeStep(t, file, src, prefill2048)
	// Routing in a 2048-token prefill: the fp32 scoring matmul 2·2048·4096·128 and a sigmoid
	// and a bias add per score 4·2048·128, × 45 MoE layers.
	wantFigure(t, "routing", categoryFLOPs(pre, "routing"), "96_683_950_080")
	// Decode: 46 layers cache 2049 tokens of 8 KV heads · (128 + 128) bf16 values,
	// 2049·2048·2·2·46 = 386,064,384 bytes; the cores read them and Q (96·128·2·46 =
	// 1,130,496).
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "KV cache held", dec.Totals.KVCacheBytes, "386_064_384")
	wantFigure(t, "attention reads besides the cache", ratSub(dec.Totals.ByCategory["attention"].BytesRead, dec.Totals.KVCacheBytes), "1_130_496")
}
