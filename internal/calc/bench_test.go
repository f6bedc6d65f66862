package calc_test

import (
	"bytes"
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/model"
)

// BenchmarkComputeRepeat shows that the cost of calc depends on the distinct layers of a file,
// not on its repeat counts: 32 and 32,000 decoder layers take the same time.
func BenchmarkComputeRepeat(b *testing.B) {
	src, err := bigmodel.Shipped("llama-2-7b-hf")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, repeat string }{{"repeat=32", "32"}, {"repeat=32000", "32000"}} {
		data := bytes.Replace(src, []byte(`"repeat": 32,`), []byte(`"repeat": `+c.repeat+`,`), 1)
		f, err := model.Parse("bench.json", data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Compute(f, calc.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompute is the calc stage after reading (validation excluded) on the shipped
// DeepSeek-V3 file, the same with every repeat expanded (75,696 rows, 29 distinct layers) and
// a compact file of 100,000 layers.
func BenchmarkCompute(b *testing.B) {
	shipped, err := bigmodel.Shipped("deepseek-v3")
	if err != nil {
		b.Fatal(err)
	}
	expanded, err := bigmodel.ExpandedShipped("deepseek-v3")
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		src  []byte
	}{{"deepseek-v3", shipped}, {"deepseek-v3-expanded", expanded}, {"wide-100k", bigmodel.Wide(100000)}} {
		f, err := model.ParseShared("m.json", in.src)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Compute(f, calc.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
