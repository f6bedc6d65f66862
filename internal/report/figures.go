package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
)

// FigureFormats lists the formats of WriteFigures.
var FigureFormats = []string{"table", "json", "csv", "html"}

// FiguresOptions tune WriteFigures.
type FiguresOptions struct {
	// Exact prints every digit in the table instead of readable units.
	Exact bool
	// Roofline, when set, adds time bounds on a device.
	Roofline *calc.Roofline
	// Color enables ANSI colour in the table.
	Color bool
}

// WriteFigures writes a calculation in format.
func WriteFigures(w io.Writer, format string, res *calc.Result, opts FiguresOptions) error {
	switch format {
	case "table":
		return figuresTable(w, res, opts)
	case "json":
		_, err := w.Write(jsonpos.Marshal(FiguresJSON(res, opts.Roofline)))
		return err
	case "csv":
		return figuresCSV(w, res, opts.Roofline)
	case "html":
		return figuresHTML(w, res, opts.Roofline)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(FigureFormats, ", "))
}

func num(r *big.Rat) *jsonpos.Node { return jsonpos.NewNumber(Exact(r)) }

func valueNode(v expr.Value) *jsonpos.Node {
	if v.IsBool() {
		return jsonpos.NewBool(v.Bool())
	}
	return num(v.RatOrZero())
}

// figureFields are the per-layer and total figures of the JSON and CSV outputs.
var figureFields = []layers.Formula{layers.FormulaParams, layers.FormulaFLOPs, layers.FormulaBytesRead, layers.FormulaBytesWritten, layers.FormulaKVCacheBytes}

func sumNode(s *calc.Sum) *jsonpos.Node {
	o := jsonpos.NewObject()
	for _, k := range layers.Formulas {
		o.Set(k.String(), num(s.Get(k)))
	}
	return o
}

func boundNode(b calc.Bound) *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("seconds", num(b.Seconds))
	o.Set("compute_seconds", num(b.ComputeSeconds))
	o.Set("memory_seconds", num(b.MemorySeconds))
	if b.Intensity != nil {
		o.Set("intensity", num(b.Intensity))
	} else {
		o.Set("intensity", jsonpos.NewNull())
	}
	if b.Limit != "" {
		o.Set("bound", jsonpos.NewString(b.Limit))
	} else {
		o.Set("bound", jsonpos.NewNull())
	}
	return o
}

// FiguresJSON builds the --format json document (README "JSON output"): figures of one instance
// per layer, count, and totals over all instances (shared weights once).
func FiguresJSON(res *calc.Result, roof *calc.Roofline) *jsonpos.Node {
	doc := jsonpos.NewObject()
	doc.Set("model_id", jsonpos.NewString(res.ModelID))
	vars := jsonpos.NewObject()
	for _, v := range res.Variables {
		vars.Set(v.Name, valueNode(v.Value))
	}
	doc.Set("variables", vars)
	if roof != nil {
		hw := jsonpos.NewObject()
		hw.Set("name", jsonpos.NewString(roof.Device.Name))
		hw.Set("dtype", jsonpos.NewString(roof.DType))
		hw.Set("peak_flops", num(roof.Peak))
		hw.Set("memory_bandwidth", num(roof.Bandwidth))
		doc.Set("hardware", hw)
	}
	rows := jsonpos.NewArray()
	for _, r := range res.Rows {
		o := jsonpos.NewObject()
		o.Set("path", jsonpos.NewString(r.Path))
		o.Set("class", jsonpos.NewString(r.Class))
		o.Set("category", jsonpos.NewString(r.Category))
		o.Set("count", jsonpos.NewNumber(r.Count.String()))
		for _, k := range figureFields {
			o.Set(k.String(), valueNode(r.Figures.Get(k)))
		}
		o.Set("weight_bytes", valueNode(r.Figures.WeightBytes))
		if r.TiedTo != "" {
			o.Set("tied_to", jsonpos.NewString(r.TiedTo))
		}
		if roof != nil {
			o.Set("roofline", boundNode(roof.Row(r)))
		}
		rows.Items = append(rows.Items, o)
	}
	doc.Set("layers", rows)
	totals := sumNode(&res.Totals.Sum)
	totals.Set("by_class", groupNode(res.Totals.ByClass))
	totals.Set("by_category", groupNode(res.Totals.ByCategory))
	if roof != nil {
		totals.Set("roofline", boundNode(roof.Total(res)))
	}
	doc.Set("totals", totals)
	return doc
}

func groupNode(m map[string]*calc.Sum) *jsonpos.Node {
	o := jsonpos.NewObject()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		o.Set(k, sumNode(m[k]))
	}
	return o
}

func figuresCSV(w io.Writer, res *calc.Result, roof *calc.Roofline) error {
	cw := csv.NewWriter(w)
	header := []string{"path", "class", "category", "count"}
	for _, k := range figureFields {
		header = append(header, k.String())
	}
	header = append(header, "weight_bytes", "tied_to")
	if roof != nil {
		header = append(header, "seconds", "intensity", "bound")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range res.Rows {
		rec := []string{r.Path, r.Class, r.Category, r.Count.String()}
		for _, k := range figureFields {
			rec = append(rec, Exact(r.Figures.Get(k).RatOrZero()))
		}
		rec = append(rec, Exact(r.Figures.WeightBytes.RatOrZero()), r.TiedTo)
		if roof != nil {
			b := roof.Row(r)
			intensity := ""
			if b.Intensity != nil {
				intensity = Exact(b.Intensity)
			}
			rec = append(rec, Exact(b.Seconds), intensity, b.Limit)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
