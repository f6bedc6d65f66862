package schema_test

import (
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/schema"
)

// BenchmarkCheck is the schema stage of validate on the Llama-2-7b file and on DeepSeek-V3
// with every repeat expanded (equal layers shared, as validate reads them): each distinct
// layer content is checked once. Figures: docs/performance.md.
func BenchmarkCheck(b *testing.B) {
	if err := schema.Prepare(false); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"llama-2-7b-hf", "deepseek-v3-expanded"} {
		var src []byte
		var err error
		if name == "deepseek-v3-expanded" {
			src, err = bigmodel.ExpandedShipped("deepseek-v3")
		} else {
			src, err = bigmodel.Shipped(name)
		}
		if err != nil {
			b.Fatal(err)
		}
		doc, err := jsonpos.Parse("m.json", src, jsonpos.Options{Share: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p, err := schema.Check(doc.Root); err != nil || len(p) > 0 {
					b.Fatal(err, p)
				}
			}
		})
	}
}
