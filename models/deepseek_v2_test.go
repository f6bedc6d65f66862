package models_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
)

// TestDeepseekV2Checkpoints compares the deepseek_v2 template with counts derived by hand from
// transformers 4.56's modeling_deepseek_v2.py (DeepseekV2Attention, DeepseekV2MLP,
// DeepseekV2MoE with DeepseekV2MoEGate's (E, hidden) weight, layer i MoE iff i ≥
// first_k_dense_replace).
func TestDeepseekV2Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// DeepSeek-V2 (h 5120, V 102400, 60 layers, H 128, q_lora 1536, kv_lora 512, qk 128+64,
		// v 128, dense I 12288 in layer 0, then 59 MoE layers of 160 experts of 1536 and a
		// shared MLP of 2·1536, untied):
		//   embed and lm_head 2·102400·5120 = 1,048,576,000
		//   attention per layer: q_a 5120·1536 = 7,864,320 + q_a_layernorm 1,536 + q_b
		//     1536·(128·192) = 37,748,736 + kv_a 5120·576 = 2,949,120 + kv_a_layernorm 512 + kv_b
		//     512·(128·256) = 16,777,216 + o (128·128)·5120 = 83,886,080 = 149,227,520; + 2 norms
		//     10,240 → 149,237,760; × 60 = 8,954,265,600
		//   dense MLP 3·5120·12288 = 188,743,680
		//   MoE per layer: 160·3·5120·1536 = 3,774,873,600 + shared 3·5120·3072 = 47,185,920 +
		//     gate 160·5120 = 819,200 → 3,822,878,720; × 59 = 225,549,844,480
		//   final norm 5,120
		//   total 235,741,434,880 (the model card: 236B)
		{"models/deepseek-v2.config.json", "235_741_434_880"},
		// DeepSeek-V2-Lite-Chat, the config as transformers 4.49 printed it when loading the Hub
		// snapshot 85864749cd611b4353ce1decdb286193298f64c7 (h 2048, V 102400, 27 layers, H 16,
		// q_lora_rank null, first layer dense of 10944, 26 MoE layers of 64 experts of 1408,
		// shared 2·1408):
		//   embed and lm_head 2·102400·2048 = 419,430,400
		//   attention per layer: q_proj 2048·(16·192) = 6,291,456 + kv_a 2048·576 = 1,179,648 +
		//     kv_a_layernorm 512 + kv_b 512·(16·256) = 2,097,152 + o 2048·2048 = 4,194,304 =
		//     13,763,072; + 2 norms 4,096 → 13,767,168; × 27 = 371,713,536
		//   dense MLP 3·2048·10944 = 67,239,936
		//   MoE per layer: 64·3·2048·1408 = 553,648,128 + shared 3·2048·2816 = 17,301,504 + gate
		//     64·2048 = 131,072 → 571,080,704; × 26 = 14,848,098,304
		//   final norm 2,048
		//   total 15,706,484,224 = the sum of the checkpoint's tensors in a published listing of
		//   its safetensors files (15,706,484,224 elements, all bf16)
		{"testdata/configs/deepseek-ai__DeepSeek-V2-Lite-Chat.json", "15_706_484_224"},
	})
}

// TestDeepseekV2QLoraRankAbsentIsDefault: DeepseekV2Config gives an absent q_lora_rank its
// default 1536 (a low-rank query) while an explicit null means a plain q_proj; the two must not
// be read alike. DeepSeek-V2-Lite-Chat's config (q_lora_rank null, 15,706,484,224 parameters)
// with the key deleted gains, per layer, q_a 2048·1536 = 3,145,728 + q_a_layernorm 1,536 + q_b
// 1536·(16·192) = 4,718,592 = 7,865,856 in place of q_proj 2048·(16·192) = 6,291,456:
// +1,574,400; × 27 layers = +42,508,800 → 15,748,993,024. DeepSeek-V2's config (q_lora_rank
// 1536) with the key deleted stays 235,741,434,880.
func TestDeepseekV2QLoraRankAbsentIsDefault(t *testing.T) {
	const lite = "testdata/configs/deepseek-ai__DeepSeek-V2-Lite-Chat.json"
	wantFigure(t, "V2-Lite, q_lora_rank null", params(t, lite, buildConfig(t, lite, map[string]any{"q_lora_rank": nil})), "15_706_484_224")
	wantFigure(t, "V2-Lite, q_lora_rank absent", params(t, lite, buildConfig(t, lite, nil, "q_lora_rank")), "15_748_993_024")
	const v2 = "models/deepseek-v2.config.json"
	wantFigure(t, "V2, q_lora_rank absent", params(t, v2, buildConfig(t, v2, nil, "q_lora_rank")), "235_741_434_880")
}

// TestDeepseekV2SharedExpertsNull: DeepseekV2Moe builds shared_experts only when
// config.n_shared_experts is not None, so a null means no shared MLP; an absent key is
// DeepseekV2Config's default 2. DeepSeek-V2-Lite-Chat (15,706,484,224 parameters, n_shared_experts
// 2) with null loses, in each of its 26 MoE layers, the shared MLP 3·2048·(2·1408) = 17,301,504:
// −449,839,104 → 15,256,645,120; without the key it keeps them. One prefill of 2048 tokens also
// loses, per MoE layer, the shared MLP's matmuls 2·2048·17,301,504 = 70,866,960,384 FLOPs and the
// shared_add of 2048·2048 = 4,194,304 elements.
func TestDeepseekV2SharedExpertsNull(t *testing.T) {
	const lite = "testdata/configs/deepseek-ai__DeepSeek-V2-Lite-Chat.json"
	none := buildConfig(t, lite, map[string]any{"n_shared_experts": nil})
	wantFigure(t, "n_shared_experts null", params(t, lite, none), "15_256_645_120")
	wantFigure(t, "n_shared_experts absent", params(t, lite, buildConfig(t, lite, nil, "n_shared_experts")), "15_706_484_224")
	with := computeStep(t, "lite", buildConfig(t, lite, nil), prefill2048)
	without := computeStep(t, "lite-null", none, prefill2048)
	delta := new(big.Rat).Sub(categoryFLOPs(with, "matmul"), categoryFLOPs(without, "matmul"))
	wantFigure(t, "matmul FLOPs of the shared experts", delta, fmt.Sprint(26*2*2048*17_301_504))
	const add = "model.decoder_layer_1_26.mlp.shared_add"
	if !hasLayer(with, add) || hasLayer(without, add) {
		t.Errorf("%s: want it with shared experts only", add)
	}
}

// TestDeepseekV2Branches builds a small made-up deepseek_v2 config that takes the branches the
// released checkpoints do not: moe_layer_freq 2 (layers 2 and 4 MoE, 0, 1 and 3 dense), a
// low-rank query of rank 24, attention and MLP biases, tied embeddings and a tanh-GELU.
func TestDeepseekV2Branches(t *testing.T) {
	cfg := `{
  "model_type": "deepseek_v2", "torch_dtype": "bfloat16", "hidden_act": "gelu_pytorch_tanh",
  "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "moe_intermediate_size": 32,
  "num_hidden_layers": 5, "first_k_dense_replace": 1, "moe_layer_freq": 2, "num_attention_heads": 4,
  "q_lora_rank": 24, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
  "n_routed_experts": 8, "num_experts_per_tok": 2, "n_shared_experts": 1,
  "attention_bias": true, "mlp_bias": true, "tie_word_embeddings": true
}`
	const name = "deepseek-v2-branches.config.json" // only a name: the config is the text above
	src, err := populateConfig(t, name, []byte(cfg), "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// embed 1000·64 = 64,000 (tied, once)
	// attention per layer: q_a 64·24 + 24 = 1,560 + q_a_layernorm 24 + q_b 24·(4·12) = 1,152 +
	//   kv_a 64·20 + 20 = 1,300 + kv_a_layernorm 16 + kv_b 16·(4·16) = 1,024 + o 32·64 + 64 =
	//   2,112 = 7,188; + 2 norms 128 → 7,316; × 5 = 36,580
	// dense MLP with biases: 2·(64·128 + 128) + 128·64 + 64 = 24,896; × 3 = 74,688
	// MoE: an expert 2·(64·32 + 32) + 32·64 + 64 = 6,272; 8 of them 50,176 + shared (32·1 wide)
	//   6,272 + gate 8·64 = 512 → 56,960; × 2 = 113,920
	// final norm 64 → 64,000 + 36,580 + 74,688 + 113,920 + 64 = 289,252
	wantFigure(t, "params", params(t, name, src), "289252")

	res := computeStep(t, name, src, prefill2048)
	for _, p := range []string{"model.decoder_layer_0_1.mlp.gate_proj", "model.decoder_layer_2_2.mlp.gate",
		"model.decoder_layer_3_3.mlp.gate_proj", "model.decoder_layer_4_4.mlp.gate"} {
		if !hasLayer(res, p) {
			t.Errorf("no layer %s: layers 0, 1 and 3 are dense, 2 and 4 MoE", p)
		}
	}
	if r := row(t, res, "model.decoder_layer_2_2.mlp.experts.act_fn"); !strings.HasSuffix(r.Class, "PytorchGELUTanh") {
		t.Errorf("act_fn is %s, want the class of gelu_pytorch_tanh", r.Class)
	}
}

// TestDeepseekV2FLOPs checks DeepSeek-V2's matmul, attention and routing FLOPs against hand
// arithmetic, in the absorbed MLA form (the default) and transformers' decompressed form.
func TestDeepseekV2FLOPs(t *testing.T) {
	const file = "deepseek-v2.json"
	src := shipped(t, file)
	// Weights a token passes through (Linears, and the absorbed projections, which do per token
	// what kv_b_proj does decompressed: 512·(128·256) = 16,777,216):
	//   attention per layer: q_a 7,864,320 + q_b 37,748,736 + kv_a 2,949,120 + 16,777,216 + o
	//     83,886,080 = 149,225,472; × 60 = 8,953,528,320
	//   dense MLP 188,743,680 (layer 0)
	//   MoE: 6 routed experts and the shared MLP of two experts' width, 8·3·5120·1536 =
	//     188,743,680 per layer; × 59 = 11,135,877,120
	//   lm_head 5120·102400 = 524,288,000
	//   sum 20,802,437,120
	// Attention per attended pair and layer: absorbed 2·128·(576 + 512) = 278,528; decompressed
	// 2·128·(192 + 128) = 81,920.
	eager := map[string]expr.Value{"mla_absorb": expr.Bool(false)}
	for _, c := range []struct {
		name                 string
		s                    step
		matmul, attn, attnHF string
	}{
		// prefill 2048: 2·2048·20,802,437,120; pairs 2048·2049/2 = 2,098,176, × 60 layers
		{"prefill", prefill2048, "85_206_782_443_520", "35_064_045_895_680", "10_312_954_675_200"},
		// decode after 2048: 2·20,802,437,120; 2049 pairs × 60 layers
		{"decode", decode2048, "41_604_874_240", "34_242_232_320", "10_071_244_800"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := computeStep(t, file, src, c.s)
			wantFigure(t, "matmul", categoryFLOPs(res, "matmul"), c.matmul)
			wantFigure(t, "attention", categoryFLOPs(res, "attention"), c.attn)
			hf := computeWith(t, file, src, c.s, eager)
			wantFigure(t, "matmul, decompressed", categoryFLOPs(hf, "matmul"), c.matmul)
			wantFigure(t, "attention, decompressed", categoryFLOPs(hf, "attention"), c.attnHF)
		})
	}
	// Routing in a 2048-token prefill: the fp32 scoring matmul 2·2048·5120·160, the softmax
	// 5·2048·160 and the routed_scaling_factor multiply of 2048·6 weights, × 59 MoE layers.
	pre := computeStep(t, file, src, prefill2048)
	wantFigure(t, "routing", categoryFLOPs(pre, "routing"), fmt.Sprint((2*2048*5120*160+5*2048*160+2048*6)*59))
	// Decode: the cache held is the cache read. Absorbed: 2049 latents of 576 bf16 values per
	// layer, 2049·576·2·60 = 141,626,880 bytes; the core reads Q (128·576·2·60 = 8,847,360) and
	// that cache.
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "KV cache held", dec.Totals.KVCacheBytes, "141_626_880")
	wantFigure(t, "attention reads besides the cache", ratSub(dec.Totals.ByCategory["attention"].BytesRead, dec.Totals.KVCacheBytes), "8_847_360")
}

// TestDeepseekV2LiteFLOPs: DeepSeek-V2-Lite has a plain q_proj. Per token: attention per layer
// q_proj 2048·3072 = 6,291,456 + kv_a 2048·576 = 1,179,648 + absorbed 512·4096 = 2,097,152 + o
// 2048·2048 = 4,194,304 = 13,762,560, × 27 = 371,589,120; dense MLP 3·2048·10944 =
// 67,239,936; MoE 8 experts' width (6 routed, 2 shared) 8·3·2048·1408 = 69,206,016, × 26 =
// 1,799,356,416; lm_head 2048·102400 = 209,715,200; sum 2,447,900,672. Attention per pair and
// layer 2·16·(576 + 512) = 34,816.
func TestDeepseekV2LiteFLOPs(t *testing.T) {
	const name = "testdata/configs/deepseek-ai__DeepSeek-V2-Lite-Chat.json"
	src := buildConfig(t, name, nil)
	pre := computeStep(t, name, src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(pre, "matmul"), "10_026_601_152_512")      // 2·2048·2,447,900,672
	wantFigure(t, "prefill attention", categoryFLOPs(pre, "attention"), "1_972_352_581_632") // 34,816·2,098,176·27
	dec := computeStep(t, name, src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(dec, "matmul"), "4_895_801_344")       // 2·2,447,900,672
	wantFigure(t, "decode attention", categoryFLOPs(dec, "attention"), "1_926_125_568") // 34,816·2049·27
}

// ratSub is a − b.
func ratSub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
