package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
)

// WriteCatalog prints catalog classes: a one-line list for several, everything for one.
func WriteCatalog(w io.Writer, format string, classes []*layers.Class) error {
	if format == "json" {
		arr := jsonpos.NewArray()
		for _, cl := range classes {
			arr.Items = append(arr.Items, classNode(cl))
		}
		_, err := w.Write(jsonpos.Marshal(arr))
		return err
	}
	var b strings.Builder
	if len(classes) == 1 {
		writeClass(&b, classes[0])
	} else {
		t := &table{cols: []column{{"CLASS", true}, {"CATEGORY", true}, {"DESCRIPTION", true}}}
		for _, cl := range classes {
			t.add(cl.Name, cl.Category, cl.Description)
		}
		t.write(&b, plain)
		fmt.Fprintf(&b, "\n%d classes; modeltool layers CLASS shows one in full.\n", len(classes))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeClass(b *strings.Builder, cl *layers.Class) {
	fmt.Fprintf(b, "%s\n  %s\n  category: %s\n", cl.Name, cl.Description, cl.Category)
	if len(cl.Aliases) > 0 {
		fmt.Fprintf(b, "  aliases:\n")
		for _, a := range cl.Aliases {
			fmt.Fprintf(b, "    %s\n", a)
		}
	}
	fmt.Fprintf(b, "\nparameters:\n")
	if len(cl.Params) == 0 {
		fmt.Fprintf(b, "  (none)\n")
	}
	t := &table{cols: []column{{"  NAME", true}, {"TYPE", true}, {"REQUIRED", true}, {"MEANING", true}}}
	for _, p := range cl.Params {
		req := "required"
		if p.Default != nil {
			req = "default " + p.Default.String()
		}
		t.add("  "+p.Name, p.Type, req, p.Meaning)
	}
	if len(cl.Params) > 0 {
		t.write(b, plain)
	}
	if len(cl.Derived) > 0 {
		fmt.Fprintf(b, "\nderived:\n")
		for _, d := range cl.Derived {
			fmt.Fprintf(b, "  %s = %s\n", d.Name, d.Expr)
		}
	}
	fmt.Fprintf(b, "\nformulas:\n")
	for _, k := range layers.Formulas {
		e := cl.Formula(k)
		s := "0"
		if e != nil {
			s = e.String()
		}
		fmt.Fprintf(b, "  %s = %s\n", k, s)
	}
	if len(cl.Checks) > 0 {
		fmt.Fprintf(b, "\nchecks:\n")
		for _, c := range cl.Checks {
			fmt.Fprintf(b, "  %s  (%s)\n", c.Expr, c.Message)
		}
	}
	if len(cl.Tensors) > 0 {
		fmt.Fprintf(b, "\ntensors in a checkpoint:\n")
		for _, t := range cl.Tensors {
			fmt.Fprintf(b, "  %s %s", t.Name, tensorShape(t))
			if t.If != nil {
				fmt.Fprintf(b, "  when %s", t.If)
			}
			if t.Buffer {
				fmt.Fprintf(b, "  (a buffer, not a parameter)")
			}
			fmt.Fprintln(b)
		}
	}
	if cl.Notes != "" {
		fmt.Fprintf(b, "\nnotes:\n  %s\n", cl.Notes)
	}
	fmt.Fprintf(b, "\nsource: %s\n", cl.Source)
}

func classNode(cl *layers.Class) *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("class", jsonpos.NewString(cl.Name))
	aliases := jsonpos.NewArray()
	for _, a := range cl.Aliases {
		aliases.Items = append(aliases.Items, jsonpos.NewString(a))
	}
	o.Set("aliases", aliases)
	o.Set("category", jsonpos.NewString(cl.Category))
	o.Set("description", jsonpos.NewString(cl.Description))
	params := jsonpos.NewArray()
	for _, p := range cl.Params {
		po := jsonpos.NewObject()
		po.Set("name", jsonpos.NewString(p.Name))
		po.Set("type", jsonpos.NewString(p.Type))
		po.Set("meaning", jsonpos.NewString(p.Meaning))
		if p.Default != nil {
			po.Set("default", jsonpos.NewString(p.Default.String()))
		}
		params.Items = append(params.Items, po)
	}
	o.Set("parameters", params)
	if len(cl.Derived) > 0 {
		d := jsonpos.NewObject()
		for _, def := range cl.Derived {
			d.Set(def.Name, jsonpos.NewString(def.Expr.String()))
		}
		o.Set("derived", d)
	}
	f := jsonpos.NewObject()
	for _, def := range cl.Formulas {
		f.Set(def.Name, jsonpos.NewString(def.Expr.String()))
	}
	o.Set("formulas", f)
	if len(cl.Checks) > 0 {
		cs := jsonpos.NewArray()
		for _, c := range cl.Checks {
			co := jsonpos.NewObject()
			co.Set("check", jsonpos.NewString(c.Expr.String()))
			co.Set("message", jsonpos.NewString(c.Message))
			cs.Items = append(cs.Items, co)
		}
		o.Set("checks", cs)
	}
	if len(cl.Tensors) > 0 {
		ts := jsonpos.NewArray()
		for _, t := range cl.Tensors {
			to := jsonpos.NewObject()
			to.Set("name", jsonpos.NewString(t.Name))
			shape := jsonpos.NewArray()
			for _, d := range t.Shape {
				shape.Items = append(shape.Items, jsonpos.NewString(d.String()))
			}
			to.Set("shape", shape)
			if t.If != nil {
				to.Set("if", jsonpos.NewString(t.If.String()))
			}
			if t.Buffer {
				to.Set("buffer", jsonpos.NewBool(true))
			}
			ts.Items = append(ts.Items, to)
		}
		o.Set("tensors", ts)
	}
	if cl.Notes != "" {
		o.Set("notes", jsonpos.NewString(cl.Notes))
	}
	return o
}

// tensorShape prints a tensor's shape expressions: [{out_features}, {in_features}].
func tensorShape(t layers.TensorSpec) string {
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
