package model

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// Parse parses src as a model file. A JSON syntax error is returned as jsonpos.Parse gives it (a
// *diag.Faults); everything else (schema problems, bad expressions) is left for the validator,
// and the File holds as much as could be understood.
func Parse(name string, src []byte) (*File, error) {
	doc, err := jsonpos.Parse(name, src, jsonpos.Options{})
	if err != nil {
		return nil, err
	}
	return FromDocument(doc), nil
}

// ParseShared parses src as Parse does, with equal layers sharing their nodes
// (jsonpos.Options.Share): the copies of an unrolled model cost a Layer each, not a tree each.
// The File is for reading; its Doc must not be edited.
func ParseShared(name string, src []byte) (*File, error) {
	doc, err := jsonpos.Parse(name, src, jsonpos.Options{Share: true})
	if err != nil {
		return nil, err
	}
	return FromDocument(doc), nil
}

// FromDocument builds the model view of a parsed document. It never fails: parts of the wrong
// shape are skipped (the schema reports them).
func FromDocument(doc *jsonpos.Document) *File {
	b := &builder{exprs: make(map[string]*Value), params: make(map[*jsonpos.Node][]*Param), parallels: make(map[*jsonpos.Node]*Parallel)}
	f := &File{Doc: doc}
	root := doc.Root
	if root == nil || root.Kind != jsonpos.Object {
		return f
	}
	if id := root.Get("model_id"); id != nil && id.Kind == jsonpos.String {
		f.ModelID = id.Text
	}
	if vars := root.Get("variables"); vars != nil && vars.Kind == jsonpos.Object {
		for _, m := range lastOfEach(vars.Members) {
			if isAnnotation(m.Key) {
				continue
			}
			f.Variables = append(f.Variables, &Variable{Name: m.Key, KeyOffset: m.KeyOffset, Value: b.value(m.Value)})
		}
	}
	if layers := root.Get("layers"); layers != nil && layers.Kind == jsonpos.Array {
		f.Layers = b.layers(layers, nil, "/layers", 0)
	}
	if t := root.Get("template"); t != nil && t.Kind == jsonpos.Object {
		f.Template = b.template(t)
	}
	return f
}

type builder struct {
	// exprs caches parsed expressions by their source text: model files repeat the same few
	// strings ("{batch_size} * {seq_len}", "{dtype_bytes}") thousands of times.
	exprs map[string]*Value
	// params holds the Parameters built for each parameters object: the layers of a shared
	// object (jsonpos.Options.Share) read the same one.
	params map[*jsonpos.Node][]*Param
	// parallels holds the Parallel built for each parallel object, likewise.
	parallels map[*jsonpos.Node]*Parallel
}

// value turns a JSON value into a Value.
func (b *builder) value(n *jsonpos.Node) Value {
	switch n.Kind {
	case jsonpos.Number:
		if c, ok := b.exprs["#"+n.Text]; ok {
			return Value{Node: n, Expr: c.Expr, Err: c.Err}
		}
		v, err := expr.ParseNumber(n.Text)
		c := &Value{Err: err}
		if err == nil {
			c.Expr = expr.Const(v)
		}
		b.exprs["#"+n.Text] = c
		return Value{Node: n, Expr: c.Expr, Err: c.Err}
	case jsonpos.Bool:
		return Value{Node: n, Expr: expr.Const(expr.Bool(n.BoolValue()))}
	case jsonpos.String:
		if c, ok := b.exprs[n.Text]; ok {
			return Value{Node: n, Expr: c.Expr, Err: c.Err}
		}
		e, err := expr.Parse(n.Text)
		c := &Value{Expr: e, Err: err}
		if err != nil {
			c.Expr = nil
		}
		b.exprs[n.Text] = c
		return Value{Node: n, Expr: c.Expr, Err: c.Err}
	}
	return Value{Node: n, Err: fmt.Errorf("%s cannot be a value: use a number, a boolean or a placeholder expression string", n.Kind.WithArticle())}
}

// isAnnotation reports whether a key is the user's own (x-…), which modeltool ignores.
func isAnnotation(key string) bool { return strings.HasPrefix(key, "x-") }

// lastOfEach returns the members without those whose key occurs again later: of a duplicated
// key the last value wins, as in every JSON reader (the validator reports the duplicate).
func lastOfEach(ms []jsonpos.Member) []jsonpos.Member {
	if len(ms) < 2 {
		return ms
	}
	if len(ms) <= 16 { // the common case: a few parameters, no duplicates, no allocation
		dup := false
		for i := range ms {
			for j := i + 1; j < len(ms) && !dup; j++ {
				dup = ms[i].Key == ms[j].Key
			}
		}
		if !dup {
			return ms
		}
	}
	last := make(map[string]int, len(ms))
	for i, m := range ms {
		last[m.Key] = i
	}
	if len(last) == len(ms) {
		return ms
	}
	out := make([]jsonpos.Member, 0, len(last))
	for i, m := range ms {
		if last[m.Key] == i {
			out = append(out, m)
		}
	}
	return out
}

func (b *builder) layers(arr *jsonpos.Node, parent *Layer, pointer string, shift int) []*Layer {
	out := make([]*Layer, 0, len(arr.Items))
	all := make([]Layer, len(arr.Items)) // one allocation for the siblings, not one each
	for i, n := range arr.Items {
		if n.Kind != jsonpos.Object {
			continue
		}
		l := &all[i]
		*l = Layer{Node: n, Parent: parent, Pointer: pointer + "/" + strconv.Itoa(i), Shift: shift}
		if _, s, ok := n.Shared(); ok {
			l.Shift += s
		}
		if v := n.Get("name"); v != nil && v.Kind == jsonpos.String {
			l.Name = v.Text
		}
		if v := n.Get("class"); v != nil && v.Kind == jsonpos.String {
			l.Class = v.Text
			if strings.Contains(v.Text, "{") {
				c := b.value(v)
				l.ClassExpr = &c
			}
		}
		if v := n.Get("index"); v != nil && v.Kind == jsonpos.String {
			l.Index = v.Text
		}
		if v := n.Get("unquantized"); v != nil && v.Kind == jsonpos.Bool {
			l.Unquantized = v.BoolValue()
		}
		if v := n.Get("aliases"); v != nil && v.Kind == jsonpos.Array {
			for _, it := range v.Items {
				if it.Kind == jsonpos.String {
					l.Aliases = append(l.Aliases, it.Text)
				}
			}
		}
		if parent != nil {
			l.Path = parent.Path + "." + l.Name
		} else {
			l.Path = l.Name
		}
		if v := n.Get("repeat"); v != nil {
			r := b.value(v)
			l.Repeat = &r
		}
		if v := n.Get("if"); v != nil {
			c := b.value(v)
			l.If = &c
		}
		if v := n.Get("tied_to"); v != nil && v.Kind == jsonpos.String {
			l.TiedTo = v.Text
		}
		if v := n.Get("routed"); v != nil {
			l.Routed = b.routed(v)
		}
		if v := n.Get("parallel"); v != nil {
			// The layers of a shared object read one Parallel, as they read one Parameters.
			if p, ok := b.parallels[v]; ok {
				l.Parallel = p
			} else {
				l.Parallel = b.parallel(v)
				b.parallels[v] = l.Parallel
			}
		}
		if params := n.Get("parameters"); params != nil {
			l.HasParameters = true
			if params.Kind == jsonpos.Object {
				l.Parameters = b.parameters(params)
			}
		}
		if subs := n.Member("sub_layers"); subs != nil {
			l.Composite = true
			if subs.Value.Kind == jsonpos.Array {
				l.SubLayers = b.layers(subs.Value, l, l.Pointer+"/sub_layers", l.Shift)
			}
		}
		out = append(out, l)
	}
	return out
}

// parameters returns the Parameters of a parameters object, built once per object.
func (b *builder) parameters(params *jsonpos.Node) []*Param {
	if ps, ok := b.params[params]; ok {
		return ps
	}
	ps := make([]*Param, 0, len(params.Members))
	for _, m := range lastOfEach(params.Members) {
		if isAnnotation(m.Key) {
			continue
		}
		ps = append(ps, &Param{Name: m.Key, KeyOffset: m.KeyOffset, Value: b.value(m.Value)})
	}
	b.params[params] = ps
	return ps
}

// stringItems returns the strings of an array node.
func stringItems(arr *jsonpos.Node) []string {
	var out []string
	for _, it := range arr.Items {
		if it.Kind == jsonpos.String {
			out = append(out, it.Text)
		}
	}
	return out
}

func (b *builder) template(n *jsonpos.Node) *Template {
	t := &Template{Node: n}
	if v := n.Get("model_type"); v != nil && v.Kind == jsonpos.String {
		t.ModelType = v.Text
	}
	if v := n.Get("description"); v != nil && v.Kind == jsonpos.String {
		t.Description = v.Text
	}
	if cfg := n.Get("config"); cfg != nil && cfg.Kind == jsonpos.Object {
		for _, m := range cfg.Members {
			k := &ConfigKey{Name: m.Key, KeyOffset: m.KeyOffset}
			if m.Value.Kind == jsonpos.Object {
				if v := m.Value.Get("type"); v != nil && v.Kind == jsonpos.String {
					k.Type = v.Text
					k.Types = []string{v.Text}
				} else if v != nil && v.Kind == jsonpos.Array {
					k.Types = stringItems(v)
					if len(k.Types) == 1 {
						k.Type = k.Types[0]
					}
				}
				if v := m.Value.Get("description"); v != nil && v.Kind == jsonpos.String {
					k.Description = v.Text
				}
				if v := m.Value.Get("default"); v != nil {
					if k.Accepts("string") && v.Kind == jsonpos.String {
						// A string key's default is the literal string, not an expression
						// (also when the key accepts other types too).
						k.Default = &Value{Node: v}
					} else {
						d := b.value(v)
						k.Default = &d
					}
				}
				if v := m.Value.Get("null"); v != nil {
					d := b.value(v)
					k.Null = &d
				}
				if v := m.Value.Get("minimum"); v != nil {
					d := b.value(v)
					k.Minimum = &d
				}
				if v := m.Value.Get("enum"); v != nil && v.Kind == jsonpos.Array {
					k.Enum = stringItems(v)
				}
				if v := m.Value.Get("pattern"); v != nil && v.Kind == jsonpos.String {
					k.Pattern = v
					k.PatternRE, k.PatternErr = regexp.Compile(v.Text)
				}
				if v := m.Value.Get("items"); v != nil && v.Kind == jsonpos.Object {
					if t := v.Get("type"); t != nil && t.Kind == jsonpos.String {
						k.Items = t.Text
					}
					if e := v.Get("enum"); e != nil && e.Kind == jsonpos.Array {
						k.ItemEnum = stringItems(e)
					}
				}
				if v := m.Value.Get("length"); v != nil {
					d := b.value(v)
					k.Length = &d
				}
				if v := m.Value.Get("min_length"); v != nil {
					d := b.value(v)
					k.MinLength = &d
				}
				if v := m.Value.Get("default_each"); v != nil {
					d := b.value(v)
					k.DefaultEach = &d
				}
			}
			t.Config = append(t.Config, k)
		}
	}
	if reqs := n.Get("requires"); reqs != nil && reqs.Kind == jsonpos.Array {
		for _, it := range reqs.Items {
			if it.Kind != jsonpos.Object {
				continue
			}
			r := &Requirement{}
			if v := it.Get("check"); v != nil {
				r.Check = b.value(v)
			}
			if v := it.Get("message"); v != nil && v.Kind == jsonpos.String {
				r.Message = v.Text
			}
			t.Requires = append(t.Requires, r)
		}
	}
	return t
}
