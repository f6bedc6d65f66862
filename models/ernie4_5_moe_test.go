package models_test

import (
	"strings"
	"testing"
)

// ERNIE 4.5 MoE (transformers 4.56.2 modeling_ernie4_5_moe.py). Layer i is MoE iff
// (i + 1) % moe_layer_interval == 0 and moe_layer_start_index <= i <= moe_layer_end_index
// (-1: the last layer). Parameters:
//
//	attention  q hidden·(H·d), k and v hidden·(Hkv·d), o (H·d)·hidden (+ biases with use_bias)
//	dense MLP  3·hidden·intermediate_size
//	MoE        moe_statics.e_score_correction_bias E (an nn.Parameter, so it counts);
//	           gate hidden·E; E experts 3·hidden·moe_I; shared_experts 3·hidden·(moe_I·S) if S > 0
//	norms      2·hidden per layer; embed V·hidden; lm_head tied in both releases; final norm hidden
func TestErnie45MoeCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// ERNIE-4.5-21B-A3B-PT (the shipped config: the fields of a public copy of its
		// config.json that shape the model): hidden 2560, 20 heads of 128, 4 KV heads, 28 layers,
		// layer 0 dense (I 12288), layers 1–27 MoE: 64 experts of 1536, k 6, 2 shared experts,
		// V 103424, tied.
		//   attention 2·2560·2560 + 2·2560·512 = 15,728,640; norms 5,120; ×28 = 440,545,280
		//   dense layer 0: 3·2560·12288 = 94,371,840
		//   MoE 64 + 2560·64 = 163,840 + 64·3·2560·1536 = 754,974,720 + shared 3·2560·3072 =
		//     23,592,960 → 778,731,584; ×27 = 21,025,752,768
		//   embed 103424·2560 = 264,765,440; final norm 2,560
		//   total 21,825,437,888 (the model card: 21B total)
		{"models/ernie-4.5-21b-a3b-pt.config.json", "21_825_437_888"},
		// ERNIE-4.5-300B-A47B (testdata: the config as copied in a test of Huawei's MindIE-LLM,
		// model_type renamed from its ernie_moe to ernie4_5_moe): hidden 8192, 64 heads of 128,
		// 8 KV heads, 54 layers, layers 0–2 dense (I 28672), 3–53 MoE: 64 experts of 3584, k 8,
		// no shared expert, V 103424, tied.
		//   attention 2·8192·8192 + 2·8192·1024 = 150,994,944; norms 16,384; ×54 = 8,154,611,712
		//   dense 3·8192·28672 = 704,643,072; ×3 = 2,113,929,216
		//   MoE 64 + 8192·64 = 524,288 + 64·3·8192·3584 = 5,637,144,576 → 5,637,668,928;
		//     ×51 = 287,521,115,328
		//   embed 103424·8192 = 847,249,408; final norm 8,192
		//   total 298,636,913,856 (untied, as a FastDeploy fixture of the same shape has it:
		//   + 847,249,408 = 299,484,163,264; the model card: 300B)
		{"testdata/configs/baidu__ERNIE-4.5-300B-A47B-PT.json", "298_636_913_856"},
	})
}

// TestErnie45MoeLayouts edits the 21B config. Per layer: attention and norms 15,733,760; an MoE
// block 778,731,584 (755,138,624 without the shared experts); a dense MLP 94,371,840.
// Embedding and final norm 264,768,000.
func TestErnie45MoeLayouts(t *testing.T) {
	const cfg = "models/ernie-4.5-21b-a3b-pt.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		params string
		runs   []string
	}{
		// Interval 2: layers 1, 3, …, 27 MoE (14), the other 14 dense:
		// 264,768,000 + 28·15,733,760 + 14·778,731,584 + 14·94,371,840 = 12,928,761,216.
		{"interval 2", map[string]any{"moe_layer_interval": 2}, "12_928_761_216",
			[]string{"decoder_layer_0_0", "decoder_layer_1_1", "decoder_layer_26_26", "decoder_layer_27_27"}},
		// End index 20: layers 1–20 MoE, 0 and 21–27 dense:
		// 264,768,000 + 28·15,733,760 + 20·778,731,584 + 8·94,371,840 = 17,034,919,680.
		{"end 20", map[string]any{"moe_layer_end_index": 20}, "17_034_919_680",
			[]string{"decoder_layer_0_0", "decoder_layer_1_20", "decoder_layer_21_27"}},
		// No shared experts: 27·23,592,960 = 637,009,920 fewer.
		{"no shared experts", map[string]any{"moe_num_shared_experts": 0}, "21_188_427_968",
			[]string{"decoder_layer_0_0", "decoder_layer_1_27"}},
		// Untied: + 264,765,440.
		{"untied", map[string]any{"tie_word_embeddings": false}, "22_090_203_328", nil},
		// Untied with use_bias: q 2560 + k 512 + v 512 + o 2560 per layer (×28 = 172,032);
		// experts 64·(2·1536 + 2560) + shared 2·3072 + 2560 = 369,152 per MoE layer (×27 =
		// 9,967,104); the dense MLP 2·12288 + 2560 = 27,136; lm_head 103,424 → + 10,269,696.
		// The router gate never has a bias.
		{"untied with biases", map[string]any{"tie_word_embeddings": false, "use_bias": true}, "22_100_473_024", nil},
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
			if c.name == "no shared experts" && hasLayer(res, "model.decoder_layer_1_27.mlp.shared_add") {
				t.Error("no shared experts, but a shared_add")
			}
		})
	}
	// A tied lm_head cannot own a bias in this model file; the template says so.
	if _, err := configVariant(t, cfg, map[string]any{"use_bias": true}); err == nil || !strings.Contains(err.Error(), "not modelled") {
		t.Errorf("use_bias with a tied head: err = %v, want a requires message", err)
	}
}

// TestErnie45MoeFLOPs checks the 21B's matmul and attention FLOPs against the module tree.
//
// Linear weights a token passes through (multiply-adds), N tokens in the step:
//
//	attention  2·2560·2560 + 2·2560·512 = 15,728,640 per layer; ×28 = 440,401,920
//	layer 0    dense MLP 3·2560·12288 = 94,371,840
//	MoE        gate 2560·64 = 163,840 + shared experts 3·2560·3072 = 23,592,960 per layer;
//	           each of the 64 experts gets N·6/64 tokens of 3·2560·1536 = 11,796,480:
//	           N·70,778,880 → 94,535,680 per token and layer; ×27 = 2,552,463,360
//	lm_head    2560·103424 = 264,765,440
//	→ 3,352,002,560 per token (the router gate is an fp32 Linear: matmul too)
//
// Attention core: 512 FLOPs per causal pair and head, ×20 heads ×28 layers = 286,720.
func TestErnie45MoeFLOPs(t *testing.T) {
	const file = "ernie-4.5-21b-a3b-pt.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		{"prefill 2048", 2048, 0, "13_729_802_485_760", "601_589_022_720"},
		{"decode after 2048", 1, 2048, "6_704_005_120", "587_489_280"},
	})
	res := computeStep(t, file, shipped(t, file), prefill2048)
	// The correction bias: one add per routing score, 2048·64 per MoE layer, ×27 (routing).
	wantFigure(t, "routing FLOPs", categoryFLOPs(res, "routing"), "3_538_944")
	// Renormalisation: sum 2048·6 → 2048 (10,240 adds), clamp 2048 (one bound), divide 2048·6.
	for path, want := range map[string]string{
		"model.decoder_layer_1_27.mlp.router_renorm_sum":   "10_240",
		"model.decoder_layer_1_27.mlp.router_renorm_clamp": "2_048",
		"model.decoder_layer_1_27.mlp.router_renorm_div":   "12_288",
	} {
		wantFigure(t, path, row(t, res, path).Figures.FLOPs.Rat(), want)
	}
	// The gate and the bias are kept in fp32: 2560·64·4 + 64·4 bytes per MoE layer.
	wantFigure(t, "gate weight bytes", row(t, res, "model.decoder_layer_1_27.mlp.gate").Figures.WeightBytes.Rat(), "655_360")
	wantFigure(t, "moe_statics weight bytes", row(t, res, "model.decoder_layer_1_27.mlp.moe_statics").Figures.WeightBytes.Rat(), "256")
}
