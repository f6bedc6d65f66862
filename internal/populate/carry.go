package populate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
)

// When --update removes a layer the config no longer gives, what the author wrote into it must
// not go with it silently. A run of an indexed layer (decoder_layer_24_25) that the config now
// splits or merges otherwise (decoder_layer_24_28) hands what the author added to each layer
// that now covers any of its instances, at the same place inside; what finds no place (the
// layer is gone altogether, the place inside is gone, or a layer there already holds another
// value) makes --update refuse, naming each, and write nothing.

// derivedLayerKeys are the keys of a layer object that populate writes; every other key of a
// layer (x- keys, notes) is the author's.
var derivedLayerKeys = []string{"name", "class", "repeat", "tied_to", "routed", "parallel", "parameters", "sub_layers", "aliases"}

// addition is one thing the author wrote into a layer populate derives: a key of the layer
// object or of its parameters, or a whole layer of their own among its sub-layers.
type addition struct {
	// within are the names of the sub-layers, from the removed layer down, that hold it.
	within []string
	// kind is "key", "parameter" or "layer"; key is the key, or the layer's name.
	kind, key string
	value     *jsonpos.Node
	// after is the key (or layer name) just before it where the author put it, "" if first.
	after string
}

func (a addition) String() string {
	what := a.key
	switch a.kind {
	case "parameter":
		what = "parameter " + a.key
	case "layer":
		what = "layer " + a.key
	}
	if len(a.within) > 0 {
		return strings.Join(a.within, ".") + ": " + what
	}
	return what
}

// authored lists what the author added to the layer e, which the template layer t (nil when
// unknown: then only x- keys count) derives.
func authored(e *jsonpos.Node, t *model.Layer, within []string) []addition {
	var out []addition
	derived := derivedLayerKeys
	if t != nil {
		derived = slices.Clone(derived)
		for _, m := range t.Node.Members {
			derived = append(derived, m.Key)
		}
	}
	prev := ""
	for _, m := range e.Members {
		author := !slices.Contains(derived, m.Key)
		if t == nil {
			author = strings.HasPrefix(m.Key, "x-")
		}
		if author {
			out = append(out, addition{within: within, kind: "key", key: m.Key, value: m.Value, after: prev})
		}
		prev = m.Key
	}
	if t == nil {
		return out
	}
	if ep := e.Get("parameters"); ep != nil && ep.Kind == jsonpos.Object && t.HasParameters {
		prev = ""
		for _, m := range ep.Members {
			if !slices.ContainsFunc(t.Parameters, func(p *model.Param) bool { return p.Name == m.Key }) && !slices.Contains(quantParams, m.Key) {
				out = append(out, addition{within: within, kind: "parameter", key: m.Key, value: m.Value, after: prev})
			}
			prev = m.Key
		}
	}
	if es := e.Get("sub_layers"); es != nil && es.Kind == jsonpos.Array {
		prev = ""
		for _, s := range es.Items {
			name := layerName(s)
			if s.Kind != jsonpos.Object {
				continue
			}
			if st := templateLayer(t.SubLayers, name); st != nil {
				out = append(out, authored(s, st, append(slices.Clip(within), name))...)
			} else {
				out = append(out, addition{within: within, kind: "layer", key: name, value: s, after: prev})
			}
			prev = name
		}
	}
	return out
}

// instances gives the range of instances a layer of the file named name covers, as a run of
// the indexed template layer t: NAME_FIRST_LAST, or NAME for all of them (0 … repeat−1, by
// its own repeat; ok false when that is no count).
func instances(e *jsonpos.Node, t *model.Layer) (first, last int64, ok bool) {
	name := layerName(e)
	if first, last, ok := runOf(name, t.Name); ok {
		return first, last, true
	}
	if name != t.Name {
		return 0, 0, false
	}
	r := e.Get("repeat")
	if r == nil {
		return 0, 0, true
	}
	if v, err := asExpr(r); err == nil {
		if c, isConst := v.IsConst(); isConst && c.IsInt() && c.Sign() > 0 {
			if n, exact := c.Int64(); exact {
				return 0, n - 1, true
			}
		}
	}
	return 0, 0, false
}

// carry hands the author's additions to the layer gone (which --update removes from arr) on to
// the layers of arr that now cover its instances, reporting each; what finds no place is
// recorded in f.losses. path is arr's parent's dotted path.
func (f *filler) carry(gone *jsonpos.Node, t *model.Layer, arr *jsonpos.Node, removed []*jsonpos.Node, path string) {
	adds := authored(gone, t, nil)
	if len(adds) == 0 {
		return
	}
	name := layerName(gone)
	var targets []*jsonpos.Node
	if t != nil && t.Index != "" {
		if first, last, ok := instances(gone, t); ok {
			for _, x := range arr.Items {
				if slices.Contains(removed, x) || x.Kind != jsonpos.Object {
					continue
				}
				if a, b, ok := instances(x, t); ok && a <= last && first <= b {
					targets = append(targets, x)
				}
			}
		}
	}
	if len(targets) == 0 {
		for _, a := range adds {
			f.lose(join(path, name), a, "no layer of the config takes its place")
		}
		return
	}
	for _, x := range targets {
		for _, a := range adds {
			switch placed, why := place(x, a); {
			case why != "":
				f.lose(join(path, name), a, fmt.Sprintf("%s %s", join(path, layerName(x)), why))
			case placed:
				f.report.Updated = append(f.report.Updated, fmt.Sprintf("%s: %s carried from %s", join(path, layerName(x)), a, name))
			}
		}
	}
}

// place puts a into the layer x (at the same place inside it) and reports whether it did, or
// why it cannot. A place that already holds an equal value is left as it is (placed false,
// why "").
func place(x *jsonpos.Node, a addition) (placed bool, why string) {
	for _, name := range a.within {
		subs := x.Get("sub_layers")
		var next *jsonpos.Node
		if subs != nil && subs.Kind == jsonpos.Array {
			for _, s := range subs.Items {
				if s.Kind == jsonpos.Object && layerName(s) == name {
					next = s
					break
				}
			}
		}
		if next == nil {
			return false, "has no layer " + strings.Join(a.within, ".") + " to hold it"
		}
		x = next
	}
	switch a.kind {
	case "key", "parameter":
		obj := x
		if a.kind == "parameter" {
			obj = x.Get("parameters")
			if obj == nil || obj.Kind != jsonpos.Object {
				return false, "has no parameters to hold it"
			}
		}
		if have := obj.Get(a.key); have != nil {
			if jsonpos.Equal(have, a.value) {
				return false, ""
			}
			return false, fmt.Sprintf("already has %s %s", a.key, show(have))
		}
		at := len(obj.Members)
		if a.after == "" {
			at = 0
		} else if i := obj.Index(a.after); i >= 0 {
			at = i + 1
		}
		obj.Insert(at, a.key, a.value.Clone())
	case "layer":
		subs := x.Get("sub_layers")
		if subs == nil || subs.Kind != jsonpos.Array {
			return false, "has no sub-layers to hold it"
		}
		at := len(subs.Items)
		if a.after == "" {
			at = 0
		}
		for i, s := range subs.Items {
			if layerName(s) == a.key {
				if jsonpos.Equal(s, a.value) {
					return false, ""
				}
				return false, "already has another layer " + a.key
			}
			if a.after != "" && layerName(s) == a.after {
				at = i + 1
			}
		}
		subs.Items = slices.Insert(subs.Items, at, a.value.Clone())
	}
	return true, ""
}

// lose records what --update would remove with the layer gone (named path) because it finds
// no place: why says where it could not go.
func (f *filler) lose(path string, a addition, why string) {
	d := f.doc.Diagnostic(a.value.Offset, "update-loses", fmt.Sprintf("%s would be lost: --update removes this layer (the config does not give it) and %s; move or delete it by hand, then run --update again", a, why))
	d.Layer = path
	f.losses = append(f.losses, d)
}
