package importer

import (
	"fmt"
	"github.com/modeltool/modeltool/internal/diag"
	"math/big"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/layers"
)

// The module patterns: what the importer inserts for modules whose forward it knows, found by
// their children's names (docs/authoring.md has this table too).
//
//	attention   q/k/v projections (q_proj k_proj v_proj, query key value, wq wk wv) or a fused
//	            one (qkv_proj, query_key_value, c_attn, Wqkv) and an output projection (o_proj,
//	            dense, out_proj, c_proj, wo), in a module whose class or name says attention:
//	            apply_rotary (when the model has a rotary embedding and the layer uses it) and
//	            the attention core (causal; heads and GQA from the projections' shapes and the
//	            config; sliding window, chunking, soft-capping and sinks from the config) go
//	            before the output projection; q/k norms narrower than their projection are per
//	            head (rows × heads).
//	MLA         kv_a_proj_with_mqa and kv_b_proj (DeepSeek): the absorbed form engines run —
//	            rotary on the rope part, q·W_UK and o·W_UV as torch.bmm over kv_b_proj's
//	            weight, the core over the cached latent (kv_shared).
//	gated MLP   gate_proj + up_proj (w1 + w3, or a fused gate_up_proj) + down_proj + an
//	            activation: the activation over the gate and act_mul (act(gate)·up) after it.
//	MLP         an up projection (fc1, c_fc, dense_h_to_4h, fc_in, up_proj) + a down projection
//	            + an activation: the activation over the intermediate width.
//	MoE         experts (a ModuleList, or fused experts) and a router (gate, router): the
//	            experts' rows are tokens·k/E and their weights read by min(1, tokens·k/E) of
//	            the calls; a plain Linear router gets router_softmax (and the top-k
//	            renormalisation when norm_topk_prob), then expert_weighting and expert_sum
//	            after the experts; a shared expert adds shared_add (and shared_gate_sigmoid and
//	            shared_gate_mul with a shared_expert_gate).
//	decoder     a block holding an attention (or a Mamba mixer) and an MLP or MoE:
//	            attn_residual and mlp_residual.
//	model       the token embedding of a Gemma family is scaled by √hidden (embed_scale).
//
// A composite module that fits no pattern and is not a plain container is reported: the
// functional layers of its forward may be missing. What single families add to these patterns
// (scalings, routers, NoPE layers) is in family.go.

var (
	qNames     = []string{"q_proj", "query", "q", "wq", "q_b_proj"}
	kNames     = []string{"k_proj", "key", "k", "wk"}
	vNames     = []string{"v_proj", "value", "v", "wv"}
	qkvNames   = []string{"qkv_proj", "query_key_value", "c_attn", "Wqkv", "qkv", "W_pack"}
	oNames     = []string{"o_proj", "dense", "out_proj", "c_proj", "wo", "o"}
	gateNames  = []string{"gate_proj", "w1", "fc_gate"}
	upNames    = []string{"up_proj", "w3"}
	gateUp     = []string{"gate_up_proj", "w13"}
	fc1Names   = []string{"fc1", "c_fc", "dense_h_to_4h", "fc_in", "up_proj", "input_linear"}
	fc2Names   = []string{"fc2", "c_proj", "dense_4h_to_h", "fc_out", "down_proj", "w2", "output_linear"}
	downNames  = []string{"down_proj", "w2", "c_proj", "fc2", "dense_4h_to_h", "output_linear"}
	routerName = []string{"gate", "router"}
)

// find returns the first sub-layer with one of the names and, when role is not "", that role.
func find(l *layer, names []string, roles ...string) *layer {
	for _, n := range names {
		if s := l.child(n); s != nil && (len(roles) == 0 || slices.Contains(roles, s.role)) {
			return s
		}
	}
	return nil
}

// outOf is the output width of a Linear-like layer (Linear, Conv1D).
func outOf(l *layer) (int64, bool) {
	if l == nil {
		return 0, false
	}
	if n, ok := l.int("out_features"); ok {
		return n, true
	}
	if n, ok := l.int("out_channels"); ok {
		return n, true
	}
	return l.int("nf")
}

func inOf(l *layer) (int64, bool) {
	if l == nil {
		return 0, false
	}
	if n, ok := l.int("in_features"); ok {
		return n, true
	}
	return l.int("nx")
}

// renormalising are the families whose routers always divide the top-k weights by their sum
// (others do when the config's norm_topk_prob says so).
var renormalising = map[string]bool{"mixtral": true}

// attnKind is what the config says about one decoder layer's attention.
type attnKind struct {
	window, chunk int64
	rope          bool
}

// perLayer reports whether the config can give decoder layers different attention.
func (b *builder) perLayer() bool {
	for _, k := range []string{"layer_types", "no_rope_layers", "sliding_window_pattern", "max_window_layers"} {
		if b.cfg.has(k) {
			return true
		}
	}
	return b.folder == "gemma2" && b.cfg.has("sliding_window")
}

// attention returns the attention settings of decoder layer i: layer_types, else
// sliding_window_pattern (every P-th layer full), else Gemma 2's alternation, else
// use_sliding_window with max_window_layers, else sliding_window on every layer; chunked
// attention (attention_chunk_size) on the layers that apply rotary; no_rope_layers[i] == 0 for
// a layer without rotary.
func (b *builder) attention(i int64) attnKind {
	k := attnKind{rope: b.rotary}
	if nr, ok := b.cfg.list("no_rope_layers"); ok && i < int64(len(nr)) {
		k.rope = b.rotary && nr[i] != "0"
	}
	window, hasWindow := b.cfg.int("sliding_window")
	sliding := false
	if types, ok := b.cfg.list("layer_types"); ok && i < int64(len(types)) {
		sliding = types[i] == "sliding_attention"
		if types[i] == "chunked_attention" {
			k.chunk, _ = b.cfg.int("attention_chunk_size")
		}
	} else if pattern, ok := b.cfg.int("sliding_window_pattern"); ok && pattern > 0 {
		sliding = (i+1)%pattern != 0
	} else if b.folder == "gemma2" {
		sliding = i%2 == 0
	} else if use, ok := b.cfg.boolean("use_sliding_window"); ok {
		sliding = use
		if mw, ok := b.cfg.int("max_window_layers"); ok && use {
			sliding = i >= mw
		}
	} else {
		sliding = hasWindow
	}
	if sliding && hasWindow && window > 0 {
		k.window = window
	}
	if b.family().globalNoPE && hasWindow && window > 0 && !sliding {
		k.rope = false // EXAONE 4: with a window, the global layers are NoPE
	}
	if _, ok := b.cfg.list("layer_types"); !ok && k.rope {
		k.chunk, _ = b.cfg.int("attention_chunk_size")
	}
	return k
}

// pattern inserts the functional layers of a composite module whose forward is known, and
// reports one that fits no pattern.
func (b *builder) pattern(l *layer, sc scope) {
	switch {
	case l.role == roleExperts:
		b.mlpPattern(l, sc)
	case find(l, []string{"kv_a_proj_with_mqa"}) != nil && find(l, []string{"kv_b_proj"}) != nil:
		b.mlaPattern(l, sc)
	case isAttentionModule(l):
		b.attentionPattern(l, sc)
	case l.role == roleMoE:
		b.moePattern(l, sc)
	case b.decoderPattern(l, sc):
	case b.mlpPattern(l, sc):
	case b.modelPattern(l):
	case l.role == roleMixer:
	case len(l.subs) == 1 && l.subs[0].composite:
		// A wrapper around one module (OPTModel around OPTDecoder).
	case len(l.subs) == 1 && l.subs[0].role == roleLinear:
		l.role = roleRouter // Granite MoE's router wraps its Linear
	case strings.HasPrefix(l.class, "torch.nn.modules.container."):
	default:
		if sc.top {
			return
		}
		b.warnOnce("pattern:"+l.class, l.mod, "%s fits none of import's module patterns: the layers of its forward that are not modules (products, adds, scans) are not in the file, only its modules are (docs/authoring.md lists the patterns)", diag.Clip(l.mod.Class))
	}
}

func isAttentionModule(l *layer) bool {
	name := strings.ToLower(l.name + " " + l.mod.Class)
	if !strings.Contains(name, "attn") && !strings.Contains(name, "attention") {
		return false
	}
	o := find(l, oNames, roleLinear)
	q, k, v := find(l, qNames, roleLinear), find(l, kNames, roleLinear), find(l, vNames, roleLinear)
	return o != nil && (q != nil && k != nil && v != nil || find(l, qkvNames, roleLinear) != nil)
}

// geometry is an attention's heads and widths.
type geometry struct {
	heads, kvHeads, headDim, vHeadDim int64
}

// heads works out the attention's heads from its projections' widths and the config's heads
// and head_dim: the shapes win where they disagree with the config, and without a config a
// per-head norm gives the head width, else the widest width dividing both q and k (the core's
// figures depend only on heads × width, so they stay exact; the rotary layers', which work on
// one head's width, and the split of heads under --tp do not: the warning says so).
func (b *builder) heads(l *layer, q, k, v int64) (geometry, bool) {
	d := b.headDim
	if b.nHeads > 0 && q%b.nHeads == 0 && (d == 0 || q != b.nHeads*d) {
		d = q / b.nHeads
	}
	if d == 0 {
		for _, n := range []string{"q_norm", "k_norm", "q_layernorm", "k_layernorm"} {
			if s := l.child(n); s != nil && s.role == roleNorm {
				if w, ok := s.int("hidden_size"); ok && w < q && q%w == 0 && k%w == 0 {
					d = w
				}
			}
		}
	}
	if d == 0 || q%d != 0 || k%d != 0 {
		d = gcd(q, k)
		b.warnOnce("heads", l.mod, "without a config the attention heads are unknown: the attention core is written with heads %d wide (the widest dividing q and k: %d and %d), which gives its FLOPs, bytes and cache, but not the rotary layers' (their width is the head's) nor a --tp split; give --config for the real heads", d, q, k)
	}
	g := geometry{heads: q / d, kvHeads: k / d, headDim: d, vHeadDim: d}
	if v != k && g.kvHeads > 0 && v%g.kvHeads == 0 {
		g.vHeadDim = v / g.kvHeads
	}
	if g.kvHeads == 0 || g.heads%g.kvHeads != 0 {
		return g, false
	}
	return g, true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// qkv returns the attention's query, key and value widths, from separate projections or a fused
// one split by the config's heads (thirds without a config).
func (b *builder) qkv(l *layer) (q, k, v int64, ok bool) {
	if qa, ka, va := find(l, qNames, roleLinear), find(l, kNames, roleLinear), find(l, vNames, roleLinear); qa != nil && ka != nil && va != nil {
		q, _ = outOf(qa)
		k, _ = outOf(ka)
		v, _ = outOf(va)
		return q, k, v, true
	}
	f := find(l, qkvNames, roleLinear)
	total, _ := outOf(f)
	if b.nHeads > 0 && b.headDim > 0 {
		q = b.nHeads * b.headDim
		if (total-q) > 0 && (total-q)%2 == 0 {
			return q, (total - q) / 2, (total - q) / 2, true
		}
	}
	if total%3 != 0 {
		return 0, 0, 0, false
	}
	b.warnOnce("fused-qkv", l.mod, "the fused projection %s is split in equal thirds for q, k and v: without a config the query heads are unknown; give --config", f.name)
	return total / 3, total / 3, total / 3, true
}

func (b *builder) attentionPattern(l *layer, sc scope) {
	l.role = roleAttention
	q, k, v, ok := b.qkv(l)
	if !ok {
		b.warn(l.mod, "%s: the query, key and value widths cannot be told from its projections: no attention core inserted", diag.Clip(l.mod.Class))
		return
	}
	g, ok := b.heads(l, q, k, v)
	if !ok {
		b.warn(l.mod, "%s: %d query heads are not a multiple of %d key/value heads: no attention core inserted", diag.Clip(l.mod.Class), g.heads, g.kvHeads)
		return
	}
	if b.firstHeadDim == 0 {
		b.firstHeadDim = g.headDim
	}
	// A weightless norm over q and k together (Llama 4's qk_norm) runs once per head of both.
	if s := l.child("qk_norm"); s != nil && s.role == roleNorm {
		s.set("num_rows", fmt.Sprintf("%s * %d", sc.tokens, g.heads+g.kvHeads))
		s.set("hidden_size", g.headDim)
		s.tp = "column" // its rows are heads, which split under --tp as the template says
	}
	// Per-head q/k norms: a norm narrower than its projection runs once per head.
	for _, n := range []string{"q_norm", "q_layernorm", "k_norm", "k_layernorm"} {
		s := l.child(n)
		if s == nil || s.role != roleNorm {
			continue
		}
		heads := g.heads
		if strings.HasPrefix(n, "k") {
			heads = g.kvHeads
		}
		if w, ok := s.int("hidden_size"); ok && w == g.headDim && w*heads > w {
			s.set("num_rows", fmt.Sprintf("%s * %d", sc.tokens, heads))
		} else if w, ok := s.int("normalized_shape"); ok && w == g.headDim && w*heads > w {
			s.set("num_rows", fmt.Sprintf("%s * %d", sc.tokens, heads))
		}
		if s.class == "transformers.models.cohere.modeling_cohere.CohereLayerNorm" {
			s.set("num_rows", fmt.Sprintf("%s * %d", sc.tokens, heads))
			s.set("hidden_size", g.headDim)
			s.set("weight_rows", heads)
		}
	}
	// Tensor parallelism splits the heads: the query projection by columns, key and value by
	// whole key/value heads, a fused projection as heads and key/value heads, the output by rows.
	if qa := find(l, qNames, roleLinear); qa != nil {
		qa.tp = "column"
	}
	for _, kv := range []*layer{find(l, kNames, roleLinear), find(l, vNames, roleLinear)} {
		if kv != nil {
			kv.tp, kv.tpKV = "kv", g.kvHeads
		}
	}
	if f := find(l, qkvNames, roleLinear); f != nil {
		f.tp, f.tpHeads, f.tpKV = "qkv", g.heads, g.kvHeads
	}
	// A per-head norm splits with its heads; one over the whole projection (OLMo 2) needs all of
	// it and stays whole on every device.
	perHead := func(s *layer) bool {
		w, ok := s.int("hidden_size")
		if !ok {
			w, ok = s.int("normalized_shape")
		}
		return ok && w == g.headDim && w < q
	}
	for _, n := range []string{"q_norm", "q_layernorm"} {
		if s := l.child(n); s != nil && s.role == roleNorm && perHead(s) {
			s.tp = "column"
		}
	}
	for _, n := range []string{"k_norm", "k_layernorm"} {
		if s := l.child(n); s != nil && s.role == roleNorm && perHead(s) {
			s.tp, s.tpKV = "kv", g.kvHeads
		}
	}
	// A list of one norm per head (StableLM's q_layernorm.norms): each device holds the norms
	// of its heads, whole.
	for _, n := range []string{"q_layernorm", "k_layernorm", "q_norm", "k_norm"} {
		s := l.child(n)
		if s == nil || !s.composite {
			continue
		}
		heads, role := g.heads, "column"
		if strings.HasPrefix(n, "k") {
			heads, role = g.kvHeads, "kv"
		}
		for _, x := range s.subs {
			if x.role == roleNorm && !x.composite && x.repeat == heads && heads > 1 {
				x.tp, x.tpSplitRepeat = role, true
			}
		}
	}
	if o := find(l, oNames, roleLinear); o != nil {
		o.tp = "row"
	}
	kind := b.attention(sc.first)
	f := b.family()
	if qa := find(l, qNames, roleLinear); qa != nil && f.qScale {
		// OPT scales the query projection's output (q_proj(x) · head_dim^-0.5).
		s := scaled("q_scaling", mulClass, fmt.Sprintf("%s * %d", sc.tokens, q))
		s.tp = "column"
		l.insertAfter(qa, s)
	}
	var add []*layer
	if kind.rope && b.rotary {
		rd := b.rotaryDim(g.headDim)
		add = append(add, b.applyRotary(l, sc, g.heads, g.kvHeads, rd))
	}
	if !kind.rope && f.temperatureTuning && b.cfg.truthy("attn_temperature_tuning", true) {
		// Llama 4's NoPE layers scale each query by a factor of its position.
		s := basic("attn_temperature_scale", mulClass, p("num_elements", fmt.Sprintf("%s * %d", sc.tokens, g.heads*g.headDim)),
			p("other_elements", sc.tokens), p("dtype_bytes", "{dtype_bytes}"))
		s.role, s.tp = roleFunctional, "column"
		l.insertBefore(find(l, oNames, roleLinear), s)
	}
	core := basic("attention", sdpaClass,
		p("batch_size", "{batch_size}"), p("num_heads", g.heads), p("num_kv_heads", g.kvHeads), p("head_dim", g.headDim))
	if g.vHeadDim != g.headDim {
		core.set("v_head_dim", g.vHeadDim)
	}
	core.set("q_len", "{seq_len}")
	core.set("kv_len", "{past_len} + {seq_len}")
	core.set("causal", true)
	cl := b.cat.Lookup(sdpaClass)
	if kind.window > 0 {
		core.set("sliding_window", kind.window)
	}
	if kind.chunk > 0 && cl.Param("chunk_size") != nil {
		core.set("chunk_size", kind.chunk)
	}
	if _, ok := b.cfg.number("attn_logit_softcapping"); ok && cl.Param("softcap") != nil {
		core.set("softcap", true)
	}
	if strings.HasPrefix(l.mod.Class, "GptOss") && cl.Param("sinks") != nil {
		core.set("sinks", true) // gpt-oss: one learned sink logit per head, self_attn.sinks
		core.set("weight_dtype_bytes", "{weight_dtype_bytes}")
	}
	core.set("dtype_bytes", "{dtype_bytes}")
	core.set("kv_dtype_bytes", "{kv_dtype_bytes}")
	core.role = roleFunctional
	add = append(add, core)
	for _, a := range add {
		a.tp = "heads"
	}
	l.insertBefore(find(l, oNames, roleLinear), add...)
}

// rotaryDim is the rotated width of a head: head_dim × partial_rotary_factor.
func (b *builder) rotaryDim(headDim int64) int64 {
	r := new(big.Rat).Mul(big.NewRat(headDim, 1), b.rotaryFactor)
	n := new(big.Int).Quo(r.Num(), r.Denom()).Int64()
	return n - n%2
}

func (b *builder) applyRotary(l *layer, sc scope, heads, kvHeads, rd int64) *layer {
	fn := "apply_rotary_pos_emb"
	if f := familyRules[b.familyFolder(l)]; f.interleaved != "" && b.cfg.truthy("rope_interleave", true) {
		fn = f.interleaved
	} else if f.rotaryFn != "" {
		fn = f.rotaryFn
	}
	own := "transformers.models." + b.familyFolder(l) + ".modeling_" + b.familyFolder(l) + "." + fn
	class, x := b.class(l.mod, own, applyRotary)
	r := basic("apply_rotary", class, p("num_tokens", sc.tokens), p("num_heads", heads), p("num_kv_heads", kvHeads), p("rotary_dim", rd), p("dtype_bytes", "{dtype_bytes}"))
	r.xclass, r.role = x, roleFunctional
	return r
}

// familyFolder is the folder of the family a module belongs to.
func (b *builder) familyFolder(l *layer) string {
	if f := familyOf(l.mod.Class); f != "" {
		return f
	}
	return b.folder
}

// mlaPattern inserts DeepSeek's multi-head latent attention in its absorbed form.
func (b *builder) mlaPattern(l *layer, sc scope) {
	l.role = roleAttention
	kva, kvb := l.child("kv_a_proj_with_mqa"), l.child("kv_b_proj")
	qp := find(l, []string{"q_b_proj", "q_proj"}, roleLinear)
	o := find(l, []string{"o_proj"}, roleLinear)
	norm := l.child("kv_a_layernorm")
	kvaOut, _ := outOf(kva)
	kvbOut, _ := outOf(kvb)
	qOut, _ := outOf(qp)
	oIn, _ := inOf(o)
	rank, _ := norm.int("hidden_size")
	rope := kvaOut - rank
	if r, ok := b.cfg.int("qk_rope_head_dim"); ok {
		rope = r
	}
	// q = H·(nope + rope), kv_b = H·(nope + v), o_in = H·v.
	heads := b.nHeads
	if heads == 0 && rope > 0 && (qOut-kvbOut+oIn)%rope == 0 {
		heads = (qOut - kvbOut + oIn) / rope
	}
	if heads <= 0 || oIn%heads != 0 || (kvbOut-oIn)%heads != 0 {
		b.warn(l.mod, "%s: its heads cannot be told from the projections: no attention core inserted", diag.Clip(l.mod.Class))
		return
	}
	vDim, nope := oIn/heads, (kvbOut-oIn)/heads
	if b.firstHeadDim == 0 {
		b.firstHeadDim = rope
	}
	kvb.set("num_tokens", 0) // absorbed: its weight is used by the two products below
	kvb.set("weight_read_share", 0)
	var add []*layer
	if b.attention(sc.first).rope {
		add = append(add, b.applyRotary(l, sc, heads, 1, rope))
	}
	qa := basic("q_absorb", bmmClass, p("batch", heads), p("rows", sc.tokens), p("inner", nope), p("cols", rank), p("dtype_bytes", "{dtype_bytes}"), p("right_dtype_bytes", "{weight_dtype_bytes}"))
	core := basic("attention", sdpaClass, p("batch_size", "{batch_size}"), p("num_heads", heads), p("num_kv_heads", 1), p("head_dim", rank+rope), p("v_head_dim", rank),
		p("q_len", "{seq_len}"), p("kv_len", "{past_len} + {seq_len}"), p("causal", true), p("dtype_bytes", "{dtype_bytes}"), p("kv_dtype_bytes", "{kv_dtype_bytes}"), p("kv_shared", true))
	va := basic("v_absorb", bmmClass, p("batch", heads), p("rows", sc.tokens), p("inner", rank), p("cols", vDim), p("dtype_bytes", "{dtype_bytes}"), p("right_dtype_bytes", "{weight_dtype_bytes}"))
	for _, x := range []*layer{qa, core, va} {
		x.role = roleFunctional
	}
	for _, r := range add {
		r.tp = "heads"
	}
	qa.tp, core.tp, va.tp = "column", "heads", "column"
	qp.tp, kvb.tp, o.tp = "column", "column", "row"
	add = append(add, qa, core, va)
	l.insertBefore(o, add...)
}

// mlpPattern inserts the activation's elements and act_mul; false when l is no MLP.
func (b *builder) mlpPattern(l *layer, sc scope) bool {
	var act *layer
	for _, s := range l.subs {
		if s.role == roleAct {
			act = s
		}
	}
	gate, up, fused := find(l, gateNames, roleLinear), find(l, upNames, roleLinear), find(l, gateUp, roleLinear)
	var width int64
	gated := false
	switch {
	case gate != nil && up != nil && find(l, downNames, roleLinear) != nil:
		width, _ = outOf(gate)
		gated = true
	case fused != nil && find(l, downNames, roleLinear) != nil:
		w, _ := outOf(fused)
		width, gated = w/2, true
	case find(l, fc1Names, roleLinear) != nil && find(l, fc2Names, roleLinear) != nil:
		width, _ = outOf(find(l, fc1Names, roleLinear))
		if g := l.child("input_linear"); g != nil && l.mod != nil && strings.Contains(l.mod.Class, "MoE") {
			width, gated = width/2, true // Granite MoE: input_linear holds gate and up
		}
	default:
		return false
	}
	if l.role == "" {
		l.role = roleMLP
	}
	// Tensor parallelism splits the intermediate width: the projections into it by columns, the
	// one out of it by rows.
	for _, s := range l.subs {
		switch {
		case s.role != roleLinear:
		case slices.Contains(gateNames, s.name) || slices.Contains(upNames, s.name) || slices.Contains(gateUp, s.name) || slices.Contains(fc1Names, s.name) && s.name != "c_proj":
			s.tp = "column"
		case slices.Contains(downNames, s.name):
			s.tp = "row"
		}
	}
	if act == nil {
		return true
	}
	act.tp = "column"
	rows := sc.tokens
	if (l.role == roleExperts || l.role == roleMoE) && sc.routed != "" {
		// The activation of fused experts (Llama 4's, Granite MoE's) runs once over the
		// rows of every expert.
		rows = sc.routed
	}
	elems := fmt.Sprintf("%s * %d", rows, width)
	act.set("num_elements", elems)
	if gated {
		m := basic("act_mul", mulClass, p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}"))
		m.role, m.tp = roleFunctional, "column"
		l.insertAfter(act, m)
	}
	return true
}

// decoderPattern adds the residual adds of a block holding an attention (or mixer) and an MLP.
func (b *builder) decoderPattern(l *layer, sc scope) bool {
	mixer := slices.ContainsFunc(l.subs, func(s *layer) bool { return s.role == roleAttention || s.role == roleMixer })
	if !mixer || b.hidden == 0 {
		return false
	}
	// OPT keeps its MLP's projections in the decoder layer itself.
	mlp := b.mlpPattern(l, sc) || slices.ContainsFunc(l.subs, func(s *layer) bool { return s.role == roleMLP || s.role == roleMoE })
	l.role = roleDecoder
	elems := fmt.Sprintf("%s * %d", sc.tokens, b.hidden)
	branches := []string{"attn"}
	if mlp {
		branches = append(branches, "mlp")
	}
	for _, br := range branches {
		if b.family().multipliers {
			// Granite scales each branch by residual_multiplier before the add.
			l.subs = append(l.subs, scaled(br+"_residual_scale", mulClass, elems))
		}
		r := basic(br+"_residual", addClass, p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}"))
		r.role = roleFunctional
		l.subs = append(l.subs, r)
	}
	return true
}

// modelPattern recognises the base model (its token embedding); a Gemma family scales the
// embedding by √hidden.
func (b *builder) modelPattern(l *layer) bool {
	i := slices.IndexFunc(l.subs, func(s *layer) bool { return s.role == roleTokenEmbedding })
	if i < 0 {
		return false
	}
	// A learned position table is added to the token embeddings (GPT-2, OPT).
	if j := slices.IndexFunc(l.subs, func(s *layer) bool { return s.role == roleEmbedding && s.mod != nil && b.isPositions(s.mod) }); j >= 0 {
		a := basic("position_add", addClass, p("num_elements", fmt.Sprintf("%s * %d", tokens, b.hidden)), p("dtype_bytes", "{dtype_bytes}"))
		a.role = roleFunctional
		l.insertAfter(l.subs[j], a)
	}
	// Gemma scales the embeddings by √hidden: in the model's forward (gemma, gemma2: the
	// embedding prints as Embedding), or in a scaled-embedding module whose catalog class counts
	// it (Gemma 3) — unless the catalog does not know that class and it is written as Embedding.
	e := l.subs[i]
	ownScale := e.xclass != "" && strings.Contains(layers.ShortName(e.xclass), "Scaled")
	if ownScale || gemmaNorms[b.folder] && b.folder != "qwen3_next" && e.class == embeddingClass && e.xclass == "" || b.family().multipliers {
		// Gemma's √hidden, Granite's embedding_multiplier.
		l.insertAfter(l.subs[i], scaled("embed_scale", mulClass, fmt.Sprintf("%s * %d", tokens, b.hidden)))
	}
	return true
}

// moePattern inserts the routing and the combination of the experts' outputs.
func (b *builder) moePattern(l *layer, sc scope) {
	e, k := b.moeE, b.moeK
	t := sc.tokens
	router := find(l, routerName)
	for _, s := range l.subs {
		if s.role == roleRouter {
			router = s
		}
	}
	f := b.family()
	switch {
	case router == nil:
	case f.router == softmaxTopK || f.router == sigmoidAll:
		// The family's router weighs the experts itself, after (or around) the top k.
		router.role = roleRouter
		class, n := softmaxClass, fmt.Sprintf("%s * %s", t, k)
		name := "router_softmax"
		if f.router == sigmoidAll {
			class, n, name = sigmoidClass, fmt.Sprintf("%s * %d", t, e), "router_sigmoid"
		}
		if b.cat.Lookup(class) != nil {
			w := basic(name, class, p("num_elements", n), p("dtype_bytes", f.routerDType))
			w.role = roleFunctional
			l.insertAfter(router, w)
		}
	case router.role == roleLinear || router.composite:
		router.role = roleRouter
		sm := basic("router_softmax", softmaxClass, p("num_elements", fmt.Sprintf("%s * %d", t, e)), p("dtype_bytes", 4))
		add := []*layer{sm}
		if norm, _ := b.cfg.boolean("norm_topk_prob"); norm || renormalising[b.familyFolder(l)] {
			add = append(add,
				basic("router_renorm_sum", sumClass, p("num_elements", fmt.Sprintf("%s * %s", t, k)), p("num_outputs", t), p("dtype_bytes", 4)),
				basic("router_renorm_div", divClass, p("num_elements", fmt.Sprintf("%s * %s", t, k)), p("dtype_bytes", 4), p("other_elements", t)))
		}
		for _, a := range add {
			a.role = roleFunctional
		}
		l.insertAfter(router, add...)
	}
	// The activation of Granite's fused experts lives in the MoE block.
	b.mlpPattern(l, scope{tokens: b.expertTokens(t), expertShare: b.expertShare(t), routed: b.routedTokens(t)})
	l.role = roleMoE
	elems := fmt.Sprintf("%s * %s * %d", t, k, b.hidden)
	sum := basic("expert_sum", addClass, p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}"))
	if f.sumExperts {
		// DeepSeek-V2 sums the k weighted outputs of each token: k − 1 adds per element.
		sum = basic("expert_sum", sumClass, p("num_elements", elems), p("num_outputs", fmt.Sprintf("%s * %d", t, b.hidden)), p("dtype_bytes", "{dtype_bytes}"))
	}
	combine := []*layer{
		basic("expert_weighting", mulClass, p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}"), p("other_elements", fmt.Sprintf("%s * %s", t, k))),
		sum,
	}
	if s := find(l, []string{"shared_expert_gate"}, roleLinear); s != nil && b.cat.Lookup(sigmoidClass) != nil {
		combine = append(combine,
			basic("shared_gate_sigmoid", sigmoidClass, p("num_elements", t), p("dtype_bytes", "{dtype_bytes}")),
			basic("shared_gate_mul", mulClass, p("num_elements", fmt.Sprintf("%s * %d", t, b.hidden)), p("dtype_bytes", "{dtype_bytes}"), p("other_elements", t)))
	}
	if find(l, []string{"shared_expert", "shared_experts", "shared_mlp"}) != nil {
		combine = append(combine, basic("shared_add", addClass, p("num_elements", fmt.Sprintf("%s * %d", t, b.hidden)), p("dtype_bytes", "{dtype_bytes}")))
	}
	for _, c := range combine {
		c.role = roleFunctional
	}
	l.subs = append(l.subs, combine...)
}
