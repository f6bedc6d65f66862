package validate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// planner checks a layer's "routed" and "parallel" keys: their values are declared, evaluate to
// positive integers, a routed layer repeats once per expert with top_k at most its repeat, and
// a tensor-parallel role fits the layer's class.
func (c *checker) planner(l *model.Layer) {
	if r := l.Routed; r != nil {
		ptr := l.Pointer + "/routed"
		if r.TopK != nil {
			if k, ok := c.count(r.TopK, ptr+"/top_k", l, "routed.top_k"); ok && l.Repeat != nil {
				if e, err := l.Repeats(c.scope); err == nil {
					if n, ok := k.BigInt(); ok && n.Cmp(e) > 0 {
						c.add(r.TopK.Node.Offset, ptr+"/top_k", l, diag.Error, "bad-value",
							fmt.Sprintf("routed.top_k is %s, more than the %s experts the layer repeats", n, e))
					}
				}
			}
		}
		if r.HiddenSize != nil {
			c.count(r.HiddenSize, ptr+"/hidden_size", l, "routed.hidden_size")
		}
		if l.Repeat == nil {
			c.add(keyOffset(l, "routed"), ptr, l, diag.Error, "routed",
				"a routed layer repeats once per expert: give it \"repeat\" = the number of routed experts")
		}
		for p := l.Parent; p != nil; p = p.Parent {
			if p.Routed != nil {
				c.add(keyOffset(l, "routed"), ptr, l, diag.Error, "routed", fmt.Sprintf("routed experts inside the routed experts of %s: mark only the layer that repeats once per expert", p.Path))
				break
			}
		}
	}
	p := l.Parallel
	if p == nil {
		return
	}
	ptr := l.Pointer + "/parallel"
	if p.Heads != nil {
		c.count(p.Heads, ptr+"/heads", l, "parallel.heads")
	}
	if p.KVHeads != nil {
		c.count(p.KVHeads, ptr+"/kv_heads", l, "parallel.kv_heads")
	}
	if !slices.Contains(model.TPRoles, p.TP) {
		return // absent, or not a role (the schema reports it)
	}
	at := keyOffset(l, "parallel")
	if tp := p.Node.Member("tp"); tp != nil {
		at = tp.Value.Offset
	}
	if l.Composite {
		c.add(at, ptr+"/tp", l, diag.Error, "parallel", "a tensor-parallel role belongs on basic layers (a composite layer's sub-layers split in different ways)")
		return
	}
	switch {
	case p.TP == model.TPKV && p.KVHeads == nil && !p.SplitRepeat:
		c.add(at, ptr+"/tp", l, diag.Error, "parallel", "tp kv needs kv_heads: the key/value heads in the layer's output")
	case p.TP == model.TPQKV && (p.Heads == nil || p.KVHeads == nil):
		c.add(at, ptr+"/tp", l, diag.Error, "parallel", "tp qkv needs heads and kv_heads: the query and key/value heads in the fused output")
	}
	if p.SplitRepeat {
		split := p.Node.Member("split")
		switch {
		case p.TP != model.TPColumn && p.TP != model.TPKV:
			c.add(split.Value.Offset, ptr+"/split", l, diag.Error, "parallel", fmt.Sprintf("split repeat divides a layer's instances as its heads: it goes with tp column (one instance per query head) or kv (one per key/value head), not %s", p.TP))
		case l.Repeat == nil:
			c.add(split.Value.Offset, ptr+"/split", l, diag.Error, "parallel", "split repeat divides the layer's repeat, and this layer has none: give it \"repeat\" = its heads")
		}
		return // the role divides instances, not parameters: any class fits
	}
	cl := c.cat.Lookup(l.Class)
	if cl == nil || p.TP == model.TPReplicated {
		return
	}
	has := func(name string) bool { return cl.Param(name) != nil }
	if p.TP == model.TPHeads {
		if !model.HasHeads(has) {
			c.add(at, ptr+"/tp", l, diag.Error, "parallel", fmt.Sprintf("tp heads splits num_heads and num_kv_heads, which %s does not have (column splits an output width)", layers.ShortName(cl.Name)))
		}
		return
	}
	names := model.TPSplitParams(p.TP)
	if !slices.ContainsFunc(names, has) {
		c.add(at, ptr+"/tp", l, diag.Error, "parallel", fmt.Sprintf("tp %s splits %s, none of which %s has", p.TP, strings.Join(names, ", "), layers.ShortName(cl.Name)))
	}
}

// count checks that v is declared and, in a model file, evaluates to a positive integer.
func (c *checker) count(v *model.Value, pointer string, l *model.Layer, what string) (expr.Value, bool) {
	if !c.expression(v, pointer, l, what) || c.template || c.usesBadVar(v) {
		return expr.Value{}, false
	}
	val, err := v.Expr.Eval(c.scope)
	if err != nil {
		if !errors.Is(err, expr.ErrUnbound) {
			c.evalError(v, pointer, l, what, err)
		}
		return expr.Value{}, false
	}
	if !layers.FitsType("size", val) {
		c.add(v.Node.Offset, pointer, l, diag.Error, "bad-value", fmt.Sprintf("%s must be an integer ≥ 1, got %s", what, describeValue(*v, val)))
		return expr.Value{}, false
	}
	return val, true
}

// routedExperts warns once when a file has layers that are routed experts by their shape — a
// repeated layer inside the repeated decoder layers whose weights are read in part
// (weight_read_share) — but no "routed" key above them: active_params then counts every
// expert as active.
func (c *checker) routedExperts() {
	var first *model.Layer
	model.Walk(c.f.Layers, func(l *model.Layer) bool {
		if first != nil || l.Routed != nil {
			return false
		}
		if !l.Composite && l.Param("weight_read_share") != nil && repeatedLevels(l) >= 2 {
			first = l
		}
		return true
	})
	if first == nil {
		return
	}
	c.add(nameOffset(first), first.Pointer, first, diag.Warning, "unmarked-experts",
		"this layer looks like a routed expert (a repeated layer inside repeated layers, its weight_read_share set) but no layer above it is marked \"routed\": active_params counts every expert as active; add \"routed\": {\"top_k\": K} to the layer that repeats once per expert (populate does it from the template)")
}

// repeatedLevels counts the layers with a repeat on the path to l, l included.
func repeatedLevels(l *model.Layer) int {
	n := 0
	for a := l; a != nil; a = a.Parent {
		if a.Repeat != nil {
			n++
		}
	}
	return n
}
