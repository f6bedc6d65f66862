package models_test

import "testing"

// StarCoder2 (Starcoder2ForCausalLM, transformers 4.56.2): Mistral's attention with every
// projection biased (use_bias), c_fc → gelu_pytorch_tanh → c_proj (biased), LayerNorms with
// weight and bias, a sliding window on every layer, and an lm_head tied to the embedding when the
// config does not say otherwise (Starcoder2Config leaves PretrainedConfig's default, true).

const starcoder2Config = "models/starcoder2-3b.config.json"

func TestStarcoder2Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// starcoder2-3b: V 49152, h 3072, L 30, H 24 (d 128), Hkv 2, I 12288, tied.
		// embed 49152·3072 = 150,994,944
		// per layer: q 3072·3072 + 3072 = 9,440,256; k, v 3072·256 + 256 = 786,688 each; o
		//   9,440,256; c_fc 3072·12288 + 12288 = 37,761,024; c_proj 12288·3072 + 3072 =
		//   37,751,808; two LayerNorms 4·3072 = 12,288 → 95,979,008; × 30 = 2,879,370,240
		// norm 6,144; lm_head tied (counted once); total 3,030,371,328.
		{starcoder2Config, "3_030_371_328"},
		// starcoder2-7b (mlc-llm's copy of its config): V 49152, h 4608, L 32, H 36, Hkv 4,
		// I 18432, tied. embed 49152·4608 = 226,492,416; per layer q and o 2·(4608² + 4608) =
		// 42,476,544, k and v 2·(4608·512 + 512) = 4,719,616, c_fc 4608·18432 + 18432 =
		// 84,953,088, c_proj 18432·4608 + 4608 = 84,939,264, LayerNorms 18,432 → 217,106,944,
		// × 32 = 6,947,422,208; norm 9,216; total 7,173,923,840.
		{"testdata/configs/bigcode__starcoder2-7b.json", "7_173_923_840"},
	})
}

func TestStarcoder2Variants(t *testing.T) {
	checkVariants(t, []variant{
		// untied: lm_head 3072·49152 = 150,994,944 more → 3,181,366,272.
		{"3b untied", starcoder2Config, map[string]any{"tie_word_embeddings": false}, nil, "3_181_366_272"},
		// no biases: q 3072 + k, v 2·256 + o 3072 + c_fc 12288 + c_proj 3072 = 22,016 per layer,
		// × 30 = 660,480 fewer → 3,029,710,848.
		{"3b without biases", starcoder2Config, map[string]any{"use_bias": false}, nil, "3_029_710_848"},
		// head_dim null or absent: hidden_size // num_attention_heads = 128, starcoder2-3b itself.
		{"3b with null head_dim", starcoder2Config, map[string]any{"head_dim": nil}, nil, "3_030_371_328"},
	})
}

// TestStarcoder2FLOPs checks starcoder2-3b's matmul and attention FLOPs against hand arithmetic,
// from the printed tree (print(model) of bigcode/starcoder2-3b): q, o 3072 → 3072,
// k, v 3072 → 256, c_fc 3072 → 12288, c_proj 12288 → 3072, all with bias; lm_head 3072 → 49152.
// Weights per layer 2·9,437,184 + 2·786,432 + 2·37,748,736 = 95,944,704; bias outputs 22,016.
// Attention: 24 heads · (2·128 + 2·128) = 12,288 FLOPs per attended pair.
//
//	prefill 2048: per layer 2·2048·95,944,704 + 2048·22,016 = 393,034,596,352; × 30 =
//	              11,791,037,890,560; lm_head 2·2048·3072·49152 = 618,475,290,624;
//	              matmul 12,409,513,181,184; pairs 2,098,176 (the 4096 window does not bite);
//	              attention 12,288·2,098,176·30 = 773,471,600,640
//	decode:       per layer 2·95,944,704 + 22,016 = 191,911,424; × 30 = 5,757,342,720; lm_head
//	              301,989,888; matmul 6,059,332,608; attention 12,288·2049·30 = 755,343,360
//	prefill 8192: pairs Σ_{p<8192} min(p+1, 4096) = 4096·4097/2 + 4096·4096 = 25,167,872
//	              (full causal would be 33,558,528); attention 12,288·25,167,872·30 =
//	              9,277,884,334,080
//	decode after 8192: 4096 keys; attention 12,288·4096·30 = 1,509,949,440
func TestStarcoder2FLOPs(t *testing.T) {
	checkStepFLOPs(t, "starcoder2-3b.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "12_409_513_181_184", "773_471_600_640"},
		{"decode after 2048", 1, 2048, "6_059_332_608", "755_343_360"},
	})
	src := shipped(t, "starcoder2-3b.json")
	wantFigure(t, "prefill 8192 attention", categoryFLOPs(computeStep(t, "starcoder2-3b.json", src, step{1, 8192, 0}), "attention"), "9_277_884_334_080")
	dec := computeStep(t, "starcoder2-3b.json", src, step{1, 1, 8192})
	wantFigure(t, "decode after 8192 attention", categoryFLOPs(dec, "attention"), "1_509_949_440")
	// The cache holds the window: 4096 tokens · 2 kv heads · (128 + 128) · 2 bytes (bfloat16) =
	// 4,194,304 per layer, × 30 = 125,829,120.
	wantFigure(t, "decode after 8192 KV cache", dec.Totals.KVCacheBytes, "125_829_120")
}

// TestStarcoder2NoWindow: sliding_window null (Starcoder2Config's default) is full causal
// attention: decode after 8192 attends 8193 keys, 12,288·8193·30 = 3,020,267,520.
func TestStarcoder2NoWindow(t *testing.T) {
	res := computeStep(t, "no window", buildConfig(t, starcoder2Config, map[string]any{"sliding_window": nil}), step{1, 1, 8192})
	wantFigure(t, "attention", categoryFLOPs(res, "attention"), "3_020_267_520")
}

// TestStarcoder2Refusals checks that what the template does not describe is refused.
func TestStarcoder2Refusals(t *testing.T) {
	checkRefusals(t, starcoder2Config, []refusal{
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 5}, "must divide"},
	})
}
