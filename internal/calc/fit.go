package calc

import (
	"fmt"
	"math/big"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/model"
)

// Fit is the largest value of a variable (batch_size, or seq_len) at which one device's
// memory — Compute's own weights, KV cache and activations (MemoryOn) — fits.
type Fit struct {
	// Variable is the variable searched; Max its largest fitting value, 0 when not even
	// the smallest fits.
	Variable string
	Max      *big.Int
	// Memory is the memory at Max (at the smallest value when nothing fits).
	Memory Memory
	// Next is the memory at the next value up, Max + Step, which does not fit.
	Next Memory
	// Step is the increment of the search (ep × dp for a batch, 1 for a context), and Devices
	// the devices the model is spread over (tp × pp × ep × dp): Memory and Next are what each
	// of them holds.
	Step, Devices *big.Int
	// Result is the calculation at Max (at the smallest value when nothing fits).
	Result *Result
}

// maxFitSearch bounds the search: 2^62 of anything is beyond every device.
const maxFitSearch = 62

// FitLargest finds the largest value of variable, a multiple of step, whose memory fits on
// dev: memory grows with the batch and with the sequence (the KV cache and the activations
// do), so it doubles until one does not fit and then bisects. The answer is exact against
// Compute: at Max the memory fits, at Max + step it does not.
func FitLargest(f *model.File, opts Options, dev hardware.Device, variable string, step int64) (*Fit, error) {
	if dev.MemoryBytes == nil {
		return nil, fmt.Errorf("%s has no memory_bytes: its capacity is needed to say what fits", dev.Name)
	}
	if step < 1 {
		step = 1
	}
	probe := func(n *big.Int) (*Result, Memory, error) {
		o := withSet(opts, map[string]expr.Value{variable: expr.BigInt(new(big.Int).Mul(n, big.NewInt(step)))})
		res, err := Compute(f, o)
		if err != nil {
			return nil, Memory{}, err
		}
		return res, MemoryOn(res, dev), nil
	}
	// n counts steps: the value is n × step.
	lo := big.NewInt(1)
	res, m, err := probe(lo)
	if err != nil {
		return nil, err
	}
	if !m.Fits {
		return &Fit{Variable: variable, Max: new(big.Int), Memory: m, Next: m, Result: res, Step: big.NewInt(step), Devices: opts.Parallel.Devices()}, nil
	}
	best, bestMem := res, m
	hi := big.NewInt(2)
	var hiMem Memory
	for i := 0; ; i++ {
		if i > maxFitSearch {
			return nil, fmt.Errorf("%s × 2^%d still fits: the memory does not grow with %s", variable, maxFitSearch, variable)
		}
		r, m, err := probe(hi)
		if err != nil {
			return nil, err
		}
		if !m.Fits {
			hiMem = m
			break
		}
		lo, best, bestMem = new(big.Int).Set(hi), r, m
		hi = new(big.Int).Lsh(hi, 1)
	}
	// lo fits, hi does not.
	one := big.NewInt(1)
	for new(big.Int).Sub(hi, lo).Cmp(one) > 0 {
		mid := new(big.Int).Add(lo, hi)
		mid.Rsh(mid, 1)
		r, m, err := probe(mid)
		if err != nil {
			return nil, err
		}
		if m.Fits {
			lo, best, bestMem = mid, r, m
		} else {
			hi, hiMem = mid, m
		}
	}
	return &Fit{Variable: variable, Max: new(big.Int).Mul(lo, big.NewInt(step)), Memory: bestMem, Next: hiMem, Result: best, Step: big.NewInt(step), Devices: opts.Parallel.Devices()}, nil
}
