package layers

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
)

// Figures are the costs of one instance of a basic layer.
type Figures struct {
	Params       expr.Value
	WeightBytes  expr.Value
	FLOPs        expr.Value
	BytesRead    expr.Value
	BytesWritten expr.Value
	KVCacheBytes expr.Value
}

// Get returns the figure of formula k.
func (f *Figures) Get(k Formula) expr.Value { return *f.field(k) }

// field is the one place that maps a formula to its field.
func (f *Figures) field(k Formula) *expr.Value {
	return [NumFormulas]*expr.Value{&f.Params, &f.WeightBytes, &f.FLOPs, &f.BytesRead, &f.BytesWritten, &f.KVCacheBytes}[k]
}

// ParamError is a parameter value that does not fit its type.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// CheckType reports whether v fits the parameter's type; the error says what was expected.
func (ps *ParamSpec) CheckType(v expr.Value) error {
	if FitsType(ps.Type, v) {
		return nil
	}
	return &ParamError{Param: ps.Name, Msg: fmt.Sprintf("must be %s, got %s", ParamTypes[ps.Type], v)}
}

// FitsType reports whether v is a value of the parameter type typ (one of ParamTypes).
func FitsType(typ string, v expr.Value) bool {
	if typ == "boolean" {
		return v.IsBool()
	}
	if !v.IsNumber() {
		return false
	}
	switch typ {
	case "size":
		return v.IsInt() && v.Sign() > 0
	case "count":
		return v.IsInt() && v.Sign() >= 0
	case "amount":
		return v.Sign() >= 0
	case "bytes":
		return v.Sign() > 0
	}
	return true
}

// Scope returns the class's names (parameters, defaults, derived values, formulas) as lazy
// definitions over args, the layer's evaluated parameter values. Undefined formulas are zero.
func (cl *Class) Scope(args map[string]expr.Value) *expr.Scope {
	s := expr.NewScope(nil)
	for _, ps := range cl.Params {
		if v, ok := args[ps.Name]; ok {
			s.Set(ps.Name, v)
		} else if ps.Default != nil {
			s.Define(ps.Name, ps.Default)
		}
	}
	for _, d := range cl.Derived {
		s.Define(d.Name, d.Expr)
	}
	for _, k := range Formulas {
		if e := cl.Formula(k); e != nil {
			s.Define(k.String(), e)
		} else {
			s.Set(k.String(), expr.Int(0))
		}
	}
	return s
}

// Evaluate computes the figures of one instance of the class from its parameter values. It
// checks every parameter's type (defaults included) and the class's checks first.
func (cl *Class) Evaluate(args map[string]expr.Value) (Figures, error) {
	var fig Figures
	var unknown []string
	for name := range args {
		if cl.Param(name) == nil {
			unknown = append(unknown, name)
		}
	}
	switch len(unknown) {
	case 0:
	case 1:
		return fig, fmt.Errorf("%s has no parameter %s", cl.Name, unknown[0])
	default:
		sort.Strings(unknown) // not the map's order: messages are deterministic
		return fig, fmt.Errorf("%s has no parameters %s", cl.Name, strings.Join(unknown, ", "))
	}
	s := cl.Scope(args)
	for _, ps := range cl.Params {
		v, err := s.Lookup(ps.Name)
		if err != nil {
			if errors.Is(err, expr.ErrUnbound) && ps.Default == nil {
				return fig, &ParamError{Param: ps.Name, Msg: "is required (" + ps.Meaning + ")"}
			}
			return fig, fmt.Errorf("parameter %s: %w", ps.Name, err)
		}
		if err := ps.CheckType(v); err != nil {
			return fig, err
		}
	}
	for _, c := range cl.Checks {
		v, err := c.Expr.Eval(s)
		if err != nil {
			return fig, fmt.Errorf("check %q: %w", c.Expr.String(), err)
		}
		if !v.IsBool() {
			return fig, fmt.Errorf("check %q of %s is not a condition", c.Expr.String(), cl.Name)
		}
		if !v.Bool() {
			return fig, &CheckError{Check: c}
		}
	}
	for _, k := range Formulas {
		v, err := s.Lookup(k.String())
		if err != nil {
			return fig, fmt.Errorf("%s of %s: %w", k, cl.Name, err)
		}
		if !v.IsNumber() {
			return fig, fmt.Errorf("%s of %s is %s, not a number", k, cl.Name, v)
		}
		*fig.field(k) = v
	}
	return fig, nil
}

// CheckError is a failed class check.
type CheckError struct {
	Check Check
}

func (e *CheckError) Error() string { return e.Check.Message }

// With returns a catalog in which overlay's classes are added to c. A class that c already has
// (by name or alias) is changed field by field: parameters, derived values and formulas given
// in the overlay replace those of the same name; description, notes and category replace c's
// when given, checks and tensors replace c's when the overlay has any, and aliases add to c's (an overlay
// may name the class it changes by an alias, and its own name becomes one more). So a user
// who counts differently replaces one formula, nothing else.
func (c *Catalog) With(overlay *Catalog) (*Catalog, error) {
	out := &Catalog{byName: map[string]*Class{}}
	replaced := map[*Class]*Class{}
	for _, oc := range overlay.classes {
		base := c.changed(oc)
		if base == nil {
			continue
		}
		if prev := replaced[base]; prev != nil {
			return nil, fileFault(oc.Source, fmt.Sprintf("classes %s and %s both change %s", prev.Name, oc.Name, base.Name))
		}
		replaced[base] = merge(base, oc)
	}
	add := func(cl *Class) error {
		for _, key := range append([]string{cl.Name}, cl.Aliases...) {
			if prev := out.byName[key]; prev != nil && prev != cl {
				return fileFault(cl.Source, fmt.Sprintf("class %s clashes with %s (%s)", key, prev.Name, prev.Source))
			}
			out.byName[key] = cl
		}
		out.classes = append(out.classes, cl)
		return nil
	}
	for _, cl := range c.classes {
		if m := replaced[cl]; m != nil {
			cl = m
		}
		if err := add(cl); err != nil {
			return nil, err
		}
	}
	for _, oc := range overlay.classes {
		if c.changed(oc) != nil {
			continue
		}
		if err := add(oc); err != nil {
			return nil, err
		}
	}
	for _, a := range overlay.aliasDefs {
		if err := out.addAlias(a); err != nil {
			return nil, err
		}
	}
	// Activation names: the overlay's entries add to c's and replace those of the same name.
	if len(c.activations)+len(overlay.activations) > 0 {
		out.activations = make(map[string]string, len(c.activations)+len(overlay.activations))
		maps.Copy(out.activations, c.activations)
		maps.Copy(out.activations, overlay.activations)
	}
	return out, nil
}

// addAlias gives the class named a.target one more name. The class is copied, so the catalog
// the overlay extends is left as it was.
func (c *Catalog) addAlias(a aliasDef) error {
	cl, err := c.aliasTarget(a)
	if err != nil {
		return err
	}
	cp := *cl
	cp.Aliases = append(slices.Clone(cl.Aliases), a.alias)
	for i, x := range c.classes {
		if x == cl {
			c.classes[i] = &cp
		}
	}
	for k, x := range c.byName {
		if x == cl {
			c.byName[k] = &cp
		}
	}
	c.byName[a.alias] = &cp
	return nil
}

// aliasTarget returns the class alias a names, or why a cannot be added to c.
func (c *Catalog) aliasTarget(a aliasDef) (*Class, error) {
	cl := c.byName[a.target]
	if cl == nil {
		return nil, fmt.Errorf("alias %s names %s, which the catalog does not have", a.alias, a.target)
	}
	if prev := c.byName[a.alias]; prev != nil {
		return nil, fmt.Errorf("alias %s clashes with %s (%s)", a.alias, prev.Name, prev.Source)
	}
	return cl, nil
}

// changed returns the class of c that an overlay entry changes: the one it names, or else the
// first it names among its aliases; nil for a new class.
func (c *Catalog) changed(oc *Class) *Class {
	if base := c.byName[oc.Name]; base != nil {
		return base
	}
	for _, a := range oc.Aliases {
		if base := c.byName[a]; base != nil {
			return base
		}
	}
	return nil
}

func merge(base, over *Class) *Class {
	m := *base
	m.Source = base.Source + " + " + over.Source
	if over.Category != "" {
		m.Category = over.Category
	}
	if over.Description != "" {
		m.Description = over.Description
	}
	if over.Notes != "" {
		m.Notes = over.Notes
	}
	seen := map[string]bool{m.Name: true}
	m.Aliases = nil
	// The overlay's own name, when it changed the class through an alias, is one more name of it.
	for _, a := range append(append(append([]string(nil), base.Aliases...), over.Name), over.Aliases...) {
		if !seen[a] {
			seen[a] = true
			m.Aliases = append(m.Aliases, a)
		}
	}
	m.Params = append([]*ParamSpec(nil), base.Params...)
	for _, op := range over.Params {
		found := false
		for i, bp := range m.Params {
			if bp.Name == op.Name {
				m.Params[i] = op
				found = true
			}
		}
		if !found {
			m.Params = append(m.Params, op)
		}
	}
	m.Derived = mergeDefs(base.Derived, over.Derived)
	m.Formulas = mergeDefs(base.Formulas, over.Formulas)
	if len(over.Checks) > 0 {
		m.Checks = over.Checks
	}
	if over.Tensors != nil {
		m.Tensors = over.Tensors
	}
	return &m
}

func mergeDefs(base, over []Definition) []Definition {
	out := append([]Definition(nil), base...)
	for _, o := range over {
		found := false
		for i := range out {
			if out[i].Name == o.Name {
				out[i] = o
				found = true
			}
		}
		if !found {
			out = append(out, o)
		}
	}
	return out
}

// fileFault is a problem of a catalog file as a whole.
func fileFault(file, msg string) error {
	return diag.New(diag.Diagnostic{File: file, Severity: diag.Error, Code: "catalog", Message: msg})
}
