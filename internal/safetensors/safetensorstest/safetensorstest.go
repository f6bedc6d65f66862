// Package safetensorstest writes safetensors files for tests: real headers, and data that is
// a hole (the file is extended to its full length without writing it, so a checkpoint with the
// shapes of a 7B model takes no disk space on filesystems with sparse files).
package safetensorstest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/modeltool/modeltool/internal/safetensors"
)

// T is one tensor to write: a name, a dtype and a shape.
type T struct {
	Name  string
	DType string
	Shape []int64
}

// Header returns the bytes of a file's beginning for tensors: the length, the JSON header
// (padded to 8 bytes with spaces, as the reference writer does), and the size of the data
// that must follow.
func Header(tensors []T, metadata map[string]string) ([]byte, int64) {
	type info struct {
		DType       string  `json:"dtype"`
		Shape       []int64 `json:"shape"`
		DataOffsets []int64 `json:"data_offsets"`
	}
	h := map[string]any{}
	if metadata != nil {
		h[safetensors.MetadataKey] = metadata
	}
	sorted := append([]T(nil), tensors...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var off int64
	for _, t := range sorted {
		n := safetensors.Tensor{DType: t.DType, Shape: t.Shape}.ByteSize()
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		h[t.Name] = info{t.DType, shape, []int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(h)
	if err != nil {
		panic(err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := make([]byte, 8, 8+len(js))
	binary.LittleEndian.PutUint64(out, uint64(len(js)))
	return append(out, js...), off
}

// Write writes a safetensors file at path holding tensors, its data a hole of zeros.
func Write(path string, tensors []T, metadata map[string]string) error {
	head, data := Header(tensors, metadata)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(head); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(head)) + data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteSharded writes tensors into shards of at most perShard tensors each, named as
// transformers names them (model-00001-of-00003.safetensors), and their
// model.safetensors.index.json, in dir. It returns the index's path.
func WriteSharded(dir string, tensors []T, perShard int) (string, error) {
	n := (len(tensors) + perShard - 1) / perShard
	weightMap := map[string]string{}
	var total int64
	for i := 0; i < n; i++ {
		part := tensors[i*perShard : min(len(tensors), (i+1)*perShard)]
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n)
		if err := Write(filepath.Join(dir, name), part, map[string]string{"format": "pt"}); err != nil {
			return "", err
		}
		for _, t := range part {
			weightMap[t.Name] = name
			total += safetensors.Tensor{DType: t.DType, Shape: t.Shape}.ByteSize()
		}
	}
	idx, err := json.MarshalIndent(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap}, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "model"+safetensors.IndexSuffix)
	return path, os.WriteFile(path, idx, 0o644)
}

// Of is a tensor of the given name, dtype and shape.
func Of(name, dtype string, shape ...int64) T { return T{Name: name, DType: dtype, Shape: shape} }
