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

// exaoneKinds spells out a layer_types list: layer i is full (global) when global(i).
func exaoneKinds(layers int, global func(i int) bool) []string {
	types := make([]string, layers)
	for i := range types {
		types[i] = "sliding_attention"
		if global(i) {
			types[i] = "full_attention"
		}
	}
	return types
}

// TestExaone4LayerTypes: a layer_types list that spells out Exaone4Config's default builds the
// same file as the pattern; a list of another length is refused.
func TestExaone4LayerTypes(t *testing.T) {
	types := exaoneKinds(64, func(i int) bool { return (i+1)%4 == 0 })
	if got, want := buildConfig(t, exaone32bConfig, map[string]any{"layer_types": types}), buildConfig(t, exaone32bConfig, nil); !bytes.Equal(got, want) {
		t.Error("an explicit layer_types equal to the pattern's builds another file")
	}
	checkRefusals(t, exaone32bConfig, []refusal{
		{map[string]any{"layer_types": types[:63]}, "layer_types has 63 items"},
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 7}, "must divide"},
	})
	var cfg map[string]any
	if err := json.Unmarshal(shipped(t, "exaone-4.0-32b.config.json"), &cfg); err != nil || cfg["layer_types"] != nil {
		t.Fatalf("the shipped config should build layer_types from the pattern (err %v)", err)
	}
}

// TestExaone4PatternString: sliding_window_pattern may be a string of L (local, sliding) and G
// (global). Exaone4Config's docstring, and EXAONE's own reader (check_is_sliding in LG's
// TensorRT-LLM model), give layer i the kind pattern[i % len(pattern)], except that the last
// layer is always global; transformers' config class builds layer_types with (i + 1) % pattern
// and cannot take a string, and its modeling code reads only layer_types, so a pattern next to
// an explicit list is ignored. Each pattern must build the file of the list written out by
// that rule.
func TestExaone4PatternString(t *testing.T) {
	same := func(what string, set map[string]any, types []string) {
		t.Helper()
		with := map[string]any{"layer_types": types}
		for k, v := range set {
			if k == "num_hidden_layers" {
				with[k] = v
			}
		}
		if got, want := buildConfig(t, exaone32bConfig, set), buildConfig(t, exaone32bConfig, with); !bytes.Equal(got, want) {
			t.Errorf("%s: the pattern builds another file than its layer_types list", what)
		}
	}
	period4 := func(i int) bool { return (i+1)%4 == 0 }
	// 64 layers: "LLLG" and 4 agree (layer 63 is a G either way).
	same("LLLG, 64 layers", map[string]any{"sliding_window_pattern": "LLLG"}, exaoneKinds(64, period4))
	same("4, 64 layers", map[string]any{"sliding_window_pattern": 4}, exaoneKinds(64, period4))
	if !bytes.Equal(buildConfig(t, exaone32bConfig, map[string]any{"sliding_window_pattern": "LLLG"}), buildConfig(t, exaone32bConfig, nil)) {
		t.Error(`"LLLG" on 64 layers should build the shipped config's file`)
	}
	// 30 layers: 4 makes layers 3, 7, …, 27 global and 28, 29 slide; "LLLG" makes the last
	// layer, 29, global too.
	same("4, 30 layers", map[string]any{"num_hidden_layers": 30, "sliding_window_pattern": 4}, exaoneKinds(30, period4))
	same("LLLG, 30 layers", map[string]any{"num_hidden_layers": 30, "sliding_window_pattern": "LLLG"},
		exaoneKinds(30, func(i int) bool { return period4(i) || i == 29 }))
	// "LGG": layers 0, 3, 6, … slide, the others are global; layer 63 (63 % 3 = 0, an L) is
	// global as the last.
	same("LGG, 64 layers", map[string]any{"sliding_window_pattern": "LGG"},
		exaoneKinds(64, func(i int) bool { return i%3 != 0 || i == 63 }))
	// A pattern of one L: every layer slides but the last.
	same("L, 64 layers", map[string]any{"sliding_window_pattern": "L"}, exaoneKinds(64, func(i int) bool { return i == 63 }))
	// An explicit list decides whatever the pattern says.
	alternate := exaoneKinds(64, func(i int) bool { return i%2 == 1 })
	if got, want := buildConfig(t, exaone32bConfig, map[string]any{"sliding_window_pattern": "LLLG", "layer_types": alternate}),
		buildConfig(t, exaone32bConfig, map[string]any{"layer_types": alternate}); !bytes.Equal(got, want) {
		t.Error("a string pattern beside layer_types changed the file")
	}
	// Without a window there are no sliding layers, whatever the pattern.
	if got, want := buildConfig(t, exaone32bConfig, map[string]any{"sliding_window": nil, "sliding_window_pattern": "LLLG"}),
		buildConfig(t, exaone32bConfig, map[string]any{"sliding_window": nil}); !bytes.Equal(got, want) {
		t.Error("a string pattern without a window changed the file")
	}
	checkRefusals(t, exaone32bConfig, []refusal{
		{map[string]any{"sliding_window_pattern": "LLXG"}, `sliding_window_pattern is "LLXG", which does not match the pattern ^[LG]+$`},
		{map[string]any{"sliding_window_pattern": ""}, `sliding_window_pattern is "", which does not match`},
		{map[string]any{"sliding_window_pattern": true}, "sliding_window_pattern must be an integer or a string, not true"},
		{map[string]any{"sliding_window_pattern": 0}, "sliding_window_pattern must be at least 1, got 0"},
	})
}
