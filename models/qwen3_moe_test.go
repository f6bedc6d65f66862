package models_test

import (
	"strings"
	"testing"
)

func TestQwen3MoeCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/qwen3-30b-a3b.config.json", "30_532_122_624"},
	})
}

// Qwen3-30B-A3B: h 2048, 32 query heads, 4 KV heads, head_dim 128 (set in the config, not
// 2048/32), 48 layers, V 151936, untied, all layers MoE with 128 experts of 768, 8 per token,
// norm_topk_prob true.
//
// Linear weights per token (multiply-adds), N tokens in the step:
//
//	per layer  q 2048·4096 = 8,388,608   k, v 2048·512 = 1,048,576 each   o 4096·2048 = 8,388,608
//	           router 2048·128 = 262,144 → 19,136,512; ×48 = 918,552,576
//	experts    each of the 128 gets N·8/128 tokens; an expert is 3·2048·768 = 4,718,592 per
//	           token, so 128·(N·8/128)·4,718,592 = N·37,748,736 per layer; ×48 = N·1,811,939,328
//	lm_head    2048·151936 = 311,164,928
//	→ 918,552,576 + 1,811,939,328 + 311,164,928 = 3,041,656,832 per token
//
// Attention core: 512 FLOPs per pair and head (d 128), ×32 heads ×48 layers = 786,432 per pair.
func TestQwen3MoeFLOPs(t *testing.T) {
	src := shipped(t, "qwen3-30b-a3b.json")
	const gate = "model.decoder_layer.mlp.experts.gate_proj"

	// Prefill of 2048: 2·2048·3,041,656,832 = 12,458,626,383,872; pairs 2,098,176:
	// 786,432·2,098,176 = 1,650,072,748,032.
	res := computeStep(t, "qwen3-moe prefill", src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(res, "matmul"), "12_458_626_383_872")
	wantFigure(t, "prefill attention", categoryFLOPs(res, "attention"), "1_650_072_748_032")
	// One expert's gate_proj sees 2048·8/128 = 128 tokens: 2·128·2048·768 = 402,653,184
	// FLOPs, in 48·128 = 6144 instances.
	r := row(t, res, gate)
	wantFigure(t, "prefill gate_proj FLOPs per expert", r.Figures.FLOPs.Rat(), "402_653_184")
	if r.Count.Int64() != 6144 {
		t.Errorf("gate_proj count = %s, want 6144", r.Count)
	}

	// Decode after 2048: 2·3,041,656,832 = 6,083,313,664; 2049 pairs: 786,432·2049 =
	// 1,611,399,168.
	res = computeStep(t, "qwen3-moe decode", src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(res, "matmul"), "6_083_313_664")
	wantFigure(t, "decode attention", categoryFLOPs(res, "attention"), "1_611_399_168")
	// One token, 8 of 128 experts: each gets 1/16 token: 2·(1/16)·2048·768 = 196,608 FLOPs.
	wantFigure(t, "decode gate_proj FLOPs per expert", row(t, res, gate).Figures.FLOPs.Rat(), "196_608")

	// q_norm and k_norm normalise each head: 2048·32 and 2048·4 rows of 128, 4 FLOPs an
	// element: 4·2048·32·128 = 33,554,432 and 4·2048·4·128 = 4,194,304.
	res = computeStep(t, "qwen3-moe prefill", src, prefill2048)
	wantFigure(t, "q_norm FLOPs", row(t, res, "model.decoder_layer.self_attn.q_norm").Figures.FLOPs.Rat(), "33_554_432")
	wantFigure(t, "k_norm FLOPs", row(t, res, "model.decoder_layer.self_attn.k_norm").Figures.FLOPs.Rat(), "4_194_304")
}

func TestQwen3MoeConfigKeys(t *testing.T) {
	const cfg = "models/qwen3-30b-a3b.config.json"
	// The renormalisation runs only with norm_topk_prob.
	const div = "model.decoder_layer.mlp.router_renorm_div"
	if !hasLayer(computeStep(t, "qwen3-moe", shipped(t, "qwen3-30b-a3b.json"), prefill2048), div) {
		t.Error("norm_topk_prob true but no renormalisation")
	}
	if hasLayer(computeStep(t, "no norm_topk_prob", buildConfig(t, cfg, map[string]any{"norm_topk_prob": false}), prefill2048), div) {
		t.Error("norm_topk_prob false but a renormalisation")
	}

	// Without head_dim the attention uses 2048 // 32 = 64: q_proj 2048·(32·64) = 4,194,304
	// parameters, q_norm 64.
	res := computeStep(t, "no head_dim", buildConfig(t, cfg, nil, "head_dim"), prefill2048)
	wantFigure(t, "q_proj params", row(t, res, "model.decoder_layer.self_attn.q_proj").Figures.Params.Rat(), "4_194_304")
	wantFigure(t, "q_norm params", row(t, res, "model.decoder_layer.self_attn.q_norm").Figures.Params.Rat(), "64")

	// use_sliding_window makes every layer slide (max_window_layers is not read).
	res = computeStep(t, "sliding", buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 4096}), step{1, 1, 8192})
	// 786,432 FLOPs per pair, 4096 keys: 3,221,225,472.
	wantFigure(t, "sliding decode attention", categoryFLOPs(res, "attention"), "3_221_225_472")

	// Dense layers among the MoE ones are rejected, not silently counted as MoE.
	for _, set := range []map[string]any{
		{"decoder_sparse_step": 2},
		{"mlp_only_layers": []int{0, 1}},
		{"num_experts": 0},
	} {
		_, err := configVariant(t, cfg, set)
		if err == nil || !strings.Contains(err.Error(), "not modelled") {
			t.Errorf("%v: err = %v, want a requires message", set, err)
		}
	}
}
