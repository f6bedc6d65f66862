package models_test

import (
	"strings"
	"testing"
)

func TestGPT2Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/gpt2.config.json", "124_439_808"},                             // tied lm_head, n_inner absent → 4·768
		{"testdata/configs/openai-community__gpt2-medium.json", "354_823_168"}, // 24 blocks of 1024
	})
}

// TestGPT2FLOPs checks the matmul (Conv1D and lm_head) and attention-core FLOPs of gpt2 against
// arithmetic done by hand. GPT-2's learned position table has n_positions = 1024 rows, so a
// step cannot reach position 1024: the prefill is the full context of 1024 tokens and the decode
// step is the last position, after 1023 cached tokens (2048 tokens would index past wpe).
//
// gpt2: h = 768, H = 12 heads of d = 64, L = 12 blocks, inner = 4·768 = 3072, V = 50257.
// A Conv1D of nx → nf over N rows is 2·N·nx·nf + N·nf FLOPs (it always has a bias); the tied
// lm_head is a Linear without bias, 2·N·h·V, still computed.
// The attention core is 2·d (QKᵀ) + 2·d (AV) per attended (query, key) pair and head.
//
// Prefill, N = 1024 rows, P = 0:
//
//	c_attn   2·1024·768·2304 + 1024·2304 = 3,623,878,656 + 2,359,296 = 3,626,237,952
//	c_proj   2·1024·768·768  + 1024·768  = 1,207,959,552 +   786,432 = 1,208,745,984
//	c_fc     2·1024·768·3072 + 1024·3072 = 4,831,838,208 + 3,145,728 = 4,834,983,936
//	c_proj   2·1024·3072·768 + 1024·768  = 4,831,838,208 +   786,432 = 4,832,624,640
//	per block 14,502,592,512; × 12 = 174,031,110,144
//	lm_head  2·1024·768·50257 = 79,047,426,048
//	matmul   174,031,110,144 + 79,047,426,048 = 253,078,536,192
//	pairs    1024·1025/2 = 524,800 (causal triangle)
//	attention 4·12·524,800·64 = 1,612,185,600 per block; × 12 = 19,346,227,200
//
// Decode, N = 1 row, P = 1023:
//
//	c_attn 2·768·2304 + 2304 = 3,541,248; c_proj 2·768·768 + 768 = 1,180,416;
//	c_fc 2·768·3072 + 3072 = 4,721,664; c_proj 2·3072·768 + 768 = 4,719,360
//	per block 14,162,688; × 12 = 169,952,256
//	lm_head  2·768·50257 = 77,194,752
//	matmul   169,952,256 + 77,194,752 = 247,147,008
//	pairs    1023 + 1 = 1024 keys for the one new query
//	attention 4·12·1024·64 = 3,145,728 per block; × 12 = 37,748,736
func TestGPT2FLOPs(t *testing.T) {
	checkStepFLOPs(t, "gpt2.json", []stepFLOPs{
		{"prefill 1024", 1024, 0, "253_078_536_192", "19_346_227_200"},
		{"decode after 1023", 1, 1023, "247_147_008", "37_748_736"},
	})
}

// TestGPT2Rejects checks that variants the template does not describe are refused.
func TestGPT2Rejects(t *testing.T) {
	const cfg = "models/gpt2.config.json"
	for key, value := range map[string]any{
		"activation_function": "swiglu", // no ACT2FN name the catalog knows (others: activation_test.go)
		"add_cross_attention": true,     // crossattention and ln_cross_attn are not in the template
	} {
		if _, err := configVariant(t, cfg, map[string]any{key: value}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s = %v: populate error %v, want one naming %s", key, value, err, key)
		}
	}
	// GPT2MLP takes 4 · n_embd when n_inner is None; ACT2FN has no activation None.
	if _, err := configVariant(t, cfg, map[string]any{"n_inner": nil}); err != nil {
		t.Errorf("null n_inner takes the default, got %s", err)
	}
	if _, err := configVariant(t, cfg, map[string]any{"activation_function": nil}); err == nil || !strings.Contains(err.Error(), "activation_function is null") {
		t.Errorf("null activation_function: populate error %v, want a refusal at the null", err)
	}
}
