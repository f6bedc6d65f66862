package models_test

import "testing"

// ERNIE 4.5 dense (Ernie4_5ForCausalLM, transformers 4.56.2): the Llama layout with a head_dim of
// its own (Ernie4_5Config: 128 when absent, hidden_size // num_attention_heads when null), biases
// on every projection only with use_bias, and an lm_head tied by default.

const ernieConfig = "models/ernie-4.5-0.3b-pt.config.json"

func TestErnie45Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// ERNIE-4.5-0.3B-PT: V 103424, h 1024, L 18, H 16, Hkv 2, d 128, I 3072, tied.
		// embed 103424·1024 = 105,906,176
		// per layer: q 1024·2048 = 2,097,152; k, v 1024·256 = 262,144 each; o 2048·1024 =
		//   2,097,152; gate, up, down 3·1024·3072 = 9,437,184; two RMSNorms 2,048 → 14,157,824;
		//   × 18 = 254,840,832
		// norm 1,024; lm_head tied; total 360,748,032.
		{ernieConfig, "360_748_032"},
	})
}

func TestErnie45Variants(t *testing.T) {
	checkVariants(t, []variant{
		// head_dim null: 1024 // 16 = 64, so q, o 1024·1024 and k, v 1024·128: 2,359,296 per
		// layer instead of 4,718,592, × 18 = 42,467,328 fewer → 318,280,704.
		{"null head_dim", ernieConfig, map[string]any{"head_dim": nil}, nil, "318_280_704"},
		// head_dim absent: Ernie4_5Config's 128, the checkpoint itself.
		{"absent head_dim", ernieConfig, nil, []string{"head_dim"}, "360_748_032"},
		// num_key_value_heads null: 16, so k and v are 1024·2048 each: 2·1,835,008 = 3,670,016
		// more per layer, × 18 = 66,060,288 → 426,808,320.
		{"null kv heads", ernieConfig, map[string]any{"num_key_value_heads": nil}, nil, "426_808_320"},
		// num_key_value_heads absent: Ernie4_5Config's 2, the checkpoint itself.
		{"absent kv heads", ernieConfig, nil, []string{"num_key_value_heads"}, "360_748_032"},
		// use_bias: q 2048 + k, v 2·256 + o 1024 + gate, up 2·3072 + down 1024 = 10,752 per layer,
		// × 18 = 193,536 → 360,941,568.
		{"with biases", ernieConfig, map[string]any{"use_bias": true}, nil, "360_941_568"},
		// untied: lm_head 1024·103424 = 105,906,176 more → 466,654,208.
		{"untied", ernieConfig, map[string]any{"tie_word_embeddings": false}, nil, "466_654_208"},
	})
}

// TestErnie45FLOPs checks ERNIE-4.5-0.3B's matmul and attention FLOPs against hand arithmetic,
// from the printed tree (print(model) of baidu/ERNIE-4.5-0.3B-PT): q 1024 → 2048,
// k, v 1024 → 256, o 2048 → 1024, gate, up 1024 → 3072, down 3072 → 1024, lm_head 1024 → 103424
// (tied, still computed), no biases. Weights per layer 4,718,592 + 9,437,184 = 14,155,776.
// Attention: 16 heads · (2·128 + 2·128) = 8,192 FLOPs per pair.
//
//	prefill 2048: per layer 2·2048·14,155,776 = 57,982,058,496; × 18 = 1,043,677,052,928;
//	              lm_head 2·2048·1024·103424 = 433,791,696,896; matmul 1,477,468,749,824;
//	              attention 8,192·2,098,176·18 = 309,388,640,256
//	decode:       per layer 28,311,552; × 18 = 509,607,936; lm_head 211,812,352;
//	              matmul 721,420,288; attention 8,192·2049·18 = 302,137,344
//
// KV cache after the prefill (bfloat16): 2 key/value heads · (128 + 128) · 2 bytes = 1,024 bytes
// per token and layer; 2048·1,024·18 = 37,748,736.
func TestErnie45FLOPs(t *testing.T) {
	checkStepFLOPs(t, "ernie-4.5-0.3b-pt.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "1_477_468_749_824", "309_388_640_256"},
		{"decode after 2048", 1, 2048, "721_420_288", "302_137_344"},
	})
	res := computeStep(t, "ernie-4.5-0.3b-pt.json", shipped(t, "ernie-4.5-0.3b-pt.json"), prefill2048)
	wantFigure(t, "KV cache bytes", res.Totals.KVCacheBytes, "37_748_736")
}

// TestErnie45Refusals checks that what the template does not describe is refused.
func TestErnie45Refusals(t *testing.T) {
	checkRefusals(t, ernieConfig, []refusal{
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 3}, "must divide"},
	})
}
