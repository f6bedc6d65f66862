package models_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
)

// SmolLM3-3B, from SmolLM3Attention/SmolLM3MLP in modeling_smollm3.py: V 128256, h 2048, L 36,
// H 16, K 4, head_dim 2048/16 = 128, I 11008, tied, no biases.
//
//	per layer q 2048·2048 = 4,194,304   k, v 2048·512 = 1,048,576 each   o 4,194,304
//	          gate/up/down 3·2048·11008 = 67,633,152   two RMSNorms 4096   → 78,123,008
//	36·78,123,008 = 2,812,428,288; embedding 128256·2048 = 262,668,288; final norm 2048
//	→ 3,075,098,624, the total_parameters of the checkpoint's model.safetensors.index.json
//	(total_size 6,150,197,248 bytes in bf16, no lm_head.weight: tied).
//
// SmolLM3 is released in one size (3B, base and instruct share the config); the variants below
// change what other configs of the family may change.
func TestSmolLM3Checkpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/smollm3-3b.config.json", "3_075_098_624"},
	})
}

func TestSmolLM3ConfigKeys(t *testing.T) {
	const cfg = "models/smollm3-3b.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		remove []string
		params string
	}{
		// Untied: lm_head 128256·2048 = 262,668,288 more.
		{"untied", map[string]any{"tie_word_embeddings": false}, nil, "3_337_766_912"},
		// attention_bias: 2048 + 512 + 512 + 2048 = 5120 a layer, ×36 = 184,320.
		{"attention_bias", map[string]any{"attention_bias": true}, nil, "3_075_282_944"},
		// mlp_bias: 11008 + 11008 + 2048 = 24,064 a layer, ×36 = 866,304.
		{"mlp_bias", map[string]any{"mlp_bias": true}, nil, "3_075_964_928"},
		// Without the list, every fourth layer is NoPE: the same model.
		{"no list", nil, []string{"no_rope_layers"}, "3_075_098_624"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.name, buildConfig(t, cfg, c.set, c.remove...)), c.params)
		})
	}

	// NoPE layers (no_rope_layers 0: layers 3, 7, …, 35) have no rotary application; the
	// others do, in runs of three. With the list absent, no_rope_layer_interval 4 builds the same
	// file; with interval 2 half the layers are NoPE.
	shippedSrc := shipped(t, "smollm3-3b.json")
	if got := rotaryLayers(t, computeStep(t, "smollm3", shippedSrc, prefill2048)); got != 27 {
		t.Errorf("layers applying the rotary = %d, want 27", got)
	}
	// (The config has no _name_or_path: the model_id comes from the file name either way.)
	if src := buildConfig(t, cfg, nil, "no_rope_layers"); string(src) != string(buildConfig(t, cfg, nil)) {
		t.Error("no_rope_layers from no_rope_layer_interval 4 should build the same file as the list")
	}
	res := computeStep(t, "interval 2", buildConfig(t, cfg, map[string]any{"no_rope_layer_interval": 2}, "no_rope_layers"), prefill2048)
	if got := rotaryLayers(t, res); got != 18 {
		t.Errorf("interval 2: layers applying the rotary = %d, want 18", got)
	}
	// A list longer than the layers is read up to num_hidden_layers; a shorter one is an error.
	long := make([]int, 40)
	for i := range long {
		long[i] = 1
	}
	res = computeStep(t, "all rope", buildConfig(t, cfg, map[string]any{"no_rope_layers": long}), prefill2048)
	if row(t, res, "model.decoder_layer.self_attn.apply_rotary").Count.Int64() != 36 {
		t.Error("all-rope layers should be one run of 36")
	}
	if _, err := configVariant(t, cfg, map[string]any{"no_rope_layers": long[:35]}); err == nil ||
		!strings.Contains(err.Error(), "no_rope_layers has 35 items, but the smollm3 template needs at least {num_hidden_layers} = 36 of them") {
		t.Errorf("a short no_rope_layers: %v", err)
	}

	// use_sliding_window with a window: the NoPE layers slide (SmolLM3Config's layer_types).
	// Decode after 8192: 27 full layers attend 8193 keys, 9 sliding ones 1024; 512·16 heads =
	// 8192 FLOPs per pair and layer: 8192·(27·8193 + 9·1024) = 8192·230,427 = 1,887,657,984.
	res = computeStep(t, "sliding", buildConfig(t, cfg, map[string]any{"use_sliding_window": true, "sliding_window": 1024}), step{1, 1, 8192})
	wantFigure(t, "sliding decode attention", categoryFLOPs(res, "attention"), "1_887_657_984")
}

// rotaryLayers counts the decoder layers that apply the rotary.
func rotaryLayers(t *testing.T, res *calc.Result) int64 {
	t.Helper()
	n := new(big.Int)
	for _, r := range res.Rows {
		if strings.HasSuffix(r.Path, ".self_attn.apply_rotary") {
			n.Add(n, r.Count)
		}
	}
	return n.Int64()
}

// SmolLM3-3B at a fixed shape, from its printed tree (36 × SmolLM3DecoderLayer, lm_head 2048 →
// 128256). Linear weights per token: per layer q 4,194,304, k and v 1,048,576 each, o 4,194,304,
// gate/up/down 22,544,384 each → 78,118,912; ×36 = 2,812,280,832; lm_head 262,668,288 →
// 3,074,949,120 multiply-adds, 6,149,898,240 FLOPs per token. Attention core: 512 FLOPs per pair
// and head, ×16 heads ×36 layers = 294,912 per pair.
func TestSmolLM3FLOPs(t *testing.T) {
	checkStepFLOPs(t, "smollm3-3b.json", []stepFLOPs{
		// 2048·6,149,898,240; 2,098,176 causal pairs.
		{"prefill 2048", 2048, 0, "12_594_991_595_520", "618_777_280_512"},
		// 2049 pairs.
		{"decode after 2048", 1, 2048, "6_149_898_240", "604_274_688"},
	})
	// Rotary: applied in the 27 RoPE layers, 3 FLOPs per rotated element, 2048·(16 + 4)·128
	// elements: 3·5,242,880·27 = 424,673,280; the cos/sin tables once, 2048·128·4.5 = 1,179,648.
	res := computeStep(t, "smollm3", shipped(t, "smollm3-3b.json"), prefill2048)
	wantFigure(t, "rotary FLOPs", categoryFLOPs(res, "rotary"), "425_852_928")
}
