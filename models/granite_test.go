package models_test

import "testing"

// Granite (GraniteForCausalLM, transformers 4.56.2): the Llama layout (biases only with
// attention_bias / mlp_bias) plus µP multipliers as elementwise steps: the embeddings are
// multiplied by embedding_multiplier, each block's output by residual_multiplier before its
// residual add, and the logits divided by logits_scaling; attention_multiplier replaces the score
// scale inside the attention core.

const graniteConfig = "models/granite-3.3-2b-instruct.config.json"

func TestGraniteCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// granite-3.3-2b-instruct: V 49159, h 2048, L 40, H 32 (d 64), Hkv 8, I 8192, tied.
		// embed 49159·2048 = 100,677,632
		// per layer: q, o 2·2048² = 8,388,608; k, v 2·2048·512 = 2,097,152; gate, up, down
		//   3·2048·8192 = 50,331,648; two RMSNorms 4,096 → 60,821,504; × 40 = 2,432,860,160
		// norm 2,048; lm_head tied; total 2,533,539,840.
		{graniteConfig, "2_533_539_840"},
		// granite-3.3-8b-instruct: V 49159, h 4096, L 40, H 32, Hkv 8, I 12800, tied.
		// embed 49159·4096 = 201,355,264; per layer q, o 2·4096² = 33,554,432 + k, v 2·4096·1024
		// = 8,388,608 + MLP 3·4096·12800 = 157,286,400 + norms 8,192 = 199,237,632, × 40 =
		// 7,969,505,280; norm 4,096; total 8,170,864,640.
		{"testdata/configs/ibm-granite__granite-3.3-8b-instruct.json", "8_170_864_640"},
	})
}

func TestGraniteVariants(t *testing.T) {
	checkVariants(t, []variant{
		// untied: lm_head 2048·49159 = 100,677,632 more → 2,634,217,472.
		{"2b untied", graniteConfig, map[string]any{"tie_word_embeddings": false}, nil, "2_634_217_472"},
		// mlp_bias: gate, up 2·8192 + down 2048 = 18,432 per layer, × 40 = 737,280 →
		// 2,534,277,120.
		{"2b with MLP biases", graniteConfig, map[string]any{"mlp_bias": true}, nil, "2_534_277_120"},
		// attention_bias: q 2048 + k, v 2·512 + o 2048 = 5,120 per layer, × 40 = 204,800 →
		// 2,533,744,640.
		{"2b with attention biases", graniteConfig, map[string]any{"attention_bias": true}, nil, "2_533_744_640"},
	})
}

// TestGraniteFLOPs checks granite-3.3-2b's matmul and attention FLOPs against hand arithmetic,
// from the printed tree (print(model) of ibm-granite/granite-3.3-2b-instruct):
// q, o 2048 → 2048, k, v 2048 → 512, gate, up 2048 → 8192, down 8192 → 2048, lm_head 2048 →
// 49159 (tied, still computed), no biases. Weights per layer 10,485,760 + 50,331,648 =
// 60,817,408. Attention: 32 heads · (2·64 + 2·64) = 8,192 FLOPs per pair.
//
//	prefill 2048: per layer 2·2048·60,817,408 = 249,108,103,168; × 40 = 9,964,324,126,720;
//	              lm_head 2·2048·2048·49159 = 412,375,580,672; matmul 10,376,699,707,392;
//	              attention 8,192·2,098,176·40 = 687,530,311,680
//	decode:       per layer 121,634,816; × 40 = 4,865,392,640; lm_head 201,355,264;
//	              matmul 5,066,747,904; attention 8,192·2049·40 = 671,416,320
func TestGraniteFLOPs(t *testing.T) {
	checkStepFLOPs(t, "granite-3.3-2b-instruct.json", []stepFLOPs{
		{"prefill 2048", 2048, 0, "10_376_699_707_392", "687_530_311_680"},
		{"decode after 2048", 1, 2048, "5_066_747_904", "671_416_320"},
	})
}

// TestGraniteMultipliers checks the µP steps at a prefill of 2048 tokens, one FLOP per element:
// embed_scale 2048·2048 = 4,194,304 (once); attn_residual_scale and mlp_residual_scale 4,194,304
// each per layer; logits_scaling divides 2048·49159 = 100,677,632 logits. With act_mul
// (2048·8192 = 16,777,216) and the two residual adds per layer, the elementwise total is
// 4,194,304 + 40·(4·4,194,304 + 16,777,216) + 100,677,632 = 1,447,049,216.
func TestGraniteMultipliers(t *testing.T) {
	res := computeStep(t, "granite-3.3-2b-instruct.json", shipped(t, "granite-3.3-2b-instruct.json"), prefill2048)
	for path, want := range map[string]string{
		"model.embed_scale":                       "4_194_304",
		"model.decoder_layer.attn_residual_scale": "4_194_304",
		"model.decoder_layer.mlp_residual_scale":  "4_194_304",
		"logits_scaling":                          "100_677_632",
	} {
		wantFigure(t, path+" FLOPs", row(t, res, path).Figures.FLOPs.Rat(), want)
	}
	wantFigure(t, "elementwise FLOPs", categoryFLOPs(res, "elementwise"), "1_447_049_216")
}

// TestGraniteRefusals checks that what the template does not describe is refused.
func TestGraniteRefusals(t *testing.T) {
	checkRefusals(t, graniteConfig, []refusal{
		{map[string]any{"hidden_act": "swiglu"}, `hidden_act "swiglu" is not an activation the catalog knows`},
		{map[string]any{"num_key_value_heads": 5}, "must divide"},
	})
}
