// Package validate checks model files and templates: JSON syntax, duplicate keys, the schema,
// the layer catalog (classes and their required parameters), placeholder expressions, and
// structural rules. Every finding is a diag.Diagnostic with its file position and the dotted
// path of its layer.
package validate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/schema"
	"github.com/modeltool/modeltool/internal/suggest"
)

// Options configure a validation.
type Options struct {
	// Catalog is the layer catalog; nil means the builtin one.
	Catalog *layers.Catalog
}

// Result is what validating one file found.
type Result struct {
	// File is the model view of the file, nil when the JSON did not parse.
	File        *model.File
	Diagnostics []diag.Diagnostic
}

// Source validates the model file or template src (named name in messages). Equal layers
// share their nodes (jsonpos.Options.Share), so the Result's File is for reading only.
func Source(name string, src []byte, opts Options) Result {
	doc, err := jsonpos.Parse(name, src, jsonpos.Options{Share: true})
	if err != nil {
		return Result{Diagnostics: []diag.Diagnostic{Syntax(name, err)}}
	}
	return Document(doc, opts)
}

// Document validates a parsed model file or template.
func Document(doc *jsonpos.Document, opts Options) Result {
	f := model.FromDocument(doc)
	return Result{File: f, Diagnostics: File(f, opts)}
}

// Syntax is the finding for a file named name that jsonpos.Parse (or model.Parse) refused
// with err: the one finding Source reports for it.
func Syntax(name string, err error) diag.Diagnostic {
	if ds, rest := diag.Split(err); len(ds) == 1 && len(rest) == 0 {
		return ds[0]
	}
	return diag.Diagnostic{File: name, Line: 1, Column: 1, Severity: diag.Error, Code: "syntax", Message: "invalid JSON: " + err.Error()}
}

// File validates a parsed model file and returns its findings, sorted.
func File(f *model.File, opts Options) []diag.Diagnostic {
	cat := opts.Catalog
	if cat == nil {
		cat = layers.Builtin()
	}
	c := &checker{f: f, doc: f.Doc, cat: cat, template: f.Template != nil}
	c.run()
	diag.Sort(c.diags)
	return c.diags
}

type checker struct {
	f        *model.File
	doc      *jsonpos.Document
	cat      *layers.Catalog
	template bool
	diags    []diag.Diagnostic
	declared map[string]bool
	scope    *expr.Scope
	// layerAt maps layer pointers to layers, to name the layer of a schema problem.
	layerAt *layerIndex
	// params holds the evaluated params of basic layers, by content, for tied_to checks.
	params map[*jsonpos.Node]expr.Value
	// weights is the shape of the weight tensor of each basic layer whose class declares one
	// (the catalog's "tensors"), by content: tied layers must share one shape.
	weights map[*jsonpos.Node][]int64
	// clean holds the layer contents (model.Layer.Content) already checked without a finding:
	// a layer with the same content has none either, and is not checked again. Templates are
	// always checked in full (what a layer may use depends on the indices around it).
	clean map[cleanKey]bool
	// badVars holds the variables already reported as unusable: values that use them are not
	// reported again (one broken default would otherwise give one error per layer).
	badVars map[string]bool
	// badCycle holds the variables on a cycle already reported.
	badCycle map[string]bool
}

// add records a finding at offset; with a layer, offset is read off the layer's nodes (the
// layer's Shift takes it to the layer's own bytes).
func (c *checker) add(offset int, pointer string, l *model.Layer, sev diag.Severity, code, msg string) {
	if l != nil {
		offset = l.Offset(offset)
	}
	pos := c.doc.Position(offset)
	d := diag.Diagnostic{File: c.doc.Name, Line: pos.Line, Column: pos.Col, Pointer: pointer, Severity: sev, Code: code, Message: msg}
	if l != nil {
		d.Layer = l.Path
	}
	c.diags = append(c.diags, d)
}

func (c *checker) run() {
	if root := c.doc.Root; root.Kind == jsonpos.Object && root.Get("layers") == nil && root.Get("template") == nil &&
		(root.Get("model_type") != nil || root.Get("architectures") != nil) {
		// Not one finding per config key: say what the file is and what to do with it.
		c.add(root.Offset, "", nil, diag.Error, "not-a-model-file",
			"this is a HuggingFace config.json, not a model file: build a model file from it with modeltool populate --config "+c.doc.Name)
		return
	}
	c.layerAt = &layerIndex{}
	c.duplicateKeys()
	// The schema check and the semantic checks read the same tree and share nothing else: run
	// the schema check beside them (it is about half the work on a large file).
	// A panic there (a bug) is raised again here, on the caller's goroutine, where the command
	// reports it as an internal error (exit 2) and a fuzzer sees it; unrecovered it would kill
	// the process with a stack trace.
	var schemaDiags []diag.Diagnostic
	var schemaPanic any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { schemaPanic = recover() }()
		sc := &checker{f: c.f, doc: c.doc, cat: c.cat, template: c.template, layerAt: c.layerAt}
		sc.schema()
		schemaDiags = sc.diags
	}()
	defer func() {
		<-done
		if schemaPanic != nil {
			panic(fmt.Sprintf("the schema check of %s: %v", c.doc.Name, schemaPanic))
		}
		c.diags = append(c.diags, schemaDiags...)
	}()
	c.declared = c.f.DeclaredVariables()
	c.scope = c.f.Scope(nil)
	c.params = map[*jsonpos.Node]expr.Value{}
	c.weights = map[*jsonpos.Node][]int64{}
	c.clean = map[cleanKey]bool{}
	c.badVars = map[string]bool{}
	c.badCycle = map[string]bool{}
	c.variables()
	if c.template {
		c.templateHeader()
	}
	c.layers(c.f.Layers, nil)
	c.tiedTo()
	c.routedExperts()
}

// layerIndex maps layer pointers to layers, made on first use (by either of the checks that
// run side by side): a file without findings never needs it.
type layerIndex struct {
	once sync.Once
	at   map[string]*model.Layer
}

func (x *layerIndex) get(f *model.File, pointer string) *model.Layer {
	x.once.Do(func() {
		x.at = map[string]*model.Layer{}
		model.Walk(f.Layers, func(l *model.Layer) bool {
			x.at[l.Pointer] = l
			return true
		})
	})
	return x.at[pointer]
}

// layerOf returns the innermost layer whose JSON pointer is a prefix of pointer.
func (c *checker) layerOf(tokens []string) *model.Layer {
	var best *model.Layer
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(jsonpos.EscapePointerToken(t))
		if l := c.layerAt.get(c.f, b.String()); l != nil {
			best = l
		}
	}
	return best
}

func pointerOf(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(jsonpos.EscapePointerToken(t))
	}
	return b.String()
}

func (c *checker) duplicateKeys() {
	for _, d := range c.doc.Duplicates {
		first := c.doc.Position(d.First)
		toks := splitPointer(d.Pointer)
		c.add(d.Again, d.Pointer+"/"+jsonpos.EscapePointerToken(d.Key), c.layerOf(toks), diag.Error, "duplicate-key",
			fmt.Sprintf("duplicate key %s (first at %d:%d): JSON readers keep only the last value, so the first is lost", diag.Quote(d.Key), first.Line, first.Col))
	}
}

func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		toks[i] = jsonpos.UnescapePointerToken(t)
	}
	return toks
}

// checkSchema is schema.Check; tests replace it.
var checkSchema = schema.Check

func (c *checker) schema() {
	problems, err := checkSchema(c.doc.Root)
	if err != nil {
		c.add(0, "", nil, diag.Error, "schema", "cannot check the schema: "+err.Error())
		return
	}
	for _, p := range problems {
		offset := 0
		if p.AtKey && len(p.Tokens) > 0 {
			parent := c.doc.Root.FindTokens(p.Tokens[:len(p.Tokens)-1], false)
			if m := parent.Member(p.Tokens[len(p.Tokens)-1]); m != nil {
				offset = m.KeyOffset
			}
		} else if n := c.doc.Root.FindTokens(p.Tokens, false); n != nil {
			offset = n.Offset
		}
		c.add(offset, pointerOf(p.Tokens), c.layerOf(p.Tokens), diag.Error, p.Code, p.Message)
	}
}

// expression checks a value's syntax and placeholders. It reports and returns false when the
// value cannot be evaluated.
func (c *checker) expression(v *model.Value, pointer string, l *model.Layer, what string) bool {
	if v.Err != nil {
		var ee *expr.Error
		if errors.As(v.Err, &ee) {
			at, code := v.Node.Offset, "bad-number"
			if v.Node.Kind == jsonpos.String {
				at, code = c.doc.StringOffset(v.Node, ee.Col-1), "bad-expression"
			}
			c.add(at, pointer, l, diag.Error, code, fmt.Sprintf("%s: %s", what, ee.Msg))
		} else if v.Node.Kind == jsonpos.Number {
			c.add(v.Node.Offset, pointer, l, diag.Error, "bad-number", fmt.Sprintf("%s: %v", what, v.Err))
		}
		// Other kinds (objects, arrays, null) are type errors the schema reports.
		return false
	}
	if !c.template {
		if col, construct, found := v.Expr.TemplateOnly(); found {
			c.add(c.doc.StringOffset(v.Node, col-1), pointer, l, diag.Error, "template-only",
				fmt.Sprintf("%s: %s is only allowed in architecture templates; a model file's values are numbers, booleans and expressions over them", what, construct))
			return false
		}
	}
	ok := true
	for _, ref := range v.Expr.Vars() {
		if c.declared[ref.Name] {
			continue
		}
		ok = false
		msg := fmt.Sprintf("%s: {%s} is not a declared variable", what, diag.Clip(ref.Name))
		if s := suggest.Nearest(ref.Name, slices.Sorted(maps.Keys(c.declared))); s != "" {
			msg += fmt.Sprintf(" (did you mean {%s}?)", s)
		} else if c.template {
			msg += " (declare it under template.config or variables)"
		} else {
			msg += " (declare it under variables)"
		}
		c.add(c.doc.StringOffset(v.Node, ref.Col-1), pointer, l, diag.Error, "undeclared-variable", msg)
	}
	return ok
}

func (c *checker) variables() {
	for _, v := range c.f.Variables {
		ptr := "/variables/" + jsonpos.EscapePointerToken(v.Name)
		if !c.expression(&v.Value, ptr, nil, "variable "+diag.Clip(v.Name)) {
			c.badVars[v.Name] = true
			continue
		}
		if c.template {
			continue
		}
		val, err := c.scope.Lookup(v.Name)
		if err != nil {
			c.badVars[v.Name] = true
			if c.reportHere(v.Name, err) {
				c.evalError(&v.Value, ptr, nil, "variable "+diag.Clip(v.Name), err)
			}
			continue
		}
		if need := model.StandardVariableNeeds(v.Name, val); need != "" {
			c.badVars[v.Name] = true
			c.add(v.Value.Node.Offset, ptr, nil, diag.Error, "bad-value",
				fmt.Sprintf("variable %s must be %s, got %s", v.Name, need, describeValue(v.Value, val)))
		}
	}
}

// reportHere decides whether the variable name, whose value failed with err, is where the
// fault is reported. One finding per fault: an undeclared name is reported where it is
// written; a variable that fails only because a variable it uses fails is not reported (the
// one where the failure arose is, at its own definition); a cycle is reported once, at the
// first of its variables in file order. So a chain, fan-out or cycle of 10,000 variables gives
// one finding, not one per variable (each repeating the whole chain).
func (c *checker) reportHere(name string, err error) bool {
	if errors.Is(err, expr.ErrUnbound) {
		return false
	}
	origin, ok := expr.DefinitionError(err)
	switch {
	case !ok:
		return true
	case errors.Is(err, expr.ErrCycle):
		if !slices.Contains(origin, name) || c.badCycle[origin[0]] {
			return false
		}
		for _, n := range origin {
			c.badCycle[n] = true
		}
		return true
	}
	return len(origin) == 1 && origin[0] == name
}

// describeValue says what a value came to, and from what when it used variables.
func describeValue(v model.Value, val expr.Value) string {
	if v.Node.Kind == jsonpos.String && v.Expr != nil && len(v.Expr.Vars()) > 0 {
		return fmt.Sprintf("%s (%s with the default variables)", diag.Clip(val.String()), diag.Quote(v.Node.Text))
	}
	return diag.Clip(val.String())
}

// usesBadVar reports whether v uses a variable that was already reported as unusable.
func (c *checker) usesBadVar(v *model.Value) bool {
	if v.Expr == nil || len(c.badVars) == 0 {
		return false
	}
	for _, ref := range v.Expr.Vars() {
		if c.badVars[ref.Name] {
			return true
		}
	}
	return false
}

// evalError reports a value that does not evaluate (division by zero, a number too large, a
// cyclic variable): at the column inside the string where the expression failed, with the
// message of the expression error.
func (c *checker) evalError(v *model.Value, pointer string, l *model.Layer, what string, err error) {
	at := v.Node.Offset
	msg := err.Error()
	var ee *expr.Error
	if errors.As(err, &ee) {
		msg = ee.Msg
		if v.Node.Kind == jsonpos.String {
			at = c.doc.StringOffset(v.Node, ee.Col-1)
		}
	}
	c.add(at, pointer, l, diag.Error, "bad-value", what+": "+msg)
}

func (c *checker) templateHeader() {
	t := c.f.Template
	for _, k := range t.Config {
		ptr := "/template/config/" + jsonpos.EscapePointerToken(k.Name)
		if k.Default != nil && (k.Type == "string" || k.Accepts("string") && k.Default.Node.Kind == jsonpos.String) {
			c.stringDefault(k, ptr+"/default")
		} else if k.Default != nil {
			c.expression(k.Default, ptr+"/default", nil, "default of config key "+k.Name)
		}
		if k.Null != nil {
			c.expression(k.Null, ptr+"/null", nil, "null value of config key "+k.Name)
		}
		if k.Enum != nil && !k.Accepts("string") {
			c.add(k.KeyOffset, ptr, nil, diag.Error, "template", fmt.Sprintf("config key %s has an enum but is not a string", k.Name))
		}
		if k.Pattern != nil {
			switch {
			case !k.Accepts("string"):
				c.add(k.Pattern.Offset, ptr+"/pattern", nil, diag.Error, "template", fmt.Sprintf("config key %s has a pattern but is not a string", k.Name))
			case k.PatternErr != nil:
				c.add(k.Pattern.Offset, ptr+"/pattern", nil, diag.Error, "template", fmt.Sprintf("the pattern of config key %s is not a regular expression: %v", k.Name, k.PatternErr))
			}
		}
		c.arrayKey(k, ptr)
	}
	for i, r := range t.Requires {
		if r.Check.Node != nil {
			c.expression(&r.Check, fmt.Sprintf("/template/requires/%d/check", i), nil, "requirement")
		}
	}
}

// arrayKey checks what only an array config key may have: items, length and default_each
// (which may use {index}, the item's number).
func (c *checker) arrayKey(k *model.ConfigKey, ptr string) {
	m := c.doc.Root.FindTokens([]string{"template", "config", k.Name}, false)
	if m == nil || m.Kind != jsonpos.Object {
		return
	}
	for _, key := range []string{"items", "length", "min_length", "default_each"} {
		if km := m.Member(key); km != nil && k.Type != "array" {
			c.add(km.KeyOffset, ptr+"/"+key, nil, diag.Error, "template", fmt.Sprintf("config key %s has %s but is not an array", k.Name, key))
		}
	}
	if k.Type != "array" {
		return
	}
	if it := m.Get("items"); it != nil && len(k.ItemEnum) > 0 && k.Items != "string" {
		c.add(it.Offset, ptr+"/items", nil, diag.Error, "template", fmt.Sprintf("the items of config key %s have an enum but are not strings", k.Name))
	}
	if k.Length != nil {
		c.expression(k.Length, ptr+"/length", nil, "length of config key "+k.Name)
	}
	if k.MinLength != nil {
		c.expression(k.MinLength, ptr+"/min_length", nil, "min_length of config key "+k.Name)
		if k.Length != nil {
			c.add(m.Member("min_length").KeyOffset, ptr+"/min_length", nil, diag.Error, "template",
				fmt.Sprintf("config key %s has both length and min_length: give one", k.Name))
		}
	}
	if k.DefaultEach != nil {
		if k.BuildLength() == nil {
			c.add(m.Member("default_each").KeyOffset, ptr+"/default_each", nil, diag.Error, "template",
				fmt.Sprintf("config key %s has default_each but no length or min_length: the list it builds needs one", k.Name))
		}
		c.withName("index", func() {
			c.expression(k.DefaultEach, ptr+"/default_each", nil, "default_each of config key "+k.Name)
		})
	}
}

// withName runs fn with name declared (an index or default_each's {index}), as it is inside
// the part of a template that numbers its instances.
func (c *checker) withName(name string, fn func()) {
	if c.declared[name] {
		fn()
		return
	}
	c.declared[name] = true
	fn()
	delete(c.declared, name)
}

// stringDefault checks the default of a string config key: a literal string, one of the enum
// when there is one, matching the pattern when there is one.
func (c *checker) stringDefault(k *model.ConfigKey, ptr string) {
	n := k.Default.Node
	if n.Kind != jsonpos.String {
		c.add(n.Offset, ptr, nil, diag.Error, "template", fmt.Sprintf("config key %s is a string, so its default is a string, not %s", k.Name, n.Kind.WithArticle()))
		return
	}
	if len(k.Enum) > 0 && !slices.Contains(k.Enum, n.Text) {
		c.add(n.Offset, ptr, nil, diag.Error, "template", fmt.Sprintf("the default %q of config key %s is not one of its enum (%s)", n.Text, k.Name, strings.Join(k.Enum, ", ")))
	}
	if k.PatternRE != nil && !k.PatternRE.MatchString(n.Text) {
		c.add(n.Offset, ptr, nil, diag.Error, "template", fmt.Sprintf("the default %q of config key %s does not match its pattern %s", n.Text, k.Name, k.Pattern.Text))
	}
}

func (c *checker) layers(ls []*model.Layer, parent *model.Layer) {
	type seen struct {
		l      *model.Layer
		offset int
	}
	names := map[string]seen{}
	var siblings map[string]bool // the names of ls, made when a layer has aliases
	for _, l := range ls {
		c.layer(l)
		if l.Name == "" {
			continue
		}
		if !c.template && len(l.Aliases) > 0 {
			if siblings == nil {
				siblings = make(map[string]bool, len(ls))
				for _, x := range ls {
					siblings[x.Name] = true
				}
			}
			c.aliasClash(l, siblings)
		}
		if prev, dup := names[l.Name]; dup {
			if !(c.template && prev.l.If != nil && l.If != nil) {
				first := c.doc.Position(prev.l.Offset(prev.offset))
				c.add(nameOffset(l), l.Pointer+"/name", l, diag.Error, "duplicate-name",
					fmt.Sprintf("duplicate layer name %s among siblings (first at %d:%d): layer paths must be unique", diag.Quote(l.Name), first.Line, first.Col))
			}
			continue
		}
		names[l.Name] = seen{l, nameOffset(l)}
	}
}

// aliasClash reports an alias of l that is the name of one of its siblings (names): a weight
// path model.layers.0… would then name two layers.
func (c *checker) aliasClash(l *model.Layer, names map[string]bool) {
	m := l.Node.Get("aliases")
	if m == nil || m.Kind != jsonpos.Array {
		return
	}
	for i, it := range m.Items {
		if it.Kind == jsonpos.String && it.Text != l.Name && names[it.Text] {
			c.add(it.Offset, fmt.Sprintf("%s/aliases/%d", l.Pointer, i), l, diag.Error, "duplicate-name",
				fmt.Sprintf("alias %s is the name of a sibling layer: an alias names the ModuleList the layer belongs to, so it must differ from every sibling's name", diag.Quote(it.Text)))
		}
	}
}

// nameOffset is where findings about a whole layer point: its "name" value, or the object.
func nameOffset(l *model.Layer) int {
	if n := l.Node.Get("name"); n != nil {
		return n.Offset
	}
	return l.Node.Offset
}

func keyOffset(l *model.Layer, key string) int {
	if m := l.Node.Member(key); m != nil {
		return m.KeyOffset
	}
	return nameOffset(l)
}

func (c *checker) layer(l *model.Layer) {
	if c.template {
		c.checkLayer(l)
		return
	}
	key := cleanKey{l.Content(), routedAbove(l)}
	if c.clean[key] {
		return
	}
	before := len(c.diags)
	c.checkLayer(l)
	if len(c.diags) == before {
		c.clean[key] = true
	}
}

// cleanKey is what a layer's findings depend on: its content, and whether routed experts are
// marked above it (routed experts inside routed experts are an error).
type cleanKey struct {
	content     *jsonpos.Node
	routedAbove bool
}

func routedAbove(l *model.Layer) bool {
	for p := l.Parent; p != nil; p = p.Parent {
		if p.Routed != nil {
			return true
		}
	}
	return false
}

// checkLayer checks one layer and its subtree, apart from its name among its siblings.
func (c *checker) checkLayer(l *model.Layer) {
	if !c.template {
		for _, key := range []string{"if", "index", "unquantized"} {
			if m := l.Node.Member(key); m != nil {
				c.add(m.KeyOffset, l.Pointer+"/"+key, l, diag.Error, "template-only",
					fmt.Sprintf("%q is only allowed in architecture templates (files with a \"template\" section)", key))
			}
		}
		if l.ClassExpr != nil {
			c.add(l.Node.Get("class").Offset, l.Pointer+"/class", l, diag.Error, "template-only",
				fmt.Sprintf("class %s is an expression, which only architecture templates may use: a model file names the class path", diag.Quote(l.Class)))
		}
	}
	if l.Repeat != nil {
		c.repeat(l)
	}
	if c.template && l.Index != "" {
		c.index(l)
		c.withName(l.Index, func() { c.layerBody(l) })
		return
	}
	c.layerBody(l)
}

// index checks a template layer's "index": a new name (not a config key, variable or outer
// index), on a layer whose repeat says how many instances there are.
func (c *checker) index(l *model.Layer) {
	m := l.Node.Member("index")
	ptr := l.Pointer + "/index"
	if !expr.IsName(l.Index) {
		return // the schema reports it
	}
	if c.declared[l.Index] {
		c.add(m.Value.Offset, ptr, l, diag.Error, "template",
			fmt.Sprintf("index %s is already a config key, a variable or an enclosing layer's index: choose another name", l.Index))
	}
	if l.Repeat == nil {
		c.add(m.KeyOffset, ptr, l, diag.Error, "template",
			fmt.Sprintf("a layer with an index needs a repeat: {%s} numbers its instances 0 … repeat−1", l.Index))
	}
}

// layerBody checks what a layer holds besides its repeat: its condition, class expression,
// parameters or sub-layers.
func (c *checker) layerBody(l *model.Layer) {
	if l.If != nil {
		c.expression(l.If, l.Pointer+"/if", l, "if")
	}
	if c.template && l.ClassExpr != nil {
		c.expression(l.ClassExpr, l.Pointer+"/class", l, "class")
		if !l.Composite {
			// The class is known only when populate evaluates it: check the parameters'
			// expressions; the output's validation checks them against the class.
			for _, p := range l.Parameters {
				c.expression(&p.Value, l.Pointer+"/parameters/"+jsonpos.EscapePointerToken(p.Name), l, "parameter "+diag.Clip(p.Name))
			}
			return
		}
	}
	c.planner(l)
	if l.Composite {
		if l.HasParameters {
			c.add(keyOffset(l, "parameters"), l.Pointer+"/parameters", l, diag.Error, "composite-parameters",
				"composite layer has parameters, which nothing reads: a layer with sub_layers is composite (drop parameters, or drop sub_layers to make it basic)")
		}
		c.attentionCore(l)
		c.layers(l.SubLayers, l)
		return
	}
	c.basic(l)
}

func (c *checker) repeat(l *model.Layer) {
	ptr := l.Pointer + "/repeat"
	if l.Repeat.Node.Kind != jsonpos.String && l.Repeat.Node.Kind != jsonpos.Number {
		return // the schema reports the type
	}
	if !c.expression(l.Repeat, ptr, l, "repeat") || c.template {
		return
	}
	if c.usesBadVar(l.Repeat) {
		return
	}
	v, err := l.Repeat.Expr.Eval(c.scope)
	if err != nil {
		if !errors.Is(err, expr.ErrUnbound) {
			c.evalError(l.Repeat, ptr, l, "repeat", err)
		}
		return
	}
	if l.Repeat.Node.Kind == jsonpos.Number {
		return // the schema checks integer ≥ 1
	}
	// An expression may work out to 0: the layer is absent for those variables.
	if !layers.FitsType("count", v) {
		c.add(l.Repeat.Node.Offset, ptr, l, diag.Error, "bad-value",
			fmt.Sprintf("repeat must be an integer ≥ 0, got %s", describeValue(*l.Repeat, v)))
	}
}

// attentionCore warns about an attention module without the attention-core layer, whose
// QKᵀ and AV FLOPs every module-tree tool silently drops.
func (c *checker) attentionCore(l *model.Layer) {
	if !strings.Contains(layers.ShortName(l.Class), "Attention") {
		return
	}
	found := false
	model.Walk(l.SubLayers, func(s *model.Layer) bool {
		if cl := c.cat.Lookup(s.Class); cl != nil && !s.Composite && cl.Category == "attention" {
			found = true
		}
		return !found
	})
	if !found {
		c.add(nameOffset(l), l.Pointer, l, diag.Warning, "no-attention-core",
			"attention module has no attention-core layer (such as torch.nn.functional.scaled_dot_product_attention): its QKᵀ and AV FLOPs would be missing (populate --add-missing inserts it)")
	}
}

func (c *checker) basic(l *model.Layer) {
	if l.Class == "" || l.ClassExpr != nil {
		return // the schema reports a missing class; a class expression in a model file is reported
	}
	cl := c.cat.Lookup(l.Class)
	if cl == nil {
		ptr := l.Pointer + "/class"
		msg := fmt.Sprintf("unknown basic class %s", diag.Clip(l.Class))
		if s := c.cat.Suggest(l.Class); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		msg += "; a layer without sub_layers must be a class of the catalog (modeltool layers), or add it with --catalog"
		c.add(l.Node.Get("class").Offset, ptr, l, diag.Error, "unknown-class", msg)
		for _, p := range l.Parameters {
			c.expression(&p.Value, l.Pointer+"/parameters/"+jsonpos.EscapePointerToken(p.Name), l, "parameter "+diag.Clip(p.Name))
		}
		return
	}
	if n := l.Node.Get("parameters"); n != nil && n.Kind != jsonpos.Object {
		return // the schema reports the type; "missing parameter" for each would only repeat it
	}
	args := map[string]expr.Value{}
	usable := true
	for _, p := range l.Parameters {
		ptr := l.Pointer + "/parameters/" + jsonpos.EscapePointerToken(p.Name)
		spec := cl.Param(p.Name)
		if spec == nil {
			if !expr.IsName(p.Name) {
				continue // the schema reports a name that cannot be a parameter
			}
			names := make([]string, len(cl.Params))
			for i, ps := range cl.Params {
				names[i] = ps.Name
			}
			msg := fmt.Sprintf("%s has no parameter %s; it is ignored", layers.ShortName(cl.Name), diag.Quote(p.Name))
			if s := suggest.Nearest(p.Name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			c.add(p.KeyOffset, ptr, l, diag.Warning, "unknown-parameter", msg)
			continue
		}
		if !c.expression(&p.Value, ptr, l, "parameter "+diag.Clip(p.Name)) {
			usable = false
			continue
		}
		if c.template {
			continue
		}
		if c.usesBadVar(&p.Value) {
			usable = false
			continue
		}
		v, err := p.Value.Expr.Eval(c.scope)
		if err != nil {
			usable = false
			if !errors.Is(err, expr.ErrUnbound) {
				c.evalError(&p.Value, ptr, l, "parameter "+diag.Clip(p.Name), err)
			}
			continue
		}
		if !layers.FitsType(spec.Type, v) {
			usable = false
			c.add(p.Value.Node.Offset, ptr, l, diag.Error, "bad-value",
				fmt.Sprintf("parameter %s of %s must be %s, got %s", p.Name, layers.ShortName(cl.Name), layers.ParamTypes[spec.Type], describeValue(p.Value, v)))
			continue
		}
		args[p.Name] = v
	}
	missing := false
	for _, ps := range cl.Required() {
		if l.Param(ps.Name) == nil {
			missing = true
			at, ptr := nameOffset(l), l.Pointer
			if m := l.Node.Member("parameters"); m != nil {
				at, ptr = m.KeyOffset, l.Pointer+"/parameters"
			}
			c.add(at, ptr, l, diag.Error, "missing-parameter",
				fmt.Sprintf("missing parameter %s of %s: %s", ps.Name, layers.ShortName(cl.Name), ps.Meaning))
		}
	}
	if c.template || missing || !usable {
		return
	}
	fig, err := cl.Evaluate(args)
	if err != nil {
		var ce *layers.CheckError
		if errors.As(err, &ce) {
			c.add(nameOffset(l), l.Pointer, l, diag.Error, "check", fmt.Sprintf("%s (%s is false with the default variables)", ce.Check.Message, ce.Check.Expr))
		} else {
			c.add(nameOffset(l), l.Pointer, l, diag.Error, "formula", fmt.Sprintf("cannot compute its figures with the default variables: %v", err))
		}
		return
	}
	c.params[l.Content()] = fig.Params
	if ts, err := cl.EvalTensors(args); err == nil {
		for _, t := range ts {
			if t.Name == "weight" && !t.Buffer {
				c.weights[l.Content()] = t.Shape
			}
		}
	}
}

// tieCycle returns the layers on the tied_to chain from l when it leads back to l (l first), or
// nil when it ends at a layer that owns its weight (or at a target reported otherwise). calc
// leaves every tied layer's parameters out, so on a cycle they would be counted nowhere.
func tieCycle(f *model.File, l *model.Layer) []*model.Layer {
	chain := []*model.Layer{l}
	for cur := l; cur.TiedTo != ""; {
		next := f.FindLayer(cur.TiedTo)
		if next == nil || next.Composite || next == cur {
			return nil
		}
		if next == l {
			return chain
		}
		if slices.Contains(chain, next) {
			return nil // a cycle further on, reported from one of its own layers
		}
		chain = append(chain, next)
		cur = next
	}
	return nil
}

func (c *checker) tiedTo() {
	reported := map[*model.Layer]bool{} // layers of a cycle already reported
	model.Walk(c.f.Layers, func(l *model.Layer) bool {
		if l.TiedTo == "" {
			return true
		}
		ptr := l.Pointer + "/tied_to"
		at := l.Node.Get("tied_to").Offset
		target := c.f.FindLayer(l.TiedTo)
		switch {
		case target == nil:
			var paths []string
			model.Walk(c.f.Layers, func(x *model.Layer) bool {
				if !x.Composite {
					paths = append(paths, x.Path)
				}
				return true
			})
			msg := fmt.Sprintf("tied_to names %s, which is not a layer of this file", diag.Clip(l.TiedTo))
			if s := suggest.Nearest(l.TiedTo, paths); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			c.add(at, ptr, l, diag.Error, "tied-to", msg)
		case target == l:
			c.add(at, ptr, l, diag.Error, "tied-to", "a layer cannot be tied to itself")
		case l.Composite:
			c.add(at, ptr, l, diag.Error, "tied-to", "a composite layer cannot be tied: tied_to joins two basic layers that share one weight (put it on the basic layer)")
		case target.Composite:
			c.add(at, ptr, l, diag.Error, "tied-to", fmt.Sprintf("tied_to names %s, a composite layer: tied_to joins two basic layers that share one weight", diag.Clip(l.TiedTo)))
		default:
			if cycle := tieCycle(c.f, l); cycle != nil {
				if !reported[l] {
					for _, m := range cycle {
						reported[m] = true
					}
					names := make([]string, 0, len(cycle)+1)
					for _, m := range cycle {
						names = append(names, diag.Clip(m.Path))
					}
					names = append(names, diag.Clip(l.Path))
					c.add(at, ptr, l, diag.Error, "tied-to", fmt.Sprintf("tied_to goes round in a circle (%s): no layer on it owns the weight, so its parameters would be counted nowhere; tie the others to the one that owns it and drop its tied_to", strings.Join(names, " → ")))
				}
				return true
			}
			// Tied layers share one weight tensor (lm_head.weight is embed_tokens.weight): its
			// shape must be the same on both sides, not only its size (a Linear 32→256 holds
			// [256, 32], one 64→128 [128, 64]: as many parameters, another matrix).
			wa, okA := c.weights[l.Content()]
			wb, okB := c.weights[target.Content()]
			if okA && okB && !slices.Equal(wa, wb) {
				c.add(at, ptr, l, diag.Error, "tied-to",
					fmt.Sprintf("this layer's weight is %s but %s's is %s: tied layers share one weight, which has one shape; make the shapes agree or drop tied_to", shape(wa), diag.Clip(target.Path), shape(wb)))
				return true
			}
			a, okA := c.params[l.Content()]
			b, okB := c.params[target.Content()]
			if okA && okB && !a.Equal(b) {
				// An error, not a warning: calc counts the shared weight once, with the target's
				// size, so the model's parameter count would be wrong by the difference.
				c.add(at, ptr, l, diag.Error, "tied-to",
					fmt.Sprintf("this layer has %s parameters but %s has %s: a tied layer's parameters are counted once, as its target's, so the parameter count would be wrong (a bias of its own is not shared); make them agree or drop tied_to", diag.Clip(a.String()), diag.Clip(target.Path), diag.Clip(b.String())))
			}
		}
		return true
	})
}

// shape writes a tensor's shape as [d1, d2, …].
func shape(dims []int64) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
