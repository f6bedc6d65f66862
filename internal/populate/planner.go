package populate

import (
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
)

// plannerKey writes a template layer's "routed" or "parallel" object with its counts (top_k,
// hidden_size, heads, kv_heads) partially evaluated like parameters; the role words (tp, pp)
// are copied as they are.
func plannerKey(l *model.Layer, key string, src *jsonpos.Node, e *env) (*jsonpos.Node, error) {
	values := map[string]*model.Value{}
	switch {
	case key == "routed" && l.Routed != nil:
		values["top_k"] = l.Routed.TopK
		values["hidden_size"] = l.Routed.HiddenSize
	case key == "parallel" && l.Parallel != nil:
		values["heads"] = l.Parallel.Heads
		values["kv_heads"] = l.Parallel.KVHeads
	}
	if src.Kind != jsonpos.Object {
		return src.Clone(), nil
	}
	out := jsonpos.NewObject()
	for _, m := range src.Members {
		v := values[m.Key]
		if v == nil {
			out.Set(m.Key, m.Value.Clone())
			continue
		}
		n, err := e.value(v, l.Path+": "+key+"."+m.Key)
		if err != nil {
			return nil, err
		}
		out.Set(m.Key, n)
	}
	return out, nil
}
