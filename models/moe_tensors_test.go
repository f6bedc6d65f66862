package models_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/safetensors"
	"github.com/modeltool/modeltool/internal/weights"
)

// tensorSet is a checkpoint's tensor names and shapes, as a HuggingFace model saves them.
type tensorSet map[string][]int64

// dense adds a gated MLP's three projections under prefix (gate_proj, up_proj, down_proj).
func (ts tensorSet) dense(prefix string, hidden, inter int64) {
	ts[prefix+"gate_proj.weight"] = []int64{inter, hidden}
	ts[prefix+"up_proj.weight"] = []int64{inter, hidden}
	ts[prefix+"down_proj.weight"] = []int64{hidden, inter}
}

// attention adds a layer's q/k/v/o projections and its two norms; qkvBias adds q, k and v
// biases, oBias o's.
func (ts tensorSet) attention(prefix string, hidden, heads, kvHeads, headDim int64, qkvBias, oBias bool) {
	for _, p := range []struct {
		name string
		out  int64
	}{{"q", heads * headDim}, {"k", kvHeads * headDim}, {"v", kvHeads * headDim}} {
		ts[prefix+"self_attn."+p.name+"_proj.weight"] = []int64{p.out, hidden}
		if qkvBias {
			ts[prefix+"self_attn."+p.name+"_proj.bias"] = []int64{p.out}
		}
	}
	ts[prefix+"self_attn.o_proj.weight"] = []int64{hidden, heads * headDim}
	if oBias {
		ts[prefix+"self_attn.o_proj.bias"] = []int64{hidden}
	}
	ts[prefix+"input_layernorm.weight"] = []int64{hidden}
	ts[prefix+"post_attention_layernorm.weight"] = []int64{hidden}
}

// embeddings adds the embedding, the final norm and, untied, lm_head.
func (ts tensorSet) embeddings(vocab, hidden int64, tied bool) {
	ts["model.embed_tokens.weight"] = []int64{vocab, hidden}
	ts["model.norm.weight"] = []int64{hidden}
	if !tied {
		ts["lm_head.weight"] = []int64{vocab, hidden}
	}
}

// writeSafetensors writes a .safetensors file of zero-filled bf16 tensors.
func writeSafetensors(t *testing.T, path string, ts tensorSet) {
	t.Helper()
	header := map[string]any{}
	var offset int64
	for name, shape := range ts {
		n := int64(2)
		for _, d := range shape {
			n *= d
		}
		header[name] = map[string]any{"dtype": "BF16", "shape": shape, "data_offsets": []int64{offset, offset + n}}
		offset += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	data := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	data = append(append(data, h...), make([]byte, offset)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMoeTensorNames builds a small config of each MoE family, writes a checkpoint header with
// the tensor names and shapes the family's transformers 4.56.2 modules save (their attribute
// names and nn.Parameter shapes, from modeling_<type>.py), and requires validate --weights to
// map every tensor to a layer of the populated file with the same shape and total: the fused
// experts of granitemoe, llama4_text and gpt_oss included.
func TestMoeTensorNames(t *testing.T) {
	const h, heads, kvHeads, vocab, experts = 64, 4, 2, 100, 4
	cases := []struct {
		name    string
		config  string
		tensors func(ts tensorSet)
	}{
		{"olmoe", `{"model_type": "olmoe", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"intermediate_size": 32, "num_experts": 4, "num_experts_per_tok": 2, "num_hidden_layers": 2, "vocab_size": 100}`,
			func(ts tensorSet) {
				ts.embeddings(vocab, h, false)
				for i := range 2 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, false, false)
					ts[p+"self_attn.q_norm.weight"] = []int64{h}            // OlmoeRMSNorm(hidden_size)
					ts[p+"self_attn.k_norm.weight"] = []int64{kvHeads * 16} // OlmoeRMSNorm(head_dim·Hkv)
					ts[p+"mlp.gate.weight"] = []int64{experts, h}
					for e := range experts {
						ts.dense(fmt.Sprintf("%smlp.experts.%d.", p, e), h, 32)
					}
				}
			}},
		{"granitemoe", `{"model_type": "granitemoe", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"intermediate_size": 32, "num_local_experts": 4, "num_experts_per_tok": 2, "num_hidden_layers": 2, "vocab_size": 100,
			"tie_word_embeddings": true}`,
			func(ts tensorSet) {
				ts.embeddings(vocab, h, true)
				for i := range 2 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, false, false)
					ts[p+"block_sparse_moe.input_linear.weight"] = []int64{experts, 2 * 32, h} // [E, 2·I, hidden]
					ts[p+"block_sparse_moe.output_linear.weight"] = []int64{experts, h, 32}    // [E, hidden, I]
					ts[p+"block_sparse_moe.router.layer.weight"] = []int64{experts, h}
				}
			}},
		{"qwen2_moe", `{"model_type": "qwen2_moe", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"intermediate_size": 80, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 48, "num_experts": 4,
			"num_experts_per_tok": 2, "num_hidden_layers": 3, "vocab_size": 100, "decoder_sparse_step": 2}`,
			func(ts tensorSet) {
				ts.embeddings(vocab, h, false)
				for i := range 3 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, true, false)
					if (i+1)%2 != 0 {
						ts.dense(p+"mlp.", h, 80)
						continue
					}
					ts[p+"mlp.gate.weight"] = []int64{experts, h}
					for e := range experts {
						ts.dense(fmt.Sprintf("%smlp.experts.%d.", p, e), h, 16)
					}
					ts.dense(p+"mlp.shared_expert.", h, 48)
					ts[p+"mlp.shared_expert_gate.weight"] = []int64{1, h}
				}
			}},
		{"ernie4_5_moe", `{"model_type": "ernie4_5_moe", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"intermediate_size": 80, "moe_intermediate_size": 16, "moe_num_shared_experts": 2, "moe_num_experts": 4, "moe_k": 2,
			"num_hidden_layers": 3, "vocab_size": 100, "moe_layer_start_index": 1}`,
			func(ts tensorSet) {
				ts.embeddings(vocab, h, true)
				for i := range 3 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, false, false)
					if i == 0 {
						ts.dense(p+"mlp.", h, 80)
						continue
					}
					ts[p+"mlp.gate.weight"] = []int64{experts, h}
					ts[p+"mlp.moe_statics.e_score_correction_bias"] = []int64{1, experts}
					for e := range experts {
						ts.dense(fmt.Sprintf("%smlp.experts.%d.", p, e), h, 16)
					}
					ts.dense(p+"mlp.shared_experts.", h, 2*16)
				}
			}},
		{"llama4_text", `{"model_type": "llama4_text", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"head_dim": 16, "intermediate_size": 32, "intermediate_size_mlp": 96, "num_local_experts": 4, "num_hidden_layers": 4,
			"vocab_size": 100, "interleave_moe_layer_step": 2, "attention_chunk_size": 8}`,
			func(ts tensorSet) {
				ts.embeddings(vocab, h, false)
				for i := range 4 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, false, false)
					if i%2 == 0 {
						ts.dense(p+"feed_forward.", h, 96)
						continue
					}
					ts[p+"feed_forward.experts.gate_up_proj"] = []int64{experts, h, 2 * 32} // [E, hidden, 2·I]
					ts[p+"feed_forward.experts.down_proj"] = []int64{experts, 32, h}        // [E, I, hidden]
					ts[p+"feed_forward.router.weight"] = []int64{experts, h}
					ts.dense(p+"feed_forward.shared_expert.", h, 32)
				}
			}},
		{"gpt_oss", `{"model_type": "gpt_oss", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
			"head_dim": 16, "intermediate_size": 32, "num_local_experts": 4, "num_experts_per_tok": 2, "num_hidden_layers": 3,
			"vocab_size": 100}`,
			func(ts tensorSet) {
				ts.embeddings(vocab, h, false)
				for i := range 3 {
					p := fmt.Sprintf("model.layers.%d.", i)
					ts.attention(p, h, heads, kvHeads, 16, true, true)
					ts[p+"self_attn.sinks"] = []int64{heads}
					ts[p+"mlp.router.weight"] = []int64{experts, h}
					ts[p+"mlp.router.bias"] = []int64{experts}
					ts[p+"mlp.experts.gate_up_proj"] = []int64{experts, h, 2 * 32}
					ts[p+"mlp.experts.gate_up_proj_bias"] = []int64{experts, 2 * 32}
					ts[p+"mlp.experts.down_proj"] = []int64{experts, 32, h}
					ts[p+"mlp.experts.down_proj_bias"] = []int64{experts, h}
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
			f, err := model.Parse(c.name+".json", src)
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
