package model_test

import (
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/model"
)

// BenchmarkRead is the first stage of validate and calc: parsing a model file (equal layers
// sharing their nodes) and building its layers. Figures: docs/performance.md.
func BenchmarkRead(b *testing.B) {
	llama, err := bigmodel.Shipped("llama-2-7b-hf")
	if err != nil {
		b.Fatal(err)
	}
	ds, err := bigmodel.ExpandedShipped("deepseek-v3")
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		src  []byte
	}{{"llama-2-7b", llama}, {"deepseek-v3-expanded", ds}, {"wide-100k", bigmodel.Wide(100000)}} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := model.ParseShared("m.json", in.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
