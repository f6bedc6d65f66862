package weights_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/safetensors"
	st "github.com/modeltool/modeltool/internal/safetensors/safetensorstest"
	"github.com/modeltool/modeltool/internal/weights"
)

// testdata/tiny-moe.json is a three-layer model, written by hand: vocabulary 64, hidden 16,
// 4 query heads and 2 key/value heads of 4, a dense layer 0 (MLP 32 wide) then two MoE layers
// (a router over 4 experts, each 8 wide), an untied lm_head. Its parameters, by hand:
//
//	embed_tokens                64·16                        = 1,024
//	attention per layer         16·16 + 2·(16·8) + 16·16     =   768
//	layer 0: dense MLP 3·16·32 = 1,536, norms 2·16 = 32      → 768 + 1,536 + 32 = 2,336
//	layers 1-2: router 16·4 = 64, experts 4·3·16·8 = 1,536   → (768 + 64 + 1,536 + 32)·2 = 4,800
//	norm 16, lm_head 16·64 = 1,024
//	total 1,024 + 2,336 + 4,800 + 16 + 1,024                 = 9,200
const tinyParams = 9200

func loadTiny(t *testing.T) *model.File {
	t.Helper()
	src, err := os.ReadFile("testdata/tiny-moe.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Parse("testdata/tiny-moe.json", src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tinyTensors is the checkpoint of tiny-moe as transformers saves it (Qwen2-MoE names).
func tinyTensors() []st.T {
	ts := []st.T{st.Of("model.embed_tokens.weight", "BF16", 64, 16)}
	for i := 0; i < 3; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			st.Of(p+"self_attn.q_proj.weight", "BF16", 16, 16),
			st.Of(p+"self_attn.k_proj.weight", "BF16", 8, 16),
			st.Of(p+"self_attn.v_proj.weight", "BF16", 8, 16),
			st.Of(p+"self_attn.o_proj.weight", "BF16", 16, 16),
			st.Of(p+"input_layernorm.weight", "BF16", 16),
			st.Of(p+"post_attention_layernorm.weight", "BF16", 16))
		if i == 0 {
			ts = append(ts,
				st.Of(p+"mlp.gate_proj.weight", "BF16", 32, 16),
				st.Of(p+"mlp.up_proj.weight", "BF16", 32, 16),
				st.Of(p+"mlp.down_proj.weight", "BF16", 16, 32))
			continue
		}
		ts = append(ts, st.Of(p+"mlp.gate.weight", "BF16", 4, 16))
		for e := 0; e < 4; e++ {
			q := fmt.Sprintf("%smlp.experts.%d.", p, e)
			ts = append(ts,
				st.Of(q+"gate_proj.weight", "BF16", 8, 16),
				st.Of(q+"up_proj.weight", "BF16", 8, 16),
				st.Of(q+"down_proj.weight", "BF16", 16, 8))
		}
	}
	return append(ts, st.Of("model.norm.weight", "BF16", 16), st.Of("lm_head.weight", "BF16", 64, 16))
}

// check writes tensors as one safetensors file and compares tiny-moe with it.
func check(t *testing.T, tensors []st.T) *weights.Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := st.Write(path, tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return checkPath(t, path)
}

func checkPath(t *testing.T, path string) *weights.Result {
	t.Helper()
	ck, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := weights.Check(loadTiny(t), ck, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// lines renders the findings as validate prints them.
func lines(ds []diag.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d:%d %s %s %s: %s", d.Line, d.Column, d.Severity, d.Code, d.Layer, d.Message))
	}
	return out
}

func wantFindings(t *testing.T, res *weights.Result, want ...string) {
	t.Helper()
	got := lines(res.Diagnostics)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// Every finding is FILE:LINE:COL, the totals and the tensors outside the model too.
	for _, d := range res.Diagnostics {
		if d.Line < 1 || d.Column < 1 {
			t.Errorf("no position: %s", d.String())
		}
	}
}

func TestCleanMatch(t *testing.T) {
	res := check(t, tinyTensors())
	wantFindings(t, res)
	if res.ModelParams.Int64() != tinyParams || res.CheckpointParams.Int64() != tinyParams {
		t.Errorf("params: model %s, checkpoint %s, want %d", res.ModelParams, res.CheckpointParams, tinyParams)
	}
}

// without returns ts without the tensor named name.
func without(ts []st.T, name string) []st.T {
	return slices.DeleteFunc(slices.Clone(ts), func(x st.T) bool { return x.Name == name })
}

// replaced returns ts with the tensor named name replaced by r.
func replaced(ts []st.T, name string, r st.T) []st.T {
	out := slices.Clone(ts)
	out[slices.IndexFunc(out, func(x st.T) bool { return x.Name == name })] = r
	return out
}

func TestWrongShape(t *testing.T) {
	// A transposed expert weight: the same elements, so the totals agree.
	name := "model.layers.2.mlp.experts.3.down_proj.weight"
	res := check(t, replaced(tinyTensors(), name, st.Of(name, "BF16", 8, 16)))
	wantFindings(t, res,
		"264:31 error weight-shape model.decoder_layer_1_2.mlp.experts.down_proj: model.layers.2.mlp.experts.3.down_proj.weight is [8, 16] (BF16) in the checkpoint, but the layer's weight is [{out_features}, {in_features}] = [16, 8] from the layer's parameters")
	// q_proj of the dense layer 16 rows short: the totals differ by 16·16.
	name = "model.layers.0.self_attn.q_proj.weight"
	res = check(t, replaced(tinyTensors(), name, st.Of(name, "BF16", 32, 16)))
	wantFindings(t, res,
		"3:3 error weight-total : the model file has 9,200 parameters and the checkpoint 9,456 (256 more)",
		"31:27 error weight-shape model.decoder_layer_0_0.self_attn.q_proj: model.layers.0.self_attn.q_proj.weight is [32, 16] (BF16) in the checkpoint, but the layer's weight is [{out_features}, {in_features}] = [16, 16] from the layer's parameters")
}

func TestMissingTensor(t *testing.T) {
	res := check(t, without(without(tinyTensors(), "model.layers.1.mlp.experts.2.up_proj.weight"), "model.norm.weight"))
	wantFindings(t, res,
		"3:3 error weight-total : the model file has 9,200 parameters and the checkpoint 9,056 (144 fewer)",
		"253:31 error weight-missing model.decoder_layer_1_2.mlp.experts.up_proj: the checkpoint lacks 1 of the weight [8, 16] tensors (8 instances), the first: model.layers.1.mlp.experts.2.up_proj.weight",
		"299:19 error weight-missing model.norm: the checkpoint has no model.norm.weight [16]")
	// Every layer-2 tensor gone: the run decoder_layer_1_2 is half missing.
	var ts []st.T
	for _, x := range tinyTensors() {
		if !strings.HasPrefix(x.Name, "model.layers.2.") {
			ts = append(ts, x)
		}
	}
	res = check(t, ts)
	if n := len(res.Diagnostics); n != 11 { // the 10 tensor kinds of a MoE layer, and the total
		t.Errorf("%d findings:\n%s", n, strings.Join(lines(res.Diagnostics), "\n"))
	}
}

func TestExtraTensor(t *testing.T) {
	ts := append(tinyTensors(),
		st.Of("model.layers.0.mlp.extra_proj.weight", "BF16", 16, 16),   // a module the file lacks
		st.Of("model.layers.3.input_layernorm.weight", "BF16", 16),      // a fourth layer
		st.Of("model.layers.0.self_attn.q_proj.bias", "BF16", 16),       // a bias the layer has not
		st.Of("vision_tower.patch_embed.weight", "BF16", 4, 4),          // outside the model
		st.Of("model.layers.0.self_attn.rotary_emb.inv_freq", "F32", 2), // a buffer: not reported
	)
	res := check(t, ts)
	wantFindings(t, res,
		"3:3 error weight-unused : the checkpoint's vision_tower.patch_embed.weight [4, 4] is held by no layer of the model file",
		"3:3 error weight-total : the model file has 9,200 parameters and the checkpoint 9,504 (304 more)",
		"5:15 error weight-unused model: the checkpoint's model.layers.3.input_layernorm.weight [16] is held by no layer of the model file (its name leads here)",
		"31:27 error weight-unused model.decoder_layer_0_0.self_attn.q_proj: the checkpoint's model.layers.0.self_attn.q_proj.bias [16] is held by no layer of the model file (its name leads here)",
		"91:23 error weight-unused model.decoder_layer_0_0.mlp: the checkpoint's model.layers.0.mlp.extra_proj.weight [16, 16] is held by no layer of the model file (its name leads here)")
}

func TestShardedIndex(t *testing.T) {
	dir := t.TempDir()
	idx, err := st.WriteSharded(dir, tinyTensors(), 17)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{idx, dir} {
		res := checkPath(t, path)
		wantFindings(t, res)
		if res.CheckpointParams.Int64() != tinyParams {
			t.Errorf("%s: checkpoint params %s", path, res.CheckpointParams)
		}
	}
}

// quantize rewrites every Linear weight of the decoder layers (2-D, under model.layers) with
// f, keeping the rest.
func quantize(f func(name string, out, in int64) []st.T) []st.T {
	var ts []st.T
	for _, x := range tinyTensors() {
		// The routers stay unquantized, as in released checkpoints (AWQ could not pack their 4 outputs).
		if strings.HasPrefix(x.Name, "model.layers.") && strings.HasSuffix(x.Name, ".weight") && len(x.Shape) == 2 && !strings.Contains(x.Name, ".mlp.gate.") {
			ts = append(ts, f(strings.TrimSuffix(x.Name, ".weight"), x.Shape[0], x.Shape[1])...)
			continue
		}
		ts = append(ts, x)
	}
	return ts
}

func TestQuantizedLayouts(t *testing.T) {
	cases := []struct {
		format string
		f      func(p string, out, in int64) []st.T
	}{
		// GPTQ, 4 bits, group size 8: qweight [in·4/32, out], qzeros [in/8, out·4/32], scales [in/8, out], g_idx [in].
		{"gptq", func(p string, out, in int64) []st.T {
			return []st.T{st.Of(p+".qweight", "I32", in*4/32, out), st.Of(p+".qzeros", "I32", in/8, out*4/32), st.Of(p+".scales", "F16", in/8, out), st.Of(p+".g_idx", "I32", in)}
		}},
		// AWQ, 4 bits: qweight [in, out·4/32].
		{"awq", func(p string, out, in int64) []st.T {
			return []st.T{st.Of(p+".qweight", "I32", in, out*4/32), st.Of(p+".qzeros", "I32", in/8, out*4/32), st.Of(p+".scales", "F16", in/8, out)}
		}},
		// fp8 with 128×128 block scales (DeepSeek-V3): the weight keeps its shape.
		{"fp8", func(p string, out, in int64) []st.T {
			return []st.T{st.Of(p+".weight", "F8_E4M3", out, in), st.Of(p+".weight_scale_inv", "F32", (out+127)/128, (in+127)/128)}
		}},
		// NVFP4: two values a byte, a scale per 16 (ceil: the experts' down_proj is 8 wide), a
		// global scale.
		{"fp4", func(p string, out, in int64) []st.T {
			return []st.T{st.Of(p+".weight", "U8", out, in/2), st.Of(p+".weight_scale", "F8_E4M3", out, (in+15)/16), st.Of(p+".weight_scale_2", "F32"), st.Of(p+".input_scale", "F32")}
		}},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			res := check(t, quantize(c.f))
			wantFindings(t, res)
			if res.CheckpointParams.Int64() != tinyParams {
				t.Errorf("checkpoint params %s, want %d", res.CheckpointParams, tinyParams)
			}
			// 3 layers × 4 attention projections, 3 dense MLP projections, 2 × 4 × 3 expert projections.
			if got := res.Quantized[c.format]; got != 12+3+2*12 {
				t.Errorf("quantized %v", res.Quantized)
			}
		})
	}
	// A packed weight that fits no packing is a shape finding.
	name := "model.layers.0.mlp.up_proj"
	ts := quantize(cases[0].f)
	ts = replaced(ts, name+".qweight", st.Of(name+".qweight", "I32", 3, 32))
	res := check(t, ts)
	if len(res.Diagnostics) == 0 || res.Diagnostics[len(res.Diagnostics)-1].Code != weights.CodeShape {
		t.Errorf("findings: %v", lines(res.Diagnostics))
	}
}

func TestFusedExperts(t *testing.T) {
	// The experts of each MoE layer as three fused tensors: [experts, out, in] (transformers v5),
	// [experts, in, out] (gpt-oss, Llama 4), or MXFP4 blocks [experts, out, in/32, 16] with scales.
	layouts := map[string]func(p string) []st.T{
		"out-in": func(p string) []st.T {
			return []st.T{st.Of(p+"gate_proj", "BF16", 4, 8, 16), st.Of(p+"up_proj", "BF16", 4, 8, 16), st.Of(p+"down_proj", "BF16", 4, 16, 8)}
		},
		"in-out": func(p string) []st.T {
			return []st.T{st.Of(p+"gate_proj", "BF16", 4, 16, 8), st.Of(p+"up_proj", "BF16", 4, 16, 8), st.Of(p+"down_proj", "BF16", 4, 8, 16)}
		},
		"mxfp4": func(p string) []st.T {
			var out []st.T
			for _, n := range []string{"gate_proj", "up_proj"} {
				out = append(out, st.Of(p+n+"_blocks", "U8", 4, 8, 1, 8), st.Of(p+n+"_scales", "U8", 4, 8, 1))
			}
			return append(out, st.Of(p+"down_proj_blocks", "U8", 4, 16, 1, 4), st.Of(p+"down_proj_scales", "U8", 4, 16, 1))
		},
	}
	for name, layout := range layouts {
		t.Run(name, func(t *testing.T) {
			var ts []st.T
			for _, x := range tinyTensors() {
				if !strings.Contains(x.Name, ".experts.") {
					ts = append(ts, x)
				}
			}
			ts = append(ts, layout("model.layers.1.mlp.experts.")...)
			ts = append(ts, layout("model.layers.2.mlp.experts.")...)
			res := check(t, ts)
			wantFindings(t, res)
			if res.CheckpointParams.Int64() != tinyParams {
				t.Errorf("checkpoint params %s", res.CheckpointParams)
			}
		})
	}
	// Fused experts of the wrong count.
	var ts []st.T
	for _, x := range tinyTensors() {
		if !strings.Contains(x.Name, "layers.2.mlp.experts.") {
			ts = append(ts, x)
		}
	}
	ts = append(ts, st.Of("model.layers.2.mlp.experts.gate_proj", "BF16", 5, 8, 16), st.Of("model.layers.2.mlp.experts.up_proj", "BF16", 4, 8, 16), st.Of("model.layers.2.mlp.experts.down_proj", "BF16", 4, 16, 8))
	res := check(t, ts)
	wantFindings(t, res,
		"3:3 error weight-total : the model file has 9,200 parameters and the checkpoint 9,328 (128 more)",
		"242:31 error weight-shape model.decoder_layer_1_2.mlp.experts.gate_proj: model.layers.2.mlp.experts.gate_proj is [5, 8, 16] (BF16) in the checkpoint, but the layer's weight is [instances, {out_features}, {in_features}] = [4, 8, 16] from the layer's parameters")
}

// TestQuantizedAuxiliaryShapes: the scales, zero points and group indices of a quantized weight
// must have the shapes its format gives them, derived from the layer's weight (up_proj of the
// dense layer 0: [out 32, in 16] in tiny-moe) — tiny-moe declares no quantization block, so
// each dimension must be ceil(n/b) for some block b. Each wrong one is one shape finding at the
// layer, the totals untouched (scales are not parameters).
func TestQuantizedAuxiliaryShapes(t *testing.T) {
	p := "model.layers.0.mlp.up_proj"
	gptq := func(p string, out, in int64) []st.T {
		return []st.T{st.Of(p+".qweight", "I32", in*4/32, out), st.Of(p+".qzeros", "I32", in/8, out*4/32), st.Of(p+".scales", "F16", in/8, out), st.Of(p+".g_idx", "I32", in)}
	}
	fp8 := func(p string, out, in int64) []st.T {
		return []st.T{st.Of(p+".weight", "F8_E4M3", out, in), st.Of(p+".weight_scale_inv", "F32", (out+127)/128, (in+127)/128), st.Of(p+".input_scale", "F32")}
	}
	for _, c := range []struct {
		name   string
		layout func(p string, out, in int64) []st.T
		tensor st.T
		want   string
	}{
		// 33 blocks of rows: more than the weight's 32 rows.
		{"fp8 block scales", fp8, st.Of(p+".weight_scale_inv", "F32", 33, 1), "weight_scale_inv is [33, 1] (F32) in the checkpoint, but the fp8 block scales of the layer's weight [32, 16] are [ceil(out/bo), ceil(in/bi)] for some block [bo, bi]"},
		// 5 = ceil(16/b) for no b (16/4 = 4, 16/3 → 6).
		{"fp8 block scales of no block", fp8, st.Of(p+".weight_scale_inv", "F32", 1, 5), "weight_scale_inv is [1, 5] (F32)"},
		{"fp8 input scale", fp8, st.Of(p+".input_scale", "F32", 2), "input_scale is [2] (F32) in the checkpoint, but the input scale of the layer's weight [32, 16] is one number"},
		// scales [in/8 = 2, out 32]: 31 columns is not one per output feature.
		{"gptq scales", gptq, st.Of(p+".scales", "F16", 2, 31), "scales is [2, 31] (F16) in the checkpoint, but the group scales of the layer's weight [32, 16] are [ceil(in/group), 32]"},
		// qzeros [2, 32·4/32 = 4].
		{"gptq qzeros", gptq, st.Of(p+".qzeros", "I32", 2, 5), "qzeros is [2, 5] (I32) in the checkpoint, but the packed zero points of the layer's weight [32, 16] are [ceil(in/group), ceil(out·bits/32)]"},
		{"gptq g_idx", gptq, st.Of(p+".g_idx", "I32", 32), "g_idx is [32] (I32) in the checkpoint, but the group index of the layer's weight [32, 16] is [16], one group number per input feature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := check(t, replaced(quantize(c.layout), c.tensor.Name, c.tensor))
			if len(res.Diagnostics) != 1 || res.Diagnostics[0].Code != weights.CodeShape || !strings.Contains(res.Diagnostics[0].Message, c.want) {
				t.Errorf("findings:\n  %s\nwant one weight-shape finding saying %q", strings.Join(lines(res.Diagnostics), "\n  "), c.want)
			}
			if res.CheckpointParams.Int64() != tinyParams {
				t.Errorf("checkpoint params %s, want %d", res.CheckpointParams, tinyParams)
			}
		})
	}
	// MXFP4 experts (fused, [experts 4, out 8, in 16]): scales [4, 8, ceil(16/32) = 1].
	var ts []st.T
	for _, x := range tinyTensors() {
		if !strings.Contains(x.Name, "layers.1.mlp.experts.") {
			ts = append(ts, x)
		}
	}
	e := "model.layers.1.mlp.experts."
	ts = append(ts, st.Of(e+"gate_proj_blocks", "U8", 4, 8, 1, 8), st.Of(e+"gate_proj_scales", "U8", 4, 8, 2),
		st.Of(e+"up_proj_blocks", "U8", 4, 8, 1, 8), st.Of(e+"up_proj_scales", "U8", 4, 8, 1),
		st.Of(e+"down_proj_blocks", "U8", 4, 16, 1, 4), st.Of(e+"down_proj_scales", "U8", 4, 16, 1))
	res := check(t, ts)
	if want := "gate_proj_scales is [4, 8, 2] (U8) in the checkpoint, but the MXFP4 scales of the layer's weight [4, 8, 16] are [4, 8, 1], one per 32 weights of a row"; len(res.Diagnostics) != 1 || !strings.Contains(res.Diagnostics[0].Message, want) {
		t.Errorf("findings:\n  %s\nwant %q", strings.Join(lines(res.Diagnostics), "\n  "), want)
	}
}
