package models_test

import (
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/model"
)

// Cohere (CohereForCausalLM, transformers 4.56.2): one CohereLayerNorm (weight, no bias) feeds
// attention and a SwiGLU MLP in parallel; q/k/v/o have biases only with attention_bias, the MLP
// never; with use_qk_norm, q_norm and k_norm are CohereLayerNorms whose weight is [heads,
// head_dim]; lm_head is tied by default and the logits are multiplied by logit_scale.

const ayaConfig = "models/aya-23-8b.config.json"

func TestCohereCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// aya-23-8B: V 256000, h 4096, L 32, H 32 (d 128), Hkv 8, I 14336, tied.
		// embed 256000·4096 = 1,048,576,000
		// per layer: q, o 2·4096² = 33,554,432; k, v 2·4096·1024 = 8,388,608; gate, up, down
		//   3·4096·14336 = 176,160,768; input_layernorm 4,096 → 218,107,904; × 32 = 6,979,452,928
		// norm 4,096; lm_head tied; total 8,028,033,024.
		{ayaConfig, "8_028_033_024"},
	})
}

func TestCohereVariants(t *testing.T) {
	checkVariants(t, []variant{
		// use_qk_norm (Command R+'s layer kind): q_norm weight 32·128 = 4,096, k_norm 8·128 =
		// 1,024 per layer, × 32 = 163,840 → 8,028,196,864.
		{"aya with q/k norms", ayaConfig, map[string]any{"use_qk_norm": true}, nil, "8_028_196_864"},
		// attention_bias: q 4096 + k 1024 + v 1024 + o 4096 = 10,240 per layer, × 32 = 327,680
		// → 8,028,360,704.
		{"aya with attention biases", ayaConfig, map[string]any{"attention_bias": true}, nil, "8_028_360_704"},
		// untied: lm_head 4096·256000 = 1,048,576,000 more → 9,076,609,024.
		{"aya untied", ayaConfig, map[string]any{"tie_word_embeddings": false}, nil, "9_076_609_024"},
		// Every size key absent: CohereConfig's defaults, Command R v01's shape (V 256000, h 8192,
		// I 22528, L 40, H 64, Hkv absent → 64): embed 256000·8192 = 2,097,152,000; per layer
		// 4·8192² = 268,435,456 + MLP 3·8192·22528 = 553,648,128 + LayerNorm 8,192 =
		// 822,091,776, × 40 = 32,883,671,040; norm 8,192; tied; total 34,980,831,232.
		{"CohereConfig defaults", ayaConfig, nil, []string{"vocab_size", "hidden_size", "intermediate_size",
			"num_hidden_layers", "num_attention_heads", "num_key_value_heads"}, "34_980_831_232"},
	})
}

// TestCohereFLOPs checks aya-23-8B's matmul and attention FLOPs against hand arithmetic, from the
// printed tree (print(model) of CohereForAI/aya-23-8B): q, o 4096 → 4096, k, v
// 4096 → 1024, gate, up 4096 → 14336, down 14336 → 4096, lm_head 4096 → 256000, no biases.
// Weights per layer 41,943,040 + 176,160,768 = 218,103,808. Attention: 32 heads · (2·128 +
// 2·128) = 16,384 FLOPs per pair.
//
//	prefill 2048: per layer 2·2048·218,103,808 = 893,353,197,568; × 32 = 28,587,302,322,176;
//	              lm_head 2·2048·4096·256000 = 4,294,967,296,000; matmul 32,882,269,618,176;
//	              attention 16,384·2,098,176·32 = 1,100,048,498,688
//	decode:       per layer 436,207,616; × 32 = 13,958,643,712; lm_head 2,097,152,000;
//	              matmul 16,055,795,712; attention 16,384·2049·32 = 1,074,266,112
func TestCohereFLOPs(t *testing.T) {
	checkStepFLOPs(t, "aya-23-8b.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "32_882_269_618_176", "1_100_048_498_688"},
		{"decode after 2048", 1, 2048, "16_055_795_712", "1_074_266_112"},
	})
}

// TestCohereNormsAndLogitScale checks the CohereLayerNorms and the logit scale at a prefill of
// 2048 tokens: input_layernorm normalises 2048·4096 elements at 6 FLOPs each (LayerNorm's 5 and
// the weight, no shift) = 50,331,648 per layer; logit_scale multiplies every one of the
// 2048·256000 = 524,288,000 logits once. With use_qk_norm, q_norm normalises 2048·32 rows of 128
// (6·2048·32·128 = 50,331,648 FLOPs) with a [32, 128] weight (4,096 parameters), k_norm 2048·8
// rows (12,582,912 FLOPs) with 1,024 parameters.
func TestCohereNormsAndLogitScale(t *testing.T) {
	res := computeStep(t, "aya-23-8b.json", shipped(t, "aya-23-8b.json"), prefill2048)
	wantFigure(t, "input_layernorm FLOPs", row(t, res, "model.decoder_layer.input_layernorm").Figures.FLOPs.Rat(), "50_331_648")
	wantFigure(t, "logit_scale FLOPs", row(t, res, "logit_scale").Figures.FLOPs.Rat(), "524_288_000")

	res = computeStep(t, "aya qk norm", buildConfig(t, ayaConfig, map[string]any{"use_qk_norm": true}), prefill2048)
	q, k := row(t, res, "model.decoder_layer.self_attn.q_norm"), row(t, res, "model.decoder_layer.self_attn.k_norm")
	wantFigure(t, "q_norm FLOPs", q.Figures.FLOPs.Rat(), "50_331_648")
	wantFigure(t, "q_norm params", q.Figures.Params.Rat(), "4096")
	wantFigure(t, "k_norm FLOPs", k.Figures.FLOPs.Rat(), "12_582_912")
	wantFigure(t, "k_norm params", k.Figures.Params.Rat(), "1024")
}

// TestCohereRefusals checks that what the template does not describe is refused.
func TestCohereRefusals(t *testing.T) {
	checkRefusals(t, ayaConfig, []refusal{
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 5}, "must divide"},
	})
}

// TestCohereQKNormTensorParallel: with use_qk_norm the q_norm and k_norm weights are [heads,
// head_dim], one row per head, so under --tp each device holds the rows of its own heads (vLLM
// shards them by head), not the whole weight. aya-23-8b's config with use_qk_norm true (h 4096,
// 32 layers, 32 heads, 8 KV heads, head_dim 128, I 14336, V 256000, tied) over --tp 2, one
// device:
//
//	embed_tokens (vocabulary-parallel) 256000·4096/2 = 524,288,000 (lm_head tied: counted once)
//	per layer: q_proj and o_proj 4096·4096/2 = 8,388,608 each; k_proj and v_proj 4096·1024/2 =
//	  2,097,152 each; MLP 3·4096·14336/2 = 88,080,384; input_layernorm 4,096 (replicated);
//	  q_norm 16 heads·128 = 2,048; k_norm 4 KV heads·128 = 512 → 109,058,560; × 32 =
//	  3,489,873,920
//	final norm 4,096
//	total 4,014,166,016 (the whole q_norm and k_norm on every device would be 32·(4096 + 1024 −
//	  2048 − 512) = 81,920 more)
func TestCohereQKNormTensorParallel(t *testing.T) {
	const name = "aya-qk-norm"
	src := buildConfig(t, ayaConfig, map[string]any{"use_qk_norm": true})
	f, err := model.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := calc.Compute(f, calc.Options{Parallel: calc.Parallelism{TP: 2}})
	if err != nil {
		t.Fatal(err)
	}
	wantFigure(t, "params per device", res.Totals.Params, "4_014_166_016")
	wantFigure(t, "q_norm params per device", row(t, res, "model.decoder_layer.self_attn.q_norm").Figures.Params.Rat(), "2048")
	wantFigure(t, "k_norm params per device", row(t, res, "model.decoder_layer.self_attn.k_norm").Figures.Params.Rat(), "512")
}
