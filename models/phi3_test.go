package models_test

import "testing"

func TestPhi3Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// embed 32064·3072 = 98,500,608 + 32 × (qkv 3072·9216 = 28,311,552 + o 3072·3072 =
		// 9,437,184 + gate_up 3072·16384 = 50,331,648 + down 8192·3072 = 25,165,824 + norms 6,144)
		// + norm 3,072 + lm_head 98,500,608 (untied)
		{"models/phi-3-mini-4k-instruct.config.json", "3_821_079_552"},
		// same shapes as Phi-3-mini (longrope, window 262144 changes no parameter)
		{"testdata/configs/microsoft__Phi-3.5-mini-instruct.json", "3_821_079_552"},
		// GQA 24/8, head_dim 128, tied: embed 200064·3072 = 614,596,608 (once) + 32 × (qkv
		// 3072·(3072 + 2·1024) = 15,728,640 + o 9,437,184 + MLP 75,497,472 + norms 6,144) + 3,072
		{"testdata/configs/microsoft__Phi-4-mini-instruct.json", "3_836_021_760"},
	})
}

// TestPhi3MiniFLOPs checks Phi-3-mini-4k-instruct's matmul and attention FLOPs against hand
// arithmetic. h 3072, H = Hkv = 32, head_dim 96, I 8192, L 32, V 32064, sliding window W 2047 on
// every layer: a query at position p attends min(p+1, 2047) keys, so the window already bites at
// 2048 tokens.
func TestPhi3MiniFLOPs(t *testing.T) {
	const file = "phi-3-mini-4k-instruct.json"
	src := shipped(t, file)
	// Linear weights per layer: qkv 28,311,552 + o 9,437,184 + gate_up 50,331,648 + down
	// 25,165,824 = 113,246,208; lm_head 3072·32064 = 98,500,608.
	// Attention per attended pair and layer: 32 heads · (2·96 QKᵀ + 2·96 AV) = 12,288 FLOPs.

	// Prefill, batch 1, 2048 tokens (logits on all positions).
	// matmul: 2·2048·113,246,208·32 + 2·2048·98,500,608
	//       = 14,843,406,974,976 + 403,458,490,368 = 15,246,865,465,344
	// pairs per head: Σ_{p=0}^{2047} min(p+1, 2047) = 2047·2048/2 + 2047 = 2,098,175
	//   (one fewer than the full triangle 2,098,176: only the last query loses a key)
	// attention: 12,288 · 2,098,175 · 32 = 825,035,980,800
	pre := computeStep(t, file, src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(pre, "matmul"), "15_246_865_465_344")
	wantFigure(t, "prefill attention", categoryFLOPs(pre, "attention"), "825_035_980_800")

	// Decode: one token after 2048 cached. The query at position 2048 attends 2047 keys, not 2049.
	// matmul: 2·113,246,208·32 + 2·98,500,608 = 7,247,757,312 + 197,001,216 = 7,444,758,528
	// attention: 12,288 · 2047 · 32 = 804,913,152
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(dec, "matmul"), "7_444_758_528")
	wantFigure(t, "decode attention", categoryFLOPs(dec, "attention"), "804_913_152")

	// Prefill of 4096 tokens, where the window halves the triangle's tail:
	// pairs Σ_{p=0}^{4095} min(p+1, 2047) = 2047·2048/2 + 2047·(4096 − 2047) = 2,096,128 +
	// 4,194,303 = 6,290,431 (full causal would be 4096·4097/2 = 8,390,656);
	// attention: 12,288 · 6,290,431 · 32 = 2,473,498,116,096
	long := computeStep(t, file, src, step{1, 4096, 0})
	wantFigure(t, "prefill 4096 attention", categoryFLOPs(long, "attention"), "2_473_498_116_096")
}
