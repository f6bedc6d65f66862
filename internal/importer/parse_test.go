package importer

import (
	"strings"
	"testing"
)

const tiny = `LlamaForCausalLM(
  (model): LlamaModel(
    (embed_tokens): Embedding(64, 16)
    (layers): ModuleList(
      (0-1): 2 x LlamaDecoderLayer(
        (self_attn): LlamaAttention(
          (q_proj): Linear(in_features=16, out_features=16, bias=False)
          (k_proj): Linear(in_features=16, out_features=8, bias=False)
          (v_proj): Linear(in_features=16, out_features=8, bias=False)
          (o_proj): Linear(in_features=16, out_features=16, bias=False)
        )
        (mlp): LlamaMLP(
          (gate_proj): Linear(in_features=16, out_features=32, bias=False)
          (up_proj): Linear(in_features=16, out_features=32, bias=False)
          (down_proj): Linear(in_features=32, out_features=16, bias=False)
          (act_fn): SiLU()
        )
        (input_layernorm): LlamaRMSNorm((16,), eps=1e-05)
        (post_attention_layernorm): LlamaRMSNorm((16,), eps=1e-05)
      )
    )
    (norm): LlamaRMSNorm((16,), eps=1e-05)
    (rotary_emb): LlamaRotaryEmbedding()
  )
  (lm_head): Linear(in_features=16, out_features=64, bias=False)
)`

func TestParse(t *testing.T) {
	root, err := Parse(tiny)
	if err != nil {
		t.Fatal(err)
	}
	if root.Class != "LlamaForCausalLM" || len(root.Children) != 2 {
		t.Fatalf("root = %+v", root)
	}
	layers := root.Children[0].Children[1]
	if !layers.IsList() || layers.Children[0].Count() != 2 || layers.Children[0].Class != "LlamaDecoderLayer" {
		t.Fatalf("layers = %+v", layers)
	}
	q := layers.Children[0].Children[0].Children[0]
	if q.Name != "q_proj" || q.Args != "in_features=16, out_features=16, bias=False" || q.Line != 7 || q.Col != 21 {
		t.Errorf("q_proj = %+v", q)
	}
}

// TestParseTolerates text as notebooks and terminals give it: a prompt and an Out[…] before,
// CRLF line ends, tabs, trailing spaces and text after the tree.
func TestParseTolerates(t *testing.T) {
	variants := map[string]string{
		"notebook": "In [3]: print(model)\nOut[3]: " + tiny + "\n\nIn [4]: ",
		"prompt":   ">>> print(model)\n" + tiny + "\n>>> ",
		"crlf":     strings.ReplaceAll(tiny, "\n", "\r\n"),
		"tabs":     strings.ReplaceAll(tiny, "  ", "\t"),
		"trailing": strings.ReplaceAll(tiny, "\n", "   \n"),
		"bom":      "\ufeff" + tiny,
	}
	for name, text := range variants {
		root, err := Parse(text)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if root.Class != "LlamaForCausalLM" || len(root.Children) != 2 {
			t.Errorf("%s: root %s with %d children", name, root.Class, len(root.Children))
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"", "no module found"},
		{"hello (world)\nnothing here", "no module found"},
		{strings.Join(strings.Split(tiny, "\n")[:10], "\n"), "the text ends before LlamaAttention( on this line is closed"},
		{tiny[:300], "not closed on its line"},
		{"M(\n  (a): Linear(in_features=1\n)", "not closed on its line"},
		{"M(\n  (a): Linear(x) junk\n)", `unexpected " junk"`},
		{"M(\n  (0-3): 2 x L()\n)", "(0-3) is 4 entries, not 2"},
		{"M(\n  (0): L()\n  (2): L()\n)", "expected index 1 next"},
		{"M(\n  (0): L()\n  (a): L()\n)", "named child (a) among the entries"},
		{"M(\n  (a): L()\n  stray words\n)", "expected a child module"},
		{"M(\n  (a): 3x()\n)", "is not a class name"},
		{"M(\n" + strings.Repeat("  (a): M(\n", 300), "nested deeper than 200"},
	}
	for _, c := range cases {
		_, err := Parse(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40q: err = %v, want %q", c.text, err, c.want)
		}
	}
}

func TestParseOneLineAndMultiLineArgs(t *testing.T) {
	root, err := Parse("Linear(in_features=4, out_features=2, bias=True)")
	if err != nil || root.Class != "Linear" || !root.Leaf() {
		t.Fatalf("%+v %v", root, err)
	}
	// A multi-line extra_repr is joined, children after it.
	root, err = Parse("Block(\n  width=4,\n  depth=2\n  (a): Linear(in_features=4, out_features=4, bias=True)\n)")
	if err != nil || root.Args != "width=4,, depth=2" || len(root.Children) != 1 {
		t.Fatalf("%+v %v", root, err)
	}
}

func TestArgs(t *testing.T) {
	a := parseArgs("(2048,), eps=1e-05, elementwise_affine=True")
	if len(a.pos) != 1 || a.pos[0] != "(2048,)" || a.kw["eps"] != "1e-05" || a.kw["elementwise_affine"] != "True" {
		t.Errorf("%+v", a)
	}
	a = parseArgs("8192, 8192, kernel_size=(4,), stride=(1,), padding=(3,), groups=8192")
	if len(a.pos) != 2 || a.kw["kernel_size"] != "(4,)" || a.kw["groups"] != "8192" {
		t.Errorf("%+v", a)
	}
	if n, ok := intOf("(2048,)"); !ok || n != 2048 {
		t.Errorf("intOf = %d %v", n, ok)
	}
	if _, ok := intOf("(2, 3)"); ok {
		t.Errorf("a tuple of two is no integer")
	}
	a = parseArgs("approximate='tanh, not a split'")
	if a.kw["approximate"] != "'tanh, not a split'" {
		t.Errorf("%+v", a)
	}
}

func TestClassPaths(t *testing.T) {
	cases := map[[2]string]string{
		{"LlamaAttention", "llama"}:             "transformers.models.llama.modeling_llama.LlamaAttention",
		{"Qwen2MoeSparseMoeBlock", "qwen2_moe"}: "transformers.models.qwen2_moe.modeling_qwen2_moe.Qwen2MoeSparseMoeBlock",
		{"Qwen2RMSNorm", "qwen2_moe"}:           "transformers.models.qwen2.modeling_qwen2.Qwen2RMSNorm",
		{"Gemma3TextScaledWordEmbedding", ""}:   "transformers.models.gemma3.modeling_gemma3.Gemma3TextScaledWordEmbedding",
		{"Llama4TextExperts", "llama4_text"}:    "transformers.models.llama4.modeling_llama4.Llama4TextExperts",
		{"Ernie4_5_MoeMLP", ""}:                 "transformers.models.ernie4_5_moe.modeling_ernie4_5_moe.Ernie4_5_MoeMLP",
		{"GPTNeoXLayer", ""}:                    "transformers.models.gpt_neox.modeling_gpt_neox.GPTNeoXLayer",
		{"OlmoeRMSNorm", ""}:                    "transformers.models.olmoe.modeling_olmoe.OlmoeRMSNorm",
		{"FooBarLayer", "foo_bar"}:              "transformers.models.foo_bar.modeling_foo_bar.FooBarLayer",
		{"Linear", "llama"}:                     "torch.nn.modules.linear.Linear",
		{"Conv1D", "gpt2"}:                      "transformers.pytorch_utils.Conv1D",
		{"NewGELUActivation", "gpt2"}:           "transformers.activations.NewGELUActivation",
		{"Phi3MLP", "phi"}:                      "transformers.models.phi3.modeling_phi3.Phi3MLP",
		{"PhiMLP", "phi3"}:                      "transformers.models.phi.modeling_phi.PhiMLP",
	}
	for in, want := range cases {
		if got := classPath(in[0], in[1]); got != want {
			t.Errorf("classPath(%s, %s) = %s, want %s", in[0], in[1], got, want)
		}
	}
}
