package weights

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/safetensors"
)

// auxiliaries are the tensors quantized checkpoints keep beside a weight: scales, zero points,
// group indices. They are not parameters of the model.
var auxiliaries = map[string]string{
	"qzeros": "gptq", "scales": "gptq", "g_idx": "gptq",
	"weight_scale_inv": "fp8", "weight_scale": "fp8", "input_scale": "fp8", "weight_zero_point": "fp8",
	"weight_scale_2": "fp4", "weight_global_scale": "fp4", "input_global_scale": "fp4",
	"weight_scales": "mxfp4",
}

// buffers are tensors some checkpoints hold that are not parameters of any module: causal masks
// of GPT-2-era attention (attn.bias, attn.masked_bias) and rotary tables.
var buffers = []string{"masked_bias", "inv_freq"}

func (c *checker) add(l *model.Layer, sev diag.Severity, code, msg string) {
	d := c.f.Doc.Diagnostic(l.Offset(nameOffset(l)), code, msg)
	d.Severity, d.Pointer, d.Layer = sev, l.Pointer, l.Path
	c.res.Diagnostics = append(c.res.Diagnostics, d)
}

// addFile records a finding of the model file as a whole, at its "layers" key (the model the
// file describes), so every finding has a line and column.
func (c *checker) addFile(sev diag.Severity, code, msg string) {
	d := c.f.Doc.Diagnostic(FileOffset(c.f), code, msg)
	d.Severity = sev
	c.res.Diagnostics = append(c.res.Diagnostics, d)
}

// FileOffset is where a finding about a whole model file points: its "layers" key, else the
// start of its top-level value.
func FileOffset(f *model.File) int {
	root := f.Doc.Root
	if m := root.Member("layers"); m != nil {
		return m.KeyOffset
	}
	return root.Offset
}

// nameOffset is the offset of the layer's name value, where its findings point.
func nameOffset(l *model.Layer) int {
	if n := l.Node.Get("name"); n != nil {
		return n.Offset
	}
	return l.Node.Offset
}

// tensor accounts for one tensor of the checkpoint.
func (c *checker) tensor(t *safetensors.Tensor) {
	m := c.resolve(c.base, strings.Split(t.Name, "."))
	if m.layer == nil {
		if c.isBuffer(t) {
			return
		}
		c.unused(t, m.deepest)
		return
	}
	n := m.layer
	if n.layer.TiedTo != "" {
		// Checkpoints usually drop a tied copy; one that keeps it is not counted twice.
		return
	}
	if n.class == nil || n.specErr != nil {
		return // the validator reports an unknown class or a value that does not evaluate
	}
	if n.class.Tensors == nil {
		if !c.unchecked[n.class.Name] {
			if c.unchecked == nil {
				c.unchecked = map[string]bool{}
			}
			c.unchecked[n.class.Name] = true
			c.add(n.layer, diag.Warning, CodeUnchecked, fmt.Sprintf("the catalog does not say which tensors %s holds, so %s and the other tensors of its layers are not checked (add \"tensors\" to the class: docs/authoring.md)", shortClass(n.class.Name), tensorName(t.Name)))
		}
		c.res.CheckpointParams.Add(c.res.CheckpointParams, big.NewInt(t.Elements()))
		return
	}
	local := m.local
	fusedAt, fused := m.fused()
	fusedRepeat := int64(1)
	if fused {
		fusedRepeat = n.lists()[fusedAt].repeat
		if local == "" {
			local = "weight" // gpt-oss: experts.gate_up_proj is the weight itself
		}
	}
	if _, ok := auxiliaries[local]; ok && c.hasSpec(n, "weight") {
		// A scale or zero point: not a parameter, but of a shape the weight and its blocks set.
		w := n.specs[slices.IndexFunc(n.specs, func(s layers.Tensor) bool { return s.Name == "weight" })].Shape
		if fused {
			w = append([]int64{fusedRepeat}, w...)
		}
		c.auxiliary(t, n, local, w)
		return
	}
	if strings.HasPrefix(local, "weight.") && c.hasSpec(n, "weight") {
		return // bitsandbytes: weight.absmax, weight.quant_map, weight.quant_state…
	}
	specName, format := local, ""
	switch local {
	case "qweight":
		specName = "weight"
	case "weight_blocks":
		specName, format = "weight", "mxfp4"
	}
	i := slices.IndexFunc(n.specs, func(s layers.Tensor) bool { return s.Name == specName })
	if i < 0 {
		if c.isBuffer(t) {
			return
		}
		c.unused(t, n)
		return
	}
	spec := n.specs[i]
	want := spec.Shape
	if fused {
		want = append([]int64{fusedRepeat}, want...)
	}
	ok, how := logicalShape(t, local, want)
	if format == "" {
		format = how
	}
	if !ok {
		c.add(n.layer, diag.Error, CodeShape, shapeMessage(t, n, spec, want, fused))
	}
	if ok && format != "" {
		c.res.Quantized[format]++
	}
	key := instanceKey(m.indices)
	if n.covered[spec.Name] == nil {
		n.covered[spec.Name] = map[string]bool{}
	}
	if n.covered[spec.Name][key] {
		return // one instance stored twice (a weight and its packed form): counted once
	}
	n.covered[spec.Name][key] = true
	switch {
	case spec.Buffer:
	case !ok:
		// A tensor of the wrong shape is reported once, as such: its instance is not also
		// missing, and the checkpoint's total counts what it holds.
		c.res.CheckpointParams.Add(c.res.CheckpointParams, big.NewInt(t.Elements()))
	default:
		elems := big.NewInt(spec.Elements())
		c.res.CheckpointParams.Add(c.res.CheckpointParams, elems.Mul(elems, big.NewInt(fusedRepeat)))
	}
}

// lists returns the list nodes on the path down to n (n included), outermost first: one per
// index of an instance.
func (n *node) lists() []*node {
	var out []*node
	for _, x := range n.path() {
		if x.list {
			out = append(out, x)
		}
	}
	return out
}

func (c *checker) hasSpec(n *node, name string) bool {
	return slices.ContainsFunc(n.specs, func(s layers.Tensor) bool { return s.Name == name })
}

// isBuffer reports tensors that are buffers of modules rather than parameters: rotary tables,
// GPT-2's masks (attn.bias of shape [1, 1, n, n]).
func (c *checker) isBuffer(t *safetensors.Tensor) bool {
	last := t.Name[strings.LastIndexByte(t.Name, '.')+1:]
	if slices.Contains(buffers, last) {
		return true
	}
	return last == "bias" && len(t.Shape) == 4 && t.Shape[0] == 1 && t.Shape[1] == 1 && t.Shape[2] == t.Shape[3]
}

// logicalShape reports whether a stored tensor stands for a tensor of shape want, and the
// quantized format it is stored in ("" for plain storage).
func logicalShape(t *safetensors.Tensor, local string, want []int64) (bool, string) {
	if slices.Equal(t.Shape, want) {
		if t.DType == "F8_E4M3" || t.DType == "F8_E5M2" {
			return true, "fp8"
		}
		return true, ""
	}
	// A fused tensor may hold each instance transposed ([experts, in, out]).
	if len(want) == 3 && len(t.Shape) == 3 && t.Shape[0] == want[0] && t.Shape[1] == want[2] && t.Shape[2] == want[1] {
		return true, ""
	}
	wantElems := product(want)
	switch {
	case local == "qweight" && len(want) == 2 && len(t.Shape) == 2 && (t.DType == "I32" || t.DType == "U32"):
		out, in := want[0], want[1]
		for _, bits := range []int64{4, 8, 2, 3} {
			if t.Shape[1] == out && t.Shape[0]*32 == in*bits {
				return true, "gptq"
			}
			if t.Shape[0] == in && t.Shape[1]*32 == out*bits {
				return true, "awq"
			}
		}
	case local == "weight_blocks" && len(t.Shape) >= 2 && t.DType == "U8":
		// MXFP4: [..., out, in/32, 16] bytes of two 4-bit values each.
		n := len(t.Shape)
		lead := append(slices.Clone(t.Shape[:n-2]), t.Shape[n-2]*t.Shape[n-1]*2)
		if slices.Equal(lead, want) || len(want) == 3 && len(lead) == 3 && lead[0] == want[0] && lead[1] == want[2] && lead[2] == want[1] {
			return true, "mxfp4"
		}
	case (t.DType == "U8" || t.DType == "I8") && local == "weight":
		// Two 4-bit values a byte: NVFP4 [out, in/2], bitsandbytes [elements/2, 1].
		if 2*t.Elements() == wantElems || 2*t.Elements() == wantElems+1 {
			return true, "fp4"
		}
	}
	return false, ""
}

func product(s []int64) int64 {
	n := int64(1)
	for _, d := range s {
		n *= d
	}
	return n
}

func shapeMessage(t *safetensors.Tensor, n *node, spec layers.Tensor, want []int64, fused bool) string {
	formula := ""
	for _, ts := range n.class.Tensors {
		if ts.Name == spec.Name {
			parts := make([]string, len(ts.Shape))
			for i, d := range ts.Shape {
				parts[i] = d.String()
			}
			formula = "[" + strings.Join(parts, ", ") + "]"
			break
		}
	}
	what := fmt.Sprintf("%s %s", safetensors.FormatShape(want), "from the layer's parameters")
	if formula != "" {
		what = fmt.Sprintf("%s = %s from the layer's parameters", formula, safetensors.FormatShape(want))
		if fused {
			what = fmt.Sprintf("[instances, %s] = %s from the layer's parameters", strings.Trim(formula, "[]"), safetensors.FormatShape(want))
		}
	}
	return fmt.Sprintf("%s is %s (%s) in the checkpoint, but the layer's %s is %s", tensorName(t.Name), t.ShapeString(), t.DType, spec.Name, what)
}

// unused records a tensor no layer accounts for, under the module its name leads into.
func (c *checker) unused(t *safetensors.Tensor, at *node) {
	// A quantized weight's scales are not parameters, wherever they are.
	if _, aux := auxiliaries[t.Name[strings.LastIndexByte(t.Name, '.')+1:]]; !aux {
		c.res.CheckpointParams.Add(c.res.CheckpointParams, big.NewInt(t.Elements()))
	}
	if at != nil && at.layer == nil {
		at = nil
	}
	if c.strays == nil {
		c.strays = map[*node][]*safetensors.Tensor{}
	}
	if _, ok := c.strays[at]; !ok {
		c.strayOrder = append(c.strayOrder, at)
	}
	c.strays[at] = append(c.strays[at], t)
}

// reportUnused reports the tensors no layer accounts for: one finding per module their names
// lead into (a vision tower of 500 tensors is one finding, not 500).
func (c *checker) reportUnused() {
	for _, at := range c.strayOrder {
		ts := c.strays[at]
		var msg string
		if len(ts) == 1 {
			msg = fmt.Sprintf("the checkpoint's %s %s is held by no layer of the model file", tensorName(ts[0].Name), ts[0].ShapeString())
		} else {
			elems := new(big.Int)
			for _, t := range ts {
				elems.Add(elems, big.NewInt(t.Elements()))
			}
			names := make([]string, 0, 3)
			for _, t := range ts[:min(3, len(ts))] {
				names = append(names, tensorName(t.Name)+" "+t.ShapeString())
			}
			msg = fmt.Sprintf("%d tensors of the checkpoint (%s elements) are held by no layer of the model file: %s", len(ts), group(elems), strings.Join(names, ", "))
			if len(ts) > 3 {
				msg += ", …"
			}
		}
		if at == nil {
			c.addFile(diag.Error, CodeUnused, msg)
			continue
		}
		if at.repeat == 0 {
			msg += fmt.Sprintf(" (their names lead here, to a layer that repeats 0 times with the file's default variables: %s)", at.layer.Repeat.Node.Text)
		} else if len(ts) == 1 {
			msg += " (its name leads here)"
		} else {
			msg += " (their names lead here)"
		}
		c.add(at.layer, diag.Error, CodeUnused, msg)
	}
}

// instanceKey writes an instance's indices as a set key: "0.3", "1.*" for a fused tensor.
func instanceKey(indices []int64) string {
	parts := make([]string, len(indices))
	for i, x := range indices {
		if x == Fused {
			parts[i] = "*"
		} else {
			parts[i] = strconv.FormatInt(x, 10)
		}
	}
	return strings.Join(parts, ".")
}

// missing reports, for every basic layer under n, the tensors of its instances the checkpoint
// lacks.
func (c *checker) missing(n *node) {
	for _, ch := range n.children {
		if !ch.basic() {
			c.missing(ch)
			continue
		}
		if ch.layer.TiedTo != "" || ch.class == nil || ch.specErr != nil || ch.class.Tensors == nil {
			continue
		}
		for _, spec := range ch.specs {
			if spec.Buffer {
				continue
			}
			have := ch.covered[spec.Name]
			lists := ch.lists()
			got := new(big.Int)
			for k := range have {
				n := big.NewInt(1)
				for i, part := range strings.Split(k, ".") {
					if part == "*" && i < len(lists) {
						n.Mul(n, big.NewInt(lists[i].repeat))
					}
				}
				got.Add(got, n)
			}
			if got.Cmp(ch.count) >= 0 {
				continue
			}
			lack := new(big.Int).Sub(ch.count, got)
			name := c.firstMissing(ch, spec.Name, have)
			var msg string
			switch {
			case got.Sign() == 0 && ch.count.Cmp(big.NewInt(1)) == 0:
				msg = fmt.Sprintf("the checkpoint has no %s %s", tensorName(name), safetensors.FormatShape(spec.Shape))
			case got.Sign() == 0:
				msg = fmt.Sprintf("the checkpoint has none of the %s %s tensors of the %s instances (the first would be %s)", spec.Name, safetensors.FormatShape(spec.Shape), ch.count, tensorName(name))
			default:
				msg = fmt.Sprintf("the checkpoint lacks %s of the %s %s tensors (%s instances)", lack, spec.Name, safetensors.FormatShape(spec.Shape), ch.count)
				if name != "" {
					msg += ", the first: " + name
				}
			}
			c.add(ch.layer, diag.Error, CodeMissing, msg)
		}
	}
}

// hfName is the checkpoint name of a tensor of an instance of n: the attribute and list names
// from the base down, with the list indices.
func (c *checker) hfName(n *node, indices []int64, local string) string {
	var parts []string
	k := 0
	for _, x := range n.path() {
		if x == c.base {
			parts = parts[:0]
			continue
		}
		parts = append(parts, x.hf)
		if x.list {
			if k < len(indices) {
				parts = append(parts, strconv.FormatInt(x.start+indices[k], 10))
			}
			k++
		}
	}
	if rest, ok := strings.CutPrefix(local, "../"); ok {
		parts = append(parts[:len(parts)-1], rest)
	} else {
		parts = append(parts, local)
	}
	return strings.Join(parts, ".")
}

// firstMissing names the first instance of n whose tensor named spec the checkpoint lacks,
// searching at most a million instances.
func (c *checker) firstMissing(n *node, spec string, have map[string]bool) string {
	lists := n.lists()
	idx := make([]int64, len(lists))
	for tries := 0; tries < 1_000_000; tries++ {
		if !covers(have, idx) {
			return c.hfName(n, idx, spec)
		}
		i := len(idx) - 1 // advance the innermost index
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < lists[i].repeat {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	return ""
}

// covers reports whether an instance is held, by a tensor of its own or a fused one.
func covers(have map[string]bool, idx []int64) bool {
	if have[instanceKey(idx)] {
		return true
	}
	alt := slices.Clone(idx)
	for i := range alt {
		alt[i] = Fused
		if have[instanceKey(alt)] {
			return true
		}
		alt[i] = idx[i]
	}
	return false
}

// total compares the parameter counts.
func (c *checker) total() {
	diff := new(big.Int).Sub(c.res.CheckpointParams, c.res.ModelParams)
	if diff.Sign() == 0 {
		return
	}
	more := "more"
	if diff.Sign() < 0 {
		more = "fewer"
	}
	c.addFile(diag.Error, CodeTotal, fmt.Sprintf("the model file has %s parameters and the checkpoint %s (%s %s)",
		group(c.res.ModelParams), group(c.res.CheckpointParams), group(diff.Abs(diff)), more))
}

// group writes an integer with thousands separators: 6,738,415,616.
func group(n *big.Int) string {
	s := n.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// shortClass is the last segment of a class path.
func shortClass(class string) string { return layers.ShortName(class) }

// tensorName is a tensor's name for a message: whole — its layer indices tell the instances
// apart — unless it is longer than any real one, then cut at the front as every long name is.
func tensorName(name string) string {
	if len(name) > 200 {
		return diag.Clip(name)
	}
	return name
}
