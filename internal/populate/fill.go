package populate

import (
	"fmt"
	"slices"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
)

// Report says what a fill did and did not do.
type Report struct {
	// Filled lists, per layer, the keys populate wrote into it.
	Filled []Change
	// Added lists the layers inserted from the template (with --add-missing).
	Added []string
	// Kept lists values the author wrote that differ from what the config gives.
	Kept []string
	// Unmatched lists the file's layers that have no counterpart in the template.
	Unmatched []string
	// Missing lists the template's layers the file lacks (insert them with --add-missing).
	Missing []string
	// Notes holds anything else worth saying (older layouts recognised).
	Notes []string
}

// Change is one layer (or the file, with an empty path) and the keys populate wrote into it.
type Change struct {
	Path string
	Keys []string
}

// keyOrder is the order populate gives the keys of a layer it writes.
var keyOrder = []string{"name", "class", "repeat", "tied_to", "parameters", "sub_layers"}

// insertKey adds key to a layer object at its canonical place: before the first existing key
// that comes later in keyOrder, else at the end.
func insertKey(obj *jsonpos.Node, key string, v *jsonpos.Node) {
	rank := slices.Index(keyOrder, key)
	for i, m := range obj.Members {
		if r := slices.Index(keyOrder, m.Key); r > rank {
			obj.Insert(i, key, v)
			return
		}
	}
	obj.Set(key, v)
}

type filler struct {
	cat        *layers.Catalog
	gen        *generated
	addMissing bool
	report     *Report
}

func layerName(n *jsonpos.Node) string {
	if v := n.Get("name"); v != nil && v.Kind == jsonpos.String {
		return v.Text
	}
	return ""
}

func layerClass(n *jsonpos.Node) string {
	if v := n.Get("class"); v != nil && v.Kind == jsonpos.String {
		return v.Text
	}
	return ""
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// fillFile fills root (a clone of the author's file) from the generated model.
func (f *filler) fillFile(root *jsonpos.Node) {
	g := f.gen.root
	var top []string
	if root.Get("model_id") == nil && g.Get("model_id") != nil {
		root.Insert(0, "model_id", g.Get("model_id").Clone())
		top = append(top, "model_id")
	}
	if gv := g.Get("variables"); gv != nil {
		ev := root.Get("variables")
		if ev == nil {
			at := root.Index("layers")
			if at < 0 {
				at = len(root.Members)
			}
			root.Insert(at, "variables", gv.Clone())
			top = append(top, "variables")
		} else if ev.Kind == jsonpos.Object {
			for _, m := range gv.Members {
				if ev.Get(m.Key) == nil {
					ev.Set(m.Key, m.Value.Clone())
					top = append(top, "variables."+m.Key)
				}
			}
		}
	}
	if len(top) > 0 {
		f.report.Filled = append(f.report.Filled, Change{Path: "", Keys: top})
	}
	el, gl := root.Get("layers"), g.Get("layers")
	if el == nil || el.Kind != jsonpos.Array || gl == nil {
		return
	}
	f.layers(el, gl, "", "")
}

// match finds the generated sibling for an existing layer name.
func (f *filler) match(gArr *jsonpos.Node, name string, used map[*jsonpos.Node]bool) *jsonpos.Node {
	for _, g := range gArr.Items {
		if !used[g] && layerName(g) == name {
			return g
		}
	}
	for _, g := range gArr.Items {
		if !used[g] && slices.Contains(f.gen.aliases[g], name) {
			return g
		}
	}
	return nil
}

// layers fills the layers of an existing sub_layers array from the generated one. ePath is the
// dotted path of the parent in the author's file, gPath in the generated one.
func (f *filler) layers(eArr, gArr *jsonpos.Node, ePath, gPath string) {
	used := map[*jsonpos.Node]bool{}
	matchOf := map[*jsonpos.Node]*jsonpos.Node{} // generated -> existing
	for _, e := range eArr.Items {
		if e.Kind != jsonpos.Object {
			continue
		}
		name := layerName(e)
		g := f.match(gArr, name, used)
		if g == nil {
			if !f.legacy(e, join(ePath, name)) {
				f.report.Unmatched = append(f.report.Unmatched, join(ePath, name))
			}
			continue
		}
		used[g] = true
		matchOf[g] = e
		f.layer(e, g, join(ePath, name), join(gPath, layerName(g)))
	}
	// Layers of the template the file lacks.
	insertAt := 0
	for _, g := range gArr.Items {
		if e := matchOf[g]; e != nil {
			insertAt = slices.Index(eArr.Items, e) + 1
			continue
		}
		path := join(ePath, layerName(g))
		if !f.addMissing {
			f.report.Missing = append(f.report.Missing, path)
			continue
		}
		eArr.Items = slices.Insert(eArr.Items, insertAt, g.Clone())
		insertAt++
		f.report.Added = append(f.report.Added, path)
	}
}

// legacy recognises modules of older transformers layouts that the current template has
// elsewhere, and fills them. Today that is the rotary embedding that transformers ≤ 4.47 kept
// inside every attention module (besides the model-level one): the forward pass of those
// versions takes cos and sin from the model-level module and never calls the per-layer one, so
// it is filled with the model-level parameters and num_positions 0.
func (f *filler) legacy(e *jsonpos.Node, path string) bool {
	cl := f.cat.Lookup(layerClass(e))
	if cl == nil || cl.Category != "rotary" || cl.Param("num_positions") == nil || e.Get("sub_layers") != nil {
		return false
	}
	var model *jsonpos.Node
	var modelPath string
	var find func(arr *jsonpos.Node, prefix string)
	find = func(arr *jsonpos.Node, prefix string) {
		for _, g := range arr.Items {
			p := join(prefix, layerName(g))
			if g.Get("sub_layers") != nil {
				find(g.Get("sub_layers"), p)
				continue
			}
			if model == nil && f.cat.Lookup(layerClass(g)) == cl && layerName(g) == layerName(e) {
				model, modelPath = g, p
			}
		}
	}
	find(f.gen.root.Get("layers"), "")
	if model == nil {
		return false
	}
	params := model.Get("parameters").Clone()
	params.Set("num_positions", jsonpos.NewNumber("0"))
	if f.fillParams(e, params, path) {
		f.report.Notes = append(f.report.Notes, fmt.Sprintf("%s: an older layout's per-attention rotary embedding; filled from %s with num_positions 0, since the forward pass never calls it", path, modelPath))
	}
	return true
}

// layer fills one matched layer.
func (f *filler) layer(e, g *jsonpos.Node, ePath, gPath string) {
	var keys []string
	eClass, gClass := layerClass(e), layerClass(g)
	gSubs := g.Get("sub_layers")
	eSubs := e.Get("sub_layers")
	if gSubs == nil && eSubs != nil || gSubs != nil && eSubs == nil && e.Get("parameters") != nil {
		f.report.Unmatched = append(f.report.Unmatched, fmt.Sprintf("%s (composite in one, basic in the other: left as it is)", ePath))
		return
	}
	if gSubs == nil && eClass != "" && eClass != gClass {
		ec, gc := f.cat.Lookup(eClass), f.cat.Lookup(gClass)
		if ec == nil || ec != gc {
			f.report.Unmatched = append(f.report.Unmatched, fmt.Sprintf("%s (class %s, the template has %s: left as it is)", ePath, eClass, gClass))
			return
		}
	}
	if e.Get("class") == nil && gClass != "" {
		insertKey(e, "class", jsonpos.NewString(gClass))
		keys = append(keys, "class")
	}
	for _, key := range []string{"repeat", "tied_to"} {
		gv := g.Get(key)
		ev := e.Get(key)
		switch {
		case gv == nil:
		case ev == nil:
			insertKey(e, key, gv.Clone())
			keys = append(keys, key)
		case !sameValue(ev, gv):
			f.report.Kept = append(f.report.Kept, fmt.Sprintf("%s: %s %s (the config gives %s)", ePath, key, show(ev), show(gv)))
		}
	}
	if len(keys) > 0 {
		f.report.Filled = append(f.report.Filled, Change{Path: ePath, Keys: keys})
	}
	if gSubs != nil {
		if eSubs == nil {
			if !f.addMissing {
				f.report.Missing = append(f.report.Missing, ePath+" (its sub-layers)")
				return
			}
			eSubs = jsonpos.NewArray()
			insertKey(e, "sub_layers", eSubs)
		}
		if eSubs.Kind == jsonpos.Array {
			f.layers(eSubs, gSubs, ePath, gPath)
		}
		return
	}
	if gp := g.Get("parameters"); gp != nil {
		f.fillParams(e, gp, ePath)
	}
}

// fillParams adds the generated parameters e lacks, keeping e's own, and reports whether it
// added any.
func (f *filler) fillParams(e, gp *jsonpos.Node, path string) bool {
	ep := e.Get("parameters")
	if ep == nil {
		ep = jsonpos.NewObject()
		insertKey(e, "parameters", ep)
	}
	if ep.Kind != jsonpos.Object {
		f.report.Unmatched = append(f.report.Unmatched, path+" (its parameters are not an object: left as they are)")
		return false
	}
	var added []string
	for _, m := range gp.Members {
		ev := ep.Get(m.Key)
		if ev == nil {
			ep.Set(m.Key, m.Value.Clone())
			added = append(added, m.Key)
			continue
		}
		if !sameValue(ev, m.Value) {
			f.report.Kept = append(f.report.Kept, fmt.Sprintf("%s: %s %s (the config gives %s)", path, m.Key, show(ev), show(m.Value)))
		}
	}
	if len(added) > 0 {
		f.report.Filled = append(f.report.Filled, Change{Path: path, Keys: added})
	}
	return len(added) > 0
}

// sameValue compares two values by meaning: numbers by value, expressions by canonical form.
func sameValue(a, b *jsonpos.Node) bool {
	if jsonpos.Equal(a, b) {
		return true
	}
	ea, erra := asExpr(a)
	eb, errb := asExpr(b)
	if erra != nil || errb != nil {
		return false
	}
	if ca, ok := ea.IsConst(); ok {
		cb, ok := eb.IsConst()
		return ok && ca.Equal(cb)
	}
	return ea.String() == eb.String()
}

func asExpr(n *jsonpos.Node) (*expr.Expr, error) {
	switch n.Kind {
	case jsonpos.Number:
		v, err := expr.ParseNumber(n.Text)
		if err != nil {
			return nil, err
		}
		return expr.Const(v), nil
	case jsonpos.Bool:
		return expr.Const(expr.Bool(n.BoolValue())), nil
	case jsonpos.String:
		return expr.Parse(n.Text)
	}
	return nil, fmt.Errorf("not a value")
}

func show(n *jsonpos.Node) string {
	if n.Kind == jsonpos.String {
		return fmt.Sprintf("%q", n.Text)
	}
	return n.Text
}
