package populate

import (
	"fmt"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
)

// configEnv resolves config keys only; everything else (the variables chosen at calc time)
// stays a placeholder.
type configEnv struct{ b *binding }

func (e configEnv) Lookup(name string) (expr.Value, error) {
	if e.b.tpl.Template.ConfigKey(name) == nil {
		return expr.Value{}, fmt.Errorf("{%s}: %w", name, expr.ErrUnbound)
	}
	return e.b.scope.Lookup(name)
}

// generated is a model file built from a template, with what populate needs to fill other
// files from it.
type generated struct {
	root *jsonpos.Node
	// layers maps each generated layer object to the template's aliases of its name.
	aliases map[*jsonpos.Node][]string
}

// value partially evaluates a template value: a constant becomes a JSON number or boolean, the
// rest a canonical placeholder string.
func (b *binding) value(v *model.Value, where string) (*jsonpos.Node, error) {
	if v.Err != nil {
		return nil, fmt.Errorf("%s: %w", where, v.Err)
	}
	p, err := v.Expr.Partial(configEnv{b})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if c, ok := p.IsConst(); ok {
		if c.IsBool() {
			return jsonpos.NewBool(c.Bool()), nil
		}
		// Integers and terminating decimals are JSON numbers; 1/3 stays an expression.
		if s, exact := c.Decimal(64); exact {
			return jsonpos.NewNumber(s), nil
		}
	}
	return jsonpos.NewString(p.String()), nil
}

// generate builds the model file the template describes for the config.
func (b *binding) generate() (*generated, error) {
	g := &generated{aliases: map[*jsonpos.Node][]string{}}
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
				n, err := b.value(&v.Value, "variables."+v.Name)
				if err != nil {
					return nil, err
				}
				vars.Set(v.Name, n)
			}
			root.Set("variables", vars)
		case "layers":
			arr, err := b.layers(b.tpl.Layers, g)
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

func (b *binding) layers(ls []*model.Layer, g *generated) (*jsonpos.Node, error) {
	arr := jsonpos.NewArray()
	for _, l := range ls {
		if l.If != nil {
			n, err := b.value(l.If, l.Path+": if")
			if err != nil {
				return nil, err
			}
			if n.Kind != jsonpos.Bool {
				return nil, fmt.Errorf("%s: the condition %q does not reduce to true or false from the config", l.Path, l.If.Node.Text)
			}
			if !n.BoolValue() {
				continue
			}
		}
		out := jsonpos.NewObject()
		var aliases []string
		for _, m := range l.Node.Members {
			switch m.Key {
			case "if":
				continue
			case "aliases":
				for _, it := range m.Value.Items {
					aliases = append(aliases, it.Text)
				}
				continue
			case "repeat":
				n, err := b.value(l.Repeat, l.Path+": repeat")
				if err != nil {
					return nil, err
				}
				if n.Kind == jsonpos.Number {
					v, _ := expr.ParseNumber(n.Text)
					if !v.IsInt() || v.Sign() < 0 {
						return nil, fmt.Errorf("%s: repeat works out to %s from the config, not a count", l.Path, n.Text)
					}
					if v.Sign() == 0 {
						// No instances: the layer does not exist in this model.
						out = nil
					}
				}
				if out != nil {
					out.Set("repeat", n)
				}
			case "parameters":
				params := jsonpos.NewObject()
				for _, p := range l.Parameters {
					n, err := b.value(&p.Value, l.Path+": parameter "+p.Name)
					if err != nil {
						return nil, err
					}
					params.Set(p.Name, n)
				}
				out.Set("parameters", params)
			case "sub_layers":
				subs, err := b.layers(l.SubLayers, g)
				if err != nil {
					return nil, err
				}
				out.Set("sub_layers", subs)
			default:
				out.Set(m.Key, m.Value.Clone())
			}
			if out == nil {
				break
			}
		}
		if out == nil {
			continue
		}
		if len(aliases) > 0 {
			g.aliases[out] = aliases
		}
		arr.Items = append(arr.Items, out)
	}
	return arr, nil
}
