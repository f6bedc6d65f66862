package models_test

import "testing"

func TestMistralCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/mistral-7b-v0.1.config.json", "7_241_732_096"},
		{"testdata/configs/mistralai__Mistral-7B-v0.3.json", "7_248_023_552"},         // vocab 32768, sliding_window null
		{"testdata/configs/mistralai__Mistral-Nemo-Base-2407.json", "12_247_782_400"}, // head_dim 128 ≠ 5120/32
	})
}

// Mistral-7B-v0.1: h 4096, 32 query heads, 8 KV heads, d 128, I 14336, 32 layers, V 32000,
// untied, sliding_window 4096 in every layer.
//
// Linear weights a token meets (multiply-adds):
//
//	per layer  q 4096·4096 = 16,777,216   k, v 4096·1024 = 4,194,304 each   o 16,777,216
//	           gate, up, down 4096·14336 = 58,720,256 each
//	           → 33,554,432 + 8,388,608 + 176,160,768 = 218,103,808
//	×32 = 6,979,321,856; lm_head 4096·32000 = 131,072,000 → 7,110,393,856 per token
//
// Attention core per attended (query, key) pair and layer: QKᵀ 2·d + AV 2·d = 512 per head,
// ×32 heads = 16,384; ×32 layers = 524,288.
func TestMistralFLOPs(t *testing.T) {
	src := shipped(t, "mistral-7b-v0.1.json")

	// Prefill of 2048 tokens: 2·2048·7,110,393,856 = 29,124,173,234,176. The window does not
	// bite: pairs 2048·2049/2 = 2,098,176; 524,288·2,098,176 = 1,100,048,498,688.
	res := computeStep(t, "mistral prefill", src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(res, "matmul"), "29_124_173_234_176")
	wantFigure(t, "prefill attention", categoryFLOPs(res, "attention"), "1_100_048_498_688")

	// Decode after 2048: 2·7,110,393,856 = 14,220,787,712; pairs 2049: 524,288·2049 =
	// 1,074,266,112.
	res = computeStep(t, "mistral decode", src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(res, "matmul"), "14_220_787_712")
	wantFigure(t, "decode attention", categoryFLOPs(res, "attention"), "1_074_266_112")

	// Prefill of 8192 tokens: query p attends min(p+1, 4096) keys, so the pairs are
	// 4096·4097/2 + (8192−4096)·4096 = 8,390,656 + 16,777,216 = 25,167,872 (not the causal
	// 8192·8193/2 = 33,558,528); 524,288·25,167,872 = 13,195,213,275,136.
	res = computeStep(t, "mistral prefill 8192", src, step{1, 8192, 0})
	wantFigure(t, "windowed prefill attention", categoryFLOPs(res, "attention"), "13_195_213_275_136")

	// Decode after 8192 cached tokens: the new query attends 4096 keys, not 8193;
	// 524,288·4096 = 2,147,483,648.
	res = computeStep(t, "mistral decode 8192", src, step{1, 1, 8192})
	wantFigure(t, "windowed decode attention", categoryFLOPs(res, "attention"), "2_147_483_648")
}

// MistralConfig's defaults differ between an absent key and null: sliding_window absent →
// 4096, null → no window; num_key_value_heads absent → 8, null → num_attention_heads.
func TestMistralAbsentAndNull(t *testing.T) {
	const v03 = "testdata/configs/mistralai__Mistral-7B-v0.3.json" // sliding_window: null
	decode8192 := step{1, 1, 8192}
	// Same shapes as v0.1 (32 heads, d 128, 32 layers): 524,288 FLOPs per pair.
	// null: full causal attention, 8193 keys: 524,288·8193 = 4,295,491,584.
	res := computeStep(t, "v0.3", buildConfig(t, v03, nil), decode8192)
	wantFigure(t, "null window", categoryFLOPs(res, "attention"), "4_295_491_584")
	// absent: the 4096 window: 524,288·4096 = 2,147,483,648.
	res = computeStep(t, "v0.3 without sliding_window", buildConfig(t, v03, nil, "sliding_window"), decode8192)
	wantFigure(t, "absent window", categoryFLOPs(res, "attention"), "2_147_483_648")

	// num_key_value_heads absent → 8: k_proj 4096·1024 = 4,194,304 parameters.
	res = computeStep(t, "v0.3 without num_key_value_heads", buildConfig(t, v03, nil, "num_key_value_heads"), prefill2048)
	wantFigure(t, "absent kv heads: k_proj params", row(t, res, "model.decoder_layer.self_attn.k_proj").Figures.Params.Rat(), "4_194_304")
	// null → 32 heads: k_proj 4096·4096 = 16,777,216.
	res = computeStep(t, "v0.3 with null num_key_value_heads", buildConfig(t, v03, map[string]any{"num_key_value_heads": nil}), prefill2048)
	wantFigure(t, "null kv heads: k_proj params", row(t, res, "model.decoder_layer.self_attn.k_proj").Figures.Params.Rat(), "16_777_216")
}
