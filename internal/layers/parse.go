package layers

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/suggest"
)

type catalogParser struct {
	doc  *jsonpos.Document
	errs []diag.Diagnostic
	// base, when set, is the catalog this file extends: an entry for one of its classes may
	// give only what it changes and may use the base class's names.
	base *Catalog
	// defaults holds the JSON value of each parameter's default, to position findings in it.
	defaults map[*ParamSpec]*jsonpos.Node
}

func (p *catalogParser) errorf(offset int, format string, args ...any) {
	p.errs = append(p.errs, p.doc.Diagnostic(offset, "catalog", fmt.Sprintf(format, args...)))
}

// errorAt records a problem at a position inside a string (an expression).
func (p *catalogParser) errorAt(pos jsonpos.Position, msg string) {
	p.errs = append(p.errs, diag.Diagnostic{File: p.doc.Name, Line: pos.Line, Column: pos.Col, Pointer: p.doc.PointerAt(pos.Offset), Severity: diag.Error, Code: "catalog", Message: msg})
}

// joined returns every problem found, in file order, as one *diag.Faults.
func (p *catalogParser) joined() error {
	diag.Sort(p.errs)
	return diag.New(p.errs...)
}

// Extend reads a user's catalog file and returns c with its classes added or changed (see
// With). Every problem is reported, as a *diag.Faults with a diagnostic (code "catalog", or
// jsonpos's "syntax") at the position of each. An entry for a class c already has may give only the formulas, derived values or
// parameters it changes, and may use the names of the class it changes.
func (c *Catalog) Extend(name string, data []byte) (*Catalog, error) {
	overlay, err := parse(name, data, c)
	if err != nil {
		return nil, err
	}
	return c.With(overlay)
}

func parse(name string, data []byte, base *Catalog) (*Catalog, error) {
	doc, err := jsonpos.Parse(name, data, jsonpos.Options{})
	if err != nil {
		return nil, err
	}
	return parseDoc(name, doc, base)
}

// parseDoc reads the parsed catalog file doc named name, on top of base.
func parseDoc(name string, doc *jsonpos.Document, base *Catalog) (*Catalog, error) {
	p := &catalogParser{doc: doc, base: base, defaults: map[*ParamSpec]*jsonpos.Node{}}
	c := &Catalog{byName: map[string]*Class{}}
	root := doc.Root
	if root.Kind != jsonpos.Object {
		p.errorf(root.Offset, "a catalog is an object with a \"classes\" array, not %s", root.Kind.WithArticle())
		return nil, p.joined()
	}
	for _, m := range root.Members {
		switch m.Key {
		case "classes", "aliases", "activations", "$schema", "description":
		default:
			if !strings.HasPrefix(m.Key, "x-") {
				p.errorf(m.KeyOffset, "unknown key %q in the catalog (expected \"classes\", \"aliases\" or \"activations\")", m.Key)
			}
		}
	}
	for _, d := range doc.Duplicates {
		p.errorf(d.Again, "duplicate key %q", d.Key)
	}
	classes := root.Get("classes")
	aliases := root.Get("aliases")
	activations := root.Get("activations")
	switch {
	case classes == nil && (aliases != nil || activations != nil):
		classes = &jsonpos.Node{Kind: jsonpos.Array}
	case classes == nil || classes.Kind != jsonpos.Array:
		p.errorf(root.Offset, "a catalog needs a \"classes\" array")
		return nil, p.joined()
	}
	for _, n := range classes.Items {
		cl := p.class(n)
		if cl == nil {
			continue
		}
		cl.Source = name
		for _, key := range append([]string{cl.Name}, cl.Aliases...) {
			if prev := c.byName[key]; prev != nil {
				p.errorf(n.Offset, "class %s is defined twice (as %s here and in %s)", key, cl.Name, prev.Name)
				continue
			}
			c.byName[key] = cl
		}
		c.classes = append(c.classes, cl)
	}
	if aliases != nil {
		c.aliasDefs = p.aliasMap(aliases, c)
	}
	if activations != nil {
		c.activations = p.activationMap(activations, c)
	}
	if len(p.errs) > 0 {
		return nil, p.joined()
	}
	return c, nil
}

// aliasMap reads a catalog's "aliases" object: each key a class path that is computed exactly
// as the class its value names ("…Qwen3RMSNorm": "…LlamaRMSNorm"). The target is a class of
// this file or of the catalog it extends.
func (p *catalogParser) aliasMap(n *jsonpos.Node, c *Catalog) []aliasDef {
	if n.Kind != jsonpos.Object {
		p.errorf(n.Offset, "aliases must be an object mapping class paths to the classes they are computed as, not %s", n.Kind.WithArticle())
		return nil
	}
	var defs []aliasDef
	for _, m := range n.Members {
		target := p.str(m.Value, "the class of alias "+m.Key)
		if target == "" {
			continue
		}
		switch {
		case m.Key == "" || strings.ContainsAny(m.Key, " \t\n"):
			p.errorf(m.KeyOffset, "alias %q is not a class path", m.Key)
			continue
		case c.byName[m.Key] != nil || p.base != nil && p.base.byName[m.Key] != nil:
			p.errorf(m.KeyOffset, "alias %s is already a class or alias of the catalog", m.Key)
			continue
		case c.byName[target] == nil && (p.base == nil || p.base.byName[target] == nil):
			p.errorf(m.Value.Offset, "alias %s names %s, which the catalog does not have", m.Key, target)
			continue
		}
		defs = append(defs, aliasDef{alias: m.Key, target: target})
	}
	return defs
}

// activationMap reads a catalog's "activations" object: each key a transformers activation name
// (an ACT2FN key), its value the class path (a class or alias of this file, of its "aliases",
// or of the catalog it extends) of the module that name builds.
func (p *catalogParser) activationMap(n *jsonpos.Node, c *Catalog) map[string]string {
	if n.Kind != jsonpos.Object {
		p.errorf(n.Offset, "activations must be an object mapping activation names to class paths, not %s", n.Kind.WithArticle())
		return nil
	}
	out := map[string]string{}
	for _, m := range n.Members {
		target := p.str(m.Value, "the class of activation "+m.Key)
		if target == "" {
			continue
		}
		known := c.byName[target] != nil || p.base != nil && p.base.byName[target] != nil ||
			slices.ContainsFunc(c.aliasDefs, func(a aliasDef) bool { return a.alias == target })
		if !known {
			p.errorf(m.Value.Offset, "activation %s names %s, which the catalog does not have", m.Key, target)
			continue
		}
		out[m.Key] = target
	}
	return out
}

func (p *catalogParser) str(n *jsonpos.Node, what string) string {
	if n.Kind != jsonpos.String {
		p.errorf(n.Offset, "%s must be a string, not %s", what, n.Kind.WithArticle())
		return ""
	}
	return n.Text
}

func (p *catalogParser) expression(n *jsonpos.Node, what string) *expr.Expr {
	switch n.Kind {
	case jsonpos.Number:
		v, err := expr.ParseNumber(n.Text)
		if err != nil {
			p.errorf(n.Offset, "%s: %v", what, err)
			return nil
		}
		return expr.Const(v)
	case jsonpos.Bool:
		return expr.Const(expr.Bool(n.BoolValue()))
	case jsonpos.String:
		e, err := expr.Parse(n.Text)
		if err != nil {
			var ee *expr.Error
			if errors.As(err, &ee) {
				p.errorAt(p.doc.StringPosition(n, ee.Col-1), fmt.Sprintf("%s: %s", what, ee.Msg))
				return nil
			}
			p.errorf(n.Offset, "%s: %v", what, err)
			return nil
		}
		if col, construct, ok := e.TemplateOnly(); ok {
			p.errorAt(p.doc.StringPosition(n, col-1), fmt.Sprintf("%s: %s is only allowed in architecture templates; formulas are over numbers and booleans", what, construct))
			return nil
		}
		return e
	}
	p.errorf(n.Offset, "%s must be an expression string or a number, not %s", what, n.Kind.WithArticle())
	return nil
}

func (p *catalogParser) class(n *jsonpos.Node) *Class {
	if n.Kind != jsonpos.Object {
		p.errorf(n.Offset, "a class entry must be an object, not %s", n.Kind.WithArticle())
		return nil
	}
	cl := &Class{}
	var derivedNode, formulasNode, paramsNode, checksNode, tensorsNode *jsonpos.Node
	for _, m := range n.Members {
		v := m.Value
		switch m.Key {
		case "class":
			cl.Name = p.str(v, "class")
		case "aliases":
			if v.Kind != jsonpos.Array {
				p.errorf(v.Offset, "aliases must be an array of class paths")
				continue
			}
			for _, it := range v.Items {
				if s := p.str(it, "an alias"); s != "" {
					cl.Aliases = append(cl.Aliases, s)
				}
			}
		case "category":
			cl.Category = p.str(v, "category")
		case "description":
			cl.Description = p.str(v, "description")
		case "notes":
			cl.Notes = p.str(v, "notes")
		case "parameters":
			paramsNode = v
		case "derived":
			derivedNode = v
		case "formulas":
			formulasNode = v
		case "checks":
			checksNode = v
		case "tensors":
			tensorsNode = v
		default:
			if !strings.HasPrefix(m.Key, "x-") {
				p.errorf(m.KeyOffset, "unknown key %q in a class entry (expected class, aliases, category, description, notes, parameters, derived, formulas, checks, tensors)", m.Key)
			}
		}
	}
	if cl.Name == "" {
		p.errorf(n.Offset, "a class entry needs a non-empty \"class\"")
		return nil
	}
	names := map[string]string{} // name -> what defines it
	var inherited *Class
	if p.base != nil {
		inherited = p.base.changed(cl)
	}
	if inherited != nil {
		for _, ps := range inherited.Params {
			names[ps.Name] = "inherited"
		}
		for _, d := range inherited.Derived {
			names[d.Name] = "inherited"
		}
		for _, d := range inherited.Formulas {
			names[d.Name] = "inherited"
		}
	} else if cl.Category == "" {
		p.errorf(n.Offset, "class %s needs a \"category\"", cl.Name)
	}
	if paramsNode != nil {
		if paramsNode.Kind != jsonpos.Array {
			p.errorf(paramsNode.Offset, "parameters of %s must be an array", cl.Name)
		} else {
			for _, it := range paramsNode.Items {
				if ps := p.param(cl, it); ps != nil {
					if names[ps.Name] != "" && names[ps.Name] != "inherited" {
						p.errorf(it.Offset, "parameter %s of %s is declared twice", ps.Name, cl.Name)
						continue
					}
					names[ps.Name] = "parameter"
					cl.Params = append(cl.Params, ps)
				}
			}
		}
	}
	cl.Derived = p.definitions(cl, derivedNode, "derived", names, false)
	cl.Formulas = p.definitions(cl, formulasNode, "formulas", names, true)
	if checksNode != nil {
		if checksNode.Kind != jsonpos.Array {
			p.errorf(checksNode.Offset, "checks of %s must be an array", cl.Name)
		} else {
			for _, it := range checksNode.Items {
				if it.Kind != jsonpos.Object || it.Get("check") == nil || it.Get("message") == nil {
					p.errorf(it.Offset, "a check of %s is an object with \"check\" and \"message\"", cl.Name)
					continue
				}
				e := p.expression(it.Get("check"), "check of "+cl.Name)
				msg := p.str(it.Get("message"), "message")
				if e != nil {
					p.usesOnly(cl, it.Get("check"), e, names)
					cl.Checks = append(cl.Checks, Check{Expr: e, Message: msg})
				}
			}
		}
	}
	if tensorsNode != nil {
		cl.Tensors = p.tensors(cl, tensorsNode, names)
	}
	// Defaults may refer to other parameters only.
	var params []string
	for k, what := range names {
		if what == "parameter" || what == "inherited" {
			params = append(params, k)
		}
	}
	for _, ps := range cl.Params {
		if ps.Default == nil {
			continue
		}
		for _, ref := range ps.Default.Vars() {
			if names[ref.Name] == "parameter" || names[ref.Name] == "inherited" {
				continue
			}
			msg := fmt.Sprintf("the default of %s.%s uses {%s}, which is not a parameter of the class", cl.Name, ps.Name, ref.Name)
			if s := suggest.Nearest(ref.Name, params); s != "" {
				msg += fmt.Sprintf(" (did you mean {%s}?)", s)
			}
			p.errorAt(p.doc.StringPosition(p.defaults[ps], ref.Col-1), msg)
		}
	}
	return cl
}

func (p *catalogParser) param(cl *Class, n *jsonpos.Node) *ParamSpec {
	if n.Kind != jsonpos.Object {
		p.errorf(n.Offset, "a parameter of %s must be an object with name, type and meaning", cl.Name)
		return nil
	}
	ps := &ParamSpec{}
	for _, m := range n.Members {
		switch m.Key {
		case "name":
			ps.Name = p.str(m.Value, "a parameter name")
		case "type":
			ps.Type = p.str(m.Value, "a parameter type")
			if _, ok := ParamTypes[ps.Type]; ps.Type != "" && !ok {
				p.errorf(m.Value.Offset, "unknown parameter type %q (known: %s)", ps.Type, strings.Join(slices.Sorted(maps.Keys(ParamTypes)), ", "))
			}
		case "meaning":
			ps.Meaning = p.str(m.Value, "a parameter meaning")
		case "default":
			ps.Default = p.expression(m.Value, "default")
			p.defaults[ps] = m.Value
		default:
			if !strings.HasPrefix(m.Key, "x-") {
				p.errorf(m.KeyOffset, "unknown key %q in a parameter (expected name, type, meaning, default)", m.Key)
			}
		}
	}
	if !expr.IsName(ps.Name) {
		p.errorf(n.Offset, "parameter name %q of %s is not an identifier", ps.Name, cl.Name)
		return nil
	}
	if ps.Type == "" {
		ps.Type = "number"
	}
	if ps.Meaning == "" {
		p.errorf(n.Offset, "parameter %s of %s needs a one-line \"meaning\"", ps.Name, cl.Name)
	}
	return ps
}

func (p *catalogParser) definitions(cl *Class, n *jsonpos.Node, what string, names map[string]string, formulas bool) []Definition {
	if n == nil {
		return nil
	}
	if n.Kind != jsonpos.Object {
		p.errorf(n.Offset, "%s of %s must be an object of name: expression", what, cl.Name)
		return nil
	}
	var defs []Definition
	for _, m := range n.Members {
		if formulas && !isFormulaName(m.Key) {
			p.errorf(m.KeyOffset, "unknown formula %q of %s (known: %s)", m.Key, cl.Name, strings.Join(formulaNames[:], ", "))
			continue
		}
		if !expr.IsName(m.Key) {
			p.errorf(m.KeyOffset, "%q is not an identifier", m.Key)
			continue
		}
		if prev := names[m.Key]; prev != "" && prev != "inherited" {
			p.errorf(m.KeyOffset, "%s of %s: %s is already a %s", what, cl.Name, m.Key, prev)
			continue
		}
		names[m.Key] = strings.TrimSuffix(what, "s")
		if e := p.expression(m.Value, fmt.Sprintf("%s %s of %s", strings.TrimSuffix(what, "s"), m.Key, cl.Name)); e != nil {
			defs = append(defs, Definition{Name: m.Key, Expr: e})
		}
	}
	// Check references after all names of this section are known, so order does not matter.
	for _, d := range defs {
		p.usesOnly(cl, n.Get(d.Name), d.Expr, names)
	}
	return defs
}

// usesOnly reports placeholders that name neither a parameter, a derived value nor a formula.
func (p *catalogParser) usesOnly(cl *Class, n *jsonpos.Node, e *expr.Expr, names map[string]string) {
	for _, ref := range e.Vars() {
		if names[ref.Name] != "" || isFormulaName(ref.Name) {
			continue
		}
		pos := p.doc.StringPosition(n, ref.Col-1)
		msg := fmt.Sprintf("{%s} is not a parameter, derived value or formula of %s", ref.Name, cl.Name)
		cands := make([]string, 0, len(names))
		for k := range names {
			cands = append(cands, k)
		}
		if s := suggest.Nearest(ref.Name, cands); s != "" {
			msg += fmt.Sprintf(" (did you mean {%s}?)", s)
		}
		p.errorAt(pos, msg)
	}
}

func isFormulaName(s string) bool {
	_, ok := FormulaNamed(s)
	return ok
}
