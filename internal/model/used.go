package model

import (
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// UsedVariables returns the names of the variables that some value of f's layers uses,
// directly or through the variables it uses (the file's own definitions, else the standard
// defaults: weight_dtype_bytes is {dtype_bytes} unless the file says otherwise). A variable
// not in it changes no figure, whatever it is set to.
func (f *File) UsedVariables() map[string]bool {
	used := map[string]bool{}
	var pending []string
	use := func(names []string) {
		for _, n := range names {
			if !used[n] {
				used[n] = true
				pending = append(pending, n)
			}
		}
	}
	seenNode := map[*jsonpos.Node]bool{}
	seenText := map[string]bool{}
	var walk func(n *jsonpos.Node)
	walk = func(n *jsonpos.Node) {
		if n == nil || seenNode[n] {
			return
		}
		seenNode[n] = true // equal layers may share their nodes
		switch n.Kind {
		case jsonpos.Object:
			for _, m := range n.Members {
				walk(m.Value)
			}
		case jsonpos.Array:
			for _, it := range n.Items {
				walk(it)
			}
		case jsonpos.String:
			if seenText[n.Text] || !strings.Contains(n.Text, "{") {
				return
			}
			seenText[n.Text] = true
			if e, err := expr.Parse(n.Text); err == nil {
				use(e.VarNames())
			}
		}
	}
	if f.Doc != nil && f.Doc.Root != nil {
		walk(f.Doc.Root.Get("layers"))
	}
	defs := map[string]*expr.Expr{}
	for name, e := range standardExprs {
		defs[name] = e
	}
	for _, v := range f.Variables {
		defs[v.Name] = v.Value.Expr // nil when unusable: it uses nothing
	}
	for len(pending) > 0 {
		name := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		if e := defs[name]; e != nil {
			use(e.VarNames())
		}
	}
	return used
}
