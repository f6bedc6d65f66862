package models_test

import "testing"

// Qwen3 (dense), from Qwen3Attention/Qwen3MLP in modeling_qwen3.py: V 151936; per layer q_proj
// h·(H·128), k_proj and v_proj h·(K·128) each, o_proj (H·128)·h, no biases (attention_bias
// false), q_norm and k_norm 128 each (one weight over head_dim, applied per head), gate/up/down
// 3·h·I, two RMSNorms 2·h; a final norm h; lm_head V·h unless tied.
//
// Cross-checked with the counts keras-hub publishes for its Qwen3 presets (qwen3_presets.py,
// tied embeddings counted once): 596,049,920; 4,022,468,096; 8,190,735,360; 14,768,307,200;
// 32,762,123,264.
func TestQwen3Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// Qwen3-8B: h 4096, L 36, H 32, K 8, I 12288, untied.
		//   per layer 4096·4096 + 2·4096·1024 + 4096·4096 + 256 + 3·4096·12288 + 8192 = 192,946,432
		//   36·192,946,432 = 6,946,071,552; + 2·151936·4096 = 1,244,659,712; + 4096
		{"models/qwen3-8b.config.json", "8_190_735_360"},
		// Qwen3-0.6B: h 1024, L 28, H 16, K 8, I 3072, tied.
		//   per layer 1024·2048 + 2·1024·1024 + 2048·1024 + 256 + 3·1024·3072 + 2048 = 15,730,944
		//   28·15,730,944 = 440,466,432; + 151936·1024 = 155,582,464; + 1024
		{"testdata/configs/Qwen__Qwen3-0.6B.json", "596_049_920"},
		// Qwen3-4B-Instruct-2507 (Qwen3-4B's shapes): h 2560, L 36, H 32, K 8, I 9728, tied.
		//   per layer 2560·4096 + 2·2560·1024 + 4096·2560 + 256 + 3·2560·9728 + 5120 = 100,930,816
		//   36·100,930,816 = 3,633,509,376; + 151936·2560 = 388,956,160; + 2560
		{"testdata/configs/Qwen__Qwen3-4B-Instruct-2507.json", "4_022_468_096"},
		// Qwen3-14B: h 5120, L 40, H 40, K 8, I 17408, untied.
		//   per layer 5120·5120 + 2·5120·1024 + 5120·5120 + 256 + 3·5120·17408 + 10240 = 330,311,936
		//   40·330,311,936 = 13,212,477,440; + 2·151936·5120 = 1,555,824,640; + 5120
		{"testdata/configs/Qwen__Qwen3-14B.json", "14_768_307_200"},
		// Qwen3-32B: h 5120, L 64, H 64, K 8, I 25600, untied (H·128 = 8192 ≠ h).
		//   per layer 5120·8192 + 2·5120·1024 + 8192·5120 + 256 + 3·5120·25600 + 10240 = 487,598,336
		//   64·487,598,336 = 31,206,293,504; + 1,555,824,640; + 5120
		{"testdata/configs/Qwen__Qwen3-32B.json", "32_762_123_264"},
	})
}

// Qwen3-8B at a fixed shape, from its printed tree (36 × Qwen3DecoderLayer, lm_head 4096 →
// 151936). Linear weights per token: per layer q 4096·4096 = 16,777,216, k and v 4096·1024 =
// 4,194,304 each, o 16,777,216, gate/up/down 4096·12288 = 50,331,648 each → 192,937,984; ×36 =
// 6,945,767,424; lm_head 622,329,856 → 7,568,097,280 multiply-adds, 15,136,194,560 FLOPs per
// token. Attention core: 2·128 + 2·128 = 512 FLOPs per pair and head, ×32 heads ×36 layers =
// 589,824 per pair.
func TestQwen3FLOPs(t *testing.T) {
	checkStepFLOPs(t, "qwen3-8b.json", []stepFLOPs{
		// 2048·15,136,194,560; causal pairs 2048·2049/2 = 2,098,176 → 589,824·2,098,176.
		{"prefill 2048", 2048, 0, "30_998_926_458_880", "1_237_554_561_024"},
		// One token after 2048: 2049 pairs → 589,824·2049.
		{"decode after 2048", 1, 2048, "15_136_194_560", "1_208_549_376"},
	})
	// q_norm and k_norm normalise each head: 2048·32 and 2048·8 rows of 128, 4 FLOPs an
	// element: 4·2048·32·128 = 33,554,432 and 4·2048·8·128 = 8,388,608.
	res := computeStep(t, "qwen3", shipped(t, "qwen3-8b.json"), prefill2048)
	wantFigure(t, "q_norm FLOPs", row(t, res, "model.decoder_layer.self_attn.q_norm").Figures.FLOPs.Rat(), "33_554_432")
	wantFigure(t, "k_norm FLOPs", row(t, res, "model.decoder_layer.self_attn.k_norm").Figures.FLOPs.Rat(), "8_388_608")
}

func TestQwen3ConfigKeys(t *testing.T) {
	const cfg = "models/qwen3-8b.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		remove []string
		params string
	}{
		// attention_bias: q 4096 + k 1024 + v 1024 + o 4096 = 10,240 biases a layer, ×36 = 368,640.
		{"attention_bias", map[string]any{"attention_bias": true}, nil, "8_191_104_000"},
		// Tied: lm_head's 151936·4096 = 622,329,856 counted once.
		{"tied", map[string]any{"tie_word_embeddings": true}, nil, "7_568_405_504"},
		// head_dim absent: Qwen3Config gives 128 (as the config says), not 4096/32.
		{"no head_dim", nil, []string{"head_dim"}, "8_190_735_360"},
		// num_key_value_heads null: as many as query heads: k and v 4096·4096 each, +2·(4096·4096 −
		// 4096·1024) = 25,165,824 a layer, ×36 = 905,969,664.
		{"kv heads null", map[string]any{"num_key_value_heads": nil}, nil, "9_096_705_024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.name, buildConfig(t, cfg, c.set, c.remove...)), c.params)
		})
	}
	// A sliding variant: window 4096 from layer 30 on (Qwen3Config's rule) — runs 0–29 and
	// 30–35. Prefill of 8192: a full layer attends 8192·8193/2 = 33,558,528 pairs, a sliding one
	// 4096·4097/2 + 4096·4096 = 25,167,872; 512·32 = 16,384 FLOPs per pair and layer:
	// 16,384·(30·33,558,528 + 6·25,167,872) = 16,384·1,157,763,072 = 18,968,790,171,648.
	src := buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 30})
	res := computeStep(t, "qwen3 sliding", src, step{1, 8192, 0})
	if row(t, res, "model.decoder_layer_0_29.self_attn.attention").Count.Int64() != 30 || row(t, res, "model.decoder_layer_30_35.self_attn.attention").Count.Int64() != 6 {
		t.Error("want runs of 30 full and 6 sliding layers")
	}
	wantFigure(t, "sliding prefill attention", categoryFLOPs(res, "attention"), "18_968_790_171_648")
}
