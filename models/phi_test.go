package models_test

import "testing"

// Phi (PhiForCausalLM, transformers 4.56.2): per layer one LayerNorm feeds attention and MLP in
// parallel; q, k, v and dense are Linear with bias; the MLP is fc1 → gelu_new → fc2, both with
// bias; lm_head is a Linear with bias (2560·51200 + 51200 for phi-2), never tied here.

const phi2Config = "models/phi-2.config.json"

func TestPhiCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// phi-2: V 51200, h 2560, L 32, H = Hkv = 32 (d 80), I 10240.
		// embed 51200·2560 = 131,072,000
		// per layer: q, k, v, dense 4·(2560·2560 + 2560) = 26,224,640; fc1 2560·10240 + 10240 =
		//   26,224,640; fc2 10240·2560 + 2560 = 26,216,960; input_layernorm 2·2560 = 5,120
		//   → 78,671,360; × 32 = 2,517,483,520
		// final_layernorm 5,120; lm_head 2560·51200 + 51200 = 131,123,200
		// total 131,072,000 + 2,517,483,520 + 5,120 + 131,123,200 = 2,779,683,840.
		// Published: the checkpoint's model.safetensors.index.json has total_size 5,559,367,680
		// bytes, all float16 (lm_head.bias included): 5,559,367,680 / 2 = 2,779,683,840.
		{phi2Config, "2_779_683_840"},
	})
}

func TestPhiVariants(t *testing.T) {
	checkVariants(t, []variant{
		// phi-1.5 and phi-1 (one shape; mlc-llm's model_preset.py copies phi-1_5's config: n_embd
		// 2048, n_head 32, n_layer 24, n_inner null → 4·2048, rotary_dim 32 of d 64, vocab 51200):
		// embed 51200·2048 = 104,857,600; per layer 4·(2048·2048 + 2048) = 16,785,408 + fc1
		// 2048·8192 + 8192 = 16,785,408 + fc2 8192·2048 + 2048 = 16,779,264 + LayerNorm 4,096 =
		// 50,354,176, × 24 = 1,208,500,224; final_layernorm 4,096; lm_head 104,857,600 + 51,200 =
		// 104,908,800; total 1,418,270,720.
		{"phi-1.5 shape", phi2Config, map[string]any{"hidden_size": 2048, "num_hidden_layers": 24,
			"num_key_value_heads": 32, "intermediate_size": 8192, "partial_rotary_factor": 0.5}, nil, "1_418_270_720"},
		// qk_layernorm: q_layernorm and k_layernorm are LayerNorm(80) with weight and bias:
		// 2·(2·80) = 320 per layer, × 32 = 10,240 → 2,779,694,080.
		{"phi-2 with qk_layernorm", phi2Config, map[string]any{"qk_layernorm": true}, nil, "2_779_694_080"},
		// 8 key/value heads: k_proj and v_proj become 2560·640 + 640 = 1,639,040 each instead of
		// 6,556,160: 2·4,917,120 = 9,834,240 fewer per layer, × 32 = 314,695,680 →
		// 2,464,988,160.
		{"phi-2 with 8 kv heads", phi2Config, map[string]any{"num_key_value_heads": 8}, nil, "2_464_988_160"},
		// null or absent num_key_value_heads is num_attention_heads (PhiConfig): phi-2 itself.
		{"phi-2 with null kv heads", phi2Config, map[string]any{"num_key_value_heads": nil}, nil, "2_779_683_840"},
		{"phi-2 without kv heads", phi2Config, nil, []string{"num_key_value_heads"}, "2_779_683_840"},
	})
}

// TestPhiFLOPs checks phi-2's matmul and attention FLOPs against hand arithmetic, from the
// printed tree (print(model) of microsoft/phi-2): q, k, v, dense 2560 → 2560,
// fc1 2560 → 10240, fc2 10240 → 2560, all with bias; lm_head 2560 → 51200 with bias.
//
// A Linear over N rows is 2·N·in·out, plus N·out with a bias.
// Weights per layer 4·2560·2560 + 2·2560·10240 = 78,643,200; bias outputs 4·2560 + 10240 +
// 2560 = 23,040. Attention: 32 heads · (2·80 QKᵀ + 2·80 AV) = 10,240 FLOPs per attended pair.
//
// Prefill, N = 2048:
//
//	per layer 2·2048·78,643,200 + 2048·23,040 = 322,169,733,120; × 32 = 10,309,431,459,840
//	lm_head   2·2048·2560·51200 + 2048·51200 = 536,975,769,600
//	matmul    10,846,407,229,440
//	pairs     2048·2049/2 = 2,098,176; attention 10,240·2,098,176·32 = 687,530,311,680
//
// Decode, N = 1 after 2048 cached:
//
//	per layer 2·78,643,200 + 23,040 = 157,309,440; × 32 = 5,033,902,080
//	lm_head   2·2560·51200 + 51200 = 262,195,200; matmul 5,296,097,280
//	pairs     2049; attention 10,240·2049·32 = 671,416,320
func TestPhiFLOPs(t *testing.T) {
	checkStepFLOPs(t, "phi-2.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "10_846_407_229_440", "687_530_311_680"},
		{"decode after 2048", 1, 2048, "5_296_097_280", "671_416_320"},
	})
}

// TestPhiQKLayerNorm checks the per-head q/k LayerNorms: LayerNorm(80) over every head of every
// token, 7 FLOPs per element (5 + scale + shift): queries 2048·32·80 = 5,242,880 elements →
// 36,700,160 FLOPs per layer; keys the same with 32 key heads.
func TestPhiQKLayerNorm(t *testing.T) {
	res := computeStep(t, "phi-2 qk_layernorm", buildConfig(t, phi2Config, map[string]any{"qk_layernorm": true}), prefill2048)
	for _, p := range []string{"model.decoder_layer.self_attn.q_layernorm", "model.decoder_layer.self_attn.k_layernorm"} {
		r := row(t, res, p)
		wantFigure(t, p+" FLOPs", r.Figures.FLOPs.Rat(), "36_700_160")
		wantFigure(t, p+" params", r.Figures.Params.Rat(), "160")
	}
}

// TestPhiRefusals checks that what the template does not describe is refused.
func TestPhiRefusals(t *testing.T) {
	checkRefusals(t, phi2Config, []refusal{
		{map[string]any{"tie_word_embeddings": true}, "tie_word_embeddings is not modelled"},
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 3}, "must divide"},
		// 0.0625 of 80 = 5 rotary dimensions: odd.
		{map[string]any{"partial_rotary_factor": 0.0625}, "even number of rotary dimensions"},
		{map[string]any{"qk_layernorm": true, "head_dim": 64}, "with qk_layernorm"},
	})
}

// TestPhiActivation: hidden_act chooses activation_fn's class through the catalog's activations
// table. Over 2048·10240 elements per layer and 32 layers: gelu_new (NewGELUActivation, 9 FLOPs
// per element) 9·2048·10240·32 = 6,039,797,760; gelu (GELUActivation, 5) 3,355,443,200; relu (1)
// 671,088,640.
func TestPhiActivation(t *testing.T) {
	for act, want := range map[string]string{"gelu_new": "6_039_797_760", "gelu": "3_355_443_200", "relu": "671_088_640"} {
		res := computeStep(t, act, buildConfig(t, phi2Config, map[string]any{"hidden_act": act}), prefill2048)
		wantFigure(t, act+" activation FLOPs", categoryFLOPs(res, "activation"), want)
	}
}
