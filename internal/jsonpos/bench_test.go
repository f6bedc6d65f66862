package jsonpos_test

import (
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// BenchmarkParse reads the shipped Llama-2-7b file, DeepSeek-V3 with every repeat expanded
// (42 MB, 75,696 basic layers) and a compact file of 100,000 layers, with and without sharing
// equal layers (Options.Share, as validate and calc read). Figures: docs/performance.md.
func BenchmarkParse(b *testing.B) {
	for _, in := range benchInputs(b) {
		for _, share := range []bool{false, true} {
			name := in.name + "/plain"
			if share {
				name = in.name + "/share"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(in.src)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := jsonpos.Parse("m.json", in.src, jsonpos.Options{Share: share}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type benchInput struct {
	name string
	src  []byte
}

func benchInputs(b *testing.B) []benchInput {
	llama, err := bigmodel.Shipped("llama-2-7b-hf")
	if err != nil {
		b.Fatal(err)
	}
	ds, err := bigmodel.ExpandedShipped("deepseek-v3")
	if err != nil {
		b.Fatal(err)
	}
	return []benchInput{{"llama-2-7b", llama}, {"deepseek-v3-expanded", ds}, {"wide-100k", bigmodel.Wide(100000)}}
}

// BenchmarkMarshal writes the parsed inputs of BenchmarkParse back as canonical JSON (what
// populate writes, and what it compares instances by).
func BenchmarkMarshal(b *testing.B) {
	for _, in := range benchInputs(b) {
		d, err := jsonpos.Parse("m.json", in.src, jsonpos.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.src)))
			b.ReportAllocs()
			for b.Loop() {
				jsonpos.Marshal(d.Root)
			}
		})
	}
}
