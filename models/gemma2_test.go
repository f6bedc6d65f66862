package models_test

import "testing"

// Gemma 2, from Gemma2Attention/Gemma2MLP/Gemma2DecoderLayer in modeling_gemma2.py: V 256000,
// tied; per layer q_proj h·(H·d), k_proj and v_proj h·(K·d) each, o_proj (H·d)·h, no biases,
// gate/up/down 3·h·I, four Gemma2RMSNorms (input, post-attention, pre- and post-feedforward)
// 4·h; a final norm h. The shapes of the three sizes are those of Google's MaxText HF configs
// (hf_model_configs.py); the counts equal keras-hub's published Gemma 2 presets
// (gemma_presets.py: 2,614,341,888; 9,241,705,984; 27,227,128,320).
func TestGemma2Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// gemma-2-9b: h 3584, L 42, H 16, K 8, d 256, I 14336.
		//   per layer 3584·4096 + 2·3584·2048 + 4096·3584 + 3·3584·14336 + 4·3584 = 198,195,200
		//   42·198,195,200 = 8,324,198,400; + 256000·3584 = 917,504,000; + 3584
		{"models/gemma-2-9b.config.json", "9_241_705_984"},
		// gemma-2-2b: h 2304, L 26, H 8, K 4, d 256, I 9216.
		//   per layer 2304·2048 + 2·2304·1024 + 2048·2304 + 3·2304·9216 + 4·2304 = 77,865,984
		//   26·77,865,984 = 2,024,515,584; + 256000·2304 = 589,824,000; + 2304
		{"testdata/configs/google__gemma-2-2b.json", "2_614_341_888"},
		// gemma-2-27b: h 4608, L 46, H 32, K 16, d 128, I 36864.
		//   per layer 4608·4096 + 2·4608·2048 + 4096·4608 + 3·4608·36864 + 4·4608 = 566,249,472
		//   46·566,249,472 = 26,047,475,712; + 256000·4608 = 1,179,648,000; + 4608
		{"testdata/configs/google__gemma-2-27b.json", "27_227_128_320"},
	})
}

// gemma-2-9b at a fixed shape, from its printed tree (42 × Gemma2DecoderLayer, lm_head 3584 →
// 256000). Linear weights per token: per layer q 3584·4096 = 14,680,064, k and v 3584·2048 =
// 7,340,032 each, o 14,680,064, gate/up/down 3584·14336 = 51,380,224 each → 198,180,864; ×42 =
// 8,323,596,288; lm_head 917,504,000 → 9,241,100,288 multiply-adds, 18,482,200,576 FLOPs per
// token. Attention core per pair and head: QKᵀ and AV 2·256 each, and the logit soft-capping 3
// (divide, tanh, multiply): 1027; ×16 heads = 16,432 per pair and layer.
func TestGemma2FLOPs(t *testing.T) {
	checkStepFLOPs(t, "gemma-2-9b.json", []stepFLOPs{
		// 2048·18,482,200,576; the 4096 window does not bite at 2048: every layer attends the
		// 2,098,176 causal pairs: 16,432·42·2,098,176.
		{"prefill 2048", 2048, 0, "37_851_546_779_648", "1_448_043_577_344"},
		// 2049 pairs a layer: 16,432·42·2049.
		{"decode after 2048", 1, 2048, "18_482_200_576", "1_414_105_056"},
		// Prefill of 8192: matmuls 8192·18,482,200,576; the 21 full layers (1, 3, …, 41) attend
		// 8192·8193/2 = 33,558,528 pairs, the 21 sliding ones (0, 2, …, 40) 4096·4097/2 +
		// 4096·4096 = 25,167,872: 16,432·21·(33,558,528 + 25,167,872) = 20,264,836,300,800.
		{"prefill 8192", 8192, 0, "151_406_187_118_592", "20_264_836_300_800"},
		// Decode after 8192: full layers 8193 keys, sliding 4096: 16,432·21·(8193 + 4096).
		{"decode after 8192", 1, 8192, "18_482_200_576", "4_240_589_808"},
	})
	res := computeStep(t, "gemma2", shipped(t, "gemma-2-9b.json"), prefill2048)
	// Final-logit soft-capping: divide, tanh, multiply over 2048·256000 logits, 1 FLOP each.
	for _, name := range []string{"final_logit_softcap_div", "final_logit_softcap_tanh", "final_logit_softcap_mul"} {
		wantFigure(t, name, row(t, res, name).Figures.FLOPs.Rat(), "524_288_000")
	}
	// The embedding is scaled by √3584 (one multiply per element), and each of the four norms
	// of a layer costs GemmaRMSNorm's 5 FLOPs per element: 5·2048·3584 = 36,700,160.
	wantFigure(t, "embed_scale", row(t, res, "model.embed_scale").Figures.FLOPs.Rat(), "7_340_032")
	wantFigure(t, "pre_feedforward_layernorm", row(t, res, "model.decoder_layer_0_0.pre_feedforward_layernorm").Figures.FLOPs.Rat(), "36_700_160")
	// 42 runs of one layer: sliding and full alternate.
	if !hasLayer(res, "model.decoder_layer_41_41.self_attn.attention") || hasLayer(res, "model.decoder_layer.self_attn.attention") {
		t.Error("want the layers as runs decoder_layer_0_0 … decoder_layer_41_41")
	}
}

func TestGemma2ConfigKeys(t *testing.T) {
	const cfg = "models/gemma-2-9b.config.json"
	// Untied: lm_head 256000·3584 = 917,504,000 more.
	wantFigure(t, "untied", params(t, "untied", buildConfig(t, cfg, map[string]any{"tie_word_embeddings": false})), "10_159_209_984")
	// attention_bias: 4096 + 2048 + 2048 + 3584 = 11,776 a layer, ×42 = 494,592.
	wantFigure(t, "attention_bias", params(t, "bias", buildConfig(t, cfg, map[string]any{"attention_bias": true})), "9_242_200_576")

	// No soft-capping (null): the final-logit layers go and the core counts 1024 per pair and head.
	src := buildConfig(t, cfg, map[string]any{"attn_logit_softcapping": nil, "final_logit_softcapping": nil})
	res := computeStep(t, "no softcap", src, prefill2048)
	if hasLayer(res, "final_logit_softcap_tanh") {
		t.Error("a null final_logit_softcapping still caps")
	}
	// 16·1024·42·2,098,176.
	wantFigure(t, "uncapped attention", categoryFLOPs(res, "attention"), "1_443_813_654_528")

	// layer_types given: all full attention — one run named decoder_layer; a null window slides nowhere.
	full := make([]string, 42)
	for i := range full {
		full[i] = "full_attention"
	}
	for name, set := range map[string]map[string]any{
		"all full":    {"layer_types": full},
		"null window": {"sliding_window": nil},
	} {
		res := computeStep(t, name, buildConfig(t, cfg, set), step{1, 1, 8192})
		if row(t, res, "model.decoder_layer.self_attn.attention").Count.Int64() != 42 {
			t.Errorf("%s: want one run of 42 layers", name)
		}
	}
	// hidden_activation chooses act_fn; hidden_act is not read (Gemma2MLP).
	res = computeStep(t, "gelu", buildConfig(t, cfg, map[string]any{"hidden_activation": "gelu", "hidden_act": "silu"}), prefill2048)
	if c := row(t, res, "model.decoder_layer_0_0.mlp.act_fn").Class; c != "transformers.activations.GELUActivation" {
		t.Errorf("act_fn = %s", c)
	}
	if _, err := configVariant(t, cfg, map[string]any{"use_bidirectional_attention": true}); err == nil {
		t.Error("bidirectional attention should be refused")
	}
}
