package importer

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/validate"
)

// Options configure an import.
type Options struct {
	// Name is the tree's name in messages ("tree.txt", "<stdin>").
	Name string
	// Config is the model's config.json, parsed; nil without one.
	Config *jsonpos.Document
	// ModelType, when set, says which family the model's own classes belong to (otherwise the
	// config's model_type, else the root class's prefix).
	ModelType string
	// ModelID is written as the file's model_id ("" leaves it out).
	ModelID string
	// TieDefault is what an absent tie_word_embeddings means for the family (its config class's
	// default); nil means transformers' PretrainedConfig default, true.
	TieDefault *bool
	// Catalog is the layer catalog; nil means the builtin one.
	Catalog *layers.Catalog
}

// Result is an imported model file and what the import noticed.
type Result struct {
	// Output is the model file, canonical JSON.
	Output []byte
	// Diagnostics are warnings at lines of the tree (code "import"): modules whose functional
	// parts or hidden parameters may be missing, assumptions made without a config.
	Diagnostics []diag.Diagnostic
	// ModelType is the family the model's classes were taken from.
	ModelType string
}

// ErrNoModelType is returned (wrapped) when neither a flag, a config nor the root class says
// which family the model belongs to.
var ErrNoModelType = errors.New("cannot tell the model type")

// Import turns print(model) text into a model file.
func Import(text string, opts Options) (*Result, error) {
	root, err := Parse(text)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, diag.New(diag.Diagnostic{File: opts.Name, Line: pe.Line, Column: pe.Col, Severity: diag.Error, Code: "import", Message: pe.Msg})
		}
		return nil, err
	}
	return Build(root, opts)
}

// builder holds what one import knows.
type builder struct {
	opts   Options
	cfg    *config
	cat    *layers.Catalog
	folder string
	diags  []diag.Diagnostic
	// noted remembers messages given once per class.
	noted map[string]bool

	hidden int64 // width of the residual stream
	vocab  int64
	// positions is the rows of a learned position table (0 without one).
	positions int64
	embed     string // path of the token embedding
	rotary    bool   // the model has a rotary embedding module
	nHeads    int64  // query heads (config), 0 when unknown
	headDim   int64  // head width (config), 0 when unknown
	// modelRotary is set when the model has a rotary embedding of its own, outside the layers.
	modelRotary  bool
	rotaryFactor *big.Rat
	// firstHeadDim is the head width of the first attention built (for the rotary embedding
	// when the config does not say).
	firstHeadDim int64
	// moeE and moeK are the routed experts and the experts per token (a number, or the
	// variable experts_per_token without a config) of the MoE block being built.
	moeE int64
	moeK string
	// extraVars are variables the file declares besides the standard ones.
	extraVars map[string]string
	// computedAs maps each printed class the catalog does not know to the catalog class it is
	// written as, in the order met (computedAt: the first module).
	computedAs    map[string]string
	computedOrder []string
	computedAt    *Module
	// logitsHead is the top-level Linear that computes the logits.
	logitsHead *layer
	// err is a fault found deep in the build, returned by Build.
	err error
}

// Build turns a parsed tree into a model file.
func Build(root *Module, opts Options) (*Result, error) {
	b := &builder{opts: opts, cat: opts.Catalog, noted: map[string]bool{}, computedAs: map[string]string{}}
	if b.cat == nil {
		b.cat = layers.Builtin()
	}
	if opts.Config != nil {
		b.cfg = &config{root: opts.Config.Root}
	}
	modelType := opts.ModelType
	if modelType == "" {
		modelType, _ = b.cfg.str("model_type")
	}
	if modelType == "" {
		modelType = modelTypeOf(root.Class)
	}
	if modelType == "" {
		return nil, fmt.Errorf("%w of %s: give --model-type (the config's model_type, such as llama) or --config; known families: %s", ErrNoModelType, diag.Clip(root.Class), strings.Join(knownFamilies(), ", "))
	}
	b.folder = folderOf(modelType)
	if of := modelTypeOf(root.Class); of != "" && folderOf(of) != b.folder {
		// A config (or --model-type) of another family than the tree's: its head geometry,
		// windows and ties would be read into modules they do not describe.
		if opts.Config != nil {
			b.warn(root, "the tree is a %s model (%s), but the config says %s: the classes, and every value read from the config, are taken as %s's (give the tree's own config.json)", of, diag.Clip(root.Class), modelType, modelType)
		} else {
			b.warn(root, "the tree is a %s model (%s), but --model-type says %s: its classes are taken as %s's", of, diag.Clip(root.Class), modelType, modelType)
		}
	}
	b.survey(root)

	top := b.children(root, scope{tokens: tokens, first: -1, last: -1, top: true})
	if b.err != nil {
		return nil, b.err
	}
	b.finishTop(top)
	top = b.logitOps(top)
	top = b.logitSoftcap(top)
	root0 := &layer{composite: true, subs: top}
	b.finalize(root0)
	top = root0.subs
	b.reportComputedAs()

	doc := jsonpos.NewObject()
	if opts.ModelID != "" {
		doc.Set("model_id", jsonpos.NewString(opts.ModelID))
	}
	doc.Set("variables", b.variables())
	arr := jsonpos.NewArray()
	for _, l := range top {
		arr.Items = append(arr.Items, l.node())
	}
	doc.Set("layers", arr)
	if opts.Config != nil {
		// A quantized checkpoint (DeepSeek-V3's fp8, gpt-oss's MXFP4) as populate counts it.
		notes, err := populate.Quantize(&populate.Config{Doc: opts.Config, Name: opts.Config.Name}, doc, b.cat)
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			b.warn(nil, "%s", n)
		}
	}
	out := jsonpos.Marshal(doc)

	res := &Result{Output: out, ModelType: modelType}
	// The file must validate: anything else is a bug of the importer.
	check := validate.Source("imported model", out, validate.Options{Catalog: b.cat})
	if errs := diag.Errors(check.Diagnostics); len(errs) > 0 {
		return nil, errors.Join(fmt.Errorf("the import of %s produced an invalid model file (a bug in the importer)", diag.Clip(root.Class)), diag.New(errs...))
	}
	diag.Sort(b.diags)
	res.Diagnostics = b.diags
	return res, nil
}

// reportComputedAs says, once, which printed classes were written as the catalog classes that
// compute them.
func (b *builder) reportComputedAs() {
	if len(b.computedOrder) == 0 {
		return
	}
	var pairs []string
	for _, own := range b.computedOrder {
		pairs = append(pairs, layers.ShortName(own)+" as "+layers.ShortName(b.computedAs[own]))
	}
	b.warn(b.computedAt, "the catalog does not know %d of the printed classes; each is written as the catalog class that computes it, its own class kept in x-class: %s (an \"aliases\" entry in a catalog overlay keeps them in class: docs/authoring.md)", len(pairs), strings.Join(pairs, ", "))
}

// tokens is the token count of a step, as templates write it.
const tokens = "{batch_size} * {seq_len}"

// scope is what the layers below a module are computed for.
type scope struct {
	// tokens is the expression of the rows each layer processes; expertShare, inside a
	// routed expert, the share of calls that read its weights.
	tokens      string
	expertShare string
	// routed, inside an MoE block, is the rows all its routed experts process together:
	// tokens·k (a fused experts module's activation runs once over them).
	routed string
	// layers is the index range of the decoder layers the module belongs to ([-1, -1] outside
	// them), for the per-layer settings of the attention core.
	first, last int64
	inLayer     bool
	top         bool
}

// warn records a warning at a module's line.
func (b *builder) warn(m *Module, format string, args ...any) {
	d := diag.Diagnostic{File: b.opts.Name, Severity: diag.Warning, Code: "import", Message: fmt.Sprintf(format, args...)}
	if m != nil {
		d.Line, d.Column = m.Line, m.Col
	}
	b.diags = append(b.diags, d)
}

// warnOnce records a warning once per key.
func (b *builder) warnOnce(key string, m *Module, format string, args ...any) {
	if b.noted[key] {
		return
	}
	b.noted[key] = true
	b.warn(m, format, args...)
}

// survey reads what the whole tree says before any layer is built: the width of the residual
// stream and the vocabulary (from the token embedding), whether positions are rotary, and the
// config's head geometry.
func (b *builder) survey(root *Module) {
	var visit func(m *Module, depth int)
	visit = func(m *Module, depth int) {
		if strings.HasSuffix(m.Class, "RotaryEmbedding") {
			b.rotary = true
			if depth <= 2 {
				b.modelRotary = true
			}
		}
		if m.Leaf() && isEmbedding(m) && depth < 10 {
			a := parseArgs(m.Args)
			if len(a.pos) >= 2 && b.vocab == 0 {
				b.vocab, _ = intOf(a.pos[0])
				b.hidden, _ = intOf(a.pos[1])
			} else if len(a.pos) >= 2 && b.isPositions(m) {
				b.positions, _ = intOf(a.pos[0])
			}
		}
		for _, c := range m.Children {
			if c.Entry {
				visit(c, depth+10) // inside a layer
			} else {
				visit(c, depth+1)
			}
		}
	}
	visit(root, 0)
	if h, ok := b.cfg.int("hidden_size", "n_embd", "d_model"); ok {
		b.hidden = h
	}
	b.nHeads, _ = b.cfg.int("num_attention_heads", "n_head", "num_heads")
	if d, ok := b.cfg.int("head_dim"); ok {
		b.headDim = d
	} else if b.nHeads > 0 && b.hidden > 0 && b.hidden%b.nHeads == 0 {
		b.headDim = b.hidden / b.nHeads
	}
	b.rotaryFactor = big.NewRat(1, 1)
	if f, ok := b.cfg.number("partial_rotary_factor", "rotary_pct"); ok {
		b.rotaryFactor = f
	}
}

// isPositions reports a learned position table (GPT-2's wpe, OPT's embed_positions).
func (b *builder) isPositions(m *Module) bool {
	return m.Name == "wpe" || strings.Contains(strings.ToLower(m.Name+m.Class), "position")
}

func isEmbedding(m *Module) bool {
	return strings.HasSuffix(m.Class, "Embedding") && !strings.HasSuffix(m.Class, "RotaryEmbedding")
}

// variables are the file's variables: the standard set, logits_len as the templates declare it,
// and dtype_bytes from the config's torch_dtype.
func (b *builder) variables() *jsonpos.Node {
	v := jsonpos.NewObject()
	v.Set("batch_size", jsonpos.NewNumber("1"))
	seq := int64(2048)
	if b.positions > 0 && b.positions < seq {
		seq = b.positions // a learned position table bounds the sequence (GPT-2: 1024)
	}
	v.Set("seq_len", jsonpos.NewNumber(fmt.Sprint(seq)))
	v.Set("past_len", jsonpos.NewNumber("0"))
	v.Set("logits_len", jsonpos.NewString("{seq_len}"))
	// The checkpoint's dtype: the config's torch_dtype, float32 when a config does not say (as
	// transformers loads it, and as populate's templates assume), 2 bytes without a config.
	bytes := "2"
	if b.cfg != nil {
		bytes = "4"
	}
	for _, key := range []string{"torch_dtype", "dtype"} {
		if s, ok := b.cfg.str(key); ok {
			if d, ok := dtype.FromTorch(s); ok {
				bytes = d.Bytes.RatString()
				break
			}
		}
	}
	v.Set("dtype_bytes", jsonpos.NewNumber(bytes))
	v.Set("weight_dtype_bytes", jsonpos.NewString("{dtype_bytes}"))
	v.Set("kv_dtype_bytes", jsonpos.NewString("{dtype_bytes}"))
	v.Set("index_dtype_bytes", jsonpos.NewNumber("8"))
	for _, k := range sortedKeys(b.extraVars) {
		v.Set(k, jsonpos.NewNumber(b.extraVars[k]))
	}
	return v
}

// children converts a composite module's children to layers, ModuleLists flattened into runs.
// The experts of an MoE block get the scope of a routed expert.
func (b *builder) children(m *Module, sc scope) []*layer {
	var out []*layer
	inner := scope{tokens: sc.tokens, expertShare: sc.expertShare, routed: sc.routed, first: sc.first, last: sc.last, inLayer: sc.inLayer}
	moe := b.moeBlock(m)
	for _, c := range m.Children {
		csc := inner
		if moe && isExperts(c) {
			csc.tokens, csc.expertShare, csc.routed = b.expertTokens(sc.tokens), b.expertShare(sc.tokens), b.routedTokens(sc.tokens)
		}
		var ls []*layer
		if c.IsList() {
			ls = b.list(c, csc)
		} else if l := b.module(c, csc); l != nil {
			ls = []*layer{l}
		}
		if moe && isExperts(c) {
			// The layers that repeat once per expert carry the routing (calc's active_params
			// and expert parallelism).
			for _, l := range ls {
				b.markRouted(l)
			}
		}
		out = append(out, ls...)
	}
	return out
}

// markRouted marks the layers of an MoE block's experts that repeat once per expert: a run of
// the experts list, or the Linears a fused experts module holds.
func (b *builder) markRouted(l *layer) {
	if l.repeat > 1 || len(l.aliases) > 0 {
		l.routedK, l.routedHidden = b.moeK, b.hidden
		return
	}
	for _, s := range l.subs {
		if !s.composite && s.repeat > 1 {
			s.routedK, s.routedHidden = b.moeK, b.hidden
		}
	}
}

// isExperts reports a module holding an MoE block's experts.
func isExperts(m *Module) bool {
	return m.Name == "experts" || strings.HasSuffix(m.Class, "Experts")
}

// moeBlock reports whether m routes tokens to experts, and sets the counts of its routing: the
// experts (the list's length, else the config's) and the experts per token (the config's, else
// the variable experts_per_token, declared with 1 and reported).
func (b *builder) moeBlock(m *Module) bool {
	var experts *Module
	for _, c := range m.Children {
		if isExperts(c) {
			experts = c
		}
	}
	if experts == nil {
		return false
	}
	b.moeE = 0
	if experts.IsList() {
		for _, e := range experts.Children {
			b.moeE += e.Count()
		}
	} else if e, ok := b.experts(); ok {
		b.moeE = e
	}
	if b.moeE == 0 {
		return false
	}
	if k, ok := b.topK(); ok {
		b.moeK = fmt.Sprint(k)
	} else {
		b.moeK = "{experts_per_token}"
		if b.extraVars == nil {
			b.extraVars = map[string]string{}
		}
		b.extraVars["experts_per_token"] = "1"
		b.warnOnce("topk", m, "%s routes each token to some of its %d experts, how many only the config says (num_experts_per_tok): the file declares the variable experts_per_token = 1; set it (calc --set experts_per_token=K) or give --config", diag.Clip(m.Class), b.moeE)
	}
	return true
}

// expertTokens is the rows each routed expert processes: tokens·k/E, as templates write it.
func (b *builder) expertTokens(t string) string {
	return fmt.Sprintf("%s * %s / %d", t, b.moeK, b.moeE)
}

// routedTokens is the rows all routed experts of a block process: tokens·k.
func (b *builder) routedTokens(t string) string {
	return fmt.Sprintf("%s * %s", t, b.moeK)
}

// expertShare is the share of calls that read an expert's weights: min(1, tokens·k/E).
func (b *builder) expertShare(t string) string {
	return fmt.Sprintf("min(1, %s)", b.expertTokens(t))
}

// module converts one module (not a list) to a layer; nil when it has no layer (an Identity, an
// empty list, a module the catalog cannot describe, which is reported).
func (b *builder) module(m *Module, sc scope) *layer {
	if m.Leaf() {
		return b.basicModule(m, sc)
	}
	l := &layer{name: m.Name, class: classPath(m.Class, b.folder), repeat: 1, composite: true, mod: m}
	moe := b.moeBlock(m)
	e, k := b.moeE, b.moeK
	l.subs = b.children(m, sc)
	if !b.hiddenParts(l, sc) {
		return nil
	}
	if moe {
		b.moeE, b.moeK = e, k
		l.role = roleMoE
	}
	b.pattern(l, sc)
	if len(l.subs) == 0 {
		b.warn(m, "%s holds nothing modeltool can describe: left out", diag.Clip(m.Class))
		return nil
	}
	return l
}

// finalize fills what only the whole model settles: the rotated width of rotary embeddings
// (from the config's head_dim, else the first attention's) and the elements of an activation
// no pattern placed (the width of the projection before it). A layer that stays incomplete is
// left out and reported.
func (b *builder) finalize(l *layer) {
	for i := 0; i < len(l.subs); i++ {
		s := l.subs[i]
		b.finalize(s)
		if v, ok := s.get("rotary_dim"); ok && v == nil && s.role == roleRotary {
			if r, ok := b.cfg.int("qk_rope_head_dim"); ok {
				s.set("rotary_dim", r) // MLA rotates only the rope part of each head (DeepSeek)
			} else if d := cmp.Or(b.headDim, b.firstHeadDim); d > 0 {
				s.set("rotary_dim", b.rotaryDim(d))
			}
		}
		if v, ok := s.get("num_elements"); ok && v == nil && s.role == roleAct {
			for j := i - 1; j >= 0; j-- {
				if w, ok := outOf(l.subs[j]); ok {
					t, _ := l.subs[j].get("num_tokens")
					s.set("num_elements", fmt.Sprintf("%v * %d", t, w))
					break
				}
			}
		}
		if !s.composite {
			b.fit(s)
		}
		if incomplete(s) {
			b.warn(s.mod, "%s: its size is unknown (no config, no pattern): left out", s.name)
			l.subs = append(l.subs[:i], l.subs[i+1:]...)
			i--
		} else if s.composite && len(s.subs) == 0 {
			// Every part of it was left out: a composite needs at least one sub-layer.
			b.warn(s.mod, "%s: nothing in it is left that modeltool can describe: left out", s.name)
			l.subs = append(l.subs[:i], l.subs[i+1:]...)
			i--
		}
	}
}

// fit keeps the parameters the layer's class has (the catalog's rotary classes differ in
// whether they take dtype_bytes) and marks a required one that is missing as unknown.
func (b *builder) fit(l *layer) {
	cl := b.cat.Lookup(l.class)
	if cl == nil {
		return
	}
	kept := l.params[:0]
	for _, pr := range l.params {
		if cl.Param(pr.name) != nil {
			kept = append(kept, pr)
		}
	}
	l.params = kept
	for _, ps := range cl.Required() {
		if _, ok := l.get(ps.Name); !ok {
			l.params = append(l.params, param{ps.Name, nil})
		}
	}
}

func incomplete(l *layer) bool {
	for _, pr := range l.params {
		if pr.value == nil {
			return true
		}
	}
	return false
}

// isBlockList reports whether a list holds the model's blocks (decoder layers): entries that
// are modules of their own, named *Layer or *Block.
func isBlockList(m *Module) bool {
	for _, e := range m.Children {
		if e.Leaf() || !(strings.HasSuffix(e.Class, "Layer") || strings.HasSuffix(e.Class, "Block") || strings.Contains(e.Class, "DecoderLayer")) {
			return false
		}
	}
	return len(m.Children) > 0
}

// list flattens a ModuleList (or Sequential) into runs of identical consecutive entries, each a
// layer with the list's name as its alias; decoder-layer runs are also split where the config
// gives layers different attention (sliding or full, chunked, rotary or not).
func (b *builder) list(m *Module, sc scope) []*layer {
	block := isBlockList(m)
	type run struct {
		l           *layer
		first, last int64
	}
	var runs []run
	for _, e := range m.Children {
		for _, r := range b.kindRuns(e.Lo, e.Hi, block) {
			esc := sc
			if block {
				esc.first, esc.last, esc.inLayer = r[0], r[1], true
			}
			var l *layer
			if e.Leaf() {
				l = b.basicModule(e, esc)
			} else {
				l = b.module(&Module{Name: m.Name, Class: e.Class, Args: e.Args, Children: e.Children, Line: e.Line, Col: e.Col}, esc)
			}
			if l == nil {
				continue
			}
			l.repeat = r[1] - r[0] + 1
			if n := len(runs); n > 0 && runs[n-1].last == r[0]-1 && runs[n-1].l.signature() == l.signature() {
				runs[n-1].last = r[1]
				runs[n-1].l.repeat += l.repeat
				continue
			}
			runs = append(runs, run{l, r[0], r[1]})
		}
	}
	base := m.Name
	if block {
		base = "decoder_layer"
	}
	var out []*layer
	for _, r := range runs {
		r.l.name = base
		if len(runs) > 1 {
			r.l.name = fmt.Sprintf("%s_%d_%d", base, r.first, r.last)
		}
		r.l.aliases = []string{m.Name}
		r.l.unit = block // each decoder layer is a unit of pipeline parallelism
		out = append(out, r.l)
	}
	return out
}

// MaxSplitLayers bounds the layers whose per-layer settings are worked out one by one, as
// populate bounds index-dependent layers.
const MaxSplitLayers = 100_000

// kindRuns splits the index range [lo, hi] where the per-layer attention settings change.
func (b *builder) kindRuns(lo, hi int64, block bool) [][2]int64 {
	if !block || !b.perLayer() {
		return [][2]int64{{lo, hi}}
	}
	if hi-lo >= MaxSplitLayers {
		if b.err == nil {
			b.err = fmt.Errorf("layers %d-%d: the config gives layers different attention, and working it out layer by layer stops at %d layers", lo, hi, MaxSplitLayers)
		}
		return [][2]int64{{lo, hi}}
	}
	var out [][2]int64
	start := lo
	for i := lo + 1; i <= hi+1; i++ {
		if i == hi+1 || b.attention(i) != b.attention(start) {
			out = append(out, [2]int64{start, i - 1})
			start = i
		}
	}
	return out
}

// finishTop settles what only the whole model shows: the logits head's tokens and its tie to
// the token embedding.
func (b *builder) finishTop(top []*layer) {
	for _, l := range top {
		if l.composite {
			l.walk(func(x *layer) {
				if x.role == roleTokenEmbedding && b.embed == "" {
					b.embed = l.name + "." + b.pathBelow(l, x)
				}
			})
		}
	}
	for _, l := range top {
		if l.composite || l.role != roleLinear {
			continue
		}
		out, _ := l.int("out_features")
		in, _ := l.int("in_features")
		if b.vocab == 0 || out != b.vocab {
			continue
		}
		l.set("num_tokens", "{batch_size} * {logits_len}")
		l.tp = "vocab"
		b.logitsHead = l
		if b.embed == "" || in != b.hidden {
			continue
		}
		if bias, _ := l.get("bias"); bias == true {
			continue // a head with a bias of its own is not the embedding's weight alone
		}
		tie, ok := b.cfg.boolean("tie_word_embeddings")
		switch {
		case ok:
		case b.cfg != nil && b.opts.TieDefault != nil:
			tie = *b.opts.TieDefault
		case b.cfg != nil:
			tie = true
			b.warn(l.mod, "the config does not say tie_word_embeddings; transformers' default (true) ties %s to %s", l.name, b.embed)
		default:
			b.warn(l.mod, "%s has the shape of %s's weight: if the checkpoint ties them (tie_word_embeddings), add \"tied_to\": %q to %s, which takes its %s parameters off the count (give --config to decide from the config)",
				l.name, b.embed, b.embed, l.name, group(b.vocab*b.hidden))
		}
		if tie {
			l.tiedTo = b.embed
		}
	}
}

// logitSoftcap appends Gemma 2's final soft-capping of the logits, tanh(x / c) · c, when the
// config sets final_logit_softcapping.
func (b *builder) logitSoftcap(top []*layer) []*layer {
	c, ok := b.cfg.number("final_logit_softcapping")
	if !ok || c.Sign() <= 0 || b.logitsHead == nil || b.cat.Lookup("torch.tanh") == nil {
		return top
	}
	elems := fmt.Sprintf("{batch_size} * {logits_len} * %d", b.vocab)
	return append(top,
		basic("final_logit_softcap_div", divClass, p("num_elements", elems), p("other_elements", 1), p("dtype_bytes", "{dtype_bytes}")),
		basic("final_logit_softcap_tanh", "torch.tanh", p("num_elements", elems), p("dtype_bytes", "{dtype_bytes}")),
		basic("final_logit_softcap_mul", mulClass, p("num_elements", elems), p("other_elements", 1), p("dtype_bytes", "{dtype_bytes}")))
}

// pathBelow is the dotted path from l down to x.
func (b *builder) pathBelow(l, x *layer) string {
	var find func(cur *layer, path []string) []string
	find = func(cur *layer, path []string) []string {
		for _, s := range cur.subs {
			p := append(append([]string(nil), path...), s.name)
			if s == x {
				return p
			}
			if r := find(s, p); r != nil {
				return r
			}
		}
		return nil
	}
	return strings.Join(find(l, nil), ".")
}

// group writes n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TieDefault reads what an absent tie_word_embeddings means from a family's template (the
// default its config class gives), or nil when the template does not say.
func TieDefault(template []byte) *bool {
	doc, err := jsonpos.Parse("template", template, jsonpos.Options{})
	if err != nil || doc.Root.Kind != jsonpos.Object {
		return nil
	}
	d := doc.Root.Find("/template/config/tie_word_embeddings/default")
	if d == nil || d.Kind != jsonpos.Bool {
		return nil
	}
	v := d.BoolValue()
	return &v
}
