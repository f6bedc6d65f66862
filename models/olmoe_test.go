package models_test

import (
	"strings"
	"testing"
)

// OLMoE-1B-7B-0924 (transformers 4.56.2 modeling_olmoe.py): h 2048, 16 heads, 16 KV heads,
// head_dim 2048/16 = 128, 16 layers, V 50304, untied, every layer a sparse MoE block of 64
// experts of I 1024, 8 per token, norm_topk_prob false, clip_qkv null.
//
// Parameters, from OlmoeAttention/OlmoeSparseMoeBlock.__init__:
//
//	attention  q, k, v, o 2048·2048 each = 4·4,194,304 = 16,777,216 (attention_bias false)
//	           q_norm OlmoeRMSNorm(hidden_size) 2048, k_norm OlmoeRMSNorm(head_dim·Hkv) 2048
//	           → 16,781,312
//	MoE        gate 2048·64 = 131,072; experts 64·3·2048·1024 = 402,653,184 → 402,784,256
//	norms      input_layernorm, post_attention_layernorm 2·2048 = 4,096
//	per layer  419,569,664; ×16 = 6,713,114,624
//	embed 50304·2048 = 103,022,592, lm_head the same, final norm 2,048
//	total      6,713,114,624 + 2·103,022,592 + 2,048 = 6,919,161,856
//
// Published: a public measurement of the loaded model's parameter bytes in bf16 is
// 13,838,323,712 = 2·6,919,161,856 (the model card: 6.9B). OLMoE has one size (the 0125
// release keeps its shape), so the variants below edit the shipped config.
func TestOlmoeCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/olmoe-1b-7b-0924.config.json", "6_919_161_856"},
	})
}

// TestOlmoeVariants edits the shipped config along the branches the release does not take.
func TestOlmoeVariants(t *testing.T) {
	const cfg = "models/olmoe-1b-7b-0924.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		params string
	}{
		// Grouped-query attention with 4 KV heads: k_proj and v_proj shrink from 2048 to
		// 4·128 = 512 outputs (2·2048·1536 = 6,291,456 fewer) and k_norm, over the whole k
		// projection, from 2048 to 512 (1,536 fewer): 16·6,292,992 = 100,687,872 fewer.
		{"gqa", map[string]any{"num_key_value_heads": 4}, "6_818_473_984"},
		// A tied lm_head counts the embedding once: 103,022,592 fewer.
		{"tied", map[string]any{"tie_word_embeddings": true}, "6_816_139_264"},
		// Biases on q, k, v and o: 4·2048 per layer, 16·8,192 = 131,072 more.
		{"attention bias", map[string]any{"attention_bias": true}, "6_919_292_928"},
		// clip_qkv and norm_topk_prob add operations, no parameters.
		{"clip and renormalise", map[string]any{"clip_qkv": 8.0, "norm_topk_prob": true}, "6_919_161_856"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.name, buildConfig(t, cfg, c.set)), c.params)
		})
	}

	// Absent num_key_value_heads means multi-head attention (OlmoeConfig), as the release.
	wantFigure(t, "no num_key_value_heads", params(t, "no kv heads", buildConfig(t, cfg, nil, "num_key_value_heads")), "6_919_161_856")

	// OlmoeAttention raises when the heads do not divide hidden_size; so does the template.
	_, err := configVariant(t, cfg, map[string]any{"num_attention_heads": 15})
	if err == nil || !strings.Contains(err.Error(), "must divide hidden_size") {
		t.Errorf("15 heads of a 2048-wide stream: err = %v, want a requires message", err)
	}
}

// TestOlmoeFLOPs checks the shipped file's matmul and attention FLOPs against the module tree.
//
// Linear weights a token passes through (multiply-adds), N tokens in the step:
//
//	per layer  q, k, v, o 4·2048·2048 = 16,777,216; router gate 2048·64 = 131,072
//	           → 16,908,288; ×16 = 270,532,608
//	experts    each of the 64 gets N·8/64 tokens; an expert is 3·2048·1024 = 6,291,456 per
//	           token: 64·(N/8)·6,291,456 = N·50,331,648 per layer; ×16 = N·805,306,368
//	lm_head    2048·50304 = 103,022,592
//	→ 270,532,608 + 805,306,368 + 103,022,592 = 1,178,861,568 per token
//
// Attention core: 2·128 (QKᵀ) + 2·128 (AV) = 512 FLOPs per causal pair and head, ×16 heads
// ×16 layers = 131,072 per pair.
func TestOlmoeFLOPs(t *testing.T) {
	checkStepFLOPs(t, "olmoe-1b-7b-0924.json", []stepFLOPs{
		// 2·2048·1,178,861,568; pairs 2048·2049/2 = 2,098,176 → 131,072·2,098,176.
		{"prefill 2048", 2048, 0, "4_828_616_982_528", "275_012_124_672"},
		// 2·1,178,861,568; 2049 pairs → 131,072·2049.
		{"decode after 2048", 1, 2048, "2_357_723_136", "268_566_528"},
	})

	src := shipped(t, "olmoe-1b-7b-0924.json")
	res := computeStep(t, "olmoe prefill", src, prefill2048)
	// q_norm and k_norm normalise whole projections: 2048 rows of 2048, 4 FLOPs an element:
	// 4·2048·2048 = 16,777,216 each.
	for _, n := range []string{"q_norm", "k_norm"} {
		wantFigure(t, n+" FLOPs", row(t, res, "model.decoder_layer.self_attn."+n).Figures.FLOPs.Rat(), "16_777_216")
	}
	// One expert's gate_proj sees 2048·8/64 = 256 tokens: 2·256·2048·1024 = 1,073,741,824,
	// in 16·64 = 1024 instances.
	r := row(t, res, "model.decoder_layer.mlp.experts.gate_proj")
	wantFigure(t, "gate_proj FLOPs per expert", r.Figures.FLOPs.Rat(), "1_073_741_824")
	if r.Count.Int64() != 1024 {
		t.Errorf("gate_proj count = %s, want 1024", r.Count)
	}
	if hasLayer(res, "model.decoder_layer.self_attn.clip_q") || hasLayer(res, "model.decoder_layer.mlp.router_renorm_div") {
		t.Error("clip_qkv null and norm_topk_prob false, but a clamp or a renormalisation is there")
	}

	// clip_qkv clamps q (2048·2048), k and v (2048·2048 each) to [−c, c]: 2 FLOPs an element,
	// 2·2048·(2048 + 2·2048) = 25,165,824 in all.
	res = computeStep(t, "olmoe clip", buildConfig(t, "models/olmoe-1b-7b-0924.config.json", map[string]any{"clip_qkv": 8.0}), prefill2048)
	var clamps int64
	for _, n := range []string{"clip_q", "clip_k", "clip_v"} {
		clamps += row(t, res, "model.decoder_layer.self_attn."+n).Figures.FLOPs.Rat().Num().Int64()
	}
	if clamps != 25_165_824 {
		t.Errorf("clamp FLOPs = %d, want 25,165,824", clamps)
	}
}
