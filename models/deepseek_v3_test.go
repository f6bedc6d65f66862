package models_test

import (
	"fmt"
	"maps"
	"math/big"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/model"
)

func TestDeepseekV3Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		// embed 129280·7168 = 926,679,040; lm_head 926,679,040; final norm 7,168;
		// 61 × (attention 187,107,328 (q_a 11,010,048 + q_a_layernorm 1,536 + q_b 37,748,736 +
		// kv_a 4,128,768 + kv_a_layernorm 512 + kv_b 16,777,216 + o 117,440,512) + norms 14,336);
		// 3 dense MLPs 3·7168·18432 = 396,361,728; 58 MoE blocks 256·3·7168·2048 +
		// 3·7168·2048 + router 256·7168 = 11,320,164,352. No MTP layer (mtp_layers defaults to
		// 0), no router bias buffer.
		{"models/deepseek-v3.config.json", "671_026_404_352"},
	})
}

// computeWith runs calc on a model file for one step with further variables set.
func computeWith(t *testing.T, name string, src []byte, s step, set map[string]expr.Value) *calc.Result {
	t.Helper()
	f, err := model.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]expr.Value{"batch_size": expr.Int(s.batch), "seq_len": expr.Int(s.seq), "past_len": expr.Int(s.past)}
	maps.Copy(vars, set)
	out, err := calc.Compute(f, calc.Options{Set: vars})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// TestDeepseekV3MTP: the checkpoint holds one multi-token-prediction layer (config
// num_nextn_predict_layers 1) as model.layers.61: a MoE decoder layer like layers 3–60
// (attention 187,107,328 + its two norms 14,336 + MoE 11,320,164,352 = 11,507,286,016), enorm
// and hnorm (2·7168 = 14,336), eh_proj 2·7168 → 7168 (102,760,448), shared_head.norm (7,168) and
// its own stored copies of the embedding and the head (2·129280·7168 = 1,853,358,080):
// 13,463,426,048. With it, 671,026,404,352 + 13,463,426,048 = 684,489,830,400. Cross-check: a
// published tensor listing of the DeepSeek-R1 checkpoint (V3's shapes) sums to 684,531,386,000
// elements = 684,489,830,400 + 41,540,496 fp8 block scales (weight_scale_inv) + 15,104
// e_score_correction_bias values (59 MoE layers × 256, buffers).
func TestDeepseekV3MTP(t *testing.T) {
	const file = "deepseek-v3.json"
	src := shipped(t, file)
	off := computeWith(t, file, src, decode2048, nil)
	on := computeWith(t, file, src, decode2048, map[string]expr.Value{"mtp_layers": expr.Int(1)})
	wantFigure(t, "params without MTP", off.Totals.Params, "671_026_404_352")
	wantFigure(t, "params with MTP", on.Totals.Params, "684_489_830_400")
	if hasLayer(off, "model.mtp_layer.eh_proj") {
		t.Error("the MTP layer is computed with mtp_layers 0")
	}
	// One decode step through the MTP layer too: per token its Linears and absorbed
	// projections pass eh_proj 14336·7168 = 102,760,448 + attention 187,105,280 + MoE (8 routed
	// and 1 shared expert of 44,040,192) 396,361,728 + head 926,679,040 = 1,612,906,496
	// weights, 2 FLOPs each.
	delta := new(big.Rat).Sub(categoryFLOPs(on, "matmul"), categoryFLOPs(off, "matmul"))
	wantFigure(t, "matmul FLOPs the MTP layer adds", delta, "3_225_812_992")
	// Its attention keeps a cache too: one more layer of 2049 latents of 576 bf16 values.
	kv := new(big.Rat).Sub(on.Totals.KVCacheBytes, off.Totals.KVCacheBytes)
	wantFigure(t, "KV cache the MTP layer adds", kv, fmt.Sprint(2049*576*2))
}

// TestDeepseekV3WeightBytes derives the fp8 checkpoint's bytes by hand. quantization_config
// (fp8 e4m3, weight_block_size [128, 128]) stores every Linear of attention, the dense MLPs and
// the experts in 1 byte a weight plus one fp32 weight_scale_inv per 128×128 block (a block at
// an edge counts whole); the embedding, lm_head, the norms and the routers stay bf16.
//
//	fp8 weights: attention 187,105,280 × 61 = 11,413,422,080; dense MLPs 396,361,728 × 3 =
//	  1,189,085,184; MoE 257 experts (256 routed, 1 shared) × 44,040,192 × 58 =
//	  656,463,101,952; in all 669,065,609,216 bytes
//	scale blocks per attention: q_a 1536×7168 → 12·56 = 672, q_b 24576×1536 → 192·12 = 2,304,
//	  kv_a 576×7168 → 5·56 = 280, kv_b 32768×512 → 256·4 = 1,024, o 7168×16384 → 56·128 =
//	  7,168: 11,448; dense MLP 3 × 144·56 = 24,192; one expert 3 × 16·56 = 2,688, 257 of them
//	  690,816. 61·11,448 + 3·24,192 + 58·690,816 = 40,838,232 blocks, 163,352,928 bytes
//	bf16: embedding and lm_head 2 × 926,679,040, final norm 7,168, per layer input and
//	  post-attention norms 14,336 + q_a_layernorm 1,536 + kv_a_layernorm 512 = 16,384 (× 61 =
//	  999,424), routers 58 × 256·7168 = 106,430,464: 1,960,795,136 weights, 3,921,590,272 bytes
//	in all 669,065,609,216 + 163,352,928 + 3,921,590,272 = 673,150,552,416
//
// The MTP layer (mtp_layers=1) adds fp8 attention 187,105,280 and experts 11,318,329,344 =
// 11,505,434,624 bytes with 11,448 + 690,816 = 702,264 blocks (2,809,056 bytes), and in bf16
// eh_proj 14336·7168 = 102,760,448 (stored unquantized: the published DeepSeek-R1 tensor
// listing has 41,540,496 scale elements, exactly 40,838,232 + 702,264, none for eh_proj), the
// layer's norms 16,384, enorm and hnorm 14,336, shared_head.norm 7,168, its router 1,835,008 and
// its embedding and head 1,853,358,080: 1,957,991,424 weights, 3,915,982,848 bytes. With it:
// 673,150,552,416 + 11,505,434,624 + 2,809,056 + 3,915,982,848 = 688,574,778,944.
func TestDeepseekV3WeightBytes(t *testing.T) {
	const file = "deepseek-v3.json"
	src := shipped(t, file)
	off := computeWith(t, file, src, decode2048, nil)
	on := computeWith(t, file, src, decode2048, map[string]expr.Value{"mtp_layers": expr.Int(1)})
	wantFigure(t, "weight bytes without MTP", off.Totals.WeightBytes, "673_150_552_416")
	wantFigure(t, "weight bytes with MTP", on.Totals.WeightBytes, "688_574_778_944")
	eh := row(t, on, "model.mtp_layer.eh_proj")
	wantFigure(t, "eh_proj weight bytes (bf16, no scales)", eh.Figures.WeightBytes.Rat(), fmt.Sprint(14336*7168*2))
}

// TestDeepseekV3QLoraRankAbsentIsDefault: DeepseekV3Config gives an absent q_lora_rank its
// default 1536, an explicit null a plain q_proj. DeepSeek-V3's config without the key is the
// shipped model (671,026,404,352); with null each of the 61 layers trades q_a 7168·1536 =
// 11,010,048 + q_a_layernorm 1,536 + q_b 1536·(128·192) = 37,748,736 (48,760,320) for q_proj
// 7168·(128·192) = 176,160,768: +127,400,448 × 61 = +7,771,427,328 → 678,797,831,680.
func TestDeepseekV3QLoraRankAbsentIsDefault(t *testing.T) {
	const v3 = "models/deepseek-v3.config.json"
	wantFigure(t, "q_lora_rank absent", params(t, v3, buildConfig(t, v3, nil, "q_lora_rank")), "671_026_404_352")
	wantFigure(t, "q_lora_rank null", params(t, v3, buildConfig(t, v3, map[string]any{"q_lora_rank": nil})), "678_797_831_680")
}

// TestDeepseekV3Branches builds a small made-up deepseek_v3 config that takes the branches the
// shipped checkpoint does not: q_lora_rank null (a plain q_proj), attention_bias true,
// rope_interleave false, tied embeddings and two shared experts.
func TestDeepseekV3Branches(t *testing.T) {
	cfg := `{
  "model_type": "deepseek_v3", "torch_dtype": "bfloat16", "hidden_act": "silu",
  "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128, "moe_intermediate_size": 32,
  "num_hidden_layers": 3, "first_k_dense_replace": 1, "num_attention_heads": 4,
  "q_lora_rank": null, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8,
  "n_routed_experts": 8, "num_experts_per_tok": 2, "n_shared_experts": 2,
  "attention_bias": true, "rope_interleave": false, "tie_word_embeddings": true
}`
	const name = "deepseek-v3-branches.config.json" // only a name: the config is the text above
	src, err := populateConfig(t, name, []byte(cfg), "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// embed 1000·64 = 64,000 (tied, once)
	// attention per layer: q_proj 64·4·12 = 3,072 (no bias) + kv_a 64·20 + 20 = 1,300 +
	//   kv_a_layernorm 16 + kv_b 16·4·16 = 1,024 (no bias) + o 32·64 + 64 = 2,112 = 7,524;
	//   + norms 128 → 7,652; × 3 = 22,956
	// dense MLP 3·64·128 = 24,576
	// MoE per layer: experts 8·3·64·32 = 49,152 + shared 3·64·64 = 12,288 + router 8·64 = 512
	//   = 61,952; × 2 = 123,904
	// final norm 64 → 64,000 + 22,956 + 24,576 + 123,904 + 64 = 235,500
	wantFigure(t, "params", params(t, name, src), "235500")
}

// TestDeepseekV3FLOPs checks DeepSeek-V3's matmul, attention and expert FLOPs against hand
// arithmetic. h 7168, H 128, q_lora 1536, kv_lora 512, qk_nope 128, qk_rope 64, v 128, 61 layers
// of which 3 dense (I 18432) and 58 MoE (256 experts of 2048, k 8, one shared expert of 2048),
// V 129280, untied.
func TestDeepseekV3FLOPs(t *testing.T) {
	const file = "deepseek-v3.json"
	src := shipped(t, file)
	// Linear weights a token passes through:
	//   attention per layer: q_a 7168·1536 = 11,010,048 + q_b 1536·24576 = 37,748,736 +
	//     kv_a 7168·576 = 4,128,768 + kv_b 512·32768 = 16,777,216 + o 16384·7168 = 117,440,512
	//     = 187,105,280; × 61 = 11,413,422,080
	//   dense MLP 3·7168·18432 = 396,361,728; × 3 = 1,189,085,184
	//   MoE: one expert is 3·7168·2048 = 44,040,192; the shared expert sees every token and the
	//     256 routed experts see N·8/256 tokens each, 8N rows in all: 9·44,040,192 = 396,361,728
	//     per token; × 58 = 22,988,980,224
	//   lm_head 7168·129280 = 926,679,040
	//   sum 36,518,166,528 per token (the router is category "routing", not matmul)
	// The absorbed projections (q_absorb: q_nope·W_UK, 128 heads of 128 → 512; v_absorb:
	// o·W_UV, 128 heads of 512 → 128) do per token exactly the work kv_b_proj does in the
	// decompressed form (512 → 128·256): 2·16,777,216 FLOPs, so matmul totals are the same in
	// both forms; kv_b_proj itself does not run in the absorbed form.
	// Attention per attended pair and layer, absorbed (the default): 128 heads over the latent,
	// 2·576 QKᵀ + 2·512 AV = 278,528; decompressed: 128 · (2·192 + 2·128) = 81,920.

	// Prefill, batch 1, 2048 tokens (logits on all positions).
	// matmul 2·2048·36,518,166,528 = 149,578,410,098,688
	// attention absorbed 278,528 · (2048·2049/2 = 2,098,176) · 61 = 35,648,446,660,608;
	//   decompressed 81,920 · 2,098,176 · 61 = 10,484,837,253,120
	// KV cache: the MLA latent, 512 + 64 = 576 elements per token and layer, 2 bytes:
	//   2048 · 576 · 2 · 61 = 143,917,056
	pre := computeStep(t, file, src, prefill2048)
	wantFigure(t, "prefill matmul", categoryFLOPs(pre, "matmul"), "149_578_410_098_688")
	wantFigure(t, "prefill attention", categoryFLOPs(pre, "attention"), "35_648_446_660_608")
	wantFigure(t, "prefill KV cache", pre.Totals.KVCacheBytes, "143_917_056")
	// Router: 2·2048·7168·256 + 4·2048·256 per layer (matmul, sigmoid, bias add); × 58.
	wantFigure(t, "prefill routing", categoryFLOPs(pre, "routing"), fmt.Sprint((2*2048*7168*256+4*2048*256)*58))
	eager := map[string]expr.Value{"mla_absorb": expr.Bool(false)}
	preHF := computeWith(t, file, src, prefill2048, eager)
	wantFigure(t, "prefill matmul, decompressed", categoryFLOPs(preHF, "matmul"), "149_578_410_098_688")
	wantFigure(t, "prefill attention, decompressed", categoryFLOPs(preHF, "attention"), "10_484_837_253_120")

	// Decode: one token after 2048 cached.
	// matmul 2·36,518,166,528 = 73,036,333,056
	// attention absorbed 278,528 · 2049 · 61 = 34,812,936,192; decompressed 81,920 · 2049 · 61
	//   = 10,239,098,880
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "decode matmul", categoryFLOPs(dec, "matmul"), "73_036_333_056")
	wantFigure(t, "decode attention", categoryFLOPs(dec, "attention"), "34_812_936_192")
	decHF := computeWith(t, file, src, decode2048, eager)
	wantFigure(t, "decode matmul, decompressed", categoryFLOPs(decHF, "matmul"), "73_036_333_056")
	wantFigure(t, "decode attention, decompressed", categoryFLOPs(decHF, "attention"), "10_239_098_880")

	// The absorbed projections in decode: q_absorb is 2·128·1·128·512 = 16,777,216 FLOPs and
	// reads q_nope (128·128·2 bytes) and W_UK (128·128·512·2); kv_b_proj does nothing.
	qa := row(t, dec, "model.moe_decoder_layer.self_attn.q_absorb")
	wantFigure(t, "decode q_absorb FLOPs", qa.Figures.FLOPs.Rat(), "16_777_216")
	wantFigure(t, "decode q_absorb bytes read", qa.Figures.BytesRead.Rat(), fmt.Sprint(128*128*2+128*128*512*2))
	kvb := row(t, dec, "model.moe_decoder_layer.self_attn.kv_b_proj")
	wantFigure(t, "decode kv_b_proj FLOPs, absorbed", kvb.Figures.FLOPs.Rat(), "0")
	wantFigure(t, "decode kv_b_proj bytes read, absorbed", kvb.Figures.BytesRead.Rat(), "0")
	wantFigure(t, "kv_b_proj params, absorbed", kvb.Figures.Params.Rat(), fmt.Sprint(512*32768))

	// Each routed expert receives tokens·k/E rows: 2048·8/256 = 64 in prefill, 1·8/256 = 1/32 in
	// decode; its gate_proj is 2·rows·7168·2048 FLOPs and it reads min(1, rows) of its weights,
	// stored in fp8 with an fp32 scale per 128×128 block (quantization_config):
	// 7168·2048 + ceil(2048/128)·ceil(7168/128)·4 = 14,680,064 + 16·56·4 = 14,683,648 bytes.
	expert := "model.moe_decoder_layer.mlp.experts.gate_proj"
	for _, c := range []struct {
		what      string
		res       *calc.Result
		flops     *big.Rat
		weightRd  *big.Rat // bytes of weight read: (7168·2048 + 16·56·4) · min(1, rows)
		inputRows *big.Rat
	}{
		{"prefill", pre, big.NewRat(2*64*7168*2048, 1), big.NewRat(7168*2048+16*56*4, 1), big.NewRat(64, 1)},
		{"decode", dec, big.NewRat(2*7168*2048/32, 1), big.NewRat(7168*2048+16*56*4, 32), big.NewRat(1, 32)},
	} {
		t.Run(c.what, func(t *testing.T) {
			r := row(t, c.res, expert)
			if r.Count.Int64() != 58*256 {
				t.Errorf("%s: %s count = %s, want 58·256", c.what, expert, r.Count)
			}
			wantFigure(t, c.what+" expert gate_proj FLOPs", r.Figures.FLOPs.Rat(), c.flops.RatString())
			// bytes read = input rows·7168·2 + the weight share
			in := new(big.Rat).Mul(c.inputRows, big.NewRat(7168*2, 1))
			wantFigure(t, c.what+" expert gate_proj bytes read", r.Figures.BytesRead.Rat(), in.Add(in, c.weightRd).RatString())
		})
	}
}

// TestDeepseekV3CacheHeldIsCacheRead: in a decode step (one token after 2048 cached) the
// attention core reads the query and the cache it holds, nothing else, in both forms.
// Absorbed: the cache holds 2049 latents of 576 bf16 values per layer, 2049·576·2·61 =
// 143,987,328 bytes; the core reads Q (128 heads · 576 · 2 · 61 = 8,994,816) and that cache.
// Decompressed (transformers' eager form): the cache holds per-head K (192) and V (128),
// 2049·128·320·2·61 = 10,239,098,880 bytes, 71.1× the latent; the core reads Q
// (128·192·2·61 = 2,998,272) and that cache.
func TestDeepseekV3CacheHeldIsCacheRead(t *testing.T) {
	const file = "deepseek-v3.json"
	src := shipped(t, file)
	for _, c := range []struct {
		name         string
		absorb       bool
		held, qBytes string
	}{
		{"absorbed", true, "143_987_328", "8_994_816"},
		{"decompressed", false, "10_239_098_880", "2_998_272"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := computeWith(t, file, src, decode2048, map[string]expr.Value{"mla_absorb": expr.Bool(c.absorb)})
			wantFigure(t, "KV cache held", res.Totals.KVCacheBytes, c.held)
			read := new(big.Rat).Sub(res.Totals.ByCategory["attention"].BytesRead, res.Totals.KVCacheBytes)
			wantFigure(t, "attention bytes read besides the cache", read, c.qBytes)
		})
	}
}
