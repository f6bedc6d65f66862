package populate

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// env is what a template value is evaluated in: the config keys, the instance numbers of the
// indexed layers above (bound), and activation(NAME) through the catalog. Everything else (the
// variables chosen at calc time) stays a placeholder, and so do the index names being probed.
type env struct {
	b *binding
	// index holds the bound index names, innermost last.
	index []indexValue
	// probe names the indexes whose instances are not told apart yet: a value that still uses
	// one after partial evaluation makes the probe fail with errDependent.
	probe []string
	// trace, while an instance of an indexed layer is built, records the evaluations that use
	// its index (indexed).
	trace *trace
}

type indexValue struct {
	name string
	v    expr.Value
}

func (e *env) Lookup(name string) (expr.Value, error) {
	for i := len(e.index) - 1; i >= 0; i-- {
		if e.index[i].name == name {
			return e.index[i].v, nil
		}
	}
	if e.b.keys[name] == nil {
		return expr.Value{}, e.b.unboundError(name)
	}
	return e.b.scope.Lookup(name)
}

// Call gives activation(NAME): the class path the catalog's activations table names.
func (e *env) Call(name string, args []expr.Value) (expr.Value, error) {
	if name != "activation" || len(args) != 1 {
		return expr.Value{}, fmt.Errorf("%s(…): %w", name, expr.ErrUnbound)
	}
	if !args[0].IsString() {
		return expr.Value{}, fmt.Errorf("activation needs an activation name (a string), not %s", args[0])
	}
	cat := e.b.cat
	if cat == nil {
		cat = layers.Builtin()
	}
	path, ok := cat.Activation(args[0].Text())
	if !ok {
		return expr.Value{}, &activationError{name: args[0].Text(), known: cat.ActivationNames()}
	}
	return expr.String(path), nil
}

// activationError is an activation name the catalog's table lacks.
type activationError struct {
	name  string
	known []string
}

func (e *activationError) Error() string {
	return fmt.Sprintf("%q is not an activation the catalog knows (known: %s)", e.name, strings.Join(e.known, ", "))
}

// with returns the env with the index name bound to i.
func (e *env) with(name string, i int64) *env {
	out := &env{b: e.b, index: append(slices.Clip(e.index), indexValue{name, expr.Int(i)}), probe: e.probe, trace: e.trace}
	return out
}

// probing returns the env with name unbound and probed.
func (e *env) probing(name string) *env {
	return &env{b: e.b, index: e.index, probe: append(slices.Clip(e.probe), name), trace: e.trace}
}

// errDependent stops a probe: a value depends on an index being probed.
var errDependent = errors.New("depends on the index")

// generated is a model file built from a template, with what populate needs to fill other
// files from it.
type generated struct {
	root *jsonpos.Node
	// layers maps each generated layer object to the template's aliases of its name.
	aliases map[*jsonpos.Node][]string
	// unquantized holds the generated layers whose template layer says "unquantized": their
	// Linears keep weight_dtype_bytes whatever quantization_config says.
	unquantized map[*jsonpos.Node]bool
}

// partial evaluates a template value as far as the config and bound indexes allow. A value that
// still uses a probed index fails with errDependent. Under a trace, an evaluation that uses the
// traced index is recorded with its outcome.
func (e *env) partial(v *model.Value, where string) (*expr.Expr, error) {
	p, err := e.partialOnce(v, where)
	if t := e.trace; t != nil && v.Err == nil && v.Expr != nil && slices.Contains(e.b.varNames(v), t.name) {
		t.steps = append(t.steps, step{v: v, where: where, index: e.index, probe: e.probe, outcome: outcome(p, err)})
	}
	return p, err
}

// partialOnce is partial without the trace.
func (e *env) partialOnce(v *model.Value, where string) (*expr.Expr, error) {
	if v.Err != nil {
		return nil, fmt.Errorf("%s: %w", where, v.Err)
	}
	p, err := v.Expr.Partial(e)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if len(e.probe) > 0 && p.Vars() != nil {
		for _, name := range p.VarNames() {
			if slices.Contains(e.probe, name) {
				return nil, errDependent
			}
		}
	}
	return p, nil
}

// value partially evaluates a template value: a constant becomes a JSON number or boolean, the
// rest a canonical placeholder string. Strings and lists must be gone by then: a model file has
// none. A value that uses no index name comes out the same in every instance of the indexed
// layers around it: it is evaluated once (a template's decoder layer is built 60 times).
func (e *env) value(v *model.Value, where string) (*jsonpos.Node, error) {
	if v.Err != nil || v.Expr == nil || !e.independent(v) {
		return e.evaluate(v, where)
	}
	if c, ok := e.b.made[v]; ok {
		return c.node(), nil
	}
	n, err := e.evaluate(v, where)
	if err == nil {
		if e.b.made == nil {
			e.b.made = map[*model.Value]evaluated{}
		}
		e.b.made[v] = evaluated{n.Kind, n.Text}
	}
	return n, err
}

// evaluated is a value's JSON node, to make again (each place in the output has its own).
type evaluated struct {
	kind jsonpos.Kind
	text string
}

func (c evaluated) node() *jsonpos.Node {
	switch c.kind {
	case jsonpos.Bool:
		return jsonpos.NewBool(c.text == "true")
	case jsonpos.Number:
		return jsonpos.NewNumber(c.text)
	}
	return jsonpos.NewString(c.text)
}

// independent reports whether v uses none of the index names bound or probed in e.
func (e *env) independent(v *model.Value) bool {
	if len(e.index) == 0 && len(e.probe) == 0 {
		return true
	}
	for _, name := range e.b.varNames(v) {
		if slices.Contains(e.probe, name) || slices.ContainsFunc(e.index, func(x indexValue) bool { return x.name == name }) {
			return false
		}
	}
	return true
}

// varNames returns the variable names of a template value with an expression, worked out once.
func (b *binding) varNames(v *model.Value) []string {
	names, ok := b.names[v]
	if !ok {
		names = v.Expr.VarNames()
		if b.names == nil {
			b.names = map[*model.Value][]string{}
		}
		b.names[v] = names
	}
	return names
}

// evaluate is value without the cache.
func (e *env) evaluate(v *model.Value, where string) (*jsonpos.Node, error) {
	p, err := e.partial(v, where)
	if err != nil {
		return nil, err
	}
	if c, ok := p.IsConst(); ok {
		if c.IsBool() {
			return jsonpos.NewBool(c.Bool()), nil
		}
		// Integers and terminating decimals are JSON numbers; 1/3 stays an expression.
		if s, exact := c.Decimal(64); exact {
			return jsonpos.NewNumber(s), nil
		}
		if !c.IsNumber() {
			return nil, fmt.Errorf("%s: %q works out to %s from the config: a value of a model file is a number or a boolean", where, v.Node.Text, diag.Clip(c.String()))
		}
	}
	if _, what, ok := p.TemplateOnly(); ok {
		return nil, fmt.Errorf("%s: %q still holds %s after the config is applied (%s): a model file's values are numbers, booleans and expressions over its variables", where, v.Node.Text, what, diag.Clip(expr.String(p.String()).String()))
	}
	return jsonpos.NewString(p.String()), nil
}

// generate builds the model file the template describes for the config.
func (b *binding) generate() (*generated, error) {
	g := &generated{aliases: map[*jsonpos.Node][]string{}, unquantized: map[*jsonpos.Node]bool{}}
	top := &env{b: b}
	src := b.tpl.Doc.Root
	root := jsonpos.NewObject()
	if b.cfg.ModelID != "" {
		root.Set("model_id", jsonpos.NewString(b.cfg.ModelID))
	}
	for _, m := range src.Members {
		switch m.Key {
		case "template", "model_id":
			continue
		case "variables":
			vars := jsonpos.NewObject()
			for _, v := range b.tpl.Variables {
				n, err := top.value(&v.Value, "variables."+v.Name)
				if err != nil {
					return nil, err
				}
				vars.Set(v.Name, n)
			}
			root.Set("variables", vars)
		case "layers":
			arr, err := b.layers(b.tpl.Layers, top, g)
			if err != nil {
				return nil, err
			}
			root.Set("layers", arr)
		default:
			root.Set(m.Key, m.Value.Clone())
		}
	}
	g.root = root
	return g, nil
}

func (b *binding) layers(ls []*model.Layer, e *env, g *generated) (*jsonpos.Node, error) {
	arr := jsonpos.NewArray()
	for _, l := range ls {
		if l.Index != "" {
			runs, err := b.indexed(l, e, g)
			if err != nil {
				return nil, err
			}
			arr.Items = append(arr.Items, runs...)
			continue
		}
		out, err := b.layer(l, e, g, nil)
		if err != nil {
			return nil, err
		}
		if out != nil {
			arr.Items = append(arr.Items, out)
		}
	}
	return arr, nil
}

// layer builds one template layer; nil when its if is false or its repeat is 0. With repeat
// set (an indexed layer's instance), that number is its repeat instead of the template's.
func (b *binding) layer(l *model.Layer, e *env, g *generated, repeat *jsonpos.Node) (*jsonpos.Node, error) {
	if l.If != nil {
		p, err := e.partial(l.If, l.Path+": if")
		if err != nil {
			return nil, err
		}
		c, ok := p.IsConst()
		if !ok || !c.IsBool() {
			return nil, fmt.Errorf("%s: the condition %q does not reduce to true or false from the config", l.Path, l.If.Node.Text)
		}
		if !c.Bool() {
			return nil, nil
		}
	}
	out := jsonpos.NewObject()
	if l.Unquantized {
		g.unquantized[out] = true
	}
	for _, m := range l.Node.Members {
		switch m.Key {
		case "if", "index", "unquantized":
			continue
		case "aliases":
			out.Set("aliases", m.Value.Clone())
			g.aliases[out] = l.Aliases
		case "class":
			if l.ClassExpr == nil {
				out.Set("class", m.Value.Clone())
				continue
			}
			cl, err := b.class(l, e)
			if err != nil {
				return nil, err
			}
			out.Set("class", jsonpos.NewString(cl))
		case "repeat":
			if repeat != nil {
				out.Set("repeat", repeat)
				continue
			}
			n, err := e.value(l.Repeat, l.Path+": repeat")
			if err != nil {
				return nil, err
			}
			if n.Kind == jsonpos.Number {
				v, _ := expr.ParseNumber(n.Text)
				if !v.IsInt() || v.Sign() < 0 {
					return nil, fmt.Errorf("%s: repeat works out to %s from the config, not a count", l.Path, n.Text)
				}
				if v.Sign() == 0 {
					return nil, nil // no instances: the layer does not exist in this model
				}
			}
			out.Set("repeat", n)
		case "parameters":
			params := jsonpos.NewObject()
			for _, p := range l.Parameters {
				n, err := e.value(&p.Value, l.Path+": parameter "+p.Name)
				if err != nil {
					return nil, err
				}
				params.Set(p.Name, n)
			}
			out.Set("parameters", params)
		case "routed", "parallel":
			n, err := plannerKey(l, m.Key, m.Value, e)
			if err != nil {
				return nil, err
			}
			out.Set(m.Key, n)
		case "sub_layers":
			subs, err := b.layers(l.SubLayers, e, g)
			if err != nil {
				return nil, err
			}
			out.Set("sub_layers", subs)
		default:
			out.Set(m.Key, m.Value.Clone())
		}
	}
	return out, nil
}

// class evaluates a class expression to a class path. An activation name the catalog does not
// know is the config's fault: reported at the config key that gave it.
func (b *binding) class(l *model.Layer, e *env) (string, error) {
	p, err := e.partial(l.ClassExpr, l.Path+": class")
	if err != nil {
		var ae *activationError
		if errors.As(err, &ae) {
			return "", b.activationFault(l, ae)
		}
		return "", err
	}
	c, ok := p.IsConst()
	if !ok || !c.IsString() {
		return "", fmt.Errorf("%s: the class %q does not work out to a class path from the config (it gives %s)", l.Path, l.Class, p)
	}
	return c.Text(), nil
}

// activationFault positions an unknown activation name at the config key that holds it.
func (b *binding) activationFault(l *model.Layer, ae *activationError) error {
	for _, name := range l.ClassExpr.Expr.VarNames() {
		if v, ok := b.values[name]; ok && v.IsString() && v.Text() == ae.name {
			if n := b.cfg.Get(name); n != nil {
				return b.cfg.keyError(name, n, "%s %s: it chooses the class of %s", name, ae, l.Path)
			}
			return b.cfg.errorAt(b.cfg.Doc.Root.Offset, "%s %s (the template's default): it chooses the class of %s", name, ae, l.Path)
		}
	}
	return fmt.Errorf("%s: class: %w", l.Path, ae)
}

// countFault is the error of a count too large to build one by one (format and args say
// what), positioned at the config key that sets it: the first key of the count's expression
// that the config gives, directly or through the defaults of the keys it uses
// ("num_hidden_layers 100001: …"). When every key is the template's default the fault is the
// config's as a whole; a count written in the template is the template's.
func (b *binding) countFault(count *model.Value, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if count == nil || count.Expr == nil {
		return errors.New(msg)
	}
	if key, n := b.givenKey(count.Expr, map[string]bool{}); n != nil {
		return b.cfg.keyError(key, n, "%s %s: %s", key, n.Text, msg)
	}
	if len(count.Expr.VarNames()) > 0 {
		return b.cfg.errorAt(b.cfg.Doc.Root.Offset, "%s (the count %s comes from the template's defaults)", msg, count.Expr)
	}
	return errors.New(msg)
}

// givenKey returns the first config key, in name order, that e uses and the config gives,
// looking through the defaults of the keys the config lacks; "" and nil when there is none.
func (b *binding) givenKey(e *expr.Expr, seen map[string]bool) (string, *jsonpos.Node) {
	for _, name := range e.VarNames() {
		k := b.keys[name]
		if k == nil || seen[name] {
			continue
		}
		seen[name] = true
		if n := b.cfg.Get(name); n != nil {
			return name, n
		}
		if k.Default != nil && k.Default.Expr != nil {
			if key, n := b.givenKey(k.Default.Expr, seen); n != nil {
				return key, n
			}
		}
	}
	return "", nil
}

// indexed builds a layer with an index: each instance i = 0 … repeat−1 with {NAME} = i, merged
// into runs of consecutive identical instances, one layer each with the run's length as its
// repeat. A layer whose subtree does not use the index (after the config is applied) is built
// once, whatever its repeat. An instance is built only when it differs from every one built
// before in what the evaluations that use the index give (replays): otherwise it is a copy of
// that one (DeepSeek-V2's 59 MoE layers are built once, Llama 4 Scout's 48 layers of 2 kinds twice).
func (b *binding) indexed(l *model.Layer, e *env, g *generated) ([]*jsonpos.Node, error) {
	n, err := e.value(l.Repeat, l.Path+": repeat")
	if err != nil {
		return nil, err
	}
	count, ok := new(big.Int).SetString(n.Text, 10)
	if n.Kind != jsonpos.Number || !ok || count.Sign() < 0 {
		return nil, fmt.Errorf("%s: the repeat of a layer with an index must be a count known from the config, not %s", l.Path, n.Text)
	}
	if count.Sign() == 0 {
		return nil, nil
	}
	out, err := b.layer(l, e.probing(l.Index), g, n)
	switch {
	case err == nil:
		if out == nil {
			return nil, nil
		}
		return []*jsonpos.Node{out}, nil
	case !errors.Is(err, errDependent):
		return nil, err
	}
	if !count.IsInt64() || count.Int64() > MaxInstances {
		return nil, b.countFault(l.Repeat, "%s: its layers depend on {%s}, so each of its %s instances would be built one by one; the limit is %d", l.Path, l.Index, count, MaxInstances)
	}
	type run struct {
		first, last int64
		node        *jsonpos.Node
		content     int
	}
	var (
		runs []run
		// kinds are the instances built: each with the evaluations that made it, the
		// instance itself and its content (equal texts, equal content).
		kinds    []kind
		contents = map[string]int{}
	)
	placeholder := jsonpos.NewNumber("1")
	// An enclosing indexed layer's trace records what this one evaluates: its instances are all
	// built.
	traced := e.trace == nil && !b.buildEach
	for i := range count.Int64() {
		var (
			inst    *jsonpos.Node
			content = -1
		)
		if traced {
			r := replay{b: b, pos: len(e.index), i: i}
			for k := range kinds {
				if r.gives(kinds[k].steps) {
					inst, content = kinds[k].node, kinds[k].content
					break
				}
			}
		}
		if content < 0 {
			ie := e.with(l.Index, i)
			if traced {
				ie.trace = &trace{name: l.Index}
			}
			var err error
			inst, err = b.layer(l, ie, g, placeholder)
			if err != nil {
				var ce *diag.Faults
				if errors.As(err, &ce) || errors.Is(err, errDependent) {
					return nil, err // the config's fault says where; an enclosing probe stops here
				}
				return nil, fmt.Errorf("%s with {%s} = %d: %w", l.Path, l.Index, i, err)
			}
			if inst == nil {
				content = -2 // no instance: the layer does not exist at this index
			} else {
				text := string(jsonpos.Marshal(inst))
				c, ok := contents[text]
				if !ok {
					c = len(contents)
					contents[text] = c
				}
				content = c
			}
			if traced {
				kinds = append(kinds, kind{steps: ie.trace.steps, node: inst, content: content})
			}
			if inst == nil {
				continue
			}
			if k := len(runs) - 1; k >= 0 && runs[k].last == i-1 && runs[k].content == content {
				runs[k].last = i
				if !traced {
					delete(g.aliases, inst) // not in the output (a kind's node is kept for copies)
				}
				continue
			}
			runs = append(runs, run{first: i, last: i, node: inst, content: content})
			continue
		}
		if content == -2 {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k].last == i-1 && runs[k].content == content {
			runs[k].last = i
			continue
		}
		runs = append(runs, run{first: i, last: i, node: g.copyOf(inst), content: content})
	}
	nodes := make([]*jsonpos.Node, len(runs))
	for k, r := range runs {
		r.node.Set("repeat", jsonpos.NewNumber(strconv.FormatInt(r.last-r.first+1, 10)))
		if len(runs) > 1 {
			r.node.Set("name", jsonpos.NewString(fmt.Sprintf("%s_%d_%d", l.Name, r.first, r.last)))
		}
		nodes[k] = r.node
	}
	return nodes, nil
}

// trace is what building one instance of an indexed layer evaluated with its index: every
// partial evaluation of a value that uses the index, in order, with the bindings it saw and
// what it gave. The instance is a function of these outcomes alone: the other values give the
// same in every instance, and which values are evaluated next is decided by the outcomes
// before. So an instance whose evaluations, replayed in order, give the same outcomes is the
// same JSON.
type trace struct {
	name  string
	steps []step
}

type step struct {
	v       *model.Value
	where   string
	index   []indexValue
	probe   []string
	outcome string
}

// kind is an instance built, with the trace that made it.
type kind struct {
	steps   []step
	node    *jsonpos.Node
	content int
}

// outcome is the text of a partial evaluation's result, or of its error.
func outcome(p *expr.Expr, err error) string {
	if err != nil {
		return "\x00" + err.Error()
	}
	return p.String()
}

// replay evaluates the steps of traces again with the index bound at position pos set to i.
// The kinds' traces begin alike (the same values evaluated in the same bindings), so an
// outcome is worked out once for all of them: those of the values evaluated with no other
// binding than the index's are remembered.
type replay struct {
	b       *binding
	pos     int
	i       int64
	index   []indexValue
	outcome map[*model.Value]string
}

// gives reports whether the evaluations of steps give the outcomes they gave.
func (r *replay) gives(steps []step) bool {
	for _, s := range steps {
		plain := len(s.index) == r.pos+1 && len(s.probe) == 0
		if o, ok := r.outcome[s.v]; ok && plain {
			if o != s.outcome {
				return false
			}
			continue
		}
		r.index = append(r.index[:0], s.index...)
		r.index[r.pos].v = expr.Int(r.i)
		p, err := (&env{b: r.b, index: r.index, probe: s.probe}).partialOnce(s.v, s.where)
		o := outcome(p, err)
		if plain {
			if r.outcome == nil {
				r.outcome = map[*model.Value]string{}
			}
			r.outcome[s.v] = o
		}
		if o != s.outcome {
			return false
		}
	}
	return true
}

// copyOf is a deep copy of a generated layer, each layer in it keeping its aliases and its
// unquantized mark. Strings, numbers, booleans and nulls are shared, not copied: populate
// replaces such a value, never changes it. The objects and arrays of the copy are cut from
// three blocks, each slice with its capacity equal to its length (a member added later moves
// the slice out instead of writing over a neighbour's).
func (g *generated) copyOf(n *jsonpos.Node) *jsonpos.Node {
	var c copier
	c.count(n)
	c.nodes = make([]jsonpos.Node, 0, c.nNodes)
	c.members = make([]jsonpos.Member, 0, c.nMembers)
	c.items = make([]*jsonpos.Node, 0, c.nItems)
	return c.copy(g, n)
}

// copier holds the blocks of a copy (copyOf).
type copier struct {
	nNodes, nMembers, nItems int
	nodes                    []jsonpos.Node
	members                  []jsonpos.Member
	items                    []*jsonpos.Node
}

func (c *copier) count(n *jsonpos.Node) {
	if n.Kind != jsonpos.Object && n.Kind != jsonpos.Array {
		return
	}
	c.nNodes++
	c.nMembers += len(n.Members)
	c.nItems += len(n.Items)
	for _, m := range n.Members {
		c.count(m.Value)
	}
	for _, it := range n.Items {
		c.count(it)
	}
}

func (c *copier) copy(g *generated, n *jsonpos.Node) *jsonpos.Node {
	if n.Kind != jsonpos.Object && n.Kind != jsonpos.Array {
		return n
	}
	c.nodes = append(c.nodes, *n)
	cp := &c.nodes[len(c.nodes)-1]
	if n.Members != nil {
		at := len(c.members)
		c.members = append(c.members, n.Members...)
		cp.Members = c.members[at:len(c.members):len(c.members)]
		for i := range cp.Members {
			cp.Members[i].Value = c.copy(g, cp.Members[i].Value)
		}
	}
	if n.Items != nil {
		at := len(c.items)
		c.items = append(c.items, n.Items...)
		cp.Items = c.items[at:len(c.items):len(c.items)]
		for i := range cp.Items {
			cp.Items[i] = c.copy(g, cp.Items[i])
		}
	}
	if a, ok := g.aliases[n]; ok {
		g.aliases[cp] = a
	}
	if g.unquantized[n] {
		g.unquantized[cp] = true
	}
	return cp
}
