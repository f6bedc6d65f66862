package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strconv"
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
	// Generation, when set, is a generation timeline on the Roofline's device.
	Generation *calc.Generation
}

// WriteFigures writes a calculation in format.
func WriteFigures(w io.Writer, format string, res *calc.Result, opts FiguresOptions) error {
	switch format {
	case "table":
		return figuresTable(w, res, opts)
	case "json":
		return writeFiguresJSON(w, res, opts.Roofline, opts.Generation)
	case "csv":
		return figuresCSV(w, res, opts.Roofline)
	case "html":
		return figuresHTML(w, res, opts.Roofline, opts.Generation)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(FigureFormats, ", "))
}

func num(r *big.Rat) *jsonpos.Node { return jsonpos.NewNumber(Exact(r)) }

func valueNode(v expr.Value) *jsonpos.Node {
	kind, text := valueText(v)
	return &jsonpos.Node{Kind: kind, Offset: -1, Text: text}
}

// valueText is the JSON kind and text of a figure: a boolean, or its exact number.
func valueText(v expr.Value) (jsonpos.Kind, string) {
	if v.IsBool() {
		if v.Bool() {
			return jsonpos.Bool, "true"
		}
		return jsonpos.Bool, "false"
	}
	return jsonpos.Number, exactValue(v)
}

// exactValue is Exact of a figure (0 when undefined), without a big.Rat for the figures that
// fit in an int64 (nearly all).
func exactValue(v expr.Value) string {
	if n, ok := v.Int64(); ok {
		return strconv.FormatInt(n, 10)
	}
	return Exact(v.RatOrZero())
}

// figureFields are the per-layer and total figures of the JSON and CSV outputs.
var figureFields = []layers.Formula{layers.FormulaParams, layers.FormulaFLOPs, layers.FormulaBytesRead, layers.FormulaBytesWritten, layers.FormulaKVCacheBytes}

func sumNode(s *calc.Sum) *jsonpos.Node {
	o := jsonpos.NewObject()
	for _, k := range layers.Formulas {
		o.Set(k.String(), num(s.Get(k)))
	}
	o.Set("comm_bytes", num(ratOrNil(s.CommBytes)))
	return o
}

// ratOrNil is r, or 0 when nil.
func ratOrNil(r *big.Rat) *big.Rat {
	if r == nil {
		return new(big.Rat)
	}
	return r
}

func boundNode(b calc.Bound) *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("seconds", num(b.Seconds))
	o.Set("compute_seconds", num(b.ComputeSeconds))
	o.Set("memory_seconds", num(b.MemorySeconds))
	o.Set("communication_seconds", num(ratOrNil(b.CommSeconds)))
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

// writeFiguresJSON writes the --format json document (docs/output.md, "JSON output": figures of
// one instance per layer, count, and totals over all instances, shared weights once) a layer at
// a time, each layer's nodes in one reused slab, so a file of a million layers is never one
// tree of a million objects.
func writeFiguresJSON(w io.Writer, res *calc.Result, roof *calc.Roofline, gen *calc.Generation) error {
	doc := figuresDoc(res, roof)
	if gen != nil {
		doc.Set("generation", generationNode(gen))
	}
	text := jsonpos.Marshal(doc)
	const empty = "\n  \"layers\": []"
	at := bytes.Index(text, []byte(empty))
	if at < 0 || len(res.Rows) == 0 {
		_, err := w.Write(text)
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(text[:at])
	bw.WriteString("\n  \"layers\": [")
	var buf bytes.Buffer
	bounds := boundNodes{}
	var slab rowSlab
	for i := range res.Rows {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		slab.reset()
		jsonpos.WriteIndented(&buf, rowNode(&res.Rows[i], roof, bounds, &slab), 2)
		bw.Write(buf.Bytes())
	}
	bw.WriteString("\n  ]")
	bw.Write(text[at+len(empty):])
	return bw.Flush()
}

// figuresDoc is the --format json document with an empty "layers".
func figuresDoc(res *calc.Result, roof *calc.Roofline) *jsonpos.Node {
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
		if roof.Link != nil {
			hw.Set("interconnect", jsonpos.NewString(roof.Device.Interconnect))
			hw.Set("interconnect_bandwidth", num(roof.Link))
		}
		doc.Set("hardware", hw)
	}
	if p := res.Parallel; p != nil {
		doc.Set("parallel", parallelNode(p))
	}
	doc.Set("layers", jsonpos.NewArray())
	totals := sumNode(&res.Totals.Sum)
	totals.Set("active_params", num(ratOrNil(res.Totals.ActiveParams)))
	totals.Set("by_class", groupNode(res.Totals.ByClass))
	totals.Set("by_category", groupNode(res.Totals.ByCategory))
	if roof != nil {
		totals.Set("roofline", boundNode(roof.Total(res)))
	}
	doc.Set("totals", totals)
	if roof != nil {
		doc.Set("memory", memoryNode(calc.MemoryOn(res, roof.Device)))
	}
	return doc
}

// boundNodes holds the roofline objects made for rows: equal rows share their bound
// (calc.Roofline.Row), and its object is made once.
type boundNodes map[*big.Rat]*jsonpos.Node

func (m boundNodes) of(b calc.Bound) *jsonpos.Node {
	if n, ok := m[b.Seconds]; ok {
		return n
	}
	n := boundNode(b)
	m[b.Seconds] = n
	return n
}

// rowNode is one layer of the JSON document. With a slab its nodes are the slab's, valid until
// the slab is used again (a document written a row at a time); without, they are its own.
func rowNode(r *calc.Row, roof *calc.Roofline, bounds boundNodes, slab *rowSlab) *jsonpos.Node {
	o := slab.node(jsonpos.Object, "object")
	o.Members = slab.members()
	o.Set("path", slab.node(jsonpos.String, r.Path))
	o.Set("class", slab.node(jsonpos.String, r.Class))
	o.Set("category", slab.node(jsonpos.String, r.Category))
	o.Set("count", slab.node(jsonpos.Number, r.Count.String()))
	for _, k := range figureFields {
		o.Set(k.String(), slab.node(valueText(r.Figures.Get(k))))
	}
	o.Set("weight_bytes", slab.node(valueText(r.Figures.WeightBytes)))
	o.Set("comm_bytes", slab.node(jsonpos.Number, Exact(ratOrNil(r.CommBytes))))
	if r.TiedTo != "" {
		o.Set("tied_to", slab.node(jsonpos.String, r.TiedTo))
	}
	if roof != nil {
		o.Set("roofline", bounds.of(roof.Row(*r)))
	}
	return o
}

// rowSlab is the memory of one row object, used again for each row when a document is written
// a row at a time: a page of 600 layers does not allocate 9,000 nodes.
type rowSlab struct {
	nodes [16]jsonpos.Node
	used  int
	mem   [12]jsonpos.Member
}

// reset hands the slab's nodes out again.
func (s *rowSlab) reset() { s.used = 0 }

// node returns a node of the slab (a new one on a nil or full slab).
func (s *rowSlab) node(kind jsonpos.Kind, text string) *jsonpos.Node {
	if s == nil || s.used == len(s.nodes) {
		return &jsonpos.Node{Kind: kind, Offset: -1, Text: text}
	}
	n := &s.nodes[s.used]
	s.used++
	*n = jsonpos.Node{Kind: kind, Offset: -1, Text: text}
	return n
}

// members returns the slab's members, empty (a new slice on a nil slab).
func (s *rowSlab) members() []jsonpos.Member {
	if s == nil {
		return make([]jsonpos.Member, 0, 12)
	}
	return s.mem[:0]
}

// parallelNode describes the device of a parallel result.
func parallelNode(p *calc.ParallelInfo) *jsonpos.Node {
	o := jsonpos.NewObject()
	for _, d := range []struct {
		k string
		v int
	}{{"tp", p.TP}, {"pp", p.PP}, {"ep", p.EP}, {"dp", p.DP}} {
		o.Set(d.k, jsonpos.NewNumber(fmt.Sprint(d.v)))
	}
	o.Set("devices", jsonpos.NewNumber(p.Devices().String()))
	o.Set("stage", jsonpos.NewNumber(fmt.Sprint(p.Stage+1)))
	o.Set("units", jsonpos.NewNumber(p.Units.String()))
	o.Set("batch_size", valueNode(p.BatchSize))
	o.Set("expert_batch_size", valueNode(p.ExpertBatchSize))
	return o
}

// memoryNode is the memory object: what one device holds against its capacity.
func memoryNode(m calc.Memory) *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("weights", num(m.Weights))
	o.Set("kv_cache", num(m.KVCache))
	o.Set("activations", num(m.Activations))
	o.Set("total", num(m.Total))
	if m.Known {
		o.Set("capacity", num(m.Capacity))
		o.Set("fits", jsonpos.NewBool(m.Fits))
	} else {
		o.Set("capacity", jsonpos.NewNull())
		o.Set("fits", jsonpos.NewNull())
	}
	return o
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
	header = append(header, "weight_bytes", "comm_bytes", "tied_to")
	if roof != nil {
		header = append(header, "seconds", "intensity", "bound")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	roofs := map[*big.Rat][]string{} // equal rows share their bound (calc.Roofline.Row)
	rec := make([]string, 0, len(header))
	for _, r := range res.Rows {
		rec = append(rec[:0], r.Path, r.Class, r.Category, r.Count.String())
		for _, k := range figureFields {
			rec = append(rec, exactValue(r.Figures.Get(k)))
		}
		rec = append(rec, exactValue(r.Figures.WeightBytes), Exact(ratOrNil(r.CommBytes)), r.TiedTo)
		if roof != nil {
			b := roof.Row(r)
			cells, ok := roofs[b.Seconds]
			if !ok {
				intensity := ""
				if b.Intensity != nil {
					intensity = Exact(b.Intensity)
				}
				cells = []string{Exact(b.Seconds), intensity, b.Limit}
				roofs[b.Seconds] = cells
			}
			rec = append(rec, cells...)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// generationNode is the generation object: the prompt and output tokens and the times.
func generationNode(g *calc.Generation) *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("input_tokens", jsonpos.NewNumber(fmt.Sprint(g.In)))
	o.Set("output_tokens", jsonpos.NewNumber(fmt.Sprint(g.Out)))
	o.Set("batch_size", valueNode(g.Batch))
	o.Set("ttft_seconds", num(g.TTFT))
	o.Set("tpot_seconds", num(g.TPOT))
	o.Set("decode_seconds", num(g.Decode))
	o.Set("total_seconds", num(g.Total))
	o.Set("tokens_per_second", num(g.TokensPerSecond))
	o.Set("peak_memory", memoryNode(g.PeakMemory))
	return o
}

// FitDevices says what fit's answer fits on: "one H100-SXM", or for a model spread over
// devices "2 × H100-SXM, each holding the memory below" with the batch's step when it is one.
func FitDevices(fit *calc.Fit, device string) string {
	if fit.Devices == nil || fit.Devices.Cmp(big.NewInt(1)) <= 0 {
		return "one " + device
	}
	s := fmt.Sprintf("%s × %s", fit.Devices, device)
	if fit.Variable == "batch_size" && fit.Step.Cmp(big.NewInt(1)) > 0 {
		s += fmt.Sprintf(" (a multiple of ep × dp = %s; each device holds the memory below)", fit.Step)
	} else {
		s += " (each device holds the memory below)"
	}
	return s
}

// TrainedContext is the longest sequence a model was trained for, when its file or config says:
// Positions (max_position_embeddings) from Source, a file or variable name.
type TrainedContext struct {
	Positions *big.Int
	Source    string
}

// trainedContextNode is the JSON form of a trained context against the context the answer
// reaches: {"max_position_embeddings", "source", "context", "exceeded"}.
func trainedContextNode(t *TrainedContext, context *big.Int) *jsonpos.Node {
	o := jsonpos.NewObject()
	o.Set("max_position_embeddings", jsonpos.NewNumber(t.Positions.String()))
	o.Set("source", jsonpos.NewString(t.Source))
	o.Set("context", jsonpos.NewNumber(context.String()))
	o.Set("exceeded", jsonpos.NewBool(context.Cmp(t.Positions) > 0))
	return o
}

// WriteFit writes fit's answer: text, or the JSON document {answer: N, "memory": {…}}. trained,
// when known, is the longest context the model was trained for: the document then has a
// "trained_context" object, and the text a note when the answer's context (seq_len + past_len)
// goes beyond it — the memory allows it, the model was not trained for it.
func WriteFit(w io.Writer, format string, fit *calc.Fit, answer, device string, trained *TrainedContext) error {
	var context *big.Int
	if trained != nil && fit.Max.Sign() > 0 {
		if c := new(big.Rat).Add(fit.Result.Variable("seq_len").RatOrZero(), fit.Result.Variable("past_len").RatOrZero()); c.IsInt() {
			context = new(big.Int).Set(c.Num())
		}
	}
	if format == "json" {
		o := jsonpos.NewObject()
		o.Set(answer, jsonpos.NewNumber(fit.Max.String()))
		o.Set("hardware", jsonpos.NewString(device))
		o.Set("memory", memoryNode(fit.Memory))
		if fit.Max.Sign() > 0 {
			o.Set("next", memoryNode(fit.Next))
		}
		if context != nil {
			o.Set("trained_context", trainedContextNode(trained, context))
		}
		_, err := w.Write(jsonpos.Marshal(o))
		return err
	}
	var b strings.Builder
	what, next := "batch", "a batch of"
	if fit.Variable == "seq_len" {
		what, next = "context (seq_len)", "a context of"
	}
	on := FitDevices(fit, device)
	if fit.Max.Sign() == 0 {
		fmt.Fprintf(&b, "%s: 0 — nothing fits on %s\n", answer, on)
		fmt.Fprintf(&b, "at the smallest, %s %s: ", next, fit.Step)
		writeMemory(&b, fit.Memory, device, false, false)
	} else {
		largest := "largest"
		if fit.Variable == "seq_len" {
			largest = "longest"
		}
		fmt.Fprintf(&b, "%s: %s — the %s %s that fits on %s\n", answer, fit.Max, largest, what, on)
		writeMemory(&b, fit.Memory, device, false, false)
		// The probe one step up is the reason the answer is the largest: said as a fact, not
		// a warning about the answer.
		m := fit.Next
		nextValue := new(big.Int).Add(fit.Max, fit.Step).String()
		if fit.Step.Cmp(big.NewInt(1)) > 0 {
			nextValue += fmt.Sprintf(" (the next multiple of %s)", fit.Step)
		}
		fmt.Fprintf(&b, "%s %s does not fit: weights %s + KV cache %s + activations %s = %s, %s over its %s\n",
			next, nextValue, Human(m.Weights, "B"), Human(m.KVCache, "B"), Human(m.Activations, "B"),
			Human(m.Total, "B"), Human(new(big.Rat).Sub(m.Total, m.Capacity), "B"), capacity(m.Capacity))
		if context != nil && context.Cmp(trained.Positions) > 0 {
			fmt.Fprintf(&b, "note: a context of %s tokens is beyond the %s positions the model was trained for (%s): the memory allows it, the model may not work that far\n",
				Grouped(new(big.Rat).SetInt(context)), Grouped(new(big.Rat).SetInt(trained.Positions)), trained.Source)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
