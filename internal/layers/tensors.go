package layers

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// TensorSpec is one tensor a checkpoint holds for an instance of a class: its name and its
// shape as expressions over the class's parameters. The catalog's "tensors" array lists them,
// so `validate --weights` can compare a model file with a checkpoint's headers, and a test
// requires their elements to add up to the class's params formula.
type TensorSpec struct {
	// Name is relative to the layer ("weight"), or, when it begins with "../", to the module
	// that holds the layer: a functional layer standing for its module's own parameters (the
	// attention core's sinks are the tensor self_attn.sinks).
	Name  string
	Shape []*expr.Expr
	// If, when set, is the condition under which the tensor exists ("{bias}").
	If *expr.Expr
	// Buffer marks a tensor a checkpoint may hold that is not a parameter (a rotary embedding's
	// inv_freq, DeepSeek's e_score_correction_bias): never missing, never counted.
	Buffer bool
}

var tensorNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\.\./)?` + expr.NamePattern + `(\.` + expr.NamePattern + `)*$`)
})

// tensors reads a class's "tensors" array.
func (p *catalogParser) tensors(cl *Class, n *jsonpos.Node, names map[string]string) []TensorSpec {
	if n.Kind != jsonpos.Array {
		p.errorf(n.Offset, "tensors of %s must be an array of {\"name\", \"shape\"} objects", cl.Name)
		return nil
	}
	out := []TensorSpec{}
	for _, it := range n.Items {
		if it.Kind != jsonpos.Object {
			p.errorf(it.Offset, "a tensor of %s is an object with \"name\" and \"shape\"", cl.Name)
			continue
		}
		var t TensorSpec
		ok := true
		for _, m := range it.Members {
			switch m.Key {
			case "name":
				t.Name = p.str(m.Value, "a tensor name")
				if t.Name != "" && !tensorNameRE().MatchString(t.Name) {
					p.errorf(m.Value.Offset, "tensor name %q of %s: dotted identifiers, optionally after ../ for a tensor of the enclosing module", t.Name, cl.Name)
					ok = false
				}
			case "shape":
				if m.Value.Kind != jsonpos.Array {
					p.errorf(m.Value.Offset, "the shape of a tensor of %s is an array of expressions ([] for a scalar)", cl.Name)
					ok = false
					continue
				}
				t.Shape = []*expr.Expr{}
				for _, d := range m.Value.Items {
					e := p.expression(d, "a dimension of a tensor of "+cl.Name)
					if e == nil {
						ok = false
						continue
					}
					p.usesOnly(cl, d, e, names)
					t.Shape = append(t.Shape, e)
				}
			case "if":
				t.If = p.expression(m.Value, "the condition of a tensor of "+cl.Name)
				if t.If != nil {
					p.usesOnly(cl, m.Value, t.If, names)
				}
			case "buffer":
				if m.Value.Kind != jsonpos.Bool {
					p.errorf(m.Value.Offset, "buffer is true or false")
					continue
				}
				t.Buffer = m.Value.BoolValue()
			default:
				if !strings.HasPrefix(m.Key, "x-") {
					p.errorf(m.KeyOffset, "unknown key %q in a tensor (expected name, shape, if, buffer)", m.Key)
				}
			}
		}
		if t.Name == "" || t.Shape == nil {
			if ok {
				p.errorf(it.Offset, "a tensor of %s needs a \"name\" and a \"shape\"", cl.Name)
			}
			continue
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}

// Tensor is a TensorSpec evaluated for one layer: its name and its shape.
type Tensor struct {
	Name   string
	Shape  []int64
	Buffer bool
}

// Elements is the number of elements of the tensor.
func (t Tensor) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// EvalTensors returns the tensors one instance of the class holds, given the layer's evaluated
// parameter values (defaults apply), leaving out those whose condition is false.
func (cl *Class) EvalTensors(args map[string]expr.Value) ([]Tensor, error) {
	s := cl.Scope(args)
	var out []Tensor
	for _, ts := range cl.Tensors {
		if ts.If != nil {
			v, err := ts.If.Eval(s)
			if err != nil {
				return nil, fmt.Errorf("the condition of tensor %s: %w", ts.Name, err)
			}
			if !v.IsBool() {
				return nil, fmt.Errorf("the condition of tensor %s is %s, not true or false", ts.Name, v)
			}
			if !v.Bool() {
				continue
			}
		}
		t := Tensor{Name: ts.Name, Buffer: ts.Buffer}
		for _, d := range ts.Shape {
			v, err := d.Eval(s)
			if err != nil {
				return nil, fmt.Errorf("the shape of tensor %s: %w", ts.Name, err)
			}
			n, ok := v.BigInt()
			if !ok || n.Sign() < 0 || !n.IsInt64() {
				return nil, fmt.Errorf("the shape of tensor %s: %s is not a dimension", ts.Name, v)
			}
			t.Shape = append(t.Shape, n.Int64())
		}
		out = append(out, t)
	}
	return out, nil
}
