package weights

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/safetensors"
)

// quantBlock is the block of scales a quantized Linear declares (populate writes it from the
// config's quantization_config): in and out features per block, and the bits of each stored
// weight. in is 0 when the layer declares no quantization.
type quantBlock struct {
	in, out int64
	bits    int64
}

// declaredBlock reads the block a layer's parameters declare (quant_block_in, quant_block_out,
// weight_dtype_bytes), with the class's defaults.
func declaredBlock(s *expr.Scope) quantBlock {
	get := func(name string) (*big.Rat, bool) {
		v, err := s.Lookup(name)
		if err != nil || !v.IsNumber() {
			return nil, false
		}
		return v.Rat(), true
	}
	var q quantBlock
	in, ok := get("quant_block_in")
	if !ok || !in.IsInt() || in.Sign() <= 0 || !in.Num().IsInt64() {
		return q
	}
	q.in, q.out = in.Num().Int64(), 1
	if out, ok := get("quant_block_out"); ok && out.IsInt() && out.Sign() > 0 && out.Num().IsInt64() {
		q.out = out.Num().Int64()
	}
	if b, ok := get("weight_dtype_bytes"); ok {
		bits := new(big.Rat).Mul(b, big.NewRat(8, 1))
		if bits.IsInt() && bits.Num().IsInt64() {
			q.bits = bits.Num().Int64()
		}
	}
	return q
}

// auxiliary checks the shape of a tensor a quantized checkpoint keeps beside a layer's weight —
// a scale, a zero point, GPTQ's group index — against the weight's shape w ([out, in], after
// the instances of a fused tensor) and the block the layer declares. Per format:
//
//	fp8 weight_scale_inv         [ceil(out/bo), ceil(in/bi)] (FineGrainedFP8's blocks), or one scale
//	fp8 weight_scale, zero point one scale, one per output row ([out] or [out, 1]), or per block
//	NVFP4 weight_scale           [out, ceil(in/16)]
//	input_scale, *_scale_2, …    one scale ([] or [1])
//	GPTQ/AWQ scales              [ceil(in/group), out]
//	GPTQ/AWQ qzeros              [ceil(in/group), ceil(out·bits/32)]
//	GPTQ g_idx                   [in]
//	MXFP4 NAME_scales            [out, ceil(in/32)]
//
// Without a declared block (a file not populated from the quantization_config) the block is
// any that fits: each dimension must be ceil(n/b) for some block b of the weight's n.
func (c *checker) auxiliary(t *safetensors.Tensor, n *node, local string, w []int64) {
	if len(w) < 2 {
		return // a weight of one dimension has no quantization modeltool knows
	}
	ok, want := auxShape(local, t.Shape, w, n.quant)
	if !ok {
		c.add(n.layer, diag.Error, CodeShape, fmt.Sprintf("%s is %s (%s) in the checkpoint, but %s of the layer's weight %s %s",
			tensorName(t.Name), t.ShapeString(), t.DType, auxWhat[local], safetensors.FormatShape(w), want))
	}
}

// auxWhat names each auxiliary tensor in messages.
var auxWhat = map[string]string{
	"weight_scale_inv": "the fp8 block scales", "weight_scale": "the scales", "weight_zero_point": "the zero points",
	"input_scale": "the input scale", "weight_scale_2": "the global scale", "weight_global_scale": "the global scale",
	"input_global_scale": "the input's global scale", "scales": "the group scales", "qzeros": "the packed zero points",
	"g_idx": "the group index", "weight_scales": "the MXFP4 scales",
}

// auxShape reports whether shape fits the auxiliary tensor local of a weight of shape w, and
// else what it should be. Fitting allocates nothing: a checkpoint holds one scale per weight.
func auxShape(local string, shape, w []int64, q quantBlock) (bool, string) {
	lead, out, in := w[:len(w)-2], w[len(w)-2], w[len(w)-1]
	if auxFits(local, shape, lead, out, in, q) {
		return true, ""
	}
	// A fused tensor may hold its instances transposed ([experts, in, out]); so may its scales.
	if len(lead) > 0 && auxFits(local, shape, lead, in, out, q) {
		return true, ""
	}
	return false, auxWant(local, lead, out, in, q)
}

// is reports whether shape is lead followed by dims.
func is(shape, lead []int64, dims ...int64) bool {
	if len(shape) != len(lead)+len(dims) {
		return false
	}
	for i, d := range lead {
		if shape[i] != d {
			return false
		}
	}
	for i, d := range dims {
		if shape[len(lead)+i] != d {
			return false
		}
	}
	return true
}

// auxFits applies the rule of auxiliary's table to a weight [lead…, out, in].
func auxFits(local string, shape, lead []int64, out, in int64, q quantBlock) bool {
	scalar := product(shape) == 1 || is(shape, lead)
	// block: one scale per block of the declared size, or of some size when none is declared.
	block := func() bool {
		if q.in > 0 {
			return is(shape, lead, ceilDiv(out, q.out), ceilDiv(in, q.in))
		}
		return len(shape) == len(lead)+2 && is(shape[:len(lead)], lead) && ceilOf(out, shape[len(lead)]) && ceilOf(in, shape[len(lead)+1])
	}
	// groups: [groups, cols] with one row per group of input features.
	groups := func(cols int64) bool {
		if len(shape) != len(lead)+2 || !is(shape[:len(lead)], lead) || shape[len(lead)+1] != cols {
			return false
		}
		g := shape[len(lead)]
		return q.in > 0 && g == ceilDiv(in, q.in) || q.in == 0 && ceilOf(in, g)
	}
	switch local {
	case "weight_scale_inv":
		return scalar || block()
	case "weight_scale", "weight_zero_point":
		return scalar || is(shape, lead, out) || is(shape, lead, out, 1) || is(shape, lead, out, ceilDiv(in, 16)) || block()
	case "input_scale", "weight_scale_2", "weight_global_scale", "input_global_scale":
		return scalar
	case "scales":
		return groups(ceilDiv(out, max(q.out, 1)))
	case "qzeros":
		for _, bits := range []int64{4, 8, 2, 3} {
			if (q.in == 0 || bits == q.bits) && groups(ceilDiv(out*bits, 32)) {
				return true
			}
		}
		return false
	case "g_idx":
		return is(shape, lead, in)
	case "weight_scales":
		return is(shape, lead, out, ceilDiv(in, mxfp4Block(q)))
	}
	return true
}

// auxWant says what auxFits asks of a weight [lead…, out, in], for a message.
func auxWant(local string, lead []int64, out, in int64, q quantBlock) string {
	rows := "ceil(in/group)"
	if q.in > 0 {
		rows = fmt.Sprint(ceilDiv(in, q.in))
	}
	switch local {
	case "weight_scale_inv":
		if q.in > 0 {
			return fmt.Sprintf("in blocks of %d×%d (the layer's quant_block_out × quant_block_in) are %s", q.out, q.in, shapeOf(lead, fmt.Sprint(ceilDiv(out, q.out)), fmt.Sprint(ceilDiv(in, q.in))))
		}
		return fmt.Sprintf("are %s for some block [bo, bi] (the layer declares none), or one scale", shapeOf(lead, "ceil(out/bo)", "ceil(in/bi)"))
	case "weight_scale", "weight_zero_point":
		return fmt.Sprintf("are one scale, one per output row %s, or one per block", shapeOf(lead, fmt.Sprint(out)))
	case "input_scale", "weight_scale_2", "weight_global_scale", "input_global_scale":
		return "is one number ([] or [1])"
	case "scales":
		return "are " + shapeOf(lead, rows, fmt.Sprint(out))
	case "qzeros":
		if q.in > 0 && q.bits > 0 {
			return "are " + shapeOf(lead, rows, fmt.Sprint(ceilDiv(out*q.bits, 32)))
		}
		return "are " + shapeOf(lead, rows, "ceil(out·bits/32)")
	case "g_idx":
		return "is " + shapeOf(lead, fmt.Sprint(in)) + ", one group number per input feature"
	case "weight_scales":
		bi := mxfp4Block(q)
		return fmt.Sprintf("are %s, one per %d weights of a row", shapeOf(lead, fmt.Sprint(out), fmt.Sprint(ceilDiv(in, bi))), bi)
	}
	return ""
}

// mxfp4Block is the weights per MXFP4 scale: the declared block, else the format's 32.
func mxfp4Block(q quantBlock) int64 {
	if q.in > 0 {
		return q.in
	}
	return 32
}

// shapeOf writes a shape whose leading dimensions are numbers and the rest given as text.
func shapeOf(lead []int64, rest ...string) string {
	parts := make([]string, 0, len(lead)+len(rest))
	for _, d := range lead {
		parts = append(parts, fmt.Sprint(d))
	}
	return "[" + strings.Join(append(parts, rest...), ", ") + "]"
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// ceilOf reports whether a is ceil(n/b) for some block b ≥ 1: the smallest b with ceil(n/b) ≤ a
// is ceil(n/a), and a is reached exactly when that b gives it.
func ceilOf(n, a int64) bool {
	if a < 1 || a > n {
		return false
	}
	return ceilDiv(n, ceilDiv(n, a)) == a
}
