package models_test

import (
	"strings"
	"testing"
)

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

// With use_sliding_window, the layers from max_window_layers on slide (Qwen2Config builds
// layer_types so when the config has none): Qwen2-7B with a 4096 window from layer 20 has 20
// full layers and 8 sliding ones, written as two runs of the decoder layer.
func TestQwen2SlidingLayers(t *testing.T) {
	const cfg = "models/qwen2-7b.config.json"
	src := buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 20})
	res := computeStep(t, "qwen2 sliding", src, step{1, 8192, 0})
	if c := row(t, res, "model.decoder_layer_0_19.self_attn.attention").Count.Int64(); c != 20 {
		t.Errorf("full-attention layers = %d, want 20", c)
	}
	if c := row(t, res, "model.decoder_layer_20_27.self_attn.attention").Count.Int64(); c != 8 {
		t.Errorf("sliding layers = %d, want 8", c)
	}
	// Prefill of 8192: a full layer attends 8192·8193/2 = 33,558,528 pairs, a sliding one
	// 4096·4097/2 + 4096·4096 = 25,167,872. 512·28 = 14,336 FLOPs per pair and layer:
	// 14,336·(20·33,558,528 + 8·25,167,872) = 14,336·872,513,536 = 12,508,354,052,096.
	wantFigure(t, "sliding prefill attention", categoryFLOPs(res, "attention"), "12_508_354_052_096")
	wantFigure(t, "params unchanged", res.Totals.Params, "7_615_616_512")
	// Both runs are model.layers: 0–19 and 20–27.
	if !strings.Contains(string(src), `"name": "decoder_layer_20_27",
          "aliases": [
            "layers"
          ],`) {
		t.Error("the sliding run lost its alias")
	}

	// use_sliding_window false (the shipped config): one decoder layer, no window.
	res = computeStep(t, "qwen2", shipped(t, "qwen2-7b.json"), prefill2048)
	if hasLayer(res, "model.decoder_layer_0_19.self_attn.attention") || row(t, res, "model.decoder_layer.self_attn.attention").Count.Int64() != 28 {
		t.Error("Qwen2-7B should have one run of 28 full-attention layers")
	}
	// A null window turns sliding off even with use_sliding_window.
	src = buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": nil, "max_window_layers": 20})
	if row(t, computeStep(t, "qwen2 null window", src, prefill2048), "model.decoder_layer.self_attn.attention").Count.Int64() != 28 {
		t.Error("a null sliding_window still slides")
	}
	// max_window_layers 0: every layer slides; one run keeps the name decoder_layer. Decode
	// after 8192: each of the 28 layers attends the 4096 newest keys: 14,336·28·4096 =
	// 1,644,167,168.
	src = buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 0})
	res = computeStep(t, "qwen2 all sliding", src, step{1, 1, 8192})
	if row(t, res, "model.decoder_layer.self_attn.attention").Count.Int64() != 28 {
		t.Error("max_window_layers 0 should make all 28 layers slide, in one run")
	}
	wantFigure(t, "all-sliding decode attention", categoryFLOPs(res, "attention"), "1_644_167_168")
}

// layer_types, when the config gives it, decides each layer (transformers ≥ 4.53 writes it into
// saved configs); its sliding layers get the window only with use_sliding_window.
func TestQwen2LayerTypes(t *testing.T) {
	const cfg = "models/qwen2-7b.config.json"
	types := make([]string, 28)
	for i := range types {
		types[i] = "full_attention"
		if i%4 == 3 {
			types[i] = "sliding_attention" // layers 3, 7, …, 27
		}
	}
	src := buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 1024, "layer_types": types})
	// Runs: 0–2 full, 3 sliding, 4–6 full, … , 27 sliding: 14 runs.
	res := computeStep(t, "qwen2 layer_types", src, step{1, 1, 8192})
	if c := row(t, res, "model.decoder_layer_24_26.self_attn.attention").Count.Int64(); c != 3 {
		t.Errorf("layers 24–26: count %d, want 3", c)
	}
	if c := row(t, res, "model.decoder_layer_27_27.self_attn.attention").Count.Int64(); c != 1 {
		t.Errorf("layer 27: count %d, want 1", c)
	}
	// Decode after 8192: 21 full layers attend 8193 keys, 7 sliding ones 1024; 512·28 heads =
	// 14,336 FLOPs per pair and layer: 14,336·(21·8193 + 7·1024) = 14,336·179,221 =
	// 2,569,312,256.
	wantFigure(t, "layer_types decode attention", categoryFLOPs(res, "attention"), "2_569_312_256")

	// Without use_sliding_window, Qwen2Config drops the window: every layer attends fully.
	src = buildConfig(t, cfg, map[string]any{"use_sliding_window": false, "sliding_window": 1024, "layer_types": types})
	if row(t, computeStep(t, "qwen2 types, no window", src, prefill2048), "model.decoder_layer.self_attn.attention").Count.Int64() != 28 {
		t.Error("sliding layer types without use_sliding_window should attend fully, in one run")
	}

	// A list of the wrong length, or with a kind Qwen2 does not have, is the config's fault.
	for set, want := range map[string]map[string]any{
		"layer_types has 27 items, but the qwen2 template needs {num_hidden_layers} = 28 of them": {"layer_types": types[:27]},
		`layer_types item 0 is "chunked_attention", which this template does not support`:         {"layer_types": append([]string{"chunked_attention"}, types[1:]...)},
	} {
		_, err := configVariant(t, cfg, want)
		if err == nil || !strings.Contains(err.Error(), set) {
			t.Errorf("error %v, want %q", err, set)
		}
	}
}
