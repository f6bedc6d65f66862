package layers_test

import (
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
)

// BenchmarkEvaluate evaluates one layer of a class from its parameters: what validate and calc
// do once per distinct layer content. Figures: docs/performance.md.
func BenchmarkEvaluate(b *testing.B) {
	cat := layers.Builtin()
	for _, c := range []struct {
		class string
		args  map[string]expr.Value
	}{
		{"torch.nn.modules.linear.Linear", map[string]expr.Value{
			"num_tokens": expr.Int(2048), "in_features": expr.Int(4096), "out_features": expr.Int(11008),
			"bias": expr.Bool(false), "dtype_bytes": expr.Int(2)}},
		{"torch.nn.functional.scaled_dot_product_attention", map[string]expr.Value{
			"batch_size": expr.Int(1), "q_len": expr.Int(2048), "kv_len": expr.Int(2048), "num_heads": expr.Int(32),
			"num_kv_heads": expr.Int(8), "head_dim": expr.Int(128), "causal": expr.Bool(true), "dtype_bytes": expr.Int(2)}},
	} {
		cl := cat.Lookup(c.class)
		if cl == nil {
			b.Fatalf("no class %s", c.class)
		}
		if _, err := cl.Evaluate(c.args); err != nil {
			b.Fatal(err)
		}
		b.Run(layers.ShortName(c.class), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cl.Evaluate(c.args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
