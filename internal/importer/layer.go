package importer

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

// layer is a layer of the model file being built.
type layer struct {
	name  string
	class string
	// xclass is the printed module's own class when the layer is written as the catalog class
	// it is computed as (a family's RMSNorm the catalog has no alias for).
	xclass  string
	aliases []string
	// repeat is the instance count (1: no repeat key).
	repeat int64
	tiedTo string
	// composite layers have subs; basic ones params.
	composite bool
	subs      []*layer
	params    []param
	// mod is the printed module the layer comes from (nil for inserted functional layers).
	mod *Module
	// role marks what the pattern matching found the layer to be (see patterns.go).
	role string
	// tp, tpHeads and tpKV are the layer's tensor-parallel role ("parallel": {"tp": …,
	// "heads": …, "kv_heads": …}); unit marks a pipeline unit (a decoder layer).
	tp            string
	tpHeads, tpKV int64
	// tpSplitRepeat: the role divides the layer's repeat, one instance per head ("split":
	// "repeat": StableLM's per-head q/k LayerNorm lists).
	tpSplitRepeat bool
	unit          bool
	// routedK, on the layer that repeats once per routed expert, is top_k (a number or an
	// expression); routedHidden the width of a token sent to an expert.
	routedK      string
	routedHidden int64
}

// param is one parameter: an int64, a bool, a *big.Rat or an expression string.
type param struct {
	name  string
	value any
}

func (l *layer) set(name string, v any) {
	for i := range l.params {
		if l.params[i].name == name {
			l.params[i].value = v
			return
		}
	}
	l.params = append(l.params, param{name, v})
}

func (l *layer) get(name string) (any, bool) {
	for _, p := range l.params {
		if p.name == name {
			return p.value, true
		}
	}
	return nil, false
}

// int returns an integer parameter.
func (l *layer) int(name string) (int64, bool) {
	v, ok := l.get(name)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	return n, ok
}

// child returns the sub-layer named name, or nil.
func (l *layer) child(name string) *layer {
	for _, s := range l.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// insertAfter puts n after the sub-layer at, or at the end when at is nil.
func (l *layer) insertAfter(at *layer, n ...*layer) {
	for i, s := range l.subs {
		if s == at {
			l.subs = append(l.subs[:i+1], append(n, l.subs[i+1:]...)...)
			return
		}
	}
	l.subs = append(l.subs, n...)
}

// insertBefore puts n before the sub-layer at, or at the end when at is nil.
func (l *layer) insertBefore(at *layer, n ...*layer) {
	for i, s := range l.subs {
		if s == at {
			l.subs = append(l.subs[:i], append(n, l.subs[i:]...)...)
			return
		}
	}
	l.subs = append(l.subs, n...)
}

// basic makes a basic layer.
func basic(name, class string, params ...param) *layer {
	return &layer{name: name, class: class, repeat: 1, params: params}
}

func p(name string, v any) param { return param{name, v} }

// node writes the layer as JSON, in the key order populate writes.
func (l *layer) node() *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("name", jsonpos.NewString(l.name))
	if len(l.aliases) > 0 {
		a := jsonpos.NewArray()
		for _, s := range l.aliases {
			a.Items = append(a.Items, jsonpos.NewString(s))
		}
		o.Set("aliases", a)
	}
	o.Set("class", jsonpos.NewString(l.class))
	if l.xclass != "" {
		o.Set("x-class", jsonpos.NewString(l.xclass))
	}
	if l.repeat != 1 {
		o.Set("repeat", jsonpos.NewNumber(fmt.Sprint(l.repeat)))
	}
	if l.tiedTo != "" {
		o.Set("tied_to", jsonpos.NewString(l.tiedTo))
	}
	if l.routedK != "" {
		r := jsonpos.NewObject()
		if k, err := strconv.ParseInt(l.routedK, 10, 64); err == nil {
			r.Set("top_k", jsonpos.NewNumber(fmt.Sprint(k)))
		} else {
			r.Set("top_k", jsonpos.NewString(l.routedK))
		}
		if l.routedHidden > 0 {
			r.Set("hidden_size", jsonpos.NewNumber(fmt.Sprint(l.routedHidden)))
		}
		o.Set("routed", r)
	}
	if l.tp != "" || l.unit {
		par := jsonpos.NewObject()
		if l.tp != "" {
			par.Set("tp", jsonpos.NewString(l.tp))
		}
		if l.tpHeads > 0 {
			par.Set("heads", jsonpos.NewNumber(fmt.Sprint(l.tpHeads)))
		}
		if l.tpKV > 0 {
			par.Set("kv_heads", jsonpos.NewNumber(fmt.Sprint(l.tpKV)))
		}
		if l.tpSplitRepeat {
			par.Set("split", jsonpos.NewString("repeat"))
		}
		if l.unit {
			par.Set("pp", jsonpos.NewString("unit"))
		}
		o.Set("parallel", par)
	}
	if l.composite {
		subs := jsonpos.NewArray()
		for _, s := range l.subs {
			subs.Items = append(subs.Items, s.node())
		}
		o.Set("sub_layers", subs)
		return o
	}
	ps := jsonpos.NewObject()
	for _, pr := range l.params {
		ps.Set(pr.name, valueNode(pr.value))
	}
	o.Set("parameters", ps)
	return o
}

func valueNode(v any) *jsonpos.Node {
	switch x := v.(type) {
	case int64:
		return jsonpos.NewNumber(fmt.Sprint(x))
	case int:
		return jsonpos.NewNumber(fmt.Sprint(x))
	case bool:
		return jsonpos.NewBool(x)
	case *big.Rat:
		if x.IsInt() {
			return jsonpos.NewNumber(x.Num().String())
		}
		return jsonpos.NewString(x.RatString())
	case string:
		return jsonpos.NewString(x)
	}
	panic(fmt.Sprintf("importer: a parameter of type %T", v))
}

// signature is the layer's content without its name and repeat: two list entries with the
// same signature merge into one run.
func (l *layer) signature() string {
	var b strings.Builder
	l.sig(&b, true)
	return b.String()
}

func (l *layer) sig(b *strings.Builder, top bool) {
	if !top {
		fmt.Fprintf(b, "%s|%d|", l.name, l.repeat)
	}
	fmt.Fprintf(b, "%s|%s|%s|%v|%s|%d|%d|%v|%v|%s|%d|", l.class, l.xclass, l.tiedTo, l.aliases, l.tp, l.tpHeads, l.tpKV, l.tpSplitRepeat, l.unit, l.routedK, l.routedHidden)
	for _, pr := range l.params {
		fmt.Fprintf(b, "%s=%v;", pr.name, pr.value)
	}
	b.WriteString("[")
	for _, s := range l.subs {
		s.sig(b, false)
		b.WriteString(",")
	}
	b.WriteString("]")
}

// walk calls fn for l and every layer below it.
func (l *layer) walk(fn func(*layer)) {
	fn(l)
	for _, s := range l.subs {
		s.walk(fn)
	}
}
