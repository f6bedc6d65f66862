// Package dtype is the one table of the element types modeltool knows: their names on the
// command line and in hardware files, the names HuggingFace configs use for them
// (torch_dtype), their bytes per element, and which of them are compute types with a peak.
package dtype

import (
	"math/big"
	"strings"
)

// DType is one element type.
type DType struct {
	// Name is modeltool's name: fp32, tf32, fp16, bf16, fp8, int8, int4, fp64.
	Name string
	// Torch lists the torch_dtype spellings of HuggingFace configs that mean this type.
	Torch []string
	// Bytes per element (1/2 for int4).
	Bytes *big.Rat
	// Storage is set for the types a tensor is stored in (--dtype, --weight-dtype, --kv-dtype).
	Storage bool
	// Compute is set for the types accelerators give a peak for (hardware files, --hardware).
	Compute bool
}

var all = []DType{
	{Name: "fp32", Torch: []string{"float32", "float"}, Bytes: big.NewRat(4, 1), Storage: true, Compute: true},
	{Name: "tf32", Bytes: big.NewRat(4, 1), Compute: true},
	{Name: "fp16", Torch: []string{"float16", "half"}, Bytes: big.NewRat(2, 1), Storage: true, Compute: true},
	{Name: "bf16", Torch: []string{"bfloat16"}, Bytes: big.NewRat(2, 1), Storage: true, Compute: true},
	{Name: "fp8", Torch: []string{"float8_e4m3fn", "float8_e5m2"}, Bytes: big.NewRat(1, 1), Storage: true, Compute: true},
	{Name: "int8", Torch: []string{"int8", "uint8"}, Bytes: big.NewRat(1, 1), Storage: true, Compute: true},
	{Name: "int4", Bytes: big.NewRat(1, 2), Storage: true, Compute: true},
	{Name: "fp64", Torch: []string{"float64", "double"}, Bytes: big.NewRat(8, 1)},
}

// Lookup finds a type by modeltool's name, ignoring case.
func Lookup(name string) (DType, bool) {
	for _, d := range all {
		if strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return DType{}, false
}

// FromTorch finds the type a config's torch_dtype (or dtype) names: "bfloat16", "float16", …;
// modeltool's own names are accepted too.
func FromTorch(name string) (DType, bool) {
	for _, d := range all {
		if d.Name == name {
			return d, true
		}
		for _, t := range d.Torch {
			if t == name {
				return d, true
			}
		}
	}
	return DType{}, false
}

// TorchNames lists every torch_dtype spelling FromTorch accepts.
func TorchNames() []string {
	var out []string
	for _, d := range all {
		out = append(out, d.Torch...)
	}
	return out
}

// StorageNames lists the storage types, in size order.
func StorageNames() []string { return names(func(d DType) bool { return d.Storage }) }

// ComputeNames lists the compute types, in the order presets give them.
func ComputeNames() []string { return names(func(d DType) bool { return d.Compute }) }

func names(keep func(DType) bool) []string {
	var out []string
	for _, d := range all {
		if keep(d) {
			out = append(out, d.Name)
		}
	}
	return out
}

// IsCompute reports whether name is a compute type.
func IsCompute(name string) bool {
	d, ok := Lookup(name)
	return ok && d.Compute && d.Name == name
}

// ComputeFor is the compute type whose peak applies to activations of the given bytes per
// element when no dtype is named: 4 → fp32, 1 → fp8, 1/2 → int4, anything else → bf16 (2
// bytes is fp16 or bf16, which every preset rates alike).
func ComputeFor(bytes *big.Rat) string {
	switch {
	case bytes == nil:
	case bytes.Cmp(big.NewRat(4, 1)) == 0:
		return "fp32"
	case bytes.Cmp(big.NewRat(1, 1)) == 0:
		return "fp8"
	case bytes.Cmp(big.NewRat(1, 2)) == 0:
		return "int4"
	}
	return "bf16"
}
