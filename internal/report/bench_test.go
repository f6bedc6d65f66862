package report_test

import (
	"io"
	"testing"

	"github.com/modeltool/modeltool/internal/bigmodel"
	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/report"
)

// BenchmarkWriteFigures is the last stage of calc, each printer, on the Llama-2-7b file (19
// rows), Llama 4 Scout (593 rows, which the html page merges into fewer) and DeepSeek-V3 with
// every repeat expanded (75,696 rows), with a roofline.
// Figures: docs/performance.md.
func BenchmarkWriteFigures(b *testing.B) {
	dev, err := hardware.Lookup("H100-SXM")
	if err != nil {
		b.Fatal(err)
	}
	roof, err := calc.NewRoofline(dev, "bf16")
	if err != nil {
		b.Fatal(err)
	}
	llama, err := bigmodel.Shipped("llama-2-7b-hf")
	if err != nil {
		b.Fatal(err)
	}
	scout, err := bigmodel.Shipped("llama-4-scout-17b-16e-text")
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
	}{{"llama-2-7b", llama}, {"llama-4-scout", scout}, {"deepseek-v3-expanded", ds}} {
		f, err := model.ParseShared("m.json", in.src)
		if err != nil {
			b.Fatal(err)
		}
		res, err := calc.Compute(f, calc.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, format := range report.FigureFormats {
			b.Run(in.name+"/"+format, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := report.WriteFigures(io.Discard, format, res, report.FiguresOptions{Roofline: roof}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
