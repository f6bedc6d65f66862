package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/modeltool/modeltool/internal/safetensors"
	"github.com/modeltool/modeltool/internal/safetensors/safetensorstest"
)

// FuzzRead feeds arbitrary bytes to the header reader: it must return a header or an error,
// never panic, and a header it accepts must describe the file exactly (offsets tiling the data
// that ends where the file ends).
func FuzzRead(f *testing.F) {
	head, n := safetensorstest.Header([]safetensorstest.T{
		{Name: "a.weight", DType: "BF16", Shape: []int64{4, 2}},
		{Name: "b", DType: "F4", Shape: []int64{3}},
	}, map[string]string{"format": "pt"})
	f.Add(append(head, make([]byte, n)...))
	f.Add([]byte{})
	big := make([]byte, 16)
	binary.LittleEndian.PutUint64(big, 1<<63)
	f.Add(big)
	f.Add(append([]byte{8, 0, 0, 0, 0, 0, 0, 0}, "{}      "...))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := safetensors.Read(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		end := int64(0)
		for _, tt := range h.Tensors {
			if tt.Begin != end || tt.End-tt.Begin != tt.ByteSize() || tt.Elements() < 0 {
				t.Fatalf("accepted a tensor that does not tile the data: %+v", tt)
			}
			end = tt.End
		}
		if 8+h.HeaderBytes+end != int64(len(data)) {
			t.Fatalf("accepted a header that does not end with the file")
		}
	})
}
