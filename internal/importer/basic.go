package importer

import (
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
)

// Roles the importer gives layers, for the patterns that insert functional layers.
const (
	roleLinear         = "linear"
	roleEmbedding      = "embedding"
	roleTokenEmbedding = "token-embedding"
	roleNorm           = "norm"
	roleAct            = "activation"
	roleDropout        = "dropout"
	roleRotary         = "rotary"
	roleAttention      = "attention"
	roleMLP            = "mlp"
	roleMoE            = "moe"
	roleExperts        = "experts"
	roleRouter         = "router"
	roleDecoder        = "decoder"
	roleMixer          = "mixer"
	roleFunctional     = "functional"
)

// Catalog classes modules are computed as when the catalog does not know their own class.
const (
	linearClass    = "torch.nn.modules.linear.Linear"
	embeddingClass = "torch.nn.modules.sparse.Embedding"
	layerNormClass = "torch.nn.modules.normalization.LayerNorm"
	rmsNormClass   = "transformers.models.llama.modeling_llama.LlamaRMSNorm"
	gemmaNormClass = "transformers.models.gemma.modeling_gemma.GemmaRMSNorm"
	rotaryClass    = "transformers.models.llama.modeling_llama.LlamaRotaryEmbedding"
	applyRotary    = "transformers.models.llama.modeling_llama.apply_rotary_pos_emb"
	sdpaClass      = "torch.nn.functional.scaled_dot_product_attention"
	conv1DClass    = "transformers.pytorch_utils.Conv1D"
	conv1dClass    = "torch.nn.modules.conv.Conv1d"
	dropoutClass   = "torch.nn.modules.dropout.Dropout"
	mulClass       = "torch.mul"
	addClass       = "torch.add"
	sumClass       = "torch.sum"
	divClass       = "torch.div"
	softmaxClass   = "torch.nn.functional.softmax"
	sigmoidClass   = "torch.nn.functional.sigmoid"
	bmmClass       = "torch.bmm"
	scanClass      = "mamba_ssm.ops.selective_scan_interface.selective_scan_fn"
	newGELUClass   = "transformers.activations.NewGELUActivation"
)

// gemmaNorms are the families whose RMSNorm scales by (1 + w), as GemmaRMSNorm does.
var gemmaNorms = map[string]bool{"gemma": true, "gemma2": true, "gemma3": true, "gemma3n": true, "recurrent_gemma": true, "qwen3_next": true}

// class resolves the class a basic layer is written as: its own path when the catalog knows it,
// else the catalog class it is computed as (computedAs, keeping its own in x-class), else "".
func (b *builder) class(m *Module, own, computedAs string) (class, xclass string) {
	if b.cat.Lookup(own) != nil {
		return own, ""
	}
	if computedAs != "" && b.cat.Lookup(computedAs) != nil {
		if _, seen := b.computedAs[own]; !seen {
			b.computedAs[own] = computedAs
			b.computedOrder = append(b.computedOrder, own)
			if b.computedAt == nil {
				b.computedAt = m
			}
		}
		return computedAs, own
	}
	return "", ""
}

// basicModule converts a module that printed no children.
func (b *builder) basicModule(m *Module, sc scope) *layer {
	own := classPath(m.Class, b.folder)
	a := parseArgs(m.Args)
	mk := func(role, computedAs string) *layer {
		class, x := b.class(m, own, computedAs)
		if class == "" {
			return nil
		}
		return &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: role}
	}
	switch {
	case a.kw["in_features"] != "" && a.kw["out_features"] != "":
		in, ok1 := intOf(a.kw["in_features"])
		out, ok2 := intOf(a.kw["out_features"])
		bias, ok3 := boolOf(a.kw["bias"])
		if !ok3 {
			bias, ok3 = true, a.kw["bias"] == "" // nn.Linear prints bias; a subclass may not
		}
		if !ok1 || !ok2 || !ok3 {
			break
		}
		l := mk(roleLinear, linearClass)
		if l == nil {
			break
		}
		b.linearParams(l, in, out, bias, sc)
		return l
	case a.kw["nf"] != "" && a.kw["nx"] != "":
		nf, ok1 := intOf(a.kw["nf"])
		nx, ok2 := intOf(a.kw["nx"])
		l := mk(roleLinear, conv1DClass)
		if !ok1 || !ok2 || l == nil {
			break
		}
		l.params = []param{p("num_tokens", sc.tokens), p("nx", nx), p("nf", nf), p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}")}
		return l
	case m.Class == "Conv1d":
		return b.conv1d(m, a, sc)
	case isEmbedding(m) && len(a.pos) >= 2:
		n, ok1 := intOf(a.pos[0])
		d, ok2 := intOf(a.pos[1])
		l := mk(roleEmbedding, embeddingClass)
		if !ok1 || !ok2 || l == nil {
			break
		}
		if n == b.vocab && d == b.hidden && b.embed == "" && !sc.inLayer {
			l.role, l.tp = roleTokenEmbedding, "vocab"
		}
		l.params = []param{p("num_indices", sc.tokens), p("num_embeddings", n), p("embedding_dim", d), p("dtype_bytes", "{dtype_bytes}"), p("index_dtype_bytes", "{index_dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}")}
		return l
	case strings.HasSuffix(m.Class, "RotaryEmbedding"):
		l := mk(roleRotary, rotaryClass)
		if l == nil {
			break
		}
		positions := any("{seq_len}")
		if sc.inLayer && b.modelRotary {
			// transformers ≤ 4.47 kept a copy in every attention module that its forward pass
			// never called once the model had one of its own.
			positions = int64(0)
		}
		l.params = []param{p("num_positions", positions), p("rotary_dim", nil), p("dtype_bytes", "{dtype_bytes}")}
		return l
	case strings.HasSuffix(m.Class, "Dropout"):
		l := mk(roleDropout, dropoutClass)
		if l != nil {
			return l
		}
	case m.Class == "Identity":
		return nil
	case isNormRepr(m, a):
		return b.norm(m, a, own, sc)
	default:
		if l := b.activation(m, a, own); l != nil {
			return l
		}
		if l, handled := b.hiddenLeaf(m, sc); handled {
			return l
		}
	}
	b.warn(m, "%s(%s): no catalog class and no rule for this module: left out, with whatever parameters and FLOPs it has (add a class with --catalog, see docs/authoring.md)", diag.Clip(m.Class), diag.Clip(m.Args))
	return nil
}

// linearParams sets a Linear's parameters as templates write them; inside a routed expert the
// tokens are the expert's share and its weights are read only when some token picks it.
func (b *builder) linearParams(l *layer, in, out int64, bias bool, sc scope) {
	l.params = []param{p("num_tokens", sc.tokens), p("in_features", in), p("out_features", out), p("bias", bias), p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}")}
	if sc.expertShare != "" {
		l.set("weight_read_share", sc.expertShare)
	}
}

// isNormRepr recognises norms: LayerNorm((d,), eps=…, elementwise_affine=…) and the families'
// RMSNorm((d,), eps=…).
func isNormRepr(m *Module, a args) bool {
	if !strings.HasSuffix(m.Class, "Norm") {
		return false
	}
	if len(a.pos) == 1 {
		_, ok := intOf(a.pos[0])
		return ok
	}
	return false
}

func (b *builder) norm(m *Module, a args, own string, sc scope) *layer {
	d, _ := intOf(a.pos[0])
	affine := true
	if s, ok := a.kw["elementwise_affine"]; ok {
		affine, _ = boolOf(s)
	}
	switch {
	case m.Class == "LayerNorm" || strings.HasSuffix(m.Class, "LayerNorm") && a.kw["elementwise_affine"] != "":
		class, x := b.class(m, own, layerNormClass)
		if class == "" {
			return nil
		}
		bias := true
		if s, ok := a.kw["bias"]; ok {
			bias, _ = boolOf(s)
		}
		return &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleNorm, params: []param{
			p("num_rows", sc.tokens), p("normalized_shape", d), p("elementwise_affine", affine), p("bias", bias),
			p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}")}}
	case strings.HasSuffix(m.Class, "RMSNorm") || strings.HasSuffix(m.Class, "RmsNorm"):
		if !affine {
			b.warn(m, "%s without a learned scale: the catalog's RMSNorm classes have one; left out", diag.Clip(m.Class))
			return nil
		}
		as := rmsNormClass
		if gemmaNorms[familyOf(m.Class)] || familyOf(m.Class) == "" && gemmaNorms[b.folder] {
			as = gemmaNormClass
		}
		class, x := b.class(m, own, as)
		if class == "" {
			return nil
		}
		return &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleNorm, params: []param{
			p("num_rows", sc.tokens), p("hidden_size", d), p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}")}}
	}
	return nil
}

// activation converts an activation module; its elements are set by the pattern of the module
// holding it.
func (b *builder) activation(m *Module, a args, own string) *layer {
	as := ""
	if m.Class == "GELU" && strings.Contains(a.kw["approximate"], "tanh") {
		as, own = newGELUClass, own+"(approximate='tanh')"
	}
	cl := b.cat.Lookup(own)
	if as != "" {
		cl = nil
	}
	if cl == nil && as == "" {
		return nil
	}
	if cl != nil && cl.Category != "activation" {
		return nil
	}
	class, x := own, ""
	if cl == nil {
		class, x = as, strings.TrimSuffix(own, "(approximate='tanh')")
		if b.cat.Lookup(class) == nil {
			return nil
		}
	}
	return &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleAct, params: []param{p("num_elements", nil), p("dtype_bytes", "{dtype_bytes}")}}
}

// conv1d converts torch's Conv1d(in, out, kernel_size=(k,), stride=(1,), padding=(p,),
// groups=g[, bias=False]) — Mamba's depthwise convolution over the positions.
func (b *builder) conv1d(m *Module, a args, sc scope) *layer {
	if len(a.pos) < 2 {
		return nil
	}
	in, ok1 := intOf(a.pos[0])
	out, ok2 := intOf(a.pos[1])
	k, ok3 := tupleOf(a.kw["kernel_size"])
	if !ok1 || !ok2 || !ok3 || len(k) != 1 {
		return nil
	}
	groups := int64(1)
	if g, ok := a.kw["groups"]; ok {
		groups, _ = intOf(g)
	}
	bias := true
	if s, ok := a.kw["bias"]; ok {
		bias, _ = boolOf(s)
	}
	class, x := b.class(m, conv1dClass, "")
	if class == "" {
		return nil
	}
	// In a Mamba mixer the convolution keeps the last kernel_size positions of each sequence as
	// its state between steps (the catalog's state_ parameters; fit drops them for a class
	// without them).
	return &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleLinear, params: []param{
		p("num_tokens", sc.tokens), p("in_channels", in), p("out_channels", out), p("kernel_size", k[0]), p("groups", groups), p("bias", bias),
		p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}"),
		p("state_sequences", "{batch_size}"), p("past_tokens", "{past_len}"), p("state_dtype_bytes", "{kv_dtype_bytes}")}}
}
