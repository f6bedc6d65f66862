package models_test

import (
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/model"
)

// gpt-oss (transformers 4.56.2 modeling_gpt_oss.py). Parameters of one layer:
//
//	attention  q hidden·(H·d) + H·d, k and v hidden·(Hkv·d) + Hkv·d, o (H·d)·hidden + hidden
//	           (attention_bias), sinks H
//	MoE        router weight [E, hidden] + bias [E]; experts gate_up_proj [E, hidden, 2·I] +
//	           gate_up_proj_bias [E, 2·I], down_proj [E, I, hidden] + down_proj_bias [E, hidden]
//	norms      2·hidden
//
// plus embed V·hidden, lm_head V·hidden (untied) and the final norm hidden. The released
// experts are stored in MXFP4 (4-bit values with a shared 8-bit scale per 32): these are counts
// of parameters (elements), not of bytes.
func TestGptOssCheckpoints(t *testing.T) {
	// gpt-oss-20b: hidden 2880, 64 heads of 64, 8 KV heads, 24 layers alternating sliding (128)
	// and full attention, 32 experts of I 2880, k 4, V 201088, untied.
	//   attention 2880·4096 + 4096 = 11,800,576; k, v 2880·512 + 512 = 1,475,072 each;
	//     o 4096·2880 + 2880 = 11,799,360; sinks 64 → 26,550,144
	//   MoE router 32·2880 + 32 = 92,192; gate_up 32·2880·5760 = 530,841,600 + 32·5760 = 184,320;
	//     down 32·2880·2880 = 265,420,800 + 32·2880 = 92,160 → 796,631,072
	//   norms 5,760 → 823,186,976 per layer; ×24 = 19,756,487,424
	//   embed + lm_head 2·201088·2880 = 1,158,266,880; final norm 2,880
	//   total 20,914,757,184 = general.parameter_count of the released GGUF (Ollama's
	//   gpt-oss:20b; the model card: 20.91B)
	checkCheckpoints(t, []checkpoint{{"models/gpt-oss-20b.config.json", "20_914_757_184"}})

	// GptOssConfig's defaults are gpt-oss-120b's shape (its docstring says so): 36 layers,
	// 128 experts, the rest as the 20b.
	//   MoE router 128·2880 + 128 = 368,768; experts 128·(2880·5760 + 5760 + 2880·2880 + 2880)
	//     = 128·24,891,840 = 3,186,155,520
	//   per layer 26,550,144 + 368,768 + 3,186,155,520 + 5,760 = 3,213,080,192; ×36 =
	//     115,670,886,912; + 1,158,266,880 + 2,880 = 116,829,156,672 = general.parameter_count
	//     of the released GGUF (Ollama's gpt-oss:120b; the model card: 116.83B)
	src, err := populateConfig(t, "gpt-oss-defaults.config.json", []byte(`{"model_type": "gpt_oss"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	wantFigure(t, "defaults (120b) params", params(t, "defaults", src), "116_829_156_672")
}

// TestGptOssVariants edits gpt-oss-20b's config.
func TestGptOssVariants(t *testing.T) {
	const cfg = "models/gpt-oss-20b.config.json"
	full := make([]string, 24)
	for i := range full {
		full[i] = "full_attention"
	}
	for _, c := range []struct {
		name   string
		set    map[string]any
		remove []string
		params string
		// attention FLOPs of a 2048-token prefill: 16,384 per pair and layer (64 heads,
		// 2·64 + 2·64); a full layer attends 2048·2049/2 = 2,098,176 pairs, a sliding one
		// Σ min(p+1, 128) = 128·129/2 + 128·1920 = 254,016.
		attn string
	}{
		// The release spells the alternation out; without layer_types GptOssConfig builds the
		// same: 16,384·12·(2,098,176 + 254,016).
		{"default layer_types", nil, []string{"layer_types"}, "20_914_757_184", "462_459_764_736"},
		// Every layer full: 16,384·24·2,098,176; one run of 24 layers.
		{"all full", map[string]any{"layer_types": full}, nil, "20_914_757_184", "825_036_374_016"},
		// A null window: the sliding layers attend everything.
		{"no window", map[string]any{"sliding_window": nil}, nil, "20_914_757_184", "825_036_374_016"},
		// No attention biases: 4096 + 512 + 512 + 2880 = 8,000 per layer, 192,000 fewer.
		{"no attention bias", map[string]any{"attention_bias": false}, nil, "20_914_565_184", "462_459_764_736"},
		// Tied: 201088·2880 = 579,133,440 fewer.
		{"tied", map[string]any{"tie_word_embeddings": true}, nil, "20_335_623_744", "462_459_764_736"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := buildConfig(t, cfg, c.set, c.remove...)
			wantFigure(t, "params", params(t, c.name, src), c.params)
			wantFigure(t, "prefill attention", categoryFLOPs(computeStep(t, c.name, src, prefill2048), "attention"), c.attn)
		})
	}
	// A list of 24 identical layers merges into one run, named as the template's layer.
	if res := computeStep(t, "all full", buildConfig(t, cfg, map[string]any{"layer_types": full}), prefill2048); !hasLayer(res, "model.decoder_layer.mlp.router") {
		t.Error("24 full layers are not one decoder_layer run")
	}
	if _, err := configVariant(t, cfg, map[string]any{"layer_types": full[:20]}); err == nil || !strings.Contains(err.Error(), "24") {
		t.Errorf("20 layer types for 24 layers: err = %v, want a length error", err)
	}
}

// TestGptOssFLOPs checks gpt-oss-20b's matmul and attention FLOPs against the module tree.
//
// Linear weights a token passes through (multiply-adds), N tokens in the step:
//
//	per layer  q 2880·4096 + k, v 2880·512 each + o 4096·2880 = 26,542,080; router 2880·32 =
//	           92,160 → 26,634,240; ×24 = 639,221,760
//	experts    gate_up 2880·5760 + down 2880·2880 = 24,883,200 per expert and token; each of
//	           the 32 experts gets N·4/32 tokens: N·99,532,800 per layer; ×24 = N·2,388,787,200
//	lm_head    2880·201088 = 579,133,440
//	→ 3,607,142,400 per token; bias adds per token and layer: q 4096 + k 512 + v 512 + o 2880 +
//	  router 32 + 4 experts' gate_up 4·5760 and down 4·2880 = 42,592; ×24 = 1,022,208
//
// Attention core: 16,384 FLOPs per pair and layer; 12 full layers, 12 with a 128-key window.
func TestGptOssFLOPs(t *testing.T) {
	const file = "gpt-oss-20b.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		// 2·2048·3,607,142,400 + 2048·1,022,208; 16,384·12·(2,098,176 + 254,016).
		{"prefill 2048", 2048, 0, "14_776_948_752_384", "462_459_764_736"},
		// 2·3,607,142,400 + 1,022,208; 16,384·12·(2049 + 128).
		{"decode after 2048", 1, 2048, "7_215_307_008", "428_015_616"},
	})
	src := shipped(t, file)
	res := computeStep(t, file, src, prefill2048)
	// The clamped SwiGLU: 10 FLOPs per element of the 2048·4 rows of 2880.
	wantFigure(t, "glu FLOPs", row(t, res, "model.decoder_layer_0_0.mlp.experts.glu").Figures.FLOPs.Rat(), "235_929_600")
	// The router's softmax runs over the 4 best logits of each token: 5·2048·4.
	wantFigure(t, "router softmax FLOPs", row(t, res, "model.decoder_layer_0_0.mlp.router_softmax").Figures.FLOPs.Rat(), "40_960")
	// The sliding layers cache 128 tokens, the full ones 2048: 8 KV heads·(64 + 64) values,
	// 4 bytes (the config names no torch_dtype): 12·128·1024·4 + 12·2048·1024·4.
	wantFigure(t, "KV cache", res.Totals.KVCacheBytes, "106_954_752")

	// The released experts are MXFP4 (the config's quantization_config, which populate reads):
	// 4 bits and an 8-bit scale per 32 input features, 17/32 bytes a weight; their biases in
	// bf16. Per layer 32 experts of 2880×5760 (gate_up) and 2880×2880 (down) weights,
	// 796,262,400 at 17/32 = 423,014,400, and 32·(5760 + 2880) = 276,480 bias values at 2 =
	// 552,960; 24 layers: 10,165,616,640; plus the other 1,797,824,064 values in bf16,
	// 3,595,648,128: 13,761,264,768 bytes (the Hub's three files: 13.76 GB).
	f, err := model.Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := calc.Compute(f, calc.Options{Set: map[string]expr.Value{"dtype_bytes": expr.Int(2)}})
	if err != nil {
		t.Fatal(err)
	}
	wantFigure(t, "mxfp4 weight bytes", out.Totals.WeightBytes, "13_761_264_768")
}
