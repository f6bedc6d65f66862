package model

import "github.com/modeltool/modeltool/internal/jsonpos"

// Routed is a layer's "routed" key: the layer holds the routed experts of a mixture-of-experts
// layer. Its repeat is the number of experts E; each token runs through TopK of them.
type Routed struct {
	Node *jsonpos.Node
	// TopK is the number of experts each token is routed to; nil when absent (the schema
	// requires it).
	TopK *Value
	// HiddenSize is the width of a token sent to an expert, for the expert-parallel
	// all-to-all; nil when absent.
	HiddenSize *Value
}

// Parallel is a layer's "parallel" key: how the layer splits across devices.
type Parallel struct {
	Node *jsonpos.Node
	// TP is the tensor-parallel role (one of TPRoles), "" when absent.
	TP string
	// Heads and KVHeads are the head counts of a qkv or kv layer's output; nil when absent.
	Heads, KVHeads *Value
	// SplitRepeat is set by "split": "repeat": the tensor-parallel role divides the layer's
	// instances (one module per head: StableLM's per-head q/k LayerNorms) instead of its
	// parameters, so each device holds its heads' modules whole.
	SplitRepeat bool
	// PP is "unit" for a layer whose instances pipeline parallelism deals out to stages.
	PP string
}

// Tensor-parallel roles of a layer (the "tp" member of "parallel").
const (
	TPColumn     = "column"
	TPRow        = "row"
	TPVocab      = "vocab"
	TPHeads      = "heads"
	TPKV         = "kv"
	TPQKV        = "qkv"
	TPReplicated = "replicated"
)

// TPRoles lists the tensor-parallel roles.
var TPRoles = []string{TPColumn, TPRow, TPVocab, TPHeads, TPKV, TPQKV, TPReplicated}

// PPUnit is the "pp" value of a layer whose instances are pipeline units.
const PPUnit = "unit"

// SplitRepeat is the "split" value of a layer whose tensor-parallel role divides its repeat
// (one instance per head) rather than its parameters.
const SplitRepeat = "repeat"

func (b *builder) routed(n *jsonpos.Node) *Routed {
	if n.Kind != jsonpos.Object {
		return nil
	}
	r := &Routed{Node: n}
	if v := n.Get("top_k"); v != nil {
		val := b.value(v)
		r.TopK = &val
	}
	if v := n.Get("hidden_size"); v != nil {
		val := b.value(v)
		r.HiddenSize = &val
	}
	return r
}

func (b *builder) parallel(n *jsonpos.Node) *Parallel {
	if n.Kind != jsonpos.Object {
		return nil
	}
	p := &Parallel{Node: n}
	if v := n.Get("tp"); v != nil && v.Kind == jsonpos.String {
		p.TP = v.Text
	}
	if v := n.Get("pp"); v != nil && v.Kind == jsonpos.String {
		p.PP = v.Text
	}
	if v := n.Get("split"); v != nil && v.Kind == jsonpos.String {
		p.SplitRepeat = v.Text == SplitRepeat
	}
	if v := n.Get("heads"); v != nil {
		val := b.value(v)
		p.Heads = &val
	}
	if v := n.Get("kv_heads"); v != nil {
		val := b.value(v)
		p.KVHeads = &val
	}
	return p
}

// TPSplitParams names, for a tensor-parallel role, the parameters of a basic layer's class
// that the role divides (those the class has): the output width for column, kv and qkv (a
// Linear's out_features, a Conv1D's nf, the elements of an activation or product between a
// column- and a row-parallel layer, the rows of a per-head norm and the weight rows of one
// whose weight is [heads, head_dim] (Cohere's q_norm and k_norm, sharded by head as vLLM loads
// them), the batch of a matmul batched over heads), the input width for row, the
// vocabulary for vocab; heads divides num_heads and num_kv_heads (see calc). This table is the
// one place that says which parameter a role splits.
func TPSplitParams(role string) []string {
	switch role {
	case TPColumn, TPKV, TPQKV:
		return []string{"out_features", "nf", "num_elements", "other_elements", "num_outputs", "num_rows", "weight_rows", "batch"}
	case TPRow:
		return []string{"in_features", "nx"}
	case TPVocab:
		return []string{"num_embeddings", "out_features"}
	case TPHeads:
		return []string{"num_heads", "num_kv_heads"}
	}
	return nil
}

// HasHeads reports whether a class with these parameter names works on attention heads (it
// has num_heads and num_kv_heads): such a layer's heads are split under tensor parallelism
// when its file says nothing else.
func HasHeads(has func(param string) bool) bool {
	return has("num_heads") && has("num_kv_heads")
}
