package populate

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// A checkpoint quantized as it is stored: the config's quantization_config says which Linear
// layers hold quantized weights and what they store beside them. populate gives those layers
// the byte widths it implies through file variables (model.QuantVariables), so calc counts the
// checkpoint as stored and --weight-dtype still overrides every weight.

// quantization is what a quantization_config implies for a quantized Linear layer.
type quantization struct {
	// method names the scheme for the file's annotation.
	method string
	// weightBytes is bytes per weight element; blockIn × blockOut weights share blockBytes of
	// scales or zero points (blockIn 0: none; -1: a block is a whole input row); indexBytes are
	// stored per input feature, layerBytes once per layer.
	weightBytes                        *big.Rat
	blockIn, blockOut                  int64
	blockBytes, indexBytes, layerBytes *big.Rat
	// quantizeHead quantizes the vocabulary projections (GPTQ's lm_head: true).
	quantizeHead bool
	// skip are modules left unquantized (modules_to_not_convert and the like), as HuggingFace
	// names them; only, when set, the only module names in the blocks that are quantized.
	skip []string
	only []string
	// notes say what was assumed.
	notes []string
}

// readQuantization reads the config's quantization_config; nil when there is none or its
// method is not one modeltool knows (then a note says so).
func readQuantization(c *Config) (*quantization, []string, error) {
	qc := c.Get("quantization_config")
	if qc == nil {
		return nil, nil, nil
	}
	if qc.Kind != jsonpos.Object {
		return nil, nil, c.keyError("quantization_config", qc, "quantization_config must be an object, not %s", describe(qc))
	}
	str := func(k string) string {
		if v := qc.Get(k); v != nil && v.Kind == jsonpos.String {
			return strings.ToLower(v.Text)
		}
		return ""
	}
	num := func(k string, def int64) (int64, error) {
		v := qc.Get(k)
		if v == nil || v.Kind == jsonpos.Null {
			return def, nil
		}
		n, err := expr.ParseNumber(v.Text)
		if v.Kind != jsonpos.Number || err != nil || !n.IsInt() {
			return 0, c.errorAt(v.Offset, "quantization_config.%s must be an integer, not %s", k, describe(v))
		}
		i, _ := n.Int64()
		return i, nil
	}
	flag := func(k string) bool {
		v := qc.Get(k)
		return v != nil && v.BoolValue()
	}
	names := func(keys ...string) []string {
		var out []string
		for _, k := range keys {
			v := qc.Get(k)
			if v == nil || v.Kind != jsonpos.Array {
				continue
			}
			for _, it := range v.Items {
				if it.Kind == jsonpos.String {
					out = append(out, it.Text)
				} else if it.Kind == jsonpos.Array { // GPTQ's modules_in_block_to_quantize: a list of lists
					for _, s := range it.Items {
						if s.Kind == jsonpos.String {
							out = append(out, s.Text)
						}
					}
				}
			}
		}
		return out
	}
	q := &quantization{blockOut: 1, blockBytes: new(big.Rat), indexBytes: new(big.Rat), layerBytes: new(big.Rat)}
	method := str("quant_method")
	switch {
	case method == "fp8":
		// FP8 (DeepSeek-V3, transformers' FineGrainedFP8): e4m3 weights, one fp32
		// weight_scale_inv per block of weight_block_size [out, in]; without blocks one fp32
		// scale per tensor; a static activation scheme adds an fp32 input_scale.
		q.method = "fp8"
		q.weightBytes = big.NewRat(1, 1)
		if v := qc.Get("weight_block_size"); v != nil && v.Kind == jsonpos.Array && len(v.Items) == 2 {
			var bs [2]int64
			for i, it := range v.Items {
				n, err := expr.ParseNumber(it.Text)
				if it.Kind != jsonpos.Number || err != nil || !n.IsInt() || n.Sign() <= 0 {
					return nil, nil, c.errorAt(it.Offset, "quantization_config.weight_block_size holds positive integers, not %s", describe(it))
				}
				bs[i], _ = n.Int64()
			}
			q.blockOut, q.blockIn = bs[0], bs[1]
			q.blockBytes = big.NewRat(4, 1)
			q.method = fmt.Sprintf("fp8 (e4m3), fp32 scales per %d×%d block", bs[0], bs[1])
		} else {
			q.layerBytes = big.NewRat(4, 1)
			q.method = "fp8 (e4m3), one fp32 scale per tensor"
		}
		if str("activation_scheme") == "static" {
			q.layerBytes.Add(q.layerBytes, big.NewRat(4, 1))
			q.method += ", a static fp32 input scale"
		}
		q.skip = names("modules_to_not_convert", "ignored_layers")
	case method == "gptq" || method == "awq":
		// GPTQ and AWQ: bits-wide integers packed in int32 (qweight), per group of group_size
		// input features an fp16 scale and a packed bits-wide zero point (qzeros); GPTQ also
		// stores g_idx (int32 per input feature). AWQ without zero_point stores no qzeros.
		bits, err := num("bits", 4)
		if err != nil {
			return nil, nil, err
		}
		group, err := num("group_size", 128)
		if err != nil {
			return nil, nil, err
		}
		if bits < 1 || bits > 16 {
			return nil, nil, c.errorAt(qc.Get("bits").Offset, "quantization_config.bits must be 1…16, not %d", bits)
		}
		q.weightBytes = big.NewRat(bits, 8)
		q.blockIn = group
		if group <= 0 {
			q.blockIn = -1 // one group: the whole input row
		}
		zeros := big.NewRat(bits, 8)
		if method == "awq" {
			if v := qc.Get("zero_point"); v != nil && v.Kind == jsonpos.Bool && !v.BoolValue() {
				zeros = new(big.Rat)
			}
		} else {
			q.indexBytes = big.NewRat(4, 1)
		}
		q.blockBytes = new(big.Rat).Add(big.NewRat(2, 1), zeros)
		q.quantizeHead = flag("lm_head")
		q.skip = names("modules_to_not_convert")
		q.only = names("modules_in_block_to_quantize")
		q.method = fmt.Sprintf("%s int%d, fp16 scales and packed zero points per group of %d", strings.ToUpper(method), bits, group)
		if group <= 0 {
			q.method = fmt.Sprintf("%s int%d, fp16 scales and packed zero points per output feature", strings.ToUpper(method), bits)
		}
		if method == "gptq" {
			q.method += ", int32 g_idx"
		}
	case method == "bitsandbytes" || flag("load_in_4bit") || flag("load_in_8bit"):
		q.skip = names("llm_int8_skip_modules", "modules_to_not_convert")
		if flag("load_in_4bit") {
			// NF4/FP4 packed two per byte; an absmax per block of 64 (fp32, or with double
			// quantization uint8 plus an fp32 absmax per 256 blocks); the 16-entry quant map
			// (fp32), with double quantization also the 256-entry nested map. The JSON
			// quant_state blob bitsandbytes saves beside them is not counted.
			q.weightBytes = big.NewRat(1, 2)
			q.blockIn = 64
			q.layerBytes = big.NewRat(16*4, 1)
			q.blockBytes = big.NewRat(4, 1)
			q.method = "bitsandbytes 4-bit " + str("bnb_4bit_quant_type") + ", fp32 absmax per 64 weights"
			if flag("bnb_4bit_use_double_quant") {
				q.blockBytes = new(big.Rat).Add(big.NewRat(1, 1), big.NewRat(4, 256))
				q.layerBytes.Add(q.layerBytes, big.NewRat(256*4, 1))
				q.method = "bitsandbytes 4-bit " + str("bnb_4bit_quant_type") + " with double quantization: uint8 absmax per 64 weights, fp32 per 256 blocks"
			}
			q.notes = append(q.notes, "bitsandbytes 4-bit: blocks of 64 are counted per input row (exact when in_features is a multiple of 64); the quant_state JSON blob of each layer (a few hundred bytes) is not counted")
		} else {
			// LLM.int8(): int8 weights and one fp32 scale per output row (SCB).
			q.weightBytes = big.NewRat(1, 1)
			q.blockIn = -1
			q.blockBytes = big.NewRat(4, 1)
			q.method = "bitsandbytes 8-bit (LLM.int8()), an fp32 scale per output feature"
		}
	case method == "mxfp4":
		// MXFP4 (gpt-oss): 4-bit values in blocks of 32 with one E8M0 scale byte each.
		q.method = "MXFP4, a one-byte scale per 32 weights"
		q.weightBytes = big.NewRat(1, 2)
		q.blockIn = 32
		q.blockBytes = big.NewRat(1, 1)
		q.skip = names("modules_to_not_convert")
	default:
		return nil, []string{fmt.Sprintf("quantization_config: quant_method %q is not one modeltool reads (fp8, gptq, awq, bitsandbytes, mxfp4): the weights are counted at weight_dtype_bytes; choose --weight-dtype", method)}, nil
	}
	return q, q.notes, nil
}

// Quantize gives the Linear layers of a model file (root, changed in place) the byte widths the
// config's quantization_config says the checkpoint stores, as populate does for the files it
// builds: import reads the same quantization_config through it. It returns what was assumed
// (a quant_method modeltool does not read, every Linear excluded); a fault of the
// quantization_config is a *diag.Faults positioned in the config.
func Quantize(c *Config, root *jsonpos.Node, cat *layers.Catalog) ([]string, error) {
	return applyQuantization(c, root, nil, cat)
}

// applyQuantization marks the quantized Linear layers of a generated model file and declares
// the quantization's variables. The layers in keep (and those below them) stay as they are: the
// template says the checkpoint stores them unquantized.
func applyQuantization(c *Config, root *jsonpos.Node, keep map[*jsonpos.Node]bool, cat *layers.Catalog) ([]string, error) {
	q, notes, err := readQuantization(c)
	if err != nil || q == nil {
		return notes, err
	}
	linear := cat.Lookup("torch.nn.modules.linear.Linear")
	skip := patterns(q.skip)
	only := patterns(q.only)
	count := 0
	var walk func(arr *jsonpos.Node, path []string)
	walk = func(arr *jsonpos.Node, path []string) {
		if arr == nil || arr.Kind != jsonpos.Array {
			return
		}
		for _, l := range arr.Items {
			name := l.Get("name")
			if name == nil || keep[l] {
				continue
			}
			seg := name.Text
			listed := false // an entry of a ModuleList: its HuggingFace name has an index
			if a := l.Get("aliases"); a != nil && a.Kind == jsonpos.Array && len(a.Items) > 0 {
				seg, listed = a.Items[0].Text, true
			}
			p := append(append([]string(nil), path...), seg)
			if l.Get("repeat") != nil || listed {
				p = append(p, "*")
			}
			if subs := l.Get("sub_layers"); subs != nil {
				walk(subs, p)
				continue
			}
			cls := l.Get("class")
			if cls == nil || cat.Lookup(cls.Text) != linear || linear == nil {
				continue
			}
			if isVocab(l) && !q.quantizeHead {
				continue
			}
			if matchesAny(skip, p) || len(only) > 0 && !matchesAny(only, p) {
				continue
			}
			quantize(l, q)
			count++
		}
	}
	walk(root.Get("layers"), nil)
	if count == 0 {
		return append(notes, "quantization_config: no Linear layer is quantized (every one is excluded)"), nil
	}
	vars := root.Get("variables")
	if vars == nil {
		vars = jsonpos.NewObject()
		root.Set("variables", vars)
	}
	for _, v := range []struct {
		name string
		r    *big.Rat
	}{
		{model.QuantWeightBytes, q.weightBytes},
		{model.QuantBlockBytes, q.blockBytes},
		{model.QuantIndexBytes, q.indexBytes},
		{model.QuantLayerBytes, q.layerBytes},
	} {
		lit, exact := expr.Rat(v.r).Decimal(64)
		if !exact {
			lit = v.r.RatString()
		}
		vars.Set(v.name, jsonpos.NewNumber(lit))
	}
	root.Set("x-quantization", jsonpos.NewString(fmt.Sprintf("quantization_config: %s; populate counts %d Linear layers as stored (weight_dtype_bytes {%s}, scales per block {%s}, per input feature {%s}, per layer {%s}); --weight-dtype overrides every weight", q.method, count, model.QuantWeightBytes, model.QuantBlockBytes, model.QuantIndexBytes, model.QuantLayerBytes)))
	return notes, nil
}

// isVocab reports whether a layer projects onto the vocabulary (lm_head): its parallel role is
// vocab.
func isVocab(l *jsonpos.Node) bool {
	p := l.Get("parallel")
	if p == nil {
		return false
	}
	tp := p.Get("tp")
	return tp != nil && tp.Text == model.TPVocab
}

// quantParams are the Linear parameters only quantization sets: a file that has one where
// the config no longer quantizes the layer is out of sync (the checkpoint stores no scales
// there), and --update removes it.
var quantParams = []string{"quant_block_in", "quant_block_out", "quant_block_bytes", "quant_index_bytes", "quant_layer_bytes"}

// quantize gives a Linear layer the quantization's byte widths.
func quantize(l *jsonpos.Node, q *quantization) {
	params := l.Get("parameters")
	if params == nil {
		return
	}
	params.Set("weight_dtype_bytes", jsonpos.NewString("{"+model.QuantWeightBytes+"}"))
	if b := params.Get("bias"); b != nil && !(b.Kind == jsonpos.Bool && !b.BoolValue()) {
		params.Set("bias_dtype_bytes", jsonpos.NewString("{weight_dtype_bytes}"))
	}
	if q.blockIn != 0 {
		in := params.Get("in_features")
		blockIn := jsonpos.NewNumber(fmt.Sprint(q.blockIn))
		if q.blockIn < 0 && in != nil {
			blockIn = in.Clone()
		}
		params.Set("quant_block_in", blockIn)
		if q.blockOut != 1 {
			params.Set("quant_block_out", jsonpos.NewNumber(fmt.Sprint(q.blockOut)))
		}
		params.Set("quant_block_bytes", jsonpos.NewString("{"+model.QuantBlockBytes+"}"))
	}
	if q.indexBytes.Sign() != 0 {
		params.Set("quant_index_bytes", jsonpos.NewString("{"+model.QuantIndexBytes+"}"))
	}
	if q.layerBytes.Sign() != 0 {
		params.Set("quant_layer_bytes", jsonpos.NewString("{"+model.QuantLayerBytes+"}"))
	}
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// patterns splits HuggingFace module names into segments, a layer number becoming "*": a name
// that names some instances of a repeated layer applies to all of them.
func patterns(names []string) [][]string {
	var out [][]string
	for _, n := range names {
		segs := strings.Split(n, ".")
		for i, s := range segs {
			if digits.MatchString(s) {
				segs[i] = "*"
			}
		}
		out = append(out, segs)
	}
	return out
}

// matchesAny reports whether a pattern is a run of consecutive segments of path, as
// transformers matches modules_to_not_convert against module names ("gate" matches
// model.layers.0.mlp.gate, not gate_proj).
func matchesAny(pats [][]string, path []string) bool {
	for _, pat := range pats {
		for start := 0; start+len(pat) <= len(path); start++ {
			ok := true
			for i, s := range pat {
				if s != path[start+i] && !(s == "*" && path[start+i] == "*") {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}
