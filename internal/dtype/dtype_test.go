package dtype

import (
	"math/big"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	if got := strings.Join(StorageNames(), ","); got != "fp32,fp16,bf16,fp8,int8,int4" {
		t.Errorf("storage names %s", got)
	}
	if got := strings.Join(ComputeNames(), ","); got != "fp32,tf32,fp16,bf16,fp8,int8,int4" {
		t.Errorf("compute names %s", got)
	}
	for name, bytes := range map[string]*big.Rat{"FP32": big.NewRat(4, 1), "bf16": big.NewRat(2, 1), "int4": big.NewRat(1, 2)} {
		d, ok := Lookup(name)
		if !ok || d.Bytes.Cmp(bytes) != 0 {
			t.Errorf("Lookup(%s) = %+v %v", name, d, ok)
		}
	}
	for torch, want := range map[string]string{"bfloat16": "bf16", "half": "fp16", "float8_e4m3fn": "fp8", "double": "fp64", "fp16": "fp16"} {
		if d, ok := FromTorch(torch); !ok || d.Name != want {
			t.Errorf("FromTorch(%s) = %s", torch, d.Name)
		}
	}
	if _, ok := FromTorch("float7"); ok {
		t.Error("float7 is not a dtype")
	}
	if IsCompute("fp64") || !IsCompute("tf32") || IsCompute("BF16") {
		t.Error("IsCompute")
	}
	for bytes, want := range map[string]string{"4": "fp32", "2": "bf16", "1": "fp8", "1/2": "int4", "3": "bf16"} {
		r, _ := new(big.Rat).SetString(bytes)
		if got := ComputeFor(r); got != want {
			t.Errorf("ComputeFor(%s) = %s, want %s", bytes, got, want)
		}
	}
}
