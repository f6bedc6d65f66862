package models_test

import (
	"bytes"
	"math/big"
	"testing"
)

// Llama 4's text tower (transformers 4.56.2 modeling_llama4.py, Llama4ForCausalLM on a
// llama4_text config). Parameters of one layer (no biases anywhere; Llama4TextConfig forces
// attention_bias false):
//
//	attention  q, o hidden·(H·d); k, v hidden·(Hkv·d); the L2 q/k norm has no weight
//	MoE layer  router hidden·E; experts gate_up_proj [E, hidden, 2·I] and down_proj [E, I, hidden];
//	           shared_expert 3·hidden·I
//	dense      3·hidden·intermediate_size_mlp
//	norms      2·hidden
//
// plus embed V·hidden, lm_head V·hidden (untied) and the final norm hidden.
func TestLlama4TextCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// Llama-4-Scout-17B-16E (text tower): hidden 5120, 40 heads of 128, 8 KV heads, 48
		// layers, all MoE (moe_layers 0–47): 16 experts of I 8192, k 1, V 202048.
		//   attention 2·5120·5120 + 2·5120·1024 = 62,914,560; norms 10,240
		//   MoE router 5120·16 = 81,920; experts 16·(5120·16384 + 8192·5120) = 2,013,265,920;
		//     shared 3·5120·8192 = 125,829,120 → 2,139,176,960
		//   per layer 2,202,101,760; ×48 = 105,700,884,480
		//   embed + lm_head 2·202048·5120 = 2,068,971,520; final norm 5,120
		//   total 107,769,861,120; the Hub counts Llama-4-Scout-17B-16E-Instruct at
		//   108,641,793,536 = this + 871,932,416, the vision encoder and projector (a public
		//   inventory of Maverick gives those 871,932,416 beside its decoder's 400,711,848,960)
		{"models/llama-4-scout-17b-16e-text.config.json", "107_769_861_120"},
		// Llama-4-Maverick-17B-128E (text_config as copied in NVIDIA/TensorRT-LLM
		// tests/unittest/_torch/modeling/test_modeling_llama_min_latency.py, with its two
		// marked edits undone: 48 layers, no no_rope_layer_interval): interleave_moe_layer_step
		// 2 without moe_layers, so layers 1, 3, …, 47 MoE (128 experts) and 0, 2, …, 46 dense
		// (I_mlp 16384); use_qk_norm false.
		//   MoE layer 62,914,560 + 10,240 + router 655,360 + experts 128·125,829,120 =
		//     16,106,127,360 + shared 125,829,120 = 16,295,536,640; ×24 = 391,092,879,360
		//   dense layer 62,914,560 + 10,240 + 3·5120·16384 = 251,658,240 → 314,583,040;
		//     ×24 = 7,549,992,960
		//   total 391,092,879,360 + 7,549,992,960 + 2,068,971,520 + 5,120 = 400,711,848,960
		//   = the decoder count of a public parameter inventory of Maverick (the release: 400B)
		{"testdata/configs/meta-llama__Llama-4-Maverick-17B-128E-text.json", "400_711_848_960"},
	})
}

// TestLlama4TextLayers edits Scout's config: the per-layer kinds come from no_rope_layers
// (rotary or NoPE), layer_types (chunked or full) and moe_layers / interleave_moe_layer_step.
func TestLlama4TextLayers(t *testing.T) {
	const cfg = "models/llama-4-scout-17b-16e-text.config.json"
	res := computeStep(t, "scout", shipped(t, "llama-4-scout-17b-16e-text.json"), prefill2048)
	// no_rope_layers is 0 at every 4th layer: runs of three rotary layers (chunked attention,
	// q/k L2 norm) and one NoPE layer (full attention, the temperature-scaled query).
	for _, c := range []struct {
		path string
		want bool
	}{
		{"model.decoder_layer_0_2.self_attn.qk_norm", true},
		{"model.decoder_layer_0_2.self_attn.apply_rotary", true},
		{"model.decoder_layer_0_2.self_attn.attn_temperature_scale", false},
		{"model.decoder_layer_3_3.self_attn.qk_norm", false},
		{"model.decoder_layer_3_3.self_attn.apply_rotary", false},
		{"model.decoder_layer_3_3.self_attn.attn_temperature_scale", true},
		{"model.decoder_layer_44_46.feed_forward.shared_expert.gate_proj", true},
		{"model.decoder_layer_47_47.feed_forward.experts.gate_up_proj", true},
	} {
		if hasLayer(res, c.path) != c.want {
			t.Errorf("%s present = %v, want %v", c.path, !c.want, c.want)
		}
	}
	// The L2 norm normalises 2048·(40 + 8) heads of 128, 3 FLOPs an element.
	wantFigure(t, "qk_norm FLOPs", row(t, res, "model.decoder_layer_0_2.self_attn.qk_norm").Figures.FLOPs.Rat(), "37_748_736")

	for _, c := range []struct {
		name   string
		set    map[string]any
		remove []string
		params string
	}{
		// Without moe_layers, interleave_moe_layer_step 2 makes layers 1, 3, …, 47 MoE and the
		// other 24 dense: 24·(62,924,800 + 2,139,176,960) + 24·(62,924,800 + 251,658,240) +
		// 2,068,976,640 = 62,469,411,840.
		{"interleaved", map[string]any{"interleave_moe_layer_step": 2}, []string{"moe_layers"}, "62_469_411_840"},
		// The defaults of no_rope_layers and layer_types give Scout's lists back.
		{"default lists", nil, []string{"no_rope_layers", "layer_types"}, "107_769_861_120"},
		// The L2 norm has no parameters, so turning it off changes none.
		{"no qk norm", map[string]any{"use_qk_norm": false}, nil, "107_769_861_120"},
		// Tied: 202048·5120 = 1,034,485,760 fewer.
		{"tied", map[string]any{"tie_word_embeddings": true}, nil, "106_735_375_360"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.name, buildConfig(t, cfg, c.set, c.remove...)), c.params)
		})
	}
}

// TestLlama4TextFLOPs checks Scout's matmul and attention FLOPs against the module tree.
//
// Linear weights a token passes through (multiply-adds), N tokens in the step:
//
//	per layer  q, o 5120·5120 + k, v 5120·1024 = 62,914,560; router 5120·16 = 81,920; shared
//	           expert 3·5120·8192 = 125,829,120 → 188,825,600; ×48 = 9,063,628,800
//	experts    gate_up 5120·16384 + down 8192·5120 = 125,829,120 per expert and token; each of
//	           the 16 experts gets N·1/16 tokens: N·125,829,120 per layer; ×48 = N·6,039,797,760
//	lm_head    5120·202048 = 1,034,485,760
//	→ 16,137,912,320 per token
//
// Attention core: 512 FLOPs per pair and head, ×40 heads = 20,480 per pair and layer. 36 rotary
// layers attend within chunks of 8192 positions, the 12 NoPE layers everything before them.
func TestLlama4TextFLOPs(t *testing.T) {
	const file = "llama-4-scout-17b-16e-text.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		// 2·2048·16,137,912,320; within the first chunk every layer is causal:
		// 20,480·48·2,098,176.
		{"prefill 2048", 2048, 0, "66_100_888_862_720", "2_062_590_935_040"},
		// 2·16,137,912,320; 20,480·48·2049.
		{"decode after 2048", 1, 2048, "32_275_824_640", "2_014_248_960"},
		// Position 10000 lies in the second chunk (8192–16383): a chunked layer attends
		// 10000 − 8192 + 1 = 1809 keys, a full one 10001: 20,480·(36·1809 + 12·10001).
		{"decode after 10000", 1, 10000, "32_275_824_640", "3_791_585_280"},
		// A 16384-token prefill: a chunked layer attends two chunks' triangles,
		// 2·8192·8193/2 = 67,117,056 pairs, a full one 16384·16385/2 = 134,225,920:
		// 20,480·(36·67,117,056 + 12·134,225,920); matmul 2·16384·16,137,912,320.
		{"prefill 16384", 16384, 0, "528_807_110_901_760", "82_471_425_146_880"},
	})
	// The cache of a chunked layer holds at most one chunk: after 10000 tokens, 36 layers hold
	// 8192 and 12 hold 10001 tokens of 8·(128 + 128) values in bfloat16, 4096 bytes a token:
	// 4096·(36·8192 + 12·10001).
	res := computeStep(t, file, shipped(t, file), step{1, 1, 10000})
	wantFigure(t, "KV cache", res.Totals.KVCacheBytes, "1_699_528_704")
}

// TestLlama4TextTemperatureTuning: attn_temperature_tuning is read for its truth
// (Llama4TextAttention: if self.attn_temperature_tuning and not self.use_rope). Scout's config
// writes the number 4, configs transformers saves true; Llama4TextConfig's default turns it on.
// When on, each of the 12 NoPE layers multiplies the query states by a per-position scale:
// 2048·40·128 = 10,485,760 FLOPs in a prefill of 2048, 125,829,120 for the 12 layers; when off
// (false, 0, null) the layer is not there and the rest of the file is the same.
func TestLlama4TextTemperatureTuning(t *testing.T) {
	const cfg = "models/llama-4-scout-17b-16e-text.config.json"
	on := buildConfig(t, cfg, nil)
	off := buildConfig(t, cfg, map[string]any{"attn_temperature_tuning": false})
	for _, c := range []struct {
		name   string
		set    map[string]any
		remove []string
		want   []byte
	}{
		{"4", map[string]any{"attn_temperature_tuning": 4}, nil, on},
		{"true", map[string]any{"attn_temperature_tuning": true}, nil, on},
		{"absent", nil, []string{"attn_temperature_tuning"}, on},
		{"0.5", map[string]any{"attn_temperature_tuning": 0.5}, nil, on},
		{"0", map[string]any{"attn_temperature_tuning": 0}, nil, off},
		{"null", map[string]any{"attn_temperature_tuning": nil}, nil, off},
	} {
		if got := buildConfig(t, cfg, c.set, c.remove...); !bytes.Equal(got, c.want) {
			t.Errorf("attn_temperature_tuning %s builds another file than it should", c.name)
		}
	}
	if bytes.Contains(off, []byte(`"attn_temperature_scale"`)) || !bytes.Contains(on, []byte(`"attn_temperature_scale"`)) {
		t.Error("the query scale should be there exactly when attn_temperature_tuning is on")
	}
	resOn := computeStep(t, "tuning on", on, prefill2048)
	resOff := computeStep(t, "tuning off", off, prefill2048)
	wantFigure(t, "query scale FLOPs", new(big.Rat).Sub(resOn.Totals.FLOPs, resOff.Totals.FLOPs), "125_829_120")
	wantFigure(t, "one NoPE layer's scale", row(t, resOn, "model.decoder_layer_3_3.self_attn.attn_temperature_scale").Figures.FLOPs.Rat(), "10_485_760")
	wantFigure(t, "params off", resOff.Totals.Params, "107_769_861_120")
	checkRefusals(t, cfg, []refusal{
		{map[string]any{"attn_temperature_tuning": "yes"}, `attn_temperature_tuning must be a boolean or a number, not the string "yes"`},
	})
}
