package models_test

import (
	"fmt"
	"testing"
)

func TestGemmaCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// embed 256000·3072 = 786,432,000 (tied, once) + 28 × (attn 4·3072·4096 = 50,331,648
		// + MLP 3·3072·24576 = 226,492,416 + norms 2·3072) + norm 3,072
		{"models/gemma-7b.config.json", "8_537_680_896"},
		// MQA: embed 256000·2048 = 524,288,000 (tied) + 18 × (attn 2048·2048 + 2·2048·256 +
		// 2048·2048 = 9,437,184 + MLP 3·2048·16384 = 100,663,296 + norms 4,096) + 2,048
		{"testdata/configs/google__gemma-2b.json", "2_506_172_416"},
	})
}

// TestGemma7bFLOPs checks the matmul and attention FLOPs of gemma-7b against hand arithmetic.
// h 3072, H = Hkv = 16, head_dim 256 (q/k/v: 3072→4096, o: 4096→3072), I 24576, L 28, V 256000.
func TestGemma7bFLOPs(t *testing.T) {
	const file = "gemma-7b.json"
	src := shipped(t, file)

	// Prefill, batch 1, 2048 tokens; lm_head on all 2048 positions (logits_len = seq_len).
	// Linear per layer: 2·2048·(4·3072·4096 + 3·3072·24576)
	//   = 2·2048·(50,331,648 + 226,492,416) = 2·2048·276,824,064 = 1,133,871,366,144
	// × 28 layers = 31,748,398,252,032; lm_head 2·2048·3072·256000 = 3,221,225,472,000
	// matmul total 34,969,623,724,032.
	// Attention: causal pairs 2048·2049/2 = 2,098,176 per head; QKᵀ + AV = 2·A·256 + 2·A·256
	// per head: 16 heads · 1024 · 2,098,176 = 34,376,515,584 per layer; × 28 = 962,542,436,352.
	pre := computeStep(t, file, src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(pre, "matmul"), "34_969_623_724_032")
	wantFigure(t, "prefill attention", categoryFLOPs(pre, "attention"), "962_542_436_352")
	wantFigure(t, "prefill GELU", pre.Totals.ByClass["transformers.activations.GELUActivation"].FLOPs,
		fmt.Sprint(5*2048*24576*28)) // exact GELU: 5 FLOPs per element over 2048·24576 per layer

	// Decode: one token after 2048 cached (kv_len 2049).
	// Linear: 2·(50,331,648 + 226,492,416) = 553,648,128 per layer; × 28 = 15,502,147,584;
	// lm_head 2·3072·256000 = 1,572,864,000; total 17,075,011,584.
	// Attention: 2049 pairs per head; 16 · 1024 · 2049 = 33,570,816 per layer; × 28 = 939,982,848.
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(dec, "matmul"), "17_075_011_584")
	wantFigure(t, "decode attention", categoryFLOPs(dec, "attention"), "939_982_848")
}
