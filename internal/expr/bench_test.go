package expr

import "testing"

const (
	benchTypical = "{batch_size} * {seq_len} * 4096"
	benchCatalog = "2 * {num_tokens} * {in_features} * {out_features} + ({bias} ? {num_tokens} * {out_features} : 0)"
	benchMoE     = "{batch_size} * {seq_len} * {num_experts_per_tok} / {num_local_experts}"
)

var benchEnv = MapEnv{
	"batch_size": Int(1), "seq_len": Int(2048), "num_tokens": Int(2048), "in_features": Int(4096),
	"out_features": Int(11008), "bias": Bool(true), "num_experts_per_tok": Int(2), "num_local_experts": Int(8),
	"hidden_size": Int(4096),
}

var sinkExpr *Expr
var sinkValue Value

func BenchmarkParse(b *testing.B) {
	for _, bm := range []struct{ name, src string }{
		{"number", "4096"},
		{"typical", benchTypical},
		{"moe", benchMoE},
		{"catalog", benchCatalog},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.src)))
			for b.Loop() {
				e, err := Parse(bm.src)
				if err != nil {
					b.Fatal(err)
				}
				sinkExpr = e
			}
		})
	}
}

func BenchmarkParseEval(b *testing.B) {
	for _, bm := range []struct{ name, src string }{
		{"typical", benchTypical},
		{"moe", benchMoE},
		{"catalog", benchCatalog},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := Parse(bm.src)
				if err != nil {
					b.Fatal(err)
				}
				v, err := e.Eval(benchEnv)
				if err != nil {
					b.Fatal(err)
				}
				sinkValue = v
			}
		})
	}
}

func BenchmarkEval(b *testing.B) {
	for _, bm := range []struct{ name, src string }{
		{"typical", benchTypical},
		{"moe", benchMoE},
		{"catalog", benchCatalog},
		{"fraction", "{batch_size} * {seq_len} * {num_experts_per_tok} / 3 + 0.5"},
		{"big", "{seq_len} ** 6 * {in_features} ** 3"},
	} {
		e := MustParse(bm.src)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := e.Eval(benchEnv)
				if err != nil {
					b.Fatal(err)
				}
				sinkValue = v
			}
		})
	}
}

func BenchmarkEvalScope(b *testing.B) {
	e := MustParse("{kv_dim} * {seq_len}")
	b.ReportAllocs()
	for b.Loop() {
		s := NewScope(benchEnv)
		s.Define("head_dim", MustParse("{hidden_size} / 32"))
		s.Define("kv_dim", MustParse("{head_dim} * 8"))
		v, err := e.Eval(s)
		if err != nil {
			b.Fatal(err)
		}
		sinkValue = v
	}
}

func BenchmarkPartial(b *testing.B) {
	for _, bm := range []struct{ name, src string }{
		{"typical", "{batch_size} * {seq_len} * {hidden_size}"},
		{"catalog", benchCatalog},
	} {
		e := MustParse(bm.src)
		env := MapEnv{"hidden_size": Int(4096), "in_features": Int(4096), "out_features": Int(11008), "bias": Bool(false)}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := e.Partial(env)
				if err != nil {
					b.Fatal(err)
				}
				sinkExpr = p
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	e := MustParse(benchCatalog)
	b.ReportAllocs()
	for b.Loop() {
		if e.String() == "" {
			b.Fatal("empty")
		}
	}
}

// BenchmarkLayerKind evaluates what a template asks once per layer to find its kind: a
// character of a string pattern (ASCII, and one with a multi-byte character, both indexed in
// constant time) and an item of a list.
func BenchmarkLayerKind(b *testing.B) {
	long := make([]Value, 4096)
	for i := range long {
		long[i] = String("sliding_attention")
	}
	for _, bm := range []struct {
		name string
		p    Value
	}{
		{"string", String("LLLG")},
		{"long string", String(string(make([]byte, 1<<20)) + "G")},
		{"non-ASCII string", String("LLLG·" + string(make([]byte, 1<<20)))},
		{"integer", Int(4)},
		{"list", List(long)},
	} {
		e := MustParse("is_string({p}) ? {p}[{i} % len({p})] == 'G' : is_list({p}) ? {p}[{i} % len({p})] == 'full_attention' : ({i} + 1) % {p} == 0")
		env := MapEnv{"p": bm.p, "i": Int(4095)}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := e.Eval(env)
				if err != nil {
					b.Fatal(err)
				}
				sinkValue = v
			}
		})
	}
}
