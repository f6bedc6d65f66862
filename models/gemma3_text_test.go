package models_test

import "testing"

// Gemma 3 text models, from Gemma3Attention/Gemma3MLP/Gemma3DecoderLayer and
// Gemma3TextScaledWordEmbedding in modeling_gemma3.py: V 262144, tied; per layer q_proj h·(H·d),
// k_proj and v_proj h·(K·d) each, o_proj (H·d)·h, no biases, q_norm and k_norm d each (one
// weight over head_dim, applied to every head), gate/up/down 3·h·I, four Gemma3RMSNorms 4·h; a
// final norm h. The embedding's scale (√h) is a non-persistent buffer, not a parameter.
func TestGemma3TextCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// gemma-3-1b-it: h 1152, L 26, H 4, K 1, d 256, I 6912.
		//   per layer 1152·1024 + 2·1152·256 + 1024·1152 + 2·256 + 3·1152·6912 + 4·1152 = 26,842,112
		//   26·26,842,112 = 697,894,912; + 262144·1152 = 301,989,888; + 1152
		//   = 999,885,952, the safetensors total the Hub reports for google/gemma-3-1b-it.
		{"models/gemma-3-1b-it.config.json", "999_885_952"},
		// gemma-3-270m: h 640, L 18, H 4, K 1, d 256, I 2048 (its config spells out layer_types).
		//   per layer 640·1024 + 2·640·256 + 1024·640 + 2·256 + 3·640·2048 + 4·640 = 5,573,632
		//   18·5,573,632 = 100,325,376; + 262144·640 = 167,772,160; + 640
		//   = 268,098,176, keras-hub's published count for gemma3_270m.
		{"testdata/configs/google__gemma-3-270m.json", "268_098_176"},
	})
}

// gemma-3-1b-it at a fixed shape, from its printed tree (26 × Gemma3DecoderLayer, lm_head 1152
// → 262144). Linear weights per token: per layer q 1152·1024 = 1,179,648, k and v 1152·256 =
// 294,912 each, o 1,179,648, gate/up/down 1152·6912 = 7,962,624 each → 26,836,992; ×26 =
// 697,761,792; lm_head 301,989,888 → 999,751,680 multiply-adds, 1,999,503,360 FLOPs per token.
// Attention core: 2·256 + 2·256 = 1024 FLOPs per pair and head (no soft-capping), ×4 heads =
// 4096 per pair and layer. sliding_window_pattern 6: layers 5, 11, 17, 23 are global, the other
// 22 local with a window of 512.
func TestGemma3TextFLOPs(t *testing.T) {
	checkStepFLOPs(t, "gemma-3-1b-it.json", []stepFLOPs{
		// Prefill 2048: a local layer attends 512·513/2 + 512·(2048 − 512) = 917,760 pairs, a
		// global one 2048·2049/2 = 2,098,176: 4096·(22·917,760 + 4·2,098,176).
		{"prefill 2048", 2048, 0, "4_094_982_881_280", "117_077_704_704"},
		// Decode after 2048: local layers 512 keys, global 2049: 4096·(22·512 + 4·2049).
		{"decode after 2048", 1, 2048, "1_999_503_360", "79_708_160"},
	})
	src := shipped(t, "gemma-3-1b-it.json")
	// The cache a decode step holds is what it reads: each layer caches K and V of one head of
	// 256 (512 elements a token, bf16), the local layers for their 512 newest tokens:
	// 2·512·(22·512 + 4·2049) = 19,927,040 bytes.
	res := computeStep(t, "gemma3 decode", src, decode2048)
	wantFigure(t, "decode KV cache", res.Totals.KVCacheBytes, "19_927_040")

	res = computeStep(t, "gemma3 prefill", src, prefill2048)
	// The scaled embedding multiplies each of 2048·1152 outputs once.
	wantFigure(t, "embedding FLOPs", row(t, res, "model.embed_tokens").Figures.FLOPs.Rat(), "2_359_296")
	// Two rotary tables (global and local), 2048·256·4.5 each, and the rotary applied in every
	// layer to 4 + 1 heads: 3·2048·5·256·26 = 204,472,320 → 209,190,912.
	wantFigure(t, "rotary FLOPs", categoryFLOPs(res, "rotary"), "209_190_912")
	// q_norm: 2048·4 rows of 256, GemmaRMSNorm's 5 FLOPs an element.
	wantFigure(t, "q_norm FLOPs", row(t, res, "model.decoder_layer_0_4.self_attn.q_norm").Figures.FLOPs.Rat(), "10_485_760")
	// Runs: 0–4 local, 5 global, …, 24–25 local.
	for path, want := range map[string]int64{"model.decoder_layer_0_4.self_attn.attention": 5, "model.decoder_layer_23_23.self_attn.attention": 1, "model.decoder_layer_24_25.self_attn.attention": 2} {
		if c := row(t, res, path).Count.Int64(); c != want {
			t.Errorf("%s: count %d, want %d", path, c, want)
		}
	}
}

func TestGemma3TextConfigKeys(t *testing.T) {
	const cfg = "models/gemma-3-1b-it.config.json"
	// Untied: lm_head 262144·1152 = 301,989,888 more.
	wantFigure(t, "untied", params(t, "untied", buildConfig(t, cfg, map[string]any{"tie_word_embeddings": false})), "1_301_875_840")
	// attention_bias: 1024 + 256 + 256 + 1152 = 2688 a layer, ×26 = 69,888.
	wantFigure(t, "attention_bias", params(t, "bias", buildConfig(t, cfg, map[string]any{"attention_bias": true})), "999_955_840")

	// sliding_window_pattern 2: local and global alternate, 26 runs of one layer; decode after
	// 2048: 13 local layers of 512 keys and 13 global of 2049: 4096·13·(512 + 2049) = 136,368,128.
	res := computeStep(t, "pattern 2", buildConfig(t, cfg, map[string]any{"sliding_window_pattern": 2}), decode2048)
	if !hasLayer(res, "model.decoder_layer_25_25.self_attn.attention") {
		t.Error("want 26 runs of one layer")
	}
	wantFigure(t, "pattern 2 decode attention", categoryFLOPs(res, "attention"), "136_368_128")

	// Soft-capping, off in Gemma 3 (null), when a config sets it: +3 FLOPs per pair and head in
	// the core (decode after 2048: 3·4·(22·512 + 4·2049) = 233,520 more) and the three
	// final-logit layers.
	res = computeStep(t, "capped", buildConfig(t, cfg, map[string]any{"attn_logit_softcapping": 50, "final_logit_softcapping": 30}), decode2048)
	wantFigure(t, "capped decode attention", categoryFLOPs(res, "attention"), "79_941_680")
	if !hasLayer(res, "final_logit_softcap_tanh") {
		t.Error("final_logit_softcapping 30 but no capping layers")
	}
	// layer_types of another length is the config's fault; bidirectional attention is refused.
	if _, err := configVariant(t, cfg, map[string]any{"layer_types": []string{"full_attention"}}); err == nil {
		t.Error("a one-item layer_types should be refused")
	}
	if _, err := configVariant(t, cfg, map[string]any{"use_bidirectional_attention": true}); err == nil {
		t.Error("bidirectional attention should be refused")
	}
}
