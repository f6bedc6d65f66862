package importer

import (
	"cmp"
	"fmt"
	"github.com/modeltool/modeltool/internal/diag"
	"strings"

	"github.com/modeltool/modeltool/internal/layers"
)

// Modules whose parameters print(model) does not show: their repr is "Class()" (or shows only
// their child modules) because they hold nn.Parameters directly. Each rule here fills them from
// the config — or from the tree where its shapes say enough — as the family's modeling code
// builds them; a module with no rule is reported with what is missing.
//
//	CohereLayerNorm()          weight [hidden] (q_norm/k_norm: [heads, head_dim])
//	*TopkRouter(), *MoEGate()  weight [experts, hidden]; DeepSeek-V3's sigmoid router (and GLM-4.5's copy)
//	                           and DeepSeek-V2's softmax gate are catalog classes
//	GptOssTopKRouter()         weight [experts, hidden] and bias [experts]: a Linear
//	*TopKRouter() (others)     weight [experts, hidden]: a Linear
//	GptOssExperts()            gate_up_proj [experts, hidden, 2·inter] + bias, down_proj [experts, inter, hidden] + bias
//	*Experts(act_fn) (Llama 4) gate_up_proj [experts, hidden, 2·inter], down_proj [experts, inter, hidden]
//	*ParallelExperts()         Granite MoE: input_linear [experts, 2·inter, hidden], output_linear [experts, hidden, inter]
//	*Mamba*Mixer(…)            A_log [inner, state] and D [inner]: reported (the catalog has no selective scan)

// hiddenLeaf converts a printed leaf whose parameters are hidden. handled is false when no rule
// applies; a rule that applies may still give no layer (and says why).
func (b *builder) hiddenLeaf(m *Module, sc scope) (l *layer, handled bool) {
	l, handled = b.hiddenRule(m, sc)
	if handled && l == nil {
		return nil, true
	}
	return l, handled
}

func (b *builder) hiddenRule(m *Module, sc scope) (*layer, bool) {
	c := m.Class
	switch {
	case strings.HasSuffix(c, "LayerNorm") && m.Args == "":
		return b.cohereNorm(m, sc), true
	case strings.HasSuffix(c, "TopkRouter") || strings.HasSuffix(c, "MoEGate"):
		return b.hiddenRouter(m, sc), true
	case strings.HasSuffix(c, "TopKRouter"):
		return b.linearRouter(m, sc, strings.HasPrefix(c, "GptOss")), true
	case strings.HasSuffix(c, "ParallelExperts"):
		return b.parallelExperts(m, sc), true
	case strings.HasSuffix(c, "Experts"):
		l := &layer{name: m.Name, class: classPath(c, b.folder), repeat: 1, composite: true, mod: m, role: roleExperts}
		b.fusedExperts(l, sc)
		if len(l.subs) == 0 {
			return nil, true
		}
		return l, true
	case strings.HasSuffix(c, "L2Norm"):
		// A norm without a weight: rows and width are set by the attention holding it.
		class, x := b.class(m, classPath(c, b.folder), "")
		if class == "" {
			b.warnOnce("l2:"+c, m, "%s has no parameters, and the catalog no class for it: left out (its FLOPs, about 3 per element, are missing)", diag.Clip(c))
			return nil, true
		}
		return &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleNorm, params: []param{
			p("num_rows", sc.tokens), p("hidden_size", nil), p("dtype_bytes", "{dtype_bytes}")}}, true
	}
	return nil, false
}

// needConfig reports a hidden-parameter module a rule could fill only from the config, once per
// class (at its first module: a list printed in several runs holds it once per run).
func (b *builder) needConfig(m *Module, what string) {
	b.warnOnce("config:"+m.Class+":"+what, m, "%s(): print(model) does not show its parameters (%s) and there is no config to take them from: every one is left out; give --config", diag.Clip(m.Class), what)
}

func (b *builder) cohereNorm(m *Module, sc scope) *layer {
	class, x := b.class(m, classPath(m.Class, b.folder), "")
	if class == "" || b.cat.Lookup(class).Param("weight_rows") == nil {
		return nil
	}
	l := &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleNorm}
	if b.hidden == 0 {
		b.needConfig(m, "a weight of hidden_size")
		return nil
	}
	// q_norm/k_norm keep one row per head; they are set by the attention pattern.
	l.params = []param{p("num_rows", sc.tokens), p("hidden_size", b.hidden), p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}")}
	return l
}

// experts returns the number of routed experts from the config.
func (b *builder) experts() (int64, bool) {
	return b.cfg.int("n_routed_experts", "num_local_experts", "num_experts", "moe_num_experts")
}

// topK returns the experts each token is routed to, from the config.
func (b *builder) topK() (int64, bool) {
	return b.cfg.int("num_experts_per_tok", "moe_topk", "top_k", "num_selected_experts", "moe_k")
}

func (b *builder) hiddenRouter(m *Module, sc scope) *layer {
	e, ok := b.experts()
	if !ok || b.hidden == 0 {
		b.needConfig(m, "a weight of [experts, hidden_size]")
		return nil
	}
	own := classPath(m.Class, b.folder)
	as := "transformers.models.deepseek_v3.modeling_deepseek_v3.DeepseekV3TopkRouter"
	if strings.HasSuffix(m.Class, "MoEGate") {
		as = "transformers.models.deepseek_v2.modeling_deepseek_v2.DeepseekV2MoEGate"
	}
	class, x := b.class(m, own, as)
	if class == "" {
		return b.linearRouter(m, sc, false)
	}
	l := &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleRouter, params: []param{
		p("num_tokens", sc.tokens), p("hidden_size", b.hidden), p("num_experts", e)}}
	if b.cat.Lookup(class).Param("top_k") != nil {
		k, ok := b.topK()
		if !ok {
			b.needConfig(m, "num_experts_per_tok")
			return nil
		}
		l.set("top_k", k)
	}
	l.set("dtype_bytes", "{dtype_bytes}")
	l.set("weight_dtype_bytes", "{weight_dtype_bytes}")
	return l
}

// linearRouter is a router holding a plain [experts, hidden] weight (and a bias for gpt-oss).
func (b *builder) linearRouter(m *Module, sc scope, bias bool) *layer {
	e, ok := b.experts()
	if !ok || b.hidden == 0 {
		b.needConfig(m, "a weight of [experts, hidden_size]")
		return nil
	}
	class, x := b.class(m, classPath(m.Class, b.folder), linearClass)
	if class == "" {
		return nil
	}
	l := &layer{name: m.Name, class: class, xclass: x, repeat: 1, mod: m, role: roleRouter}
	b.linearParams(l, b.hidden, e, bias, scope{tokens: sc.tokens})
	return l
}

// expertWidth is the width of one expert's MLP: moe_intermediate_size, else intermediate_size.
func (b *builder) expertWidth() (int64, bool) {
	return b.cfg.int("moe_intermediate_size", "expert_dim", "intermediate_size")
}

// parallelExperts is Granite MoE's GraniteMoeParallelExperts: one [experts, out, in] weight,
// each slice a Linear of the expert (input_linear: hidden → 2·intermediate for the gated
// activation; output_linear: intermediate → hidden).
func (b *builder) parallelExperts(m *Module, sc scope) *layer {
	e, ok1 := b.experts()
	inter, ok2 := b.expertWidth()
	if !ok1 || !ok2 || b.hidden == 0 {
		b.needConfig(m, "a weight of [experts, out, in]")
		return nil
	}
	class, x := b.class(m, classPath(m.Class, b.folder), linearClass)
	if class == "" {
		return nil
	}
	l := &layer{name: m.Name, class: class, xclass: x, repeat: e, mod: m, role: roleLinear}
	in, out := b.hidden, 2*inter
	if m.Name == "output_linear" {
		in, out = inter, b.hidden
	}
	b.linearParams(l, in, out, false, sc)
	return l
}

// fusedExperts fills an experts module whose projections are parameters of its own (gpt-oss,
// Llama 4): gate_up_proj and down_proj, each a Linear repeated once per expert.
func (b *builder) fusedExperts(l *layer, sc scope) {
	e, ok1 := b.experts()
	inter, ok2 := b.expertWidth()
	if !ok1 || !ok2 || b.hidden == 0 {
		b.needConfig(l.mod, "gate_up_proj and down_proj of [experts, …]")
		return
	}
	bias := strings.HasPrefix(l.mod.Class, "GptOss")
	gateUp := &layer{name: "gate_up_proj", class: linearClass, repeat: e, role: roleLinear, tp: "column"}
	b.linearParams(gateUp, b.hidden, 2*inter, bias, sc)
	down := &layer{name: "down_proj", class: linearClass, repeat: e, role: roleLinear, tp: "row"}
	b.linearParams(down, inter, b.hidden, bias, sc)
	l.subs = append([]*layer{gateUp}, l.subs...)
	if l.child("act_fn") == nil {
		// gpt-oss computes its clamped GLU in a method of the experts module.
		gate := l.class + "._apply_gate"
		if b.cat.Lookup(gate) != nil {
			// One call over the rows of every expert (tokens·k).
			g := basic("glu", gate, p("num_elements", fmt.Sprintf("%s * %d", cmp.Or(sc.routed, sc.tokens), inter)), p("dtype_bytes", "{dtype_bytes}"))
			g.role, g.tp = roleFunctional, "column"
			l.subs = append(l.subs, g)
		} else {
			b.warnOnce("glu:"+l.mod.Class, l.mod, "%s: the activation between its projections is not a module, and the catalog has no %s: its FLOPs are missing", diag.Clip(l.mod.Class), layers.ShortName(gate))
		}
	}
	l.subs = append(l.subs, down)
}

// hiddenParts adds what a composite module holds besides its children. It reports false when
// the module is nothing without the parts it could not add (Llama 4's experts without a config:
// an activation between projections that are missing), which has then been reported.
func (b *builder) hiddenParts(l *layer, sc scope) bool {
	c := l.mod.Class
	switch {
	case strings.HasSuffix(c, "Experts") && l.child("gate_up_proj") == nil:
		l.role = roleExperts
		n := len(l.subs)
		b.fusedExperts(l, sc)
		return len(l.subs) > n
	case strings.Contains(c, "Mamba") && strings.HasSuffix(c, "Mixer"):
		l.role = roleMixer
		b.mambaMixer(l, sc)
	}
	return true
}

// mambaMixer completes a Mamba-1 mixer (Jamba's, Mamba's): its A_log [inner, state] and D
// [inner] belong to the selective scan, whose widths the tree shows — inner is the
// convolution's channels, state (x_proj's width − dt_proj's rank) / 2 — followed by the gate:
// act(z) · y over inner.
func (b *builder) mambaMixer(l *layer, sc scope) {
	inner, state := int64(0), int64(0)
	if conv := l.child("conv1d"); conv != nil {
		inner, _ = conv.int("out_channels")
	}
	if x, dt := l.child("x_proj"), l.child("dt_proj"); x != nil && dt != nil {
		xo, _ := x.int("out_features")
		rank, _ := dt.int("in_features")
		state = (xo - rank) / 2
	}
	if inner <= 0 || state <= 0 || b.cat.Lookup(scanClass) == nil {
		what := "A_log [intermediate, state] and D [intermediate]"
		if inner > 0 && state > 0 {
			what = fmt.Sprintf("A_log [%d, %d] and D [%d]: %s parameters per layer", inner, state, inner, group(inner*state+inner))
		}
		b.warnOnce("mamba:"+l.mod.Class, l.mod, "%s holds %s that print(model) does not show and the catalog has no class for (the selective scan): not counted, and the scan's FLOPs are missing", diag.Clip(l.mod.Class), what)
		return
	}
	scan := basic("selective_scan", scanClass, p("batch_size", "{batch_size}"), p("seq_len", "{seq_len}"), p("past_len", "{past_len}"),
		p("intermediate_size", inner), p("state_size", state), p("dtype_bytes", "{dtype_bytes}"), p("weight_dtype_bytes", "{weight_dtype_bytes}"), p("state_dtype_bytes", "{kv_dtype_bytes}"))
	scan.role = roleFunctional
	add := []*layer{scan}
	elems := fmt.Sprintf("%s * %d", sc.tokens, inner)
	if act := find(l, []string{"act"}, roleAct); act != nil {
		g := basic("gate_act", act.class, p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}"))
		g.xclass, g.role = act.xclass, roleFunctional
		add = append(add, g)
	}
	m := basic("gate_mul", mulClass, p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}"))
	m.role = roleFunctional
	l.subs = append(l.subs, append(add, m)...)
}
