package models_test

import (
	"bytes"
	"encoding/json"
	"testing"
)

// EXAONE 4.0 (Exaone4ForCausalLM, transformers 4.56.2): OLMo 2's post-norm layer with per-head
// q/k RMSNorms (width head_dim, one weight of head_dim each). Exaone4Config builds layer_types
// from sliding_window_pattern: layer i slides unless (i + 1) % pattern == 0. A sliding layer
// attends a window and rotates q and k; while a window is set, a full (global) layer attends
// everything and skips rotary (NoPE). The decoder layers are one template layer numbered by
// their index; consecutive layers of one kind merge into runs.

const exaone32bConfig = "models/exaone-4.0-32b.config.json"

func TestExaone4Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// EXAONE-4.0-32B: V 102400, h 5120, L 64, H 40, Hkv 8, d 128, I 27392, untied.
		// embed 102400·5120 = 524,288,000
		// per layer: q, o 2·5120² = 52,428,800; k, v 2·5120·1024 = 10,485,760; q_norm, k_norm
		//   2·128 = 256; gate, up, down 3·5120·27392 = 420,741,120; two post-norms 10,240 →
		//   483,666,176; × 64 = 30,954,635,264 (every layer kind has the same parameters)
		// norm 5,120; lm_head 524,288,000; total 32,003,216,384.
		{exaone32bConfig, "32_003_216_384"},
	})
}

func TestExaone4Variants(t *testing.T) {
	checkVariants(t, []variant{
		// tied: one 102400·5120 table fewer → 31,478,928,384.
		{"32B tied", exaone32bConfig, map[string]any{"tie_word_embeddings": true}, nil, "31_478_928_384"},
		// no window: every layer full and rotary, the same parameters.
		{"32B without a window", exaone32bConfig, map[string]any{"sliding_window": nil}, nil, "32_003_216_384"},
	})
}

// TestExaone4FLOPs checks EXAONE-4.0-32B's FLOPs against hand arithmetic, from the printed tree
// (print(model) of LGAI-EXAONE/EXAONE-4.0-32B): q, o 5120 → 5120, k, v 5120 →
// 1024, gate, up 5120 → 27392, down 27392 → 5120, lm_head 5120 → 102400, no biases. Weights
// per layer 2·26,214,400 + 2·5,242,880 + 3·140,247,040 = 483,655,680. Attention: 40 heads ·
// (2·128 + 2·128) = 20,480 FLOPs per pair. With pattern 4, layers 3, 7, …, 63 (16 of them) are
// global and the other 48 slide with a window of 4096.
//
//	prefill 2048: per layer 2·2048·483,655,680 = 1,981,053,665,280; × 64 =
//	              126,787,434,577,920; lm_head 2·2048·5120·102400 = 2,147,483,648,000; matmul
//	              128,934,918,225,920; the window does not bite: attention 20,480·2,098,176·64 =
//	              2,750,121,246,720
//	decode:       per layer 967,311,360; × 64 = 61,907,927,040; lm_head 1,048,576,000; matmul
//	              62,956,503,040; attention 20,480·2049·64 = 2,685,665,280
//	prefill 8192: sliding layers Σ_{p<8192} min(p+1, 4096) = 4096·4097/2 + 4096·4096 =
//	              25,167,872 pairs, global layers 8192·8193/2 = 33,558,528; attention
//	              20,480·(48·25,167,872 + 16·33,558,528) = 35,737,483,345,920
//	decode after 8192: 20,480·(48·4096 + 16·8193) = 6,711,214,080
func TestExaone4FLOPs(t *testing.T) {
	checkStepFLOPs(t, "exaone-4.0-32b.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "128_934_918_225_920", "2_750_121_246_720"},
		{"decode after 2048", 1, 2048, "62_956_503_040", "2_685_665_280"},
	})
	src := shipped(t, "exaone-4.0-32b.json")
	wantFigure(t, "prefill 8192 attention", categoryFLOPs(computeStep(t, "exaone-4.0-32b.json", src, step{1, 8192, 0}), "attention"), "35_737_483_345_920")
	dec := computeStep(t, "exaone-4.0-32b.json", src, step{1, 1, 8192})
	wantFigure(t, "decode after 8192 attention", categoryFLOPs(dec, "attention"), "6_711_214_080")
	// KV cache after 8192 + 1 tokens, bfloat16: 8 kv heads · (128 + 128) · 2 bytes = 4,096 bytes
	// per token and layer; sliding layers hold the 4096-token window, global ones all 8193:
	// 48·4096·4096 + 16·8193·4096 = 805,306,368 + 536,936,448 = 1,342,242,816.
	wantFigure(t, "decode after 8192 KV cache", dec.Totals.KVCacheBytes, "1_342_242_816")
}

// TestExaone4Runs checks the layer runs and where rotary is applied: layers 0–2 slide and rotate,
// layer 3 is global without rotary, and so on in periods of 4 (32 runs for 64 layers). At a prefill
// of 2048, rotary is 3 FLOPs per rotated element of 40 query and 8 key heads of 128 on the 48
// sliding layers, 3·2048·48·128·48 = 1,811,939,328, plus rotary_emb's 2048·128·4.5 = 1,179,648:
// 1,813,118,976. Without a window every layer is full and rotates: 3·2048·48·128·64 + 1,179,648 =
// 2,417,098,752, the decoder layers are one run, and a decode step after 8192 tokens attends all
// 8193 keys everywhere: 20,480·8193·64 = 10,738,728,960.
func TestExaone4Runs(t *testing.T) {
	src := shipped(t, "exaone-4.0-32b.json")
	res := computeStep(t, "exaone-4.0-32b.json", src, prefill2048)
	for path, want := range map[string]bool{
		"model.decoder_layer_0_2.self_attn.apply_rotary":   true,
		"model.decoder_layer_3_3.self_attn.apply_rotary":   false,
		"model.decoder_layer_3_3.self_attn.attention":      true,
		"model.decoder_layer_60_62.self_attn.apply_rotary": true,
		"model.decoder_layer_63_63.self_attn.q_norm":       true,
		"model.decoder_layer_63_63.self_attn.apply_rotary": false,
	} {
		if hasLayer(res, path) != want {
			t.Errorf("layer %s present = %v, want %v", path, !want, want)
		}
	}
	wantFigure(t, "rotary FLOPs", categoryFLOPs(res, "rotary"), "1_813_118_976")
	if n := bytes.Count(src, []byte(`"name": "decoder_layer_`)); n != 32 {
		t.Errorf("%d decoder layer runs, want 32", n)
	}

	noWindow := buildConfig(t, exaone32bConfig, map[string]any{"sliding_window": nil})
	res = computeStep(t, "no window", noWindow, prefill2048)
	wantFigure(t, "no window: rotary FLOPs", categoryFLOPs(res, "rotary"), "2_417_098_752")
	if !hasLayer(res, "model.decoder_layer.self_attn.apply_rotary") {
		t.Error("no window: the decoder layers should be one run named decoder_layer")
	}
	res = computeStep(t, "no window", noWindow, step{1, 1, 8192})
	wantFigure(t, "no window: decode after 8192 attention", categoryFLOPs(res, "attention"), "10_738_728_960")
}

// TestExaone4LayerTypes: a layer_types list that spells out Exaone4Config's default builds the
// same file as the pattern; a list of another length, or a pattern given as a string, is refused.
func TestExaone4LayerTypes(t *testing.T) {
	types := make([]string, 64)
	for i := range types {
		types[i] = "sliding_attention"
		if (i+1)%4 == 0 {
			types[i] = "full_attention"
		}
	}
	if got, want := buildConfig(t, exaone32bConfig, map[string]any{"layer_types": types}), buildConfig(t, exaone32bConfig, nil); !bytes.Equal(got, want) {
		t.Error("an explicit layer_types equal to the pattern's builds another file")
	}
	checkRefusals(t, exaone32bConfig, []refusal{
		{map[string]any{"layer_types": types[:63]}, "layer_types has 63 items"},
		{map[string]any{"sliding_window_pattern": "LLLG"}, "sliding_window_pattern must be an integer"},
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 7}, "must divide"},
	})
	var cfg map[string]any
	if err := json.Unmarshal(shipped(t, "exaone-4.0-32b.config.json"), &cfg); err != nil || cfg["layer_types"] != nil {
		t.Fatalf("the shipped config should build layer_types from the pattern (err %v)", err)
	}
}
