// Package weights compares a model file with a checkpoint's tensors: every tensor name is
// mapped to the layer that holds it, every shape compared with the shape the catalog derives
// from the layer's parameters, and what is missing on either side reported at the layer's
// position in the model file.
//
// Names map as HuggingFace builds them. A layer's name is its attribute; a layer with
// "aliases" or a repeat other than 1 is a ModuleList whose instances are NAME.0, NAME.1, …
// (NAME being its first alias, else its own name), and consecutive siblings sharing the list
// name are one list whose indices continue across them: with decoder_layer_0_2 (repeat 3) and
// decoder_layer_3_60, both aliased "layers", model.layers.17.mlp.down_proj.weight is instance
// 14 of decoder_layer_3_60's down_proj. A repeated basic layer may also be stored fused, as one
// tensor whose first dimension is the repeat (MoE experts: experts.gate_up_proj of shape
// [experts, in, out], or experts.gate_up_proj.weight).
//
// Quantized checkpoints are understood: GPTQ and AWQ store a packed qweight (int32 holding
// 32/bits values) with scales, qzeros and g_idx; fp8 checkpoints a weight of one byte per
// element with weight_scale_inv (DeepSeek's 128×128 blocks), weight_scale or input_scale;
// packed 4-bit formats (NVFP4, bitsandbytes) a uint8 weight of half the elements with their
// scales; MXFP4 (gpt-oss) NAME_blocks and NAME_scales. The packed weight stands for the
// layer's weight, and the scales are not parameters; their shapes are checked against the
// weight's and the block the layer declares (aux.go).
package weights

import (
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/safetensors"
)

// Diagnostic codes.
const (
	CodeShape     = "weight-shape"     // a tensor whose shape differs from the layer's
	CodeMissing   = "weight-missing"   // a tensor the layer needs that the checkpoint lacks
	CodeUnused    = "weight-unused"    // a tensor no layer accounts for
	CodeTotal     = "weight-total"     // the parameter counts differ
	CodeUnchecked = "weight-unchecked" // a class whose tensors the catalog does not describe
)

// Result is what a comparison found.
type Result struct {
	Diagnostics []diag.Diagnostic
	// ModelParams is the model file's parameter count (calc's total), CheckpointParams the
	// checkpoint's: the elements of its parameter tensors, quantized weights counted as the
	// elements they stand for, scales and buffers left out.
	ModelParams      *big.Int
	CheckpointParams *big.Int
	// Tensors is the number of tensors read; Quantized counts the weights stored packed or in
	// eight bits, by format ("gptq", "awq", "fp8", "fp4", "mxfp4").
	Tensors   int
	Quantized map[string]int
}

// Check compares the model file f (which must validate) with the checkpoint ck.
func Check(f *model.File, ck *safetensors.Checkpoint, cat *layers.Catalog) (*Result, error) {
	if cat == nil {
		cat = layers.Builtin()
	}
	c := &checker{f: f, cat: cat, scope: f.Scope(nil), res: &Result{Tensors: len(ck.Tensors), Quantized: map[string]int{}, CheckpointParams: new(big.Int)}}
	root := &node{children: nil}
	if err := c.build(root, f.Layers, []*node{}); err != nil {
		return nil, err
	}
	c.root = root
	out, err := calc.Compute(f, calc.Options{Catalog: cat})
	if err != nil {
		return nil, err
	}
	c.res.ModelParams = new(big.Int).Quo(out.Totals.Params.Num(), out.Totals.Params.Denom())

	// Names resolve from the top of the model; a checkpoint of the base model alone
	// (GPT-2's h.0.attn.c_attn.weight for transformer.h.0…) resolves under one top-level module.
	base := c.root
	if !c.anyResolves(c.root, ck) {
		best := 0
		for _, ch := range c.root.children {
			if ch.basic() {
				continue
			}
			if n := c.resolvedFrom(ch, ck); n > best {
				base, best = ch, n
			}
		}
	}
	c.base = base
	for i := range ck.Tensors {
		c.tensor(&ck.Tensors[i])
	}
	c.reportUnused()
	c.missing(c.base)
	c.total()
	diag.Sort(c.res.Diagnostics)
	return c.res, nil
}

type checker struct {
	f     *model.File
	cat   *layers.Catalog
	scope *expr.Scope
	root  *node
	// base is the node tensor names resolve from: the root, or the one top-level module a
	// base-model checkpoint holds.
	base      *node
	res       *Result
	unchecked map[string]bool
	// strays are the tensors no layer accounts for, by the module their names lead into (nil:
	// none), in the order first met.
	strays     map[*node][]*safetensors.Tensor
	strayOrder []*node
}

// node is one layer of the model file, with what the checkpoint holds for it.
type node struct {
	layer *model.Layer
	// hf is the attribute name (the list name for a list member).
	hf   string
	list bool
	// start is a list member's first index; repeat its instance count.
	start, repeat int64
	parent        *node
	children      []*node
	// count is the number of instances, the product of the repeats down to this layer.
	count *big.Int
	// For a basic layer: its class, the tensors one instance holds, and which instances the
	// checkpoint covers, per tensor name.
	class   *layers.Class
	specs   []layers.Tensor
	specErr error
	covered map[string]map[string]bool
	// quant is the block of scales the layer declares (quant_block_in 0: none).
	quant quantBlock
}

func (n *node) basic() bool { return n.layer != nil && !n.layer.Composite }

// maxInstances bounds the instances of a list whose indices are tracked; a repeat beyond it
// (a test file with repeat 10^30) is compared by counts only.
const maxInstances = 1 << 40

func (c *checker) build(parent *node, ls []*model.Layer, path []*node) error {
	next := map[string]int64{} // list name → the next index of its run of siblings
	prevList := ""
	for _, l := range ls {
		n := &node{layer: l, hf: l.Name, parent: parent}
		reps, err := l.Repeats(c.scope)
		if err != nil {
			return err
		}
		n.repeat = maxInstances
		if reps.IsInt64() && reps.Int64() < maxInstances {
			n.repeat = reps.Int64()
		}
		above := big.NewInt(1)
		if parent.count != nil {
			above = parent.count
		}
		n.count = new(big.Int).Mul(above, reps)
		if al := l.Aliases; len(al) > 0 || reps.Cmp(big.NewInt(1)) != 0 {
			n.list = true
			if len(al) > 0 {
				n.hf = al[0]
			}
			if prevList != n.hf {
				next[n.hf] = 0
			}
			n.start = next[n.hf]
			next[n.hf] += n.repeat
			prevList = n.hf
		} else {
			prevList = ""
		}
		parent.children = append(parent.children, n)
		if l.Composite {
			if err := c.build(n, l.SubLayers, append(path, n)); err != nil {
				return err
			}
			continue
		}
		c.describe(n)
	}
	return nil
}

// describe evaluates the tensors one instance of a basic layer holds.
func (c *checker) describe(n *node) {
	n.class = c.cat.Lookup(n.layer.Class)
	n.covered = map[string]map[string]bool{}
	if n.class == nil {
		return
	}
	args := map[string]expr.Value{}
	for _, p := range n.layer.Parameters {
		if p.Value.Expr == nil {
			continue
		}
		v, err := p.Value.Expr.Eval(c.scope)
		if err != nil {
			n.specErr = err
			return
		}
		args[p.Name] = v
	}
	n.specs, n.specErr = n.class.EvalTensors(args)
	if n.class.Param("quant_block_in") != nil {
		n.quant = declaredBlock(n.class.Scope(args))
	}
}

// path returns the nodes from the top down to n (the root excluded).
func (n *node) path() []*node {
	var out []*node
	for x := n; x != nil && x.layer != nil; x = x.parent {
		out = append(out, x)
	}
	slices.Reverse(out)
	return out
}

// anyResolves reports whether some tensor's name resolves to a layer from under start.
func (c *checker) anyResolves(start *node, ck *safetensors.Checkpoint) bool {
	for _, t := range ck.Tensors {
		if m := c.resolve(start, strings.Split(t.Name, ".")); m.layer != nil {
			return true
		}
	}
	return false
}

// resolvedFrom counts the tensors whose names resolve to a layer from under start.
func (c *checker) resolvedFrom(start *node, ck *safetensors.Checkpoint) int {
	n := 0
	for _, t := range ck.Tensors {
		if m := c.resolve(start, strings.Split(t.Name, ".")); m.layer != nil {
			n++
		}
	}
	return n
}

// match is where a tensor name leads: a basic layer, the instance (one index per list on the
// way, Fused for a list whose every instance the tensor holds at once), and the tensor's name
// relative to the layer. When the name leads nowhere, layer is nil and deepest is the last
// module it reached.
type match struct {
	layer   *node
	indices []int64
	local   string
	deepest *node
}

// Fused is the index of a list whose instances one tensor holds at once (MoE experts stored
// as experts.gate_up_proj of shape [experts, …]).
const Fused = -1

// fused reports whether the match holds several instances at once, and the position of the
// list it spans.
func (m match) fused() (int, bool) {
	i := slices.Index(m.indices, Fused)
	return i, i >= 0
}

// fusedSuffixes are the endings of fused-tensor names (gpt-oss: experts.gate_up_proj_bias),
// and the local name each stands for.
var fusedSuffixes = []struct{ suffix, local string }{
	{"_bias", "bias"},
	{"_blocks", "weight_blocks"},
	{"_scales", "weight_scales"},
}

func (c *checker) resolve(start *node, segs []string) match {
	cur := start
	var indices []int64
	fused := false
	for len(segs) > 0 {
		seg := segs[0]
		var members []*node
		for _, ch := range cur.children {
			if ch.hf == seg {
				members = append(members, ch)
			}
		}
		if len(members) == 0 {
			// experts.gate_up_proj_bias: the fused bias of the repeated layer gate_up_proj.
			for _, fs := range fusedSuffixes {
				base, ok := strings.CutSuffix(seg, fs.suffix)
				if !ok || len(segs) != 1 {
					continue
				}
				if fused {
					// experts.down_proj_blocks under fused experts: their down_proj.
					for _, ch := range cur.children {
						if ch.hf == base && ch.basic() && !ch.list {
							return match{layer: ch, indices: indices, local: fs.local, deepest: cur}
						}
					}
				} else if m := c.single(cur, base); m != nil {
					return match{layer: m, indices: append(indices, Fused), local: fs.local, deepest: cur}
				}
			}
			// self_attn.sinks: a tensor of a module that a functional layer inside it stands for.
			local := "../" + strings.Join(segs, ".")
			for _, ch := range cur.children {
				if ch.basic() && !ch.list && slices.ContainsFunc(ch.specs, func(t layers.Tensor) bool { return t.Name == local }) {
					return match{layer: ch, indices: indices, local: local, deepest: cur}
				}
			}
			return match{deepest: cur}
		}
		var next *node
		switch {
		case !members[0].list:
			next = members[0]
			segs = segs[1:]
		case len(segs) > 1 && isIndex(segs[1]):
			i, _ := strconv.ParseInt(segs[1], 10, 64)
			for _, m := range members {
				if i >= m.start && i-m.start < m.repeat {
					next = m
					indices = append(indices, i-m.start)
				}
			}
			if next == nil {
				// A list member absent with the file's default variables (repeat 0: DeepSeek-V3's
				// MTP layer with mtp_layers 0) is where the name leads.
				for _, m := range members {
					if m.repeat == 0 && m.start <= i {
						return match{deepest: m}
					}
				}
				return match{deepest: cur}
			}
			segs = segs[2:]
		case len(members) == 1 && !fused:
			// One tensor for every instance of the list: the fused form.
			next = members[0]
			indices = append(indices, Fused)
			fused = true
			segs = segs[1:]
		default:
			return match{deepest: cur}
		}
		if next.basic() {
			return match{layer: next, indices: indices, local: strings.Join(segs, "."), deepest: cur}
		}
		cur = next
	}
	return match{deepest: cur}
}

// single returns the one basic list member named name under n, or nil.
func (c *checker) single(n *node, name string) *node {
	var found *node
	for _, ch := range n.children {
		if ch.hf == name {
			if found != nil || !ch.basic() || !ch.list {
				return nil
			}
			found = ch
		}
	}
	return found
}

func isIndex(s string) bool {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
