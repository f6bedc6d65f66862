package calc

import (
	"math"
	"math/big"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/model"
)

// ActivationBytes is the working set of one instance of a row while it runs: the bytes it
// reads and writes, less its weights and its KV cache — its input and output activations
// (for the attention core: Q, the K and V beyond the cache, and O). A row that reads less
// than its weights (a MoE expert no token picks in this step) counts its output alone.
// Communication rows have none.
func ActivationBytes(r *Row) *big.Rat {
	if r.Category == CategoryCommunication {
		return new(big.Rat)
	}
	out := r.Figures.BytesWritten.RatOrZero()
	in := r.Figures.BytesRead.RatOrZero()
	in.Sub(in, r.Figures.WeightBytes.RatOrZero())
	in.Sub(in, r.Figures.KVCacheBytes.RatOrZero())
	if in.Sign() < 0 {
		in.SetInt64(0)
	}
	return in.Add(in, out)
}

// activationInt is ActivationBytes(r) when its figures fit in an int64 (nearly every row),
// computed without big.Rat.
func activationInt(r *Row) (int64, bool) {
	if r.Category == CategoryCommunication {
		return 0, true
	}
	var v [4]int64
	for i, x := range []expr.Value{r.Figures.BytesWritten, r.Figures.BytesRead, r.Figures.WeightBytes, r.Figures.KVCacheBytes} {
		n, ok := x.Int64()
		if !x.IsValid() {
			n, ok = 0, true
		}
		if !ok || n < 0 || n > math.MaxInt64/4 {
			return 0, false
		}
		v[i] = n
	}
	in := max(v[1]-v[2]-v[3], 0)
	return in + v[0], true
}

// MemoryBytes is what one device holds at the peak of the pass: the weights, the KV cache and
// the peak live activations.
func (res *Result) MemoryBytes() *big.Rat {
	m := new(big.Rat).Add(res.Totals.WeightBytes, res.Totals.KVCacheBytes)
	if res.Activations != nil {
		m.Add(m, res.Activations)
	}
	return m
}

// Memory is what one device must hold, against its capacity.
type Memory struct {
	Weights     *big.Rat
	KVCache     *big.Rat
	Activations *big.Rat
	Total       *big.Rat
	// Capacity is the device's memory; nil when unknown (then Fits is meaningless and
	// Known is false).
	Capacity *big.Rat
	Known    bool
	Fits     bool
}

// MemoryOn sets a result's memory against a device's capacity.
func MemoryOn(res *Result, dev hardware.Device) Memory {
	m := Memory{
		Weights:     new(big.Rat).Set(res.Totals.WeightBytes),
		KVCache:     new(big.Rat).Set(res.Totals.KVCacheBytes),
		Activations: new(big.Rat),
		Total:       res.MemoryBytes(),
	}
	if res.Activations != nil {
		m.Activations.Set(res.Activations)
	}
	if dev.MemoryBytes != nil {
		m.Capacity = new(big.Rat).SetInt(dev.MemoryBytes)
		m.Known = true
		m.Fits = m.Total.Cmp(m.Capacity) <= 0
	}
	return m
}

// WeightOverride is what --weight-dtype sets besides weight_dtype_bytes in a file whose
// checkpoint is quantized (the variables of model.QuantVariables it declares): every weight at
// bytes, no scales or zero points.
func WeightOverride(f *model.File, bytes expr.Value) map[string]expr.Value {
	out := map[string]expr.Value{}
	for _, name := range model.QuantVariables {
		if f.Variable(name) == nil {
			continue
		}
		if name == model.QuantWeightBytes {
			out[name] = bytes
		} else {
			out[name] = expr.Int(0)
		}
	}
	return out
}
