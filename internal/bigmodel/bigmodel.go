// Package bigmodel writes large model files for benchmarks and memory tests: a shipped model
// with every repeat expanded into copies (the shape of a file exported layer by layer from a
// checkpoint), and a wide synthetic file of any number of layers. Both validate cleanly and
// give the same figures as the file they were built from, so a benchmark or a memory test on
// them measures modeltool's work on a real file, not on an error path.
package bigmodel

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
)

// Expand returns the model file src with every repeat expanded: a layer with repeat N becomes
// N copies named NAME_0 … NAME_N−1 (its aliases kept, so the copies stay one ModuleList), a
// placeholder repeat evaluated with the file's default variables, a repeat that works out to
// 0 dropped. The result describes the same model, so calc gives the same totals (active
// parameters aside: a routed layer's "routed" key, which says it repeats once per expert,
// goes with its repeat).
func Expand(src []byte) ([]byte, error) {
	f, err := model.Parse("model.json", src)
	if err != nil {
		return nil, err
	}
	scope := f.Scope(nil)
	root := f.Doc.Root.Clone()
	layers := root.Get("layers")
	items, err := expand(f.Layers, scope)
	if err != nil {
		return nil, err
	}
	layers.Items = items
	return jsonpos.Marshal(root), nil
}

func expand(ls []*model.Layer, scope expr.Env) ([]*jsonpos.Node, error) {
	var out []*jsonpos.Node
	for _, l := range ls {
		n, err := l.Repeats(scope)
		if err != nil {
			return nil, err
		}
		if !n.IsInt64() || n.Int64() > 1<<20 {
			return nil, fmt.Errorf("%s: repeat %s is too large to expand", l.Path, n)
		}
		subs, err := expand(l.SubLayers, scope)
		if err != nil {
			return nil, err
		}
		copies := int(n.Int64())
		for i := range copies {
			c := l.Node.Clone()
			if l.Composite {
				c.Set("sub_layers", jsonpos.NewArray(cloneAll(subs)...))
			}
			if l.Repeat != nil {
				c.Delete("repeat")
				c.Delete("routed") // it marks a layer that repeats once per expert
				c.Set("name", jsonpos.NewString(l.Name+"_"+strconv.Itoa(i)))
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func cloneAll(ns []*jsonpos.Node) []*jsonpos.Node {
	out := make([]*jsonpos.Node, len(ns))
	for i, n := range ns {
		out[i] = n.Clone()
	}
	return out
}

// Wide returns a compact model file (one line, no indentation) of n basic layers under one
// module: Linear, RMSNorm, SiLU and residual add in turn, each with its own name, so the file
// has only four distinct layer contents and grows by about 140 bytes a layer. It is the shape of
// the largest files modeltool must read in bounded memory (430,000 layers are about 60 MB, near
// the 64 MiB input limit).
func Wide(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"model_id":"wide","variables":{"hidden":4096},"layers":[{"name":"model","class":"m.Model","sub_layers":[`)
	kinds := [...]string{
		`"class":"torch.nn.modules.linear.Linear","parameters":{"num_tokens":"{seq_len}","in_features":"{hidden}","out_features":"{hidden}","bias":false,"dtype_bytes":2}`,
		`"class":"torch.nn.modules.normalization.RMSNorm","parameters":{"num_rows":"{seq_len}","hidden_size":"{hidden}","dtype_bytes":2}`,
		`"class":"torch.nn.modules.activation.SiLU","parameters":{"num_elements":"{seq_len}*{hidden}","dtype_bytes":2}`,
		`"class":"torch.add","parameters":{"num_elements":"{seq_len}*{hidden}","dtype_bytes":2}`,
	}
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"layer_%d",%s}`, i, kinds[i%len(kinds)])
	}
	b.WriteString("]}]}\n")
	return b.Bytes()
}

// Shipped returns the text of models/NAME.json of the checkout this package was built from
// (for tests and benchmarks, which run in their own package's folder).
func Shipped(name string) ([]byte, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("cannot locate the checkout")
	}
	return os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "models", name+".json"))
}

var expanded sync.Map // name → []byte

// ExpandedShipped returns Expand of the shipped model file NAME, made once per process.
func ExpandedShipped(name string) ([]byte, error) {
	if v, ok := expanded.Load(name); ok {
		return v.([]byte), nil
	}
	src, err := Shipped(name)
	if err != nil {
		return nil, err
	}
	out, err := Expand(src)
	if err != nil {
		return nil, err
	}
	expanded.Store(name, out)
	return out, nil
}
