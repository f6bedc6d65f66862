package validate

import (
	"strings"
	"testing"
)

// TestPlannerKeys: the "routed" and "parallel" keys are checked — values declared and
// positive integers, a routed layer repeating once per expert with top_k at most its repeat,
// no routed layer inside another, a tensor-parallel role that fits the class — and a file
// whose experts are recognisable (weight_read_share) but unmarked gets one warning.
func TestPlannerKeys(t *testing.T) {
	expert := func(extra string) string {
		return `{"name": "w", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 2, "in_features": 4, "out_features": 4, "bias": false, "dtype_bytes": 2, "weight_read_share": 1}` + extra + `}`
	}
	cases := []struct {
		name string
		src  string
		want []finding
	}{
		// A layer whose weights are read in part, but not an expert (MLA's absorbed kv_b_proj):
		// not inside two repeated layers, no warning.
		{"weight_read_share outside experts", `{"layers": [{"name": "d", "class": "a.D", "repeat": 2, "sub_layers": [` + expert("") + `]}]}`, nil},
		{"routed experts", `{"layers": [{"name": "e", "class": "a.E", "repeat": 8, "routed": {"top_k": 2, "hidden_size": 4}, "sub_layers": [` + expert("") + `]}]}`, nil},
		{"unmarked experts", `{"layers": [{"name": "d", "class": "a.D", "repeat": 2, "sub_layers": [{"name": "e", "class": "a.E", "repeat": 8, "sub_layers": [` + expert("") + `, ` + expert("") + `]}]}]}`, []finding{
			// One warning for the file, at the first expert layer's name (columns counted from
			// the source: the value of the first "name": "w" is at byte 138).
			`1:138 warning unmarked-experts [d.e.w] this layer looks like a routed expert (a repeated layer inside repeated layers, its weight_read_share set) but no layer above it is marked "routed"…`,
			`1:323 error duplicate-name [d.e.w] duplicate layer name "w"…`,
		}},
		{"top_k over repeat", `{"layers": [{"name": "e", "class": "a.E", "repeat": 8, "routed": {"top_k": 9}, "sub_layers": [` + expert("") + `]}]}`, []finding{
			`1:76 error bad-value [e] routed.top_k is 9, more than the 8 experts the layer repeats`,
		}},
		{"top_k not a count", `{"variables": {"k": 1.5}, "layers": [{"name": "e", "class": "a.E", "repeat": 8, "routed": {"top_k": "{k}"}, "sub_layers": [` + expert("") + `]}]}`, []finding{
			`1:101 error bad-value [e] routed.top_k must be an integer ≥ 1, got 1.5 ("{k}" with the default variables)`,
		}},
		{"routed without repeat", `{"layers": [{"name": "e", "class": "a.E", "routed": {"top_k": 1}, "sub_layers": [` + expert("") + `]}]}`, []finding{
			`1:43 error routed [e] a routed layer repeats once per expert…`,
		}},
		{"routed inside routed", `{"layers": [{"name": "e", "class": "a.E", "repeat": 4, "routed": {"top_k": 1}, "sub_layers": [{"name": "f", "class": "a.F", "repeat": 2, "routed": {"top_k": 1}, "sub_layers": [` + expert("") + `]}]}]}`, []finding{
			`1:138 error routed [e.f] routed experts inside the routed experts of e…`,
		}},
		{"tp roles", `{"layers": [
{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parallel": {"tp": "column"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}},
{"name": "b", "class": "torch.nn.modules.activation.SiLU", "parallel": {"tp": "row"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}},
{"name": "c", "class": "torch.nn.modules.activation.SiLU", "parallel": {"tp": "heads"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}},
{"name": "d", ` + linear + `, "parallel": {"tp": "kv"}},
{"name": "e", ` + linear + `, "parallel": {"tp": "qkv", "kv_heads": 2}},
{"name": "f", ` + linear + `, "parallel": {"tp": "kv", "kv_heads": 0}},
{"name": "g", "class": "a.G", "parallel": {"tp": "column"}, "sub_layers": [` + silu + `]},
{"name": "h", ` + linear + `, "parallel": {"tp": "sideways"}}
]}`, []finding{
			`3:79 error parallel [b] tp row splits in_features, nx, none of which SiLU has`,
			`4:79 error parallel [c] tp heads splits num_heads and num_kv_heads, which SiLU does not have (column splits an output width)`,
			`5:180 error parallel [d] tp kv needs kv_heads: the key/value heads in the layer's output`,
			`6:180 error parallel [e] tp qkv needs heads and kv_heads: the query and key/value heads in the fused output`,
			`7:198 error bad-value [f] parallel.kv_heads must be an integer ≥ 1, got 0`,
			`8:50 error parallel [g] a tensor-parallel role belongs on basic layers…`,
			`9:180 error enum [h] "tp" must be one of column, row, vocab, heads, kv, qkv, replicated`,
		}},
		// split repeat: the instances of a per-head ModuleList split with the heads (any class);
		// a kv one needs no kv_heads (its repeat is them).
		{"tp split repeat", `{"layers": [
{"name": "a", "class": "torch.nn.modules.activation.SiLU", "repeat": 4, "parallel": {"tp": "column", "split": "repeat"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}},
{"name": "b", "class": "torch.nn.modules.activation.SiLU", "repeat": 2, "parallel": {"tp": "kv", "split": "repeat"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}},
{"name": "c", "class": "torch.nn.modules.activation.SiLU", "repeat": 4, "parallel": {"tp": "row", "split": "repeat"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}},
{"name": "d", "class": "torch.nn.modules.activation.SiLU", "parallel": {"tp": "column", "split": "repeat"}, "parameters": {"num_elements": 8, "dtype_bytes": 2}}
]}`, []finding{
			`4:108 error parallel [c] split repeat divides a layer's instances as its heads: it goes with tp column (one instance per query head) or kv (one per key/value head), not row`,
			`5:98 error parallel [d] split repeat divides the layer's repeat, and this layer has none…`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Source("t.json", []byte(c.src), Options{})
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, render(d))
			}
			ok := len(got) == len(c.want)
			for i := 0; ok && i < len(got); i++ {
				ok = matches(got[i], c.want[i])
			}
			if !ok {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(asStrings(c.want), "\n\t"))
			}
		})
	}
}
