package weights_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/safetensors"
	"github.com/modeltool/modeltool/internal/weights"
)

// deepseekV3Tensors lists the tensors of deepseek-ai/DeepSeek-V3 as released: fp8 (E4M3)
// Linear weights with a float32 weight_scale_inv per 128×128 block, bf16 norms, embeddings and
// routers, the router's e_score_correction_bias buffer, and the multi-token-prediction layer
// 61. Shapes from the config: hidden 7168, 61 layers (3 dense), 128 heads, q_lora_rank 1536,
// kv_lora_rank 512, qk_nope/rope/v head dims 128/64/128, dense MLP 18432, 256 routed experts
// and 1 shared of 2048, vocabulary 129280.
func deepseekV3Tensors() []safetensors.Tensor {
	var ts []safetensors.Tensor
	add := func(name, dtype string, shape ...int64) {
		ts = append(ts, safetensors.Tensor{Name: name, DType: dtype, Shape: shape})
	}
	fp8 := func(name string, out, in int64) {
		add(name+".weight", "F8_E4M3", out, in)
		add(name+".weight_scale_inv", "F32", (out+127)/128, (in+127)/128)
	}
	mlp := func(p string, inter int64) {
		fp8(p+"gate_proj", inter, 7168)
		fp8(p+"up_proj", inter, 7168)
		fp8(p+"down_proj", 7168, inter)
	}
	add("model.embed_tokens.weight", "BF16", 129280, 7168)
	for i := 0; i <= 61; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		fp8(p+"self_attn.q_a_proj", 1536, 7168)
		add(p+"self_attn.q_a_layernorm.weight", "BF16", 1536)
		fp8(p+"self_attn.q_b_proj", 128*(128+64), 1536)
		fp8(p+"self_attn.kv_a_proj_with_mqa", 512+64, 7168)
		add(p+"self_attn.kv_a_layernorm.weight", "BF16", 512)
		fp8(p+"self_attn.kv_b_proj", 128*(128+128), 512)
		fp8(p+"self_attn.o_proj", 7168, 128*128)
		add(p+"input_layernorm.weight", "BF16", 7168)
		add(p+"post_attention_layernorm.weight", "BF16", 7168)
		if i < 3 {
			mlp(p+"mlp.", 18432)
			continue
		}
		add(p+"mlp.gate.weight", "BF16", 256, 7168)
		add(p+"mlp.gate.e_score_correction_bias", "F32", 256)
		for e := 0; e < 256; e++ {
			mlp(fmt.Sprintf("%smlp.experts.%d.", p, e), 2048)
		}
		mlp(p+"mlp.shared_experts.", 2048)
		if i == 61 { // the MTP module
			add(p+"embed_tokens.weight", "BF16", 129280, 7168)
			add(p+"enorm.weight", "BF16", 7168)
			add(p+"hnorm.weight", "BF16", 7168)
			add(p+"eh_proj.weight", "BF16", 7168, 2*7168)
			add(p+"shared_head.norm.weight", "BF16", 7168)
			add(p+"shared_head.head.weight", "BF16", 129280, 7168)
		}
	}
	add("model.norm.weight", "BF16", 7168)
	add("lm_head.weight", "BF16", 129280, 7168)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// shippedDeepSeekV3 parses models/deepseek-v3.json.
func shippedDeepSeekV3(t testing.TB) *model.File {
	t.Helper()
	src, err := os.ReadFile("../../models/deepseek-v3.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Parse("deepseek-v3.json", src)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDeepSeekV3Checkpoint compares the shipped deepseek-v3.json with the released checkpoint's
// tensors. The file counts 671,026,404,352 parameters (mtp_layers 0, its default, for
// inference); the checkpoint holds 684,489,830,400 (with the MTP layer, as the README says) plus
// the MTP router's 256-element e_score_correction_bias, which no layer of the file takes as a
// buffer because the file has no MTP layer. So: no shape finding and nothing missing; the MTP
// layer's tensors reported once, at the layer that repeats 0 times; and the totals.
func TestDeepSeekV3Checkpoint(t *testing.T) {
	f := shippedDeepSeekV3(t)
	ck := &safetensors.Checkpoint{Path: "DeepSeek-V3", Tensors: deepseekV3Tensors()}
	res, err := weights.Check(f, ck, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := lines(res.Diagnostics)
	if len(got) != 2 ||
		!strings.Contains(got[0], "error weight-total : the model file has 671,026,404,352 parameters and the checkpoint 684,489,830,656 (13,463,426,304 more)") ||
		!strings.Contains(got[1], "weight-unused model.mtp_layer: ") ||
		!strings.Contains(got[1], "repeats 0 times with the file's default variables: {mtp_layers}") {
		t.Errorf("findings:\n%s", strings.Join(got, "\n"))
	}
	// 61 layers × 5 attention projections, 3 × 3 dense MLP projections, 58 × 257 × 3 expert
	// and shared-expert projections, and the MTP layer's 5 + 257 · 3 are unused: counted apart.
	if n := res.Quantized["fp8"]; n != 61*5+3*3+58*257*3 {
		t.Errorf("fp8 weights: %d", n)
	}
}

// BenchmarkCheckDeepSeekV3 compares the shipped DeepSeek-V3 file with its 91,000-tensor fp8
// checkpoint (headers in memory).
func BenchmarkCheckDeepSeekV3(b *testing.B) {
	f := shippedDeepSeekV3(b)
	ck := &safetensors.Checkpoint{Path: "DeepSeek-V3", Tensors: deepseekV3Tensors()}
	b.ResetTimer()
	for range b.N {
		if _, err := weights.Check(f, ck, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDeepSeekV3BlockScales: the shipped file declares DeepSeek-V3's 128×128 fp8 blocks
// (quant_block_out, quant_block_in), so each weight_scale_inv must be exactly
// [ceil(out/128), ceil(in/128)]: an expert's gate_proj [2048, 7168] has [16, 56]; a checkpoint
// with [3, 56] or [16, 4] there is a shape finding (each alone fits some block, not the file's).
func TestDeepSeekV3BlockScales(t *testing.T) {
	f := shippedDeepSeekV3(t)
	name := "model.layers.5.mlp.experts.7.gate_proj.weight_scale_inv"
	for _, shape := range [][]int64{{3, 56}, {16, 4}} {
		ts := deepseekV3Tensors()
		i := sort.Search(len(ts), func(i int) bool { return ts[i].Name >= name })
		if i == len(ts) || ts[i].Name != name {
			t.Fatalf("no %s", name)
		}
		ts[i].Shape = shape
		res, err := weights.Check(f, &safetensors.Checkpoint{Path: "DeepSeek-V3", Tensors: ts}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s is %s (F32) in the checkpoint, but the fp8 block scales of the layer's weight [2048, 7168] in blocks of 128×128 (the layer's quant_block_out × quant_block_in) are [16, 56]", name, safetensors.FormatShape(shape))
		n := 0
		for _, d := range res.Diagnostics {
			if d.Code == weights.CodeShape {
				n++
				if !strings.HasSuffix(d.Message, want) {
					t.Errorf("%v: finding %q\nwant …%q", shape, d.Message, want)
				}
			}
		}
		if n != 1 {
			t.Errorf("%v: %d shape findings, want 1: %v", shape, n, lines(res.Diagnostics))
		}
	}
}
