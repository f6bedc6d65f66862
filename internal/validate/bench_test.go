package validate

import (
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/schema"
)

type benchInput struct {
	name string
	src  []byte
}

func benchInputs(b *testing.B) []benchInput {
	var out []benchInput
	for _, name := range []string{"llama-2-7b-hf", "deepseek-v3"} {
		src, err := bigmodel.Shipped(name)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchInput{name, src})
	}
	ds, err := bigmodel.ExpandedShipped("deepseek-v3")
	if err != nil {
		b.Fatal(err)
	}
	return append(out, benchInput{"deepseek-v3-expanded", ds}, benchInput{"wide-100k", bigmodel.Wide(100000)})
}

// BenchmarkValidate is the whole of validate in-process (read, schema, catalog checks,
// evaluation of each distinct layer) on the shipped Llama-2-7b and DeepSeek-V3 files,
// DeepSeek-V3 with every repeat expanded (42 MB, 75,696 basic layers) and a compact file of
// 100,000 layers. Figures: docs/performance.md.
func BenchmarkValidate(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.src)))
			b.ReportAllocs()
			for b.Loop() {
				if res := Source("m.json", in.src, Options{}); len(res.Diagnostics) > 0 {
					b.Fatal(res.Diagnostics[0])
				}
			}
		})
	}
}

// BenchmarkCatalogChecks is the stage of validate after reading, without the schema check
// (which runs beside it): the catalog's classes and parameters, the placeholders, each distinct
// layer evaluated with the default variables, the structural rules.
func BenchmarkCatalogChecks(b *testing.B) {
	defer func(old func(*jsonpos.Node) ([]schema.Problem, error)) { checkSchema = old }(checkSchema)
	checkSchema = func(*jsonpos.Node) ([]schema.Problem, error) { return nil, nil }
	for _, in := range benchInputs(b) {
		f, err := model.ParseShared("m.json", in.src)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ds := File(f, Options{}); len(ds) > 0 {
					b.Fatal(ds[0])
				}
			}
		})
	}
}
