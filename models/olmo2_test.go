package models_test

import "testing"

// OLMo 2 (Olmo2ForCausalLM, transformers 4.56.2): the Llama layout with the norms after the
// blocks (post_attention_layernorm on the attention output, post_feedforward_layernorm on the MLP
// output, each before its residual add; no input norm) and RMSNorms over the whole query and key
// projections: q_norm has heads·head_dim weights, k_norm kv_heads·head_dim.

const olmo2Config = "models/olmo-2-1124-7b.config.json"

func TestOlmo2Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// OLMo-2-1124-7B: V 100352, h 4096, L 32, H = Hkv = 32 (d 128), I 11008, untied.
		// embed 100352·4096 = 411,041,792
		// per layer: q, k, v, o 4·4096² = 67,108,864; q_norm 32·128 + k_norm 32·128 = 8,192;
		//   gate, up, down 3·4096·11008 = 135,266,304; two post-norms 8,192 → 202,391,552;
		//   × 32 = 6,476,529,664
		// norm 4,096; lm_head 411,041,792; total 7,298,617,344.
		{olmo2Config, "7_298_617_344"},
		// OLMo-2-1124-13B (mlc-llm's copy of its config): V 100352, h 5120, L 40, H = Hkv = 40,
		// I 13824. embed 513,802,240; per layer 4·5120² = 104,857,600 + q/k norms 10,240 + MLP
		// 3·5120·13824 = 212,336,640 + post-norms 10,240 = 317,214,720, × 40 = 12,688,588,800;
		// norm 5,120; lm_head 513,802,240; total 13,716,198,400.
		{"testdata/configs/allenai__OLMo-2-1124-13B.json", "13_716_198_400"},
		// OLMo-2-0325-32B (mlc-llm's copy): V 100352, h 5120, L 64, H 40, Hkv 8, I 27648.
		// per layer q, o 2·5120² = 52,428,800 + k, v 2·5120·1024 = 10,485,760 + q_norm 40·128 =
		// 5,120 + k_norm 8·128 = 1,024 + MLP 3·5120·27648 = 424,673,280 + post-norms 10,240 =
		// 487,604,224, × 64 = 31,206,670,336; norm 5,120; embed and lm_head 2·513,802,240 =
		// 1,027,604,480; total 32,234,279,936.
		{"testdata/configs/allenai__OLMo-2-0325-32B.json", "32_234_279_936"},
	})
}

func TestOlmo2Variants(t *testing.T) {
	checkVariants(t, []variant{
		// tied: one 100352·4096 table fewer → 6,887,575,552.
		{"7B tied", olmo2Config, map[string]any{"tie_word_embeddings": true}, nil, "6_887_575_552"},
		// attention_bias: q, k, v, o 4·4096 = 16,384 per layer, × 32 = 524,288 → 7,299,141,632.
		{"7B with attention biases", olmo2Config, map[string]any{"attention_bias": true}, nil, "7_299_141_632"},
		// null num_key_value_heads is num_attention_heads: the 7B itself.
		{"7B with null kv heads", olmo2Config, map[string]any{"num_key_value_heads": nil}, nil, "7_298_617_344"},
	})
}

// TestOlmo2FLOPs checks OLMo-2-1124-7B's matmul and attention FLOPs against hand arithmetic,
// from the printed tree (print(model) of allenai/OLMo-2-1124-7B): q, k, v, o
// 4096 → 4096, gate, up 4096 → 11008, down 11008 → 4096, lm_head 4096 → 100352, no biases.
// Weights per layer 67,108,864 + 135,266,304 = 202,375,168. Attention: 32 heads · (2·128 +
// 2·128) = 16,384 FLOPs per pair.
//
//	prefill 2048: per layer 2·2048·202,375,168 = 828,928,688,128; × 32 = 26,525,718,020,096;
//	              lm_head 2·2048·4096·100352 = 1,683,627,180,032; matmul 28,209,345,200,128;
//	              attention 16,384·2,098,176·32 = 1,100,048,498,688
//	decode:       per layer 404,750,336; × 32 = 12,952,010,752; lm_head 822,083,584;
//	              matmul 13,774,094,336; attention 16,384·2049·32 = 1,074,266,112
func TestOlmo2FLOPs(t *testing.T) {
	checkStepFLOPs(t, "olmo-2-1124-7b.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "28_209_345_200_128", "1_100_048_498_688"},
		{"decode after 2048", 1, 2048, "13_774_094_336", "1_074_266_112"},
	})
}

// TestOlmo2QKNorm: q_norm and k_norm normalise the whole projection of each token, not each head.
// On the 32B (40 query heads, 8 key heads of 128) q_norm is an RMSNorm of width 5120 over 2048
// rows (4·2048·5120 = 41,943,040 FLOPs, 5,120 parameters) and k_norm one of width 1024 (8,388,608
// FLOPs, 1,024 parameters).
func TestOlmo2QKNorm(t *testing.T) {
	const cfg = "testdata/configs/allenai__OLMo-2-0325-32B.json"
	res := computeStep(t, cfg, buildConfig(t, cfg, nil), prefill2048)
	q, k := row(t, res, "model.decoder_layer.self_attn.q_norm"), row(t, res, "model.decoder_layer.self_attn.k_norm")
	wantFigure(t, "q_norm FLOPs", q.Figures.FLOPs.Rat(), "41_943_040")
	wantFigure(t, "q_norm params", q.Figures.Params.Rat(), "5120")
	wantFigure(t, "k_norm FLOPs", k.Figures.FLOPs.Rat(), "8_388_608")
	wantFigure(t, "k_norm params", k.Figures.Params.Rat(), "1024")
}

// TestOlmo2Refusals checks that what the template does not describe is refused.
func TestOlmo2Refusals(t *testing.T) {
	checkRefusals(t, olmo2Config, []refusal{
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 5}, "must divide"},
	})
}

// TestOlmo2Activation: hidden_act chooses act_fn's class. silu (3 FLOPs per element) over
// 2048·11008 elements and 32 layers: 3·2048·11008·32 = 2,164,260,864; relu2 (ReLUSquared, 2):
// 1,442,840,576.
func TestOlmo2Activation(t *testing.T) {
	for act, want := range map[string]string{"silu": "2_164_260_864", "relu2": "1_442_840_576"} {
		res := computeStep(t, act, buildConfig(t, olmo2Config, map[string]any{"hidden_act": act}), prefill2048)
		wantFigure(t, act+" activation FLOPs", categoryFLOPs(res, "activation"), want)
	}
}
