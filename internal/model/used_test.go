package model

import (
	"maps"
	"reflect"
	"slices"
	"testing"
)

// TestUsedVariables: the layer uses k (its repeat), seq_len and weight_dtype_bytes; k uses
// tokens, tokens uses batch_size and seq_len, and weight_dtype_bytes is the standard
// {dtype_bytes}. unused and mtp_layers are declared, but nothing uses them.
func TestUsedVariables(t *testing.T) {
	f, err := Parse("m.json", []byte(`{
  "variables": {"k": "{tokens} * 2", "tokens": "{batch_size} * {seq_len}", "unused": 3, "mtp_layers": 0},
  "layers": [
    {"name": "a", "class": "torch.nn.modules.linear.Linear", "repeat": "{k}",
     "parameters": {"num_tokens": "{seq_len}", "in_features": 4, "out_features": 4, "bias": false,
       "dtype_bytes": 2, "weight_dtype_bytes": "{weight_dtype_bytes}"}}
  ]
}`))
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(f.UsedVariables()))
	want := []string{"batch_size", "dtype_bytes", "k", "seq_len", "tokens", "weight_dtype_bytes"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("used %v, want %v", got, want)
	}
}
