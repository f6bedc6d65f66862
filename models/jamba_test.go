package models_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/model"
)

// Jamba (transformers 4.56.2 modeling_jamba.py). Layer i is an attention layer iff
// i % attn_layer_period == attn_layer_offset, else a Mamba layer; its feed-forward is a mixture
// of experts iff num_experts > 1 and i % expert_layer_period == expert_layer_offset, else a
// dense MLP. With d = mamba_expand · hidden, r = mamba_dt_rank, N = mamba_d_state, k =
// mamba_d_conv, parameters per layer:
//
//	Mamba mixer  in_proj hidden·2d (+ 2d with mamba_proj_bias); conv1d d·k (depthwise) + d
//	             (mamba_conv_bias); x_proj d·(r + 2N); dt_proj r·d + d; A_log d·N; D d;
//	             out_proj d·hidden (+ hidden); dt_layernorm r, b_layernorm and c_layernorm N
//	attention    q, o hidden·hidden; k, v hidden·(Hkv·hidden/H); no biases, no rotary
//	dense MLP    3·hidden·intermediate
//	MoE          E experts 3·hidden·intermediate; router hidden·E
//	norms        2·hidden
//
// plus embed V·hidden, lm_head V·hidden (untied) and final_layernorm hidden.
//
// Jamba-1.5-Mini and Jamba-v0.1 (hidden 4096, 32 layers, 32 heads, 8 KV heads, intermediate
// 14336, 16 experts top 2, d 8192, r 256, N 16, k 4, conv bias, no projection bias, V 65536):
//
//	Mamba mixer  67,108,864 + 32,768 + 8,192 + 8192·288 = 2,359,296 + 2,097,152 + 8,192 +
//	             131,072 + 8,192 + 33,554,432 + 256 + 32 = 105,308,448
//	attention    2·16,777,216 + 2·4,194,304 = 41,943,040
//	dense MLP    176,160,768; MoE 16·176,160,768 + 65,536 = 2,818,637,824
//	layers 4, 12, 20, 28 attention, the other 28 Mamba; the odd 16 MoE, the even 16 dense
//	28·105,308,448 = 2,948,636,544 + 4·41,943,040 = 167,772,160 + 16·176,160,768 =
//	2,818,572,288 + 16·2,818,637,824 = 45,098,205,184 + norms 32·8,192 = 262,144 + embed and
//	lm_head 2·65536·4096 = 536,870,912 + 4,096 = 51,570,323,328 (the model card: 52B)
func TestJambaCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/ai21-jamba-1.5-mini.config.json", "51_570_323_328"},
		// Jamba-v0.1's config as a public test file copies it, trimmed of the keys whose
		// JambaConfig defaults it relies on (intermediate_size 14336, mamba_dt_rank "auto" =
		// ceil(4096/16) = 256, conv bias on, projection bias off, silu, untied): the same
		// shapes, 51,570,323,328 — the count an independent implementation reports for
		// Jamba-v0.1 too.
		{"testdata/configs/ai21labs__Jamba-v0.1.trimmed.json", "51_570_323_328"},
	})
}

// TestJambaSizes: Jamba-1.5-Large, whose config.json is not in a public copy here, has the
// shapes its paper and model card give — hidden 8192, 72 layers (9 attention, 63 Mamba), 64
// heads, 8 KV heads, intermediate 24576, 16 experts top 2 on 36 layers, mamba_expand 2, d_state
// 16, d_conv 4 — and mamba_dt_rank ceil(8192/16) = 512:
//
//	Mamba mixer  8192·32768 = 268,435,456 + conv 16384·4 + 16384 = 81,920 + x_proj
//	             16384·544 = 8,912,896 + dt_proj 512·16384 + 16384 = 8,404,992 + A_log
//	             262,144 + D 16,384 + out_proj 134,217,728 + norms 544 = 420,332,064
//	attention    2·67,108,864 + 2·8,388,608 = 150,994,944
//	dense MLP    3·8192·24576 = 603,979,776; MoE 16·603,979,776 + 8192·16 = 9,663,807,488
//	63·420,332,064 = 26,480,920,032 + 9·150,994,944 = 1,358,954,496 + 36·603,979,776 =
//	21,743,271,936 + 36·9,663,807,488 = 347,897,069,568 + norms 72·16,384 = 1,179,648 + embed
//	and lm_head 2·65536·8192 = 1,073,741,824 + 8,192 = 398,555,145,696 (the model card: 398B;
//	the same exact figure as a published derivation from its structure)
//
// Its decode state: 63 Mamba layers × (conv 16384·4 + SSM 16384·16) bf16 values = 41,287,680
// bytes per sequence, whatever the context.
func TestJambaSizes(t *testing.T) {
	large := map[string]any{"hidden_size": 8192, "num_hidden_layers": 72, "num_attention_heads": 64,
		"intermediate_size": 24576, "mamba_dt_rank": 512}
	src := buildConfig(t, "models/ai21-jamba-1.5-mini.config.json", large)
	wantFigure(t, "params", params(t, "Jamba-1.5-Large", src), "398_555_145_696")
	for _, past := range []int64{0, 100_000} {
		res := computeStep(t, "Jamba-1.5-Large", src, step{1, 1, past})
		// 9 attention layers cache (past + 1) tokens of 8 KV heads · 256 values · 2 bytes.
		attn := 9 * (past + 1) * 8 * 256 * 2
		wantFigure(t, "state and KV cache", res.Totals.KVCacheBytes, fmt.Sprint(41_287_680+attn))
	}
}

// TestJambaLayouts edits Jamba-1.5-Mini's config into the layouts the periods allow, and the
// branches the checkpoints do not take.
func TestJambaLayouts(t *testing.T) {
	const cfg = "models/ai21-jamba-1.5-mini.config.json"
	for _, c := range []struct {
		name   string
		set    map[string]any
		params string
		runs   []string // decoder layer runs and the class of each
	}{
		// One expert: every layer dense, runs of Mamba layers between the attention layers:
		// 51,570,323,328 − 16·(2,818,637,824 − 176,160,768) = 9,290,690,432.
		{"no experts", map[string]any{"num_experts": 1, "num_experts_per_tok": 1}, "9_290_690_432",
			[]string{"decoder_layer_0_3 Mamba", "decoder_layer_4_4 Attention", "decoder_layer_5_11 Mamba", "decoder_layer_29_31 Mamba"}},
		// One expert and num_experts_per_tok left at the 2 of JambaConfig: no layer has a
		// JambaSparseMoeBlock (num_experts > 1 is false everywhere), so k is never read and
		// transformers builds the same dense model.
		{"no experts, k unread", map[string]any{"num_experts": 1, "num_experts_per_tok": 2}, "9_290_690_432",
			[]string{"decoder_layer_0_3 Mamba", "decoder_layer_4_4 Attention"}},
		// Attention every layer, no experts: one run. 32·(41,943,040 + 176,160,768 + 8,192) +
		// 536,870,912 + 4,096 = 7,516,459,008.
		{"all attention", map[string]any{"num_experts": 1, "num_experts_per_tok": 1, "attn_layer_period": 1, "attn_layer_offset": 0},
			"7_516_459_008", []string{"decoder_layer Attention"}},
		// No conv bias (−8,192), in_proj and out_proj biases (+16,384 + 4,096), ×28 Mamba
		// layers: +344,064.
		{"biases", map[string]any{"mamba_conv_bias": false, "mamba_proj_bias": true}, "51_570_667_392", nil},
		// Tied: one 65536·4096 = 268,435,456 fewer.
		{"tied", map[string]any{"tie_word_embeddings": true}, "51_301_887_872", nil},
		// num_key_value_heads null: as many as query heads, k and v 4096·4096 each:
		// 4·2·(16,777,216 − 4,194,304) = 100,663,296 more.
		{"MHA", map[string]any{"num_key_value_heads": nil}, "51_670_986_624", nil},
		// mamba_dt_rank "auto" (JambaConfig's default): ceil(4096/16) = 256, as in the config. (A
		// null would reach the mixer as None, and is refused.)
		{"dt rank default", map[string]any{"mamba_dt_rank": "auto"}, "51_570_323_328", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := buildConfig(t, cfg, c.set)
			wantFigure(t, "params", params(t, c.name, src), c.params)
			classes := runClasses(t, c.name, src)
			for _, r := range c.runs {
				name, kind, _ := strings.Cut(r, " ")
				if cl, ok := classes[name]; !ok {
					t.Errorf("no decoder layer run %s (runs: %v)", name, classes)
				} else if !strings.HasSuffix(cl, ".Jamba"+kind+"DecoderLayer") {
					t.Errorf("%s is a %s, want a Jamba%sDecoderLayer", name, cl, kind)
				}
			}
		})
	}
}

// TestJambaRefusals: configs JambaConfig or JambaAttention reject, or this template cannot
// count.
func TestJambaRefusals(t *testing.T) {
	const cfg = "models/ai21-jamba-1.5-mini.config.json"
	for _, c := range []struct {
		set  map[string]any
		want string
	}{
		{map[string]any{"attn_layer_offset": 8}, "attn_layer_offset must be smaller than attn_layer_period"},
		{map[string]any{"expert_layer_offset": 2}, "expert_layer_offset must be smaller than expert_layer_period"},
		{map[string]any{"num_attention_heads": 24}, "hidden_size must be divisible by num_attention_heads"},
		{map[string]any{"sliding_window": 4096}, "flash-attention path only"},
		{map[string]any{"mamba_dt_rank": "AUTO"}, `mamba_dt_rank is "AUTO", which this template does not support (supported: auto)`},
		{map[string]any{"mamba_dt_rank": 0}, "mamba_dt_rank must be at least 1, got 0"},
		{map[string]any{"mamba_dt_rank": true}, "mamba_dt_rank must be an integer or a string, not true"},
		{map[string]any{"num_experts_per_tok": 17}, "num_experts_per_tok cannot exceed num_experts"},
	} {
		if _, err := configVariant(t, cfg, c.set); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.set, err, c.want)
		}
	}
}

// TestJambaDtRank: mamba_dt_rank is a number, or "auto" for ceil(hidden_size / 16) (JambaConfig:
// math.ceil(self.hidden_size / 16) if mamba_dt_rank == "auto"). The rank r enters a Mamba layer
// through x_proj d·(r + 2N), dt_proj r·d (its bias d does not depend on r) and dt_layernorm r:
// r·(2d + 1) parameters.
//
// Jamba-1.5-Mini (d = 8192): "auto" = ceil(4096/16) = 256, the config's own number, so
// 51,570,323,328 (TestJambaCheckpoints); 128 instead: 28·128·16,385 = 58,723,840 fewer,
// 51,511,599,488.
//
// A hidden size that 16 does not divide: hidden 4104 with 8 heads (head_dim 513; 8 KV heads),
// d = 8208, "auto" = ceil(256.5) = 257. Per Mamba layer: in_proj 4104·16416 = 67,371,264; conv1d
// 8208·4 + 8208 = 41,040; x_proj 8208·289 = 2,372,112; dt_proj 257·8208 + 8208 = 2,117,664;
// A_log 8208·16 = 131,328; D 8,208; out_proj 8208·4104 = 33,685,632; norms 257 + 32 = 289 →
// 105,727,537, ×28 = 2,960,371,036. Attention 4·4104·4104 = 67,371,264, ×4 = 269,485,056.
// Dense MLP 3·4104·14336 = 176,504,832, ×16 = 2,824,077,312. MoE 16·176,504,832 + 4104·16 =
// 2,824,142,976, ×16 = 45,186,287,616. Norms 32·2·4104 = 262,656; embed and lm_head
// 2·65536·4104 = 537,919,488; final norm 4,104. Total 51,778,407,268; with r = 256 instead,
// 28·16,417 = 459,676 fewer: 51,777,947,592.
func TestJambaDtRank(t *testing.T) {
	const cfg = "models/ai21-jamba-1.5-mini.config.json"
	odd := func(rank any) map[string]any {
		return map[string]any{"hidden_size": 4104, "num_attention_heads": 8, "num_key_value_heads": 8, "mamba_dt_rank": rank}
	}
	checkVariants(t, []variant{
		{"Mini auto", cfg, map[string]any{"mamba_dt_rank": "auto"}, nil, "51_570_323_328"},
		{"Mini 128", cfg, map[string]any{"mamba_dt_rank": 128}, nil, "51_511_599_488"},
		{"hidden 4104 auto", cfg, odd("auto"), nil, "51_778_407_268"},
		{"hidden 4104 absent", cfg, odd(nil), []string{"mamba_dt_rank"}, "51_778_407_268"},
		{"hidden 4104 257", cfg, odd(257), nil, "51_778_407_268"},
		{"hidden 4104 256", cfg, odd(256), nil, "51_777_947_592"},
	})
	// "auto" writes the number into the model file: the same file as the config that says 257.
	if a, b := buildConfig(t, cfg, odd("auto")), buildConfig(t, cfg, odd(257)); string(a) != string(b) {
		t.Error(`mamba_dt_rank "auto" builds another file than 257 for hidden 4104`)
	}
}

// TestJambaFLOPs checks Jamba-1.5-Mini against the module tree print(model) shows for it.
//
// Linear weights a token passes through:
//
//	Mamba, 28 layers  in_proj 4096·16384 = 67,108,864 + x_proj 8192·288 = 2,359,296 + dt_proj
//	                  256·8192 = 2,097,152 + out_proj 8192·4096 = 33,554,432 = 105,119,744;
//	                  ×28 = 2,943,352,832 (and dt_proj's bias adds, 28·8,192 = 229,376)
//	attention, 4      2·4096·4096 + 2·4096·1024 = 41,943,040; ×4 = 167,772,160
//	dense MLP, 16     3·4096·14336 = 176,160,768; ×16 = 2,818,572,288
//	MoE, 16           router 4096·16 = 65,536 + 2 experts 352,321,536 = 352,387,072; ×16 =
//	                  5,638,193,152 (each expert gets tokens·2/16 rows)
//	lm_head           4096·65536 = 268,435,456
//	→ 11,836,325,888, 2 FLOPs each, + 229,376 = 23,672,881,152 per token
//
// Attention core: 2·32·(128 + 128) = 16,384 FLOPs per causal pair and layer, ×4 layers.
// Convolution: 8192 channels · (2·4 + 1 bias) = 73,728 per token and layer, ×28.
// Selective scan: 8192·(8·16 + 5) = 1,089,536 per token and layer plus 8192·16 = 131,072 per
// call (A = −exp(A_log)), ×28.
func TestJambaFLOPs(t *testing.T) {
	const file = "ai21-jamba-1.5-mini.json"
	checkStepFLOPs(t, file, []stepFLOPs{
		// 2048·23,672,881,152; 65,536·2048·2049/2.
		{"prefill 2048", 2048, 0, "48_482_060_599_296", "137_506_062_336"},
		// 23,672,881,152; 65,536·2049.
		{"decode after 2048", 1, 2048, "23_672_881_152", "134_283_264"},
	})
	src := shipped(t, file)
	pre := computeStep(t, file, src, prefill2048)
	wantFigure(t, "prefill convolution", categoryFLOPs(pre, "convolution"), "4_227_858_432") // 28·73,728·2048
	wantFigure(t, "prefill scan", categoryFLOPs(pre, "scan"), "62_482_022_400")              // 28·(2048·1,089,536 + 131,072)
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "decode convolution", categoryFLOPs(dec, "convolution"), "2_064_384") // 28·73,728
	wantFigure(t, "decode scan", categoryFLOPs(dec, "scan"), "34_177_024")              // 28·(1,089,536 + 131,072)
}

// TestJambaCache: in a decode step after 2048 tokens the 4 attention layers hold 2049 tokens of
// 8 KV heads · (128 + 128) bf16 values, 4·2049·2048·2 = 33,570,816 bytes, and the 28 Mamba
// layers their fixed state: conv 8192 channels · 4 columns and SSM 8192 · 16, 28·(32,768 +
// 131,072)·2 = 9,175,040 bytes, whatever the context. Each Mamba layer reads the state it holds:
// conv1d reads the new token (8192·2), its weights ((32,768 + 8,192)·2) and the state (65,536);
// the scan reads x, Δ (8192 each), B and C (16 each) of the token in bf16, A_log and D
// ((131,072 + 8,192)·2) and the state (262,144).
func TestJambaCache(t *testing.T) {
	const file = "ai21-jamba-1.5-mini.json"
	src := shipped(t, file)
	dec := computeStep(t, file, src, decode2048)
	wantFigure(t, "cache held", dec.Totals.KVCacheBytes, "42_745_856")
	conv := row(t, dec, "model.decoder_layer_0_0.mamba.conv1d")
	wantFigure(t, "conv1d state", conv.Figures.KVCacheBytes.Rat(), "65_536")
	wantFigure(t, "conv1d reads", conv.Figures.BytesRead.Rat(), "163_840") // 16,384 + 81,920 + 65,536
	scan := row(t, dec, "model.decoder_layer_0_0.mamba.selective_scan")
	wantFigure(t, "SSM state", scan.Figures.KVCacheBytes.Rat(), "262_144")
	wantFigure(t, "scan reads", scan.Figures.BytesRead.Rat(), "573_504") // 32,832 + 278,528 + 262,144
	// After 100,000 tokens only the attention layers' cache has grown (100,001 tokens of 2048
	// values, 2 bytes, in 4 layers); the Mamba state is still 9,175,040 bytes.
	far := computeStep(t, file, src, step{1, 1, 100_000})
	wantFigure(t, "cache held after 100,000", far.Totals.KVCacheBytes, fmt.Sprint(9_175_040+4*100_001*2048*2))
	// A prefill writes the state without reading it.
	pre := computeStep(t, file, src, prefill2048)
	wantFigure(t, "prefill conv1d reads", row(t, pre, "model.decoder_layer_0_0.mamba.conv1d").Figures.BytesRead.Rat(), "33_636_352") // 2048·16,384 + 81,920
}

// runClasses maps the names of a model file's decoder layer runs to their classes.
func runClasses(t *testing.T, name string, src []byte) map[string]string {
	t.Helper()
	f, err := model.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, top := range f.Layers {
		for _, l := range top.SubLayers {
			if strings.HasPrefix(l.Name, "decoder_layer") {
				out[l.Name] = l.Class
			}
		}
	}
	return out
}
