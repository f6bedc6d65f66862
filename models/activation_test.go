package models_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
)

// actFLOPs sums, over every MLP activation layer (act_fn, Phi-3's and OPT's activation_fn,
// GPT-2's act), FLOPs × count,
// and returns the classes those layers have.
func actFLOPs(res *calc.Result) (*big.Rat, map[string]bool) {
	sum, classes := new(big.Rat), map[string]bool{}
	for _, r := range res.Rows {
		if !strings.HasSuffix(r.Path, ".act_fn") && !strings.HasSuffix(r.Path, ".activation_fn") && !strings.HasSuffix(r.Path, ".act") {
			continue
		}
		classes[r.Class] = true
		sum.Add(sum, new(big.Rat).Mul(r.Figures.FLOPs.Rat(), new(big.Rat).SetInt(r.Count)))
	}
	return sum, classes
}

// TestHiddenActChoosesTheClass: the families whose template used to pin hidden_act (GPT-2's and
// OPT's activation_function) with an enum, or Llama's act_fn to SiLU whatever hidden_act said,
// take any ACT2FN name the catalog knows; the MLP activation is the class activation() gives
// it. Without the key, the config class's default applies: silu; gelu_pytorch_tanh for Gemma;
// gelu_new for GPT-2 and relu for OPT (their activation_function). Elements the MLP
// activations see in a prefill of 2048 tokens (routed experts get tokens·k/E rows each, so the
// E experts of a layer together see tokens·k rows):
//
//	Llama-2-7b      32 layers · 2048 · 11008                                   = 721,420,288
//	GPT-2           12 layers · 2048 · 3072 (n_inner absent: 4 · n_embd 768)   = 75,497,472
//	OPT-125m        12 layers · 2048 · 3072 (ffn_dim)                          = 75,497,472
//	Mistral-7B      32 layers · 2048 · 14336                                   = 939,524,096
//	Mixtral-8x7B    32 layers · 2048·2 · 14336                                 = 1,879,048,192
//	Phi-3-mini      32 layers · 2048 · 8192                                    = 536,870,912
//	DeepSeek-V3     3 dense · 2048 · 18432 = 113,246,208; 58 MoE · (2048·8 routed + 2048
//	                shared) · 2048 = 58 · 37,748,736 = 2,189,426,688; (the MTP layer is off)
//	                                                                           = 2,302,672,896
//	Qwen3-30B-A3B   48 layers · 2048·8 · 768                                   = 603,979,776
//	Gemma-7B        28 layers · 2048 · 24576                                   = 1,409,286,144
//
// The catalog counts SiLU 3 FLOPs an element, exact GELU 5, the tanh GELU 9, ReLU 1. So
// Llama-2-7b with hidden_act gelu has 5 · 721,420,288 = 3,607,101,440 activation FLOPs where
// silu has 3 · 721,420,288 = 2,164,260,864.
func TestHiddenActChoosesTheClass(t *testing.T) {
	const (
		silu = "torch.nn.modules.activation.SiLU"
		gelu = "transformers.activations.GELUActivation"    // ACT2FN's gelu
		newg = "transformers.activations.NewGELUActivation" // gelu_new
		tanh = "transformers.activations.PytorchGELUTanh"   // gelu_pytorch_tanh, NewGELU's formula
		relu = "torch.nn.modules.activation.ReLU"
	)
	per := map[string]int64{silu: 3, gelu: 5, newg: 9, tanh: 9, relu: 1}
	for _, c := range []struct {
		config   string
		key      string // the config key naming the activation
		elements int64
		act      string // the shipped config's class
		other    string // another activation name, and its class and FLOPs per element
		class    string
		perElt   int64
		absent   string // the class without hidden_act: the config class's default
	}{
		{"models/llama-2-7b-hf.config.json", "hidden_act", 721_420_288, silu, "gelu", gelu, 5, silu},
		{"models/gpt2.config.json", "activation_function", 75_497_472, newg, "relu", relu, 1, newg},
		{"models/opt-125m.config.json", "activation_function", 75_497_472, relu, "gelu", gelu, 5, relu},
		{"models/mistral-7b-v0.1.config.json", "hidden_act", 939_524_096, silu, "gelu", gelu, 5, silu},
		{"models/mixtral-8x7b-v0.1.config.json", "hidden_act", 1_879_048_192, silu, "relu", relu, 1, silu},
		{"models/phi-3-mini-4k-instruct.config.json", "hidden_act", 536_870_912, silu, "gelu_new", newg, 9, silu},
		{"models/deepseek-v3.config.json", "hidden_act", 2_302_672_896, silu, "gelu", gelu, 5, silu},
		{"models/qwen3-30b-a3b.config.json", "hidden_act", 603_979_776, silu, "gelu_pytorch_tanh", tanh, 9, silu},
		// GemmaConfig's default is the tanh GELU, not gemma-7b's "gelu".
		{"models/gemma-7b.config.json", "hidden_act", 1_409_286_144, gelu, "gelu_pytorch_tanh", tanh, 9, tanh},
	} {
		t.Run(c.config, func(t *testing.T) {
			shippedPer, absentPer := per[c.act], per[c.absent]
			for _, v := range []struct {
				set    map[string]any
				remove []string
				class  string
				perElt int64
			}{
				{nil, nil, c.act, shippedPer},
				{map[string]any{c.key: c.other}, nil, c.class, c.perElt},
				{nil, []string{c.key}, c.absent, absentPer},
			} {
				res := computeStep(t, c.config, buildConfig(t, c.config, v.set, v.remove...), prefill2048)
				flops, classes := actFLOPs(res)
				if len(classes) != 1 || !classes[v.class] {
					t.Errorf("%v %v: activation classes %v, want %s", v.set, v.remove, classes, v.class)
				}
				wantFigure(t, fmt.Sprintf("%v %v: activation FLOPs", v.set, v.remove), flops, fmt.Sprint(v.perElt*c.elements))
			}
			checkRefusals(t, c.config, []refusal{
				{map[string]any{c.key: "swiglu"}, c.key + ` "swiglu" is not an activation the catalog knows`},
			})
		})
	}
}
