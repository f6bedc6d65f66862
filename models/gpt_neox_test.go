package models_test

import "testing"

// GPT-NeoX / Pythia (GPTNeoXForCausalLM, transformers 4.56.2). Per layer: query_key_value
// h → 3h and dense h → h (bias = attention_bias, true by default), dense_h_to_4h h → I and
// dense_4h_to_h I → h (always biased), input_layernorm and post_attention_layernorm (LayerNorm,
// weight and bias). With I = 4h a layer holds 3h² + 3h + h² + h + 4h² + 4h + 4h² + h + 4h =
// 12h² + 13h parameters; the model adds final_layer_norm (2h), embed_in and embed_out (V·h each,
// untied).

const pythia1bConfig = "models/pythia-1b.config.json"

func TestGPTNeoXCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// pythia-1b: V 50304, h 2048, L 16, H 8 (d 256), I 8192.
		// embed_in 50304·2048 = 103,022,592; per layer 12·2048² + 13·2048 = 50,331,648 + 26,624
		// = 50,358,272, × 16 = 805,732,352; final_layer_norm 4,096; embed_out 103,022,592;
		// total 1,011,781,632. Published (model card, "Non-Embedding Params"): 805,736,448 =
		// 805,732,352 + 4,096 ✓.
		{pythia1bConfig, "1_011_781_632"},
		// pythia-6.9b-deduped: V 50432, h 4096, L 32, H 32, I 16384.
		// per layer 12·4096² + 13·4096 = 201,326,592 + 53,248 = 201,379,840, × 32 =
		// 6,444,154,880; + final_layer_norm 8,192 = 6,444,163,072 non-embedding (model card ✓);
		// embed_in and embed_out 2·50432·4096 = 413,138,944; total 6,857,302,016.
		{"testdata/configs/EleutherAI__pythia-6.9b-deduped.json", "6_857_302_016"},
		// pythia-12b-deduped: V 50688, h 5120, L 36, H 40, I 20480.
		// per layer 12·5120² + 13·5120 = 314,572,800 + 66,560 = 314,639,360, × 36 =
		// 11,327,016,960; + 10,240 = 11,327,027,200 non-embedding (model card ✓);
		// 2·50688·5120 = 519,045,120; total 11,846,072,320.
		{"testdata/configs/EleutherAI__pythia-12b-deduped.json", "11_846_072_320"},
	})
}

// TestGPTNeoXSizes builds the other Pythia sizes from the pythia-1b config with their size keys
// (RahulSChand/gpu_poor's copy of the Hub configs: every Pythia config shares the other keys) and
// compares with L·(12h² + 13h) + 2h + 2·V·h; the non-embedding part L·(12h² + 13h) + 2h is the
// figure the Pythia model cards publish, which each matches.
func TestGPTNeoXSizes(t *testing.T) {
	size := func(h, i, heads, layers, vocab int) map[string]any {
		return map[string]any{"hidden_size": h, "intermediate_size": i, "num_attention_heads": heads,
			"num_hidden_layers": layers, "vocab_size": vocab}
	}
	checkVariants(t, []variant{
		// 70m: 6·(12·512² + 13·512) + 1,024 = 6·3,152,384 + 1,024 = 18,915,328 (card ✓)
		//      + 2·50304·512 = 51,511,296 → 70,426,624
		{"pythia-70m", pythia1bConfig, size(512, 2048, 8, 6, 50304), nil, "70_426_624"},
		// 160m: 12·(12·768² + 13·768) + 1,536 = 12·7,087,872 + 1,536 = 85,056,000 (card ✓)
		//       + 2·50304·768 = 77,266,944 → 162,322,944
		{"pythia-160m", pythia1bConfig, size(768, 3072, 12, 12, 50304), nil, "162_322_944"},
		// 410m: 24·(12·1024² + 13·1024) + 2,048 = 24·12,596,224 + 2,048 = 302,311,424 (card ✓)
		//       + 2·50304·1024 = 103,022,592 → 405,334,016
		{"pythia-410m", pythia1bConfig, size(1024, 4096, 16, 24, 50304), nil, "405_334_016"},
		// 1.4b: 24·(12·2048² + 13·2048) + 4,096 = 24·50,358,272 + 4,096 = 1,208,602,624 (card ✓)
		//       + 2·50304·2048 = 206,045,184 → 1,414,647,808
		{"pythia-1.4b", pythia1bConfig, size(2048, 8192, 16, 24, 50304), nil, "1_414_647_808"},
		// 2.8b: 32·(12·2560² + 13·2560) + 5,120 = 32·78,676,480 + 5,120 = 2,517,652,480 (card ✓)
		//       + 2·50304·2560 = 257,556,480 → 2,775,208,960
		{"pythia-2.8b", pythia1bConfig, size(2560, 10240, 32, 32, 50304), nil, "2_775_208_960"},
		// tied embed_out: one V·h table fewer, 1,011,781,632 − 103,022,592 = 908,759,040.
		{"pythia-1b tied", pythia1bConfig, map[string]any{"tie_word_embeddings": true}, nil, "908_759_040"},
		// attention_bias false: query_key_value and dense lose 6144 + 2048 = 8,192 biases per
		// layer, × 16 = 131,072 → 1,011,650,560.
		{"pythia-1b without attention biases", pythia1bConfig, map[string]any{"attention_bias": false}, nil, "1_011_650_560"},
		// sequential residual: the same modules, the same count.
		{"pythia-1b sequential", pythia1bConfig, map[string]any{"use_parallel_residual": false}, nil, "1_011_781_632"},
	})
}

// TestGPTNeoXFLOPs checks pythia-1b's matmul and attention FLOPs against hand arithmetic, from
// the printed tree (print(model) of EleutherAI/pythia-1b): query_key_value
// 2048 → 6144, dense 2048 → 2048, dense_h_to_4h 2048 → 8192, dense_4h_to_h 8192 → 2048, all
// with bias; embed_out 2048 → 50304 without.
//
// Weights per layer 12,582,912 + 4,194,304 + 2·16,777,216 = 50,331,648; bias outputs 6144 +
// 2048 + 8192 + 2048 = 18,432. Attention: 8 heads · (2·256 + 2·256) = 8,192 FLOPs per pair.
//
// Prefill, N = 2048:
//
//	per layer 2·2048·50,331,648 + 2048·18,432 = 206,196,178,944; × 16 = 3,299,138,863,104
//	embed_out 2·2048·2048·50304 = 421,980,536,832; matmul 3,721,119,399,936
//	attention 8,192·2,098,176·16 = 275,012,124,672
//
// Decode, N = 1 after 2048 cached:
//
//	per layer 2·50,331,648 + 18,432 = 100,681,728; × 16 = 1,610,907,648
//	embed_out 2·2048·50304 = 206,045,184; matmul 1,816,952,832
//	attention 8,192·2049·16 = 268,566,528
func TestGPTNeoXFLOPs(t *testing.T) {
	checkStepFLOPs(t, "pythia-1b.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "3_721_119_399_936", "275_012_124_672"},
		{"decode after 2048", 1, 2048, "1_816_952_832", "268_566_528"},
	})
}

// TestGPTNeoXPartialRotary checks that only int(256·0.25) = 64 dimensions of each head rotate:
// apply_rotary 3 FLOPs per rotated element of 8 query and 8 key heads, 3·2048·16·64 = 6,291,456
// per layer, × 16 = 100,663,296; rotary_emb 4.5 FLOPs per position and rotary dimension,
// 2048·64·4.5 = 589,824; rotary total 101,253,120.
func TestGPTNeoXPartialRotary(t *testing.T) {
	res := computeStep(t, "pythia-1b.json", shipped(t, "pythia-1b.json"), prefill2048)
	wantFigure(t, "rotary FLOPs", categoryFLOPs(res, "rotary"), "101_253_120")
}

// TestGPTNeoXRefusals checks that what the template does not describe is refused.
func TestGPTNeoXRefusals(t *testing.T) {
	checkRefusals(t, pythia1bConfig, []refusal{
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"hidden_size": 2050}, "must divide hidden_size"},
		// 3/256 of 256 = 3 rotary dimensions: odd.
		{map[string]any{"rotary_pct": 0.01171875}, "even number of rotary dimensions"},
	})
}

// TestGPTNeoXActivation: hidden_act chooses act's class. pythia-1b's gelu (GELUActivation, 5 FLOPs
// per element) over 2048·8192 elements and 16 layers: 5·2048·8192·16 = 1,342,177,280; gelu_new
// (NewGELUActivation, 9): 2,415,919,104.
func TestGPTNeoXActivation(t *testing.T) {
	for act, want := range map[string]string{"gelu": "1_342_177_280", "gelu_new": "2_415_919_104"} {
		res := computeStep(t, act, buildConfig(t, pythia1bConfig, map[string]any{"hidden_act": act}), prefill2048)
		wantFigure(t, act+" activation FLOPs", categoryFLOPs(res, "activation"), want)
	}
}
