package models_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/safetensors"
	"github.com/modeltool/modeltool/internal/weights"
)

// TestGlm4MoeJambaTensorNames writes checkpoint headers with the tensor names and shapes that
// transformers 4.56.2's Glm4Moe and Jamba modules save (their attribute names and nn.Parameter
// shapes; GLM's MTP layer as the released checkpoints store it, model.layers.<num_hidden_layers>)
// and requires validate --weights to map every tensor to a layer of the populated file with the
// same shape and total: the routers' correction-bias buffers, the Mamba mixer's A_log and D (held
// by the selective_scan layer) and its depthwise conv1d weight [d, 1, k] included.
func TestGlm4MoeJambaTensorNames(t *testing.T) {
	const h, heads, kvHeads, vocab, experts = 64, 4, 2, 100, 4
	cases := []struct {
		name, config string
		vars         [][2]string // variable defaults to change in the populated file
		tensors      func(ts tensorSet)
	}{
		{"glm4_moe", `{"model_type": "glm4_moe", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"head_dim": 16, "intermediate_size": 80, "moe_intermediate_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2,
			"n_shared_experts": 2, "first_k_dense_replace": 1, "num_hidden_layers": 3, "vocab_size": 100, "attention_bias": true,
			"use_qk_norm": true, "num_nextn_predict_layers": 1}`,
			[][2]string{{`"mtp_layers": 0`, `"mtp_layers": 1`}},
			func(ts tensorSet) {
				ts.embeddings(vocab, h, false)
				for i := range 4 { // layer 3 is the MTP layer
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, true, false)
					ts[p+"self_attn.q_norm.weight"] = []int64{16}
					ts[p+"self_attn.k_norm.weight"] = []int64{16}
					if i == 0 {
						ts.dense(p+"mlp.", h, 80)
						continue
					}
					ts[p+"mlp.gate.weight"] = []int64{experts, h}
					ts[p+"mlp.gate.e_score_correction_bias"] = []int64{experts}
					for e := range experts {
						ts.dense(fmt.Sprintf("%smlp.experts.%d.", p, e), h, 16)
					}
					ts.dense(p+"mlp.shared_experts.", h, 2*16)
				}
				p := "model.layers.3."
				ts[p+"embed_tokens.weight"] = []int64{vocab, h}
				ts[p+"enorm.weight"] = []int64{h}
				ts[p+"hnorm.weight"] = []int64{h}
				ts[p+"eh_proj.weight"] = []int64{h, 2 * h}
				ts[p+"shared_head.norm.weight"] = []int64{h}
				ts[p+"shared_head.head.weight"] = []int64{vocab, h}
			}},
		{"jamba", `{"model_type": "jamba", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"intermediate_size": 32, "num_experts": 4, "num_experts_per_tok": 2, "num_hidden_layers": 4, "vocab_size": 100,
			"attn_layer_period": 2, "attn_layer_offset": 1, "expert_layer_period": 2, "expert_layer_offset": 1,
			"mamba_d_state": 8, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_proj_bias": true}`,
			nil,
			func(ts tensorSet) {
				const d, r, n, k = 2 * h, 4, 8, 4 // d_inner, dt_rank ceil(64/16), d_state, d_conv
				ts["model.embed_tokens.weight"] = []int64{vocab, h}
				ts["model.final_layernorm.weight"] = []int64{h}
				ts["lm_head.weight"] = []int64{vocab, h}
				for i := range 4 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts[p+"input_layernorm.weight"] = []int64{h}
					ts[p+"pre_ff_layernorm.weight"] = []int64{h}
					if i%2 == 0 { // Mamba layer, dense MLP
						m := p + "mamba."
						ts[m+"in_proj.weight"] = []int64{2 * d, h}
						ts[m+"in_proj.bias"] = []int64{2 * d}
						ts[m+"conv1d.weight"] = []int64{d, 1, k}
						ts[m+"conv1d.bias"] = []int64{d}
						ts[m+"x_proj.weight"] = []int64{r + 2*n, d}
						ts[m+"dt_proj.weight"] = []int64{d, r}
						ts[m+"dt_proj.bias"] = []int64{d}
						ts[m+"A_log"] = []int64{d, n}
						ts[m+"D"] = []int64{d}
						ts[m+"out_proj.weight"] = []int64{h, d}
						ts[m+"out_proj.bias"] = []int64{h}
						ts[m+"dt_layernorm.weight"] = []int64{r}
						ts[m+"b_layernorm.weight"] = []int64{n}
						ts[m+"c_layernorm.weight"] = []int64{n}
						ts.dense(p+"feed_forward.", h, 32)
						continue
					}
					// Attention layer (head_dim 16, no biases), MoE.
					ts[p+"self_attn.q_proj.weight"] = []int64{h, h}
					ts[p+"self_attn.k_proj.weight"] = []int64{kvHeads * 16, h}
					ts[p+"self_attn.v_proj.weight"] = []int64{kvHeads * 16, h}
					ts[p+"self_attn.o_proj.weight"] = []int64{h, h}
					ts[p+"feed_forward.router.weight"] = []int64{experts, h}
					for e := range experts {
						ts.dense(fmt.Sprintf("%sfeed_forward.experts.%d.", p, e), h, 32)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := c.name + ".config.json" // only a name: the config is the text above
			src, err := populateConfig(t, name, []byte(c.config), "")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			text := string(src)
			for _, v := range c.vars {
				if !strings.Contains(text, v[0]) {
					t.Fatalf("the populated file has no %s", v[0])
				}
				text = strings.Replace(text, v[0], v[1], 1)
			}
			f, err := model.Parse(c.name+".json", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			ts := tensorSet{}
			c.tensors(ts)
			path := filepath.Join(t.TempDir(), "model.safetensors")
			writeSafetensors(t, path, ts)
			ck, err := safetensors.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := weights.Check(f, ck, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Diagnostics {
				t.Errorf("%s: %s", d.Layer, d.Message)
			}
			if res.ModelParams.Cmp(res.CheckpointParams) != 0 {
				t.Errorf("model %s parameters, checkpoint %s", res.ModelParams, res.CheckpointParams)
			}
		})
	}
}
