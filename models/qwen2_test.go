package models_test

import "testing"

func TestQwen2Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/qwen2-7b.config.json", "7_615_616_512"},
		{"testdata/configs/Qwen__Qwen2-0.5B.json", "494_032_768"},   // tied, 14/2 heads, d 64
		{"testdata/configs/Qwen__Qwen2.5-7B.json", "7_615_616_512"}, // Qwen2-7B's shapes
		{"testdata/configs/Qwen__Qwen2.5-3B.json", "3_085_938_688"}, // tied, 16/2 heads
	})
}

// Qwen2-7B: h 3584, 28 query heads, 4 KV heads, d 128, I 18944, 28 layers, V 152064, untied,
// biases on q, k and v only; use_sliding_window false.
//
// Linear weights per token (multiply-adds):
//
//	per layer  q 3584·3584 = 12,845,056   k, v 3584·512 = 1,835,008 each   o 12,845,056
//	           gate, up, down 3584·18944 = 67,895,296 each
//	           → 25,690,112 + 3,670,016 + 203,685,888 = 233,046,016
//	×28 = 6,525,288,448; lm_head 3584·152064 = 544,997,376 → 7,070,285,824
//	bias adds per token: (3584 + 512 + 512)·28 = 129,024
//	→ 2·7,070,285,824 + 129,024 = 14,140,700,672 FLOPs per token
//
// Attention core: 512 FLOPs per pair and head, ×28 heads ×28 layers = 401,408 per pair.
func TestQwen2FLOPs(t *testing.T) {
	src := shipped(t, "qwen2-7b.json")

	// Prefill of 2048: 2048·14,140,700,672 = 28,960,154,976,256; pairs 2,098,176:
	// 401,408·2,098,176 = 842,224,631,808.
	res := computeStep(t, "qwen2 prefill", src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(res, "matmul"), "28_960_154_976_256")
	wantFigure(t, "prefill attention", categoryFLOPs(res, "attention"), "842_224_631_808")

	// Decode after 2048: 14,140,700,672; 2049 pairs: 401,408·2049 = 822,484,992.
	res = computeStep(t, "qwen2 decode", src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(res, "matmul"), "14_140_700_672")
	wantFigure(t, "decode attention", categoryFLOPs(res, "attention"), "822_484_992")
}

// With use_sliding_window, the layers from max_window_layers on slide: Qwen2-7B with a 4096
// window from layer 20 has 20 full layers and 8 sliding ones.
func TestQwen2SlidingLayers(t *testing.T) {
	const cfg = "models/qwen2-7b.config.json"
	src := buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 20})
	res := computeStep(t, "qwen2 sliding", src, step{1, 8192, 0})
	if c := row(t, res, "model.decoder_layer.self_attn.attention").Count.Int64(); c != 20 {
		t.Errorf("full-attention layers = %d, want 20", c)
	}
	if c := row(t, res, "model.sliding_decoder_layer.self_attn.attention").Count.Int64(); c != 8 {
		t.Errorf("sliding layers = %d, want 8", c)
	}
	// Prefill of 8192: a full layer attends 8192·8193/2 = 33,558,528 pairs, a sliding one
	// 4096·4097/2 + 4096·4096 = 25,167,872. 512·28 = 14,336 FLOPs per pair and layer:
	// 14,336·(20·33,558,528 + 8·25,167,872) = 14,336·872,513,536 = 12,508,354,052,096.
	wantFigure(t, "sliding prefill attention", categoryFLOPs(res, "attention"), "12_508_354_052_096")
	wantFigure(t, "params unchanged", res.Totals.Params, "7_615_616_512")

	// use_sliding_window false (the shipped config): no sliding layer whatever the window.
	if hasLayer(computeStep(t, "qwen2", shipped(t, "qwen2-7b.json"), prefill2048), "model.sliding_decoder_layer.self_attn.attention") {
		t.Error("Qwen2-7B has sliding layers")
	}
	// A null window turns sliding off even with use_sliding_window.
	src = buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": nil, "max_window_layers": 20})
	if hasLayer(computeStep(t, "qwen2 null window", src, prefill2048), "model.sliding_decoder_layer.self_attn.attention") {
		t.Error("a null sliding_window still slides")
	}
	// max_window_layers 0: every layer slides.
	src = buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 0})
	res = computeStep(t, "qwen2 all sliding", src, prefill2048)
	if hasLayer(res, "model.decoder_layer.self_attn.attention") || row(t, res, "model.sliding_decoder_layer.self_attn.attention").Count.Int64() != 28 {
		t.Error("max_window_layers 0 should make all 28 layers slide")
	}
}
