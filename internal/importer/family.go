package importer

import (
	"fmt"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

// What some families' forward passes compute that print(model) does not show and the generic
// patterns (patterns.go) cannot tell from the module names: scalings by config multipliers,
// routers that are not a softmax over every expert, attention without rotary on some layers.
// Each row is read from the family's modeling code, the same code its template follows, so an
// import and populate count the same forward pass (reference_test.go compares them).
//
//	cohere, cohere2              logits × logit_scale (CohereForCausalLM.forward)
//	granite, granitemoe, …       inputs_embeds × embedding_multiplier, each residual branch ×
//	                             residual_multiplier, logits ÷ logits_scaling; Granite MoE's router
//	                             takes the top k logits, then a softmax over those k (fp32)
//	opt                          q_proj(x) × scaling (OPTAttention.forward)
//	llama4_text, llama4          the router's sigmoid over every expert's score (the others at
//	                             −inf, fp32); the NoPE layers scale each query by a factor of its
//	                             position when attn_temperature_tuning is on
//	gpt_oss                      the router's softmax over its top k logits
//	exaone4                      with a sliding window, the full-attention layers apply no rotary
//	deepseek_v2                  the k weighted expert outputs summed with .sum(dim=1); rotary
//	                             applied by apply_rotary_emb (complex products)
//	deepseek_v3                  rotary applied by apply_rotary_pos_emb_interleave when
//	                             rope_interleave (DeepseekV3Config's default)

// routerKind is how a MoE block turns its router's logits into expert weights.
type routerKind int

const (
	// softmaxAll is a softmax over every expert's logit, then top k (Mixtral, Qwen, OLMoE):
	// the default, with the renormalisation of the k weights where norm_topk_prob says so.
	softmaxAll routerKind = iota
	// softmaxTopK is top k of the logits, then a softmax over those k (Granite MoE, gpt-oss).
	softmaxTopK
	// sigmoidAll is a sigmoid over every expert's score, the unchosen at −inf (Llama 4).
	sigmoidAll
)

// family is what a family's forward adds to the generic patterns.
type family struct {
	// logits is the elementwise operation on the logits after the head ("" for none):
	// mulClass (Cohere's logit_scale) or divClass (Granite's logits_scaling), named logitsName.
	logits, logitsName string
	// multipliers: Granite's embedding_multiplier and residual_multiplier.
	multipliers bool
	// qScale: the query projection's output is scaled before attention (OPT).
	qScale bool
	// router is how the MoE block weighs its experts; routerDType the bytes of its scores
	// ("{dtype_bytes}" or 4 for fp32).
	router      routerKind
	routerDType any
	// temperatureTuning: NoPE layers scale their queries (Llama 4's attn_temperature_tuning).
	temperatureTuning bool
	// globalNoPE: with a sliding window, the full-attention layers apply no rotary (EXAONE 4).
	globalNoPE bool
	// sumExperts: the k weighted expert outputs are summed by torch.sum (DeepSeek-V2), not
	// accumulated with index_add.
	sumExperts bool
	// rotaryFn is the function of the modeling file that applies rotary ("" for
	// apply_rotary_pos_emb); interleaved, when the config's rope_interleave (default true)
	// holds, that of the interleaved layout.
	rotaryFn, interleaved string
}

var familyRules = map[string]family{
	"cohere":           {logits: mulClass, logitsName: "logit_scale"},
	"cohere2":          {logits: mulClass, logitsName: "logit_scale"},
	"granite":          {logits: divClass, logitsName: "logits_scaling", multipliers: true},
	"granitemoe":       {logits: divClass, logitsName: "logits_scaling", multipliers: true, router: softmaxTopK, routerDType: int64(4)},
	"granitemoeshared": {logits: divClass, logitsName: "logits_scaling", multipliers: true, router: softmaxTopK, routerDType: int64(4)},
	"opt":              {qScale: true},
	"llama4":           {router: sigmoidAll, routerDType: int64(4), temperatureTuning: true, rotaryFn: "apply_rotary_emb"},
	"gpt_oss":          {router: softmaxTopK, routerDType: "{dtype_bytes}"},
	"exaone4":          {globalNoPE: true},
	"deepseek_v2":      {sumExperts: true, rotaryFn: "apply_rotary_emb"},
	"deepseek_v3":      {interleaved: "apply_rotary_pos_emb_interleave"},
}

// family returns the rules of the model's family.
func (b *builder) family() family { return familyRules[b.folder] }

// scaled is an elementwise product or quotient of n elements by one scalar.
func scaled(name, class, elems string) *layer {
	l := basic(name, class, p("num_elements", elems), p("other_elements", int64(1)), p("dtype_bytes", "{dtype_bytes}"))
	l.role = roleFunctional
	return l
}

// truthy reads a config key as Python's truth of its value; def when the key is absent. A null
// is false (None), a number true unless 0.
func (c *config) truthy(key string, def bool) bool {
	if c == nil || c.root == nil {
		return def
	}
	n := c.root.Get(key)
	if n == nil {
		if tc := c.root.Get("text_config"); tc != nil && tc.Kind == jsonpos.Object {
			n = tc.Get(key)
		}
	}
	switch {
	case n == nil:
		return def
	case n.Kind == jsonpos.Bool:
		return n.BoolValue()
	case n.Kind == jsonpos.Number:
		r, ok := c.number(key)
		return ok && r.Sign() != 0
	}
	return false
}

// logitOps appends the family's operation on the logits (after the head, before any
// soft-capping).
func (b *builder) logitOps(top []*layer) []*layer {
	f := b.family()
	if f.logits == "" || b.logitsHead == nil || b.cat.Lookup(f.logits) == nil {
		return top
	}
	return append(top, scaled(f.logitsName, f.logits, fmt.Sprintf("{batch_size} * {logits_len} * %d", b.vocab)))
}
