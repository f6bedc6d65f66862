package models_test

import (
	"strings"
	"testing"
)

func TestOPTCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/opt-125m.config.json", "125_239_296"},              // pre-LN, final LayerNorm, tied, 2050 position rows
		{"testdata/configs/facebook__opt-350m.json", "331_196_416"}, // post-LN, no final LayerNorm, project_in/out 512 ↔ 1024
	})
}

// TestOPTFLOPs checks the matmul (Linear) and attention-core FLOPs of opt-125m against arithmetic
// done by hand. The position table has max_position_embeddings + 2 = 2050 rows for positions
// 0…2047 (offset 2), so the prefill is 2048 tokens and the decode step is the last position,
// after 2047 cached tokens (position 2048 would index past the table).
//
// opt-125m: h = 768, H = 12 heads of d = 64, L = 12 layers, ffn_dim F = 3072, V = 50272, every
// projection biased (enable_bias): a Linear is 2·N·in·out + N·out FLOPs; the tied lm_head has
// no bias, 2·N·h·V, and runs on every position (logits_len = seq_len, OPT's forward in
// transformers 4.56 has no logits_to_keep). word_embed_proj_dim = h, so no project_in/out.
// The attention core is 2·d (QKᵀ) + 2·d (AV) per attended (query, key) pair and head; the q
// scaling before it is an elementwise torch.mul, not in either total.
//
// Prefill, N = 2048 rows, P = 0:
//
//	q/k/v/out_proj  2·2048·768·768 + 2048·768 = 2,415,919,104 + 1,572,864 = 2,417,491,968 each
//	fc1             2·2048·768·3072 + 2048·3072 = 9,663,676,416 + 6,291,456 = 9,669,967,872
//	fc2             2·2048·3072·768 + 2048·768  = 9,663,676,416 + 1,572,864 = 9,665,249,280
//	per layer 4·2,417,491,968 + 9,669,967,872 + 9,665,249,280 = 29,005,185,024; × 12 = 348,062,220,288
//	lm_head   2·2048·768·50272 = 158,142,038,016
//	matmul    348,062,220,288 + 158,142,038,016 = 506,204,258,304
//	pairs     2048·2049/2 = 2,098,176
//	attention 4·12·2,098,176·64 = 6,445,596,672 per layer; × 12 = 77,347,160,064
//
// Decode, N = 1 row, P = 2047:
//
//	q/k/v/out_proj 2·768·768 + 768 = 1,180,416 each; fc1 2·768·3072 + 3072 = 4,721,664;
//	fc2 2·3072·768 + 768 = 4,719,360
//	per layer 4·1,180,416 + 4,721,664 + 4,719,360 = 14,162,688; × 12 = 169,952,256
//	lm_head   2·768·50272 = 77,217,792
//	matmul    169,952,256 + 77,217,792 = 247,170,048
//	pairs     2047 + 1 = 2048 keys for the one new query
//	attention 4·12·2048·64 = 6,291,456 per layer; × 12 = 75,497,472
func TestOPTFLOPs(t *testing.T) {
	checkStepFLOPs(t, "opt-125m.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "506_204_258_304", "77_347_160_064"},
		{"decode after 2047", 1, 2047, "247_170_048", "75_497_472"},
	})
}

// TestOPTRejects checks that an activation the catalog does not know is refused (the others
// choose their class: activation_test.go).
func TestOPTRejects(t *testing.T) {
	if _, err := configVariant(t, "models/opt-125m.config.json", map[string]any{"activation_function": "swiglu"}); err == nil || !strings.Contains(err.Error(), "activation_function") {
		t.Errorf("activation_function swiglu: populate error %v, want one naming activation_function", err)
	}
}
