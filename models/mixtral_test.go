package models_test

import "testing"

func TestMixtralCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/mixtral-8x7b-v0.1.config.json", "46_702_792_704"},
	})
}

// Mixtral-8x7B-v0.1: h 4096, 32 query heads, 8 KV heads, d 128, 32 layers, V 32000, untied,
// 8 experts of I 14336, 2 per token, sliding_window null (full causal attention).
//
// Linear weights per token (multiply-adds), N tokens in the step:
//
//	per layer  attention 4096·4096·2 + 4096·1024·2 = 41,943,040; router 4096·8 = 32,768
//	           → 41,975,808; ×32 = 1,343,225,856
//	experts    each of the 8 gets N·2/8 tokens; an expert is 3·4096·14336 = 176,160,768
//	           per token, so 8·(N·2/8)·176,160,768 = N·352,321,536 per layer; ×32 = N·11,274,289,152
//	lm_head    4096·32000 = 131,072,000
//	→ 1,343,225,856 + 11,274,289,152 + 131,072,000 = 12,748,587,008 per token
//
// Attention core: 512 FLOPs per pair and head, ×32 heads ×32 layers = 524,288 per pair.
func TestMixtralFLOPs(t *testing.T) {
	src := shipped(t, "mixtral-8x7b-v0.1.json")
	const w1 = "model.decoder_layer.block_sparse_moe.experts.w1"

	// Prefill of 2048: 2·2048·12,748,587,008 = 52,218,212,384,768; pairs 2048·2049/2 =
	// 2,098,176, 524,288·2,098,176 = 1,100,048,498,688.
	res := computeStep(t, "mixtral prefill", src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(res, "matmul"), "52_218_212_384_768")
	wantFigure(t, "prefill attention", categoryFLOPs(res, "attention"), "1_100_048_498_688")
	// One expert's w1 sees 2048·2/8 = 512 tokens: 2·512·4096·14336 = 60,129,542,144 FLOPs,
	// in 32·8 = 256 instances.
	r := row(t, res, w1)
	wantFigure(t, "prefill w1 FLOPs per expert", r.Figures.FLOPs.Rat(), "60_129_542_144")
	if r.Count.Int64() != 256 {
		t.Errorf("w1 count = %s, want 256", r.Count)
	}

	// Decode after 2048: 2·12,748,587,008 = 25,497,174,016; 2049 pairs: 524,288·2049 =
	// 1,074,266,112.
	res = computeStep(t, "mixtral decode", src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(res, "matmul"), "25_497_174_016")
	wantFigure(t, "decode attention", categoryFLOPs(res, "attention"), "1_074_266_112")
	// One token, 2 of 8 experts: each expert gets 1·2/8 = 1/4 token: w1 2·(1/4)·4096·14336 =
	// 29,360,128 FLOPs, and reads 1/4 of its weights (58,720,256 bf16 = 117,440,512 bytes) plus
	// 1/4 token of input (4096·2/4 = 2048 bytes): 29,360,128 + 2048 = 29,362,176 bytes.
	r = row(t, res, w1)
	wantFigure(t, "decode w1 FLOPs per expert", r.Figures.FLOPs.Rat(), "29_360_128")
	wantFigure(t, "decode w1 bytes read per expert", r.Figures.BytesRead.Rat(), "29_362_176")
}
