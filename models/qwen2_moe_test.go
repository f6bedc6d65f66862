package models_test

import (
	"strings"
	"testing"
)

// Qwen2-MoE (transformers 4.56.2 modeling_qwen2_moe.py). Parameters of one layer:
//
//	attention  q hidden·(H·d) + H·d, k and v hidden·(Hkv·d) + Hkv·d (qkv_bias), o (H·d)·hidden
//	MoE layer  gate hidden·E; E experts 3·hidden·moe_I; shared_expert 3·hidden·shared_I;
//	           shared_expert_gate hidden·1
//	dense      3·hidden·intermediate_size (layers decoder_sparse_step or mlp_only_layers leave out)
//	norms      2·hidden
//
// plus embed V·hidden, lm_head V·hidden (untied) and the final norm hidden.
func TestQwen2MoeCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// Qwen1.5-MoE-A2.7B-Chat: hidden 2048, 16 heads of 128, 16 KV heads, 24 layers, all MoE:
		// 60 experts of 1408, k 4, shared expert 5632, V 151936, untied.
		//   attention 3·(2048·2048 + 2048) + 2048·2048 = 16,783,360
		//   MoE gate 2048·60 = 122,880 + experts 60·3·2048·1408 = 519,045,120 + shared
		//     3·2048·5632 = 34,603,008 + shared gate 2048 = 553,773,056
		//   norms 4,096 → 570,560,512 per layer; ×24 = 13,693,452,288
		//   embed + lm_head 2·151936·2048 = 622,329,856; final norm 2,048
		//   total 14,315,784,192: the checkpoint's model.safetensors.index.json has total_size
		//   28,631,568,384 = 2·14,315,784,192 (bf16), as a public test asserts
		{"models/qwen1.5-moe-a2.7b-chat.config.json", "14_315_784_192"},
		// Qwen2-57B-A14B (config.json as copied in NVIDIA/TensorRT-LLM
		// tests/unittest/_torch/modeling/test_modeling_qwen_moe.py): hidden 3584, 28 heads of
		// 128, 4 KV heads, 28 layers, all MoE: 64 experts of 2560, k 8, shared 20480, V 151936.
		//   attention 3584·3584 + 3584 + 2·(3584·512 + 512) + 3584·3584 = 29,364,736
		//   MoE gate 3584·64 = 229,376 + experts 64·3·3584·2560 = 1,761,607,680 + shared
		//     3·3584·20480 = 220,200,960 + shared gate 3,584 = 1,982,041,600
		//   norms 7,168 → 2,011,413,504 per layer; ×28 = 56,319,578,112
		//   embed + lm_head 2·151936·3584 = 1,089,077,248; final norm 3,584
		//   total 57,408,658,944 = the Hub's safetensors total for Qwen/Qwen2-57B-A14B (as a
		//   public test fixture of its model info records it)
		{"testdata/configs/Qwen__Qwen2-57B-A14B.json", "57_408_658_944"},
	})
}

// TestQwen2MoeLayouts edits Qwen1.5-MoE's config into the dense/MoE interleavings transformers
// builds: a layer is MoE iff num_experts > 0, it is not in mlp_only_layers and
// (i + 1) % decoder_sparse_step == 0. Per layer: attention and norms 16,787,456; an MoE block
// 553,773,056; a dense Qwen2MoeMLP 3·2048·5632 = 34,603,008. Embeddings and final norm
// 622,331,904.
func TestQwen2MoeLayouts(t *testing.T) {
	const cfg = "models/qwen1.5-moe-a2.7b-chat.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		params string
		runs   []string // the decoder layer runs of the model file
	}{
		// Step 2: layers 1, 3, …, 23 are MoE, the other 12 dense:
		// 622,331,904 + 24·16,787,456 + 12·553,773,056 + 12·34,603,008 = 8,085,743,616.
		{"step 2", map[string]any{"decoder_sparse_step": 2}, "8_085_743_616",
			[]string{"decoder_layer_0_0", "decoder_layer_1_1", "decoder_layer_22_22", "decoder_layer_23_23"}},
		// mlp_only_layers [0, 23]: 22 MoE, 2 dense:
		// 622,331,904 + 24·16,787,456 + 22·553,773,056 + 2·34,603,008 = 13,277,444,096.
		{"mlp_only_layers", map[string]any{"mlp_only_layers": []int{0, 23}}, "13_277_444_096",
			[]string{"decoder_layer_0_0", "decoder_layer_1_22", "decoder_layer_23_23"}},
		// No experts: every layer dense, one run:
		// 622,331,904 + 24·(16,787,456 + 34,603,008) = 1,855,703,040.
		{"no experts", map[string]any{"num_experts": 0}, "1_855_703_040", []string{"decoder_layer"}},
		// A tied lm_head: 151936·2048 = 311,164,928 fewer.
		{"tied", map[string]any{"tie_word_embeddings": true}, "14_004_619_264", []string{"decoder_layer"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := buildConfig(t, cfg, c.set)
			wantFigure(t, "params", params(t, c.name, src), c.params)
			res := computeStep(t, c.name, src, prefill2048)
			for _, r := range c.runs {
				if !hasLayer(res, "model."+r+".input_layernorm") {
					t.Errorf("no decoder layer run %s", r)
				}
			}
		})
	}

	// head_dim × heads must be hidden_size (Qwen2MoeAttention raises).
	if _, err := configVariant(t, cfg, map[string]any{"head_dim": 64}); err == nil || !strings.Contains(err.Error(), "must be hidden_size") {
		t.Errorf("head_dim 64: err = %v, want a requires message", err)
	}
}

// TestQwen2MoeFLOPs checks Qwen1.5-MoE-A2.7B's matmul and attention FLOPs against the module
// tree: hidden 2048, 16 heads of 128, 24 layers, 60 experts of 1408, k 4, shared 5632,
// V 151936.
//
// Linear weights a token passes through (multiply-adds), N tokens in the step:
//
//	per layer  q, k, v, o 4·2048·2048 = 16,777,216; gate 2048·60 = 122,880; shared expert
//	           3·2048·5632 = 34,603,008; shared_expert_gate 2048 → 51,505,152; ×24 = 1,236,123,648
//	experts    each of the 60 gets N·4/60 tokens of 3·2048·1408 = 8,650,752:
//	           60·(N/15)·8,650,752 = N·34,603,008 per layer; ×24 = N·830,472,192
//	lm_head    2048·151936 = 311,164,928
//	→ 2,377,760,768 per token, plus the q, k, v bias adds 3·2048 per layer, ×24 = 147,456
//
// Attention core: 512 FLOPs per causal pair and head, ×16 heads ×24 layers = 196,608.
func TestQwen2MoeFLOPs(t *testing.T) {
	const file = "qwen1.5-moe-a2.7b-chat.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		// 2·2048·2,377,760,768 + 2048·147,456; 196,608·2,098,176.
		{"prefill 2048", 2048, 0, "9_739_610_095_616", "412_518_187_008"},
		// 2·2,377,760,768 + 147,456; 196,608·2049.
		{"decode after 2048", 1, 2048, "4_755_668_992", "402_849_792"},
	})
	res := computeStep(t, file, shipped(t, file), prefill2048)
	// The shared expert's gate: sigmoid over 2048 scores (3 FLOPs each), the product with the
	// shared output (2048·2048) and the add to the routed sum (2048·2048).
	for path, want := range map[string]string{
		"model.decoder_layer.mlp.shared_gate_sigmoid": "6_144",
		"model.decoder_layer.mlp.shared_gate_mul":     "4_194_304",
		"model.decoder_layer.mlp.shared_add":          "4_194_304",
		// Every routed expert's gate_proj: 2048·4/60 = 2048/15 tokens, 2·(2048/15)·2048·1408.
		"model.decoder_layer.mlp.experts.gate_proj": "11_811_160_064/15",
		// The per-attention rotary module of 4.56 is built but never called.
		"model.decoder_layer.self_attn.rotary_emb": "0",
	} {
		wantFigure(t, path, row(t, res, path).Figures.FLOPs.Rat(), want)
	}

	// use_sliding_window: with sdpa every layer slides (the window mask is built once for all
	// layers; only flash-attention-2 reads max_window_layers). Decode after 8192 cached tokens
	// with a 4096 window: 196,608·4096 = 805,306,368.
	res = computeStep(t, "sliding", buildConfig(t, "models/qwen1.5-moe-a2.7b-chat.config.json", map[string]any{"use_sliding_window": true, "sliding_window": 4096}), step{1, 1, 8192})
	wantFigure(t, "sliding decode attention", categoryFLOPs(res, "attention"), "805_306_368")
}
