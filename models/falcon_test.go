package models_test

import (
	"strings"
	"testing"
)

func TestFalconCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/falcon-7b.config.json", "6_921_720_704"},                       // multi_query, parallel_attn, one LayerNorm, tied
		{"testdata/configs/tiiuae__falcon-40b-instruct.json", "41_303_293_952"}, // new decoder architecture: 8 kv groups, ln_attn + ln_mlp
	})
}

// TestFalconFLOPs checks the matmul (FalconLinear and lm_head) and attention-core FLOPs of
// falcon-7b against arithmetic done by hand: a prefill of 2048 tokens and one decode step after
// 2048 cached tokens (rotary positions, so no table bounds the position).
//
// falcon-7b: h = 4544, H = 71 heads of d = 64, multi_query (1 key/value head), L = 32 layers,
// ffn_hidden_size F = 4·4544 = 18176, V = 65024, no biases; query_key_value is
// h → h + 2·d = 4672. A Linear without bias is 2·N·in·out; the tied lm_head is still computed.
// The attention core is 2·d (QKᵀ) + 2·d (AV) per attended (query, key) pair and query head.
//
// Prefill, N = 2048 rows, P = 0:
//
//	query_key_value 2·2048·4544·4672  =  86,956,310,528
//	dense           2·2048·4544·4544  =  84,573,945,856
//	dense_h_to_4h   2·2048·4544·18176 = 338,295,783,424
//	dense_4h_to_h   2·2048·18176·4544 = 338,295,783,424
//	per layer 848,121,823,232; × 32 = 27,139,898,343,424
//	lm_head   2·2048·4544·65024 = 1,210,241,253,376
//	matmul    27,139,898,343,424 + 1,210,241,253,376 = 28,350,139,596,800
//	pairs     2048·2049/2 = 2,098,176
//	attention 4·71·2,098,176·64 = 38,136,446,976 per layer; × 32 = 1,220,366,303,232
//
// Decode, N = 1 row, P = 2048:
//
//	query_key_value 2·4544·4672 = 42,459,136; dense 2·4544·4544 = 41,295,872;
//	dense_h_to_4h and dense_4h_to_h 2·4544·18176 = 165,183,488 each
//	per layer 414,121,984; × 32 = 13,251,903,488
//	lm_head   2·4544·65024 = 590,938,112
//	matmul    13,251,903,488 + 590,938,112 = 13,842,841,600
//	pairs     2048 + 1 = 2049 keys for the one new query
//	attention 4·71·2049·64 = 37,242,624 per layer; × 32 = 1,191,763,968
func TestFalconFLOPs(t *testing.T) {
	checkStepFLOPs(t, "falcon-7b.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "28_350_139_596_800", "1_220_366_303_232"},
		{"decode after 2048", 1, 2048, "13_842_841_600", "1_191_763_968"},
	})
}

// TestFalconKVCache checks the KV cache as transformers stores it after a prefill of 2048
// tokens (bf16, 2 bytes). multi_query caches one key and one value head; the new decoder
// architecture broadcasts its num_kv_heads groups to all H heads before the cache, so it caches
// H heads, not num_kv_heads.
//
//	falcon-7b   32 layers · 2048 tokens · 1 head · (64 + 64) · 2 bytes   =    16,777,216
//	falcon-40b  60 layers · 2048 tokens · 128 heads · (64 + 64) · 2 bytes = 4,026,531,840
//	            (8 groups would be 251,658,240: transformers keeps 16× that)
func TestFalconKVCache(t *testing.T) {
	res := computeStep(t, "falcon-7b.json", shipped(t, "falcon-7b.json"), prefill2048)
	wantFigure(t, "falcon-7b KV cache bytes", res.Totals.KVCacheBytes, "16777216")
	const path = "testdata/configs/tiiuae__falcon-40b-instruct.json"
	res = computeStep(t, path, buildConfig(t, path, nil), prefill2048)
	wantFigure(t, "falcon-40b KV cache bytes", res.Totals.KVCacheBytes, "4026531840")
}

// TestFalconRejects checks that variants the template does not describe, or that transformers
// cannot build, are refused, and that null keys mean what FalconConfig makes of None:
// num_kv_heads, ffn_hidden_size and num_ln_in_parallel_attn their defaults (the config class
// computes them when None), while a null activation reaches the model as None (no activation
// function by that name) and is refused.
func TestFalconRejects(t *testing.T) {
	for _, c := range []struct {
		set  map[string]any
		want string // "" when populate succeeds
	}{
		{map[string]any{"alibi": true}, "alibi is not modelled"},
		{map[string]any{"activation": "relu"}, "activation"},
		{map[string]any{"new_decoder_architecture": true, "num_kv_heads": 8, "parallel_attn": false}, "parallel_attn false"},
		{map[string]any{"num_ln_in_parallel_attn": 2}, "num_ln_in_parallel_attn 2"},
		{map[string]any{"multi_query": false, "num_kv_heads": 1}, "num_kv_heads must equal"},
		{map[string]any{"new_decoder_architecture": true, "num_kv_heads": 3}, "num_kv_heads must divide"},
		{map[string]any{"num_kv_heads": nil, "ffn_hidden_size": nil, "num_ln_in_parallel_attn": nil}, ""},
		{map[string]any{"activation": nil}, "activation is null: transformers passes None on to the model"},
	} {
		_, err := configVariant(t, "models/falcon-7b.config.json", c.set)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: populate error %v, want one containing %q", c.set, err, c.want)
		}
	}
}
