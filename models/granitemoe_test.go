package models_test

import (
	"strings"
	"testing"
)

// Granite MoE (transformers 4.56.2 modeling_granitemoe.py). Parameters of one layer:
//
//	attention  q, o hidden·hidden; k, v hidden·(Hkv·head_dim), head_dim = hidden/H; no biases
//	MoE        input_linear  GraniteMoeParallelExperts(E, hidden, 2·I): weight [E, 2·I, hidden]
//	           output_linear GraniteMoeParallelExperts(E, I, hidden):   weight [E, hidden, I]
//	           router.layer  Linear hidden → E, no bias
//	norms      2·hidden
//
// plus the embedding V·hidden (lm_head tied in every release) and the final norm hidden.
func TestGraniteMoeCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// granite-3.1-1b-a400m-instruct: hidden 1024, 16 heads (head_dim 64), 8 KV heads,
		// 24 layers, 32 experts of I 512, k 8, V 49155, tied.
		//   attention 2·1024·1024 + 2·1024·512 = 3,145,728
		//   MoE 32·2·512·1024 = 33,554,432 + 32·1024·512 = 16,777,216 + router 1024·32 = 32,768
		//     = 50,364,416
		//   norms 2,048 → 53,512,192 per layer; ×24 = 1,284,292,608
		//   embed 49155·1024 = 50,334,720; final norm 1,024
		//   total 1,334,628,352 (the model card: 1.3B; a public test asserts sum(p.numel() for p
		//   in model.parameters()) == 1334628352 for this checkpoint)
		{"models/granite-3.1-1b-a400m-instruct.config.json", "1_334_628_352"},
		// granite-3.1-3b-a800m-instruct (the fields of a public copy of its config.json that
		// shape the model): hidden 1536, 24 heads (head_dim 64), 8 KV heads, 32 layers,
		// 40 experts of I 512, k 8, V 49155, tied.
		//   attention 2·1536·1536 + 2·1536·512 = 6,291,456
		//   MoE 40·2·512·1536 = 62,914,560 + 40·1536·512 = 31,457,280 + router 1536·40 = 61,440
		//     = 94,433,280
		//   norms 3,072 → 100,727,808 per layer; ×32 = 3,223,289,856
		//   embed 49155·1536 = 75,502,080; final norm 1,536
		//   total 3,298,793,472 (the model card: 3.3B; granite-guardian-3.2-3b-a800m, a
		//   fine-tune of the same shape, is listed publicly with 3,298,793,472 parameters)
		{"testdata/configs/ibm-granite__granite-3.1-3b-a800m-instruct.json", "3_298_793_472"},
	})
}

// TestGraniteMoeVariants edits the shipped 1b-a400m config along branches no release takes.
func TestGraniteMoeVariants(t *testing.T) {
	const cfg = "models/granite-3.1-1b-a400m-instruct.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		params string
	}{
		// An untied lm_head adds 49155·1024 = 50,334,720.
		{"untied", map[string]any{"tie_word_embeddings": false}, "1_384_963_072"},
		// 16 KV heads: k and v grow from 512 to 1024 outputs, 2·1024·512 = 1,048,576 more per
		// layer, 25,165,824 in all.
		{"mha", map[string]any{"num_key_value_heads": 16}, "1_359_794_176"},
		// Biases on q (1024), k (512), v (512), o (1024): 3,072 per layer, 73,728 in all.
		{"attention bias", map[string]any{"attention_bias": true}, "1_334_702_080"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.name, buildConfig(t, cfg, c.set)), c.params)
		})
	}
	for _, c := range []struct {
		set  map[string]any
		want string
	}{
		{map[string]any{"num_attention_heads": 12}, "must divide hidden_size"},
		{map[string]any{"num_experts_per_tok": 33}, "cannot exceed num_local_experts"},
		{map[string]any{"num_local_experts": 0}, "num_local_experts"},
	} {
		if _, err := configVariant(t, cfg, c.set); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want one naming %q", c.set, err, c.want)
		}
	}
}

// TestGraniteMoeFLOPs checks granite-3.1-1b-a400m's matmul and attention FLOPs against the
// module tree: h 1024, 16 heads of 64, 8 KV heads, 24 layers, 32 experts of I 512, k 8, V 49155.
//
// Linear weights a token passes through (multiply-adds), N tokens in the step:
//
//	per layer  q 1024·1024 + k, v 1024·512 each + o 1024·1024 = 3,145,728; router.layer
//	           1024·32 = 32,768 → 3,178,496; ×24 = 76,283,904
//	experts    input_linear 1024·1024 + output_linear 512·1024 = 1,572,864 per expert and token;
//	           each of the 32 experts gets N·8/32 tokens: 32·(N/4)·1,572,864 = N·12,582,912
//	           per layer; ×24 = N·301,989,888
//	lm_head    1024·49155 = 50,334,720 (tied: its weight is the embedding's, its FLOPs its own)
//	→ 428,608,512 per token
//
// Attention core: 2·64 + 2·64 = 256 FLOPs per causal pair and head, ×16 heads ×24 layers =
// 98,304 per pair.
func TestGraniteMoeFLOPs(t *testing.T) {
	const file = "granite-3.1-1b-a400m-instruct.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		// 2·2048·428,608,512; 2,098,176 pairs → 98,304·2,098,176.
		{"prefill 2048", 2048, 0, "1_755_580_465_152", "206_259_093_504"},
		// 2·428,608,512; 2049 pairs → 98,304·2049.
		{"decode after 2048", 1, 2048, "857_217_024", "201_424_896"},
	})

	res := computeStep(t, file, shipped(t, file), prefill2048)
	// One expert's input_linear slice [2·512, 1024] sees 2048·8/32 = 512 tokens:
	// 2·512·1024·1024 = 1,073,741,824 FLOPs, in 24·32 = 768 instances.
	r := row(t, res, "model.decoder_layer.block_sparse_moe.input_linear")
	wantFigure(t, "input_linear FLOPs per expert", r.Figures.FLOPs.Rat(), "1_073_741_824")
	if r.Count.Int64() != 768 {
		t.Errorf("input_linear count = %s, want 768", r.Count)
	}
	// The router's softmax runs over the k best logits only: 2048·8 elements, 5 FLOPs each.
	wantFigure(t, "router softmax FLOPs", row(t, res, "model.decoder_layer.block_sparse_moe.router.router_softmax").Figures.FLOPs.Rat(), "81_920")
	// The SiLU and the act·up product run on the N·k = 16,384 rows of I 512 once per layer.
	wantFigure(t, "activation FLOPs", row(t, res, "model.decoder_layer.block_sparse_moe.activation").Figures.FLOPs.Rat(), "25_165_824") // 3·16,384·512
	wantFigure(t, "act_mul FLOPs", row(t, res, "model.decoder_layer.block_sparse_moe.act_mul").Figures.FLOPs.Rat(), "8_388_608")        // 16,384·512
	// The multipliers: embeddings 2048·1024, each residual branch 2048·1024, logits 2048·49155.
	wantFigure(t, "embed_scale FLOPs", row(t, res, "model.embed_scale").Figures.FLOPs.Rat(), "2_097_152")
	wantFigure(t, "mlp_residual_scale FLOPs", row(t, res, "model.decoder_layer.mlp_residual_scale").Figures.FLOPs.Rat(), "2_097_152")
	wantFigure(t, "logits_scaling FLOPs", row(t, res, "logits_scaling").Figures.FLOPs.Rat(), "100_669_440")
}
