package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/safetensors"
	st "github.com/modeltool/modeltool/internal/safetensors/safetensorstest"
)

// fileOf returns a whole safetensors file (header and zero data) in memory.
func fileOf(tensors []st.T, md map[string]string) []byte {
	head, data := st.Header(tensors, md)
	return append(head, make([]byte, data)...)
}

func read(b []byte) (*safetensors.File, error) {
	return safetensors.Read(bytes.NewReader(b), int64(len(b)), "m.safetensors")
}

func TestReadHeader(t *testing.T) {
	b := fileOf([]st.T{
		st.Of("model.embed_tokens.weight", "BF16", 32, 8),
		st.Of("lm_head.weight", "F32", 32, 8),
		st.Of("scale", "F32"), // a scalar
		st.Of("packed", "F4", 3, 3),
	}, map[string]string{"format": "pt"})
	f, err := read(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata = %v", f.Metadata)
	}
	got := map[string]safetensors.Tensor{}
	for _, tt := range f.Tensors {
		got[tt.Name] = tt
	}
	if len(got) != 4 {
		t.Fatalf("tensors = %v", f.Tensors)
	}
	if e := got["model.embed_tokens.weight"]; e.DType != "BF16" || e.ShapeString() != "[32, 8]" || e.Elements() != 256 || e.End-e.Begin != 512 {
		t.Errorf("embed = %+v", e)
	}
	if s := got["scale"]; s.Elements() != 1 || s.ByteSize() != 4 {
		t.Errorf("scalar = %+v", s)
	}
	// 9 four-bit elements take 5 bytes.
	if p := got["packed"]; p.ByteSize() != 5 {
		t.Errorf("F4 [3, 3] takes %d bytes, want 5", p.ByteSize())
	}
}

// header builds a file from a raw JSON header (padded) and n bytes of data.
func header(js string, n int) []byte {
	for len(js)%8 != 0 {
		js += " "
	}
	out := make([]byte, 8)
	binary.LittleEndian.PutUint64(out, uint64(len(js)))
	return append(append(out, js...), make([]byte, n)...)
}

func TestReadRefusesBrokenHeaders(t *testing.T) {
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	lenOnly := func(n uint64) []byte {
		b := make([]byte, 8, 64)
		binary.LittleEndian.PutUint64(b, n)
		return append(b, "{}      "...)
	}
	full := header(ok, 8)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"seven bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "too short"},
		{"length 2^63", lenOnly(1 << 63), "more than the 100000000"},
		{"length 2^64-1", lenOnly(^uint64(0)), "more than the 100000000"},
		{"length past the end", lenOnly(1000), "file holds only 8 after the length"},
		{"length over the cap", lenOnly(100_000_001), "more than the 100000000"},
		{"truncated header", full[:20], "file holds only 12 after the length"},
		{"truncated data", full[:len(full)-3], "the file is truncated: its header describes 8 bytes of tensor data, the file holds 5"},
		{"trailing data", append(append([]byte(nil), full...), 0, 0), "2 bytes after the last tensor's data"},
		{"not JSON", header(`{"a":`, 0), "the JSON ends too early"},
		{"not JSON either", header(`{x}`, 0), "not JSON"},
		{"an array", header(`[1,2]`, 0), "must be a JSON object"},
		{"garbage after", header(`{}x`, 0), "after the header's JSON object"},
		{"bad UTF-8", header("{\"\xff\":1}", 0), "not valid UTF-8"},
		{"duplicate", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), `"a" appears twice`},
		{"unknown dtype", header(`{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}`, 4), `unknown dtype "F7"`},
		{"no dtype", header(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4), "no dtype"},
		{"negative dimension", header(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "negative dimension"},
		{"fractional dimension", header(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), "must be an integer"},
		{"huge shape", header(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), "too many elements"},
		{"size mismatch", header(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "takes 12 bytes, but its data_offsets span 8"},
		{"gap", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "a gap in the data"},
		{"overlap", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "overlaps"},
		{"offsets reversed", header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, 8), "0 ≤ begin ≤ end"},
		{"metadata not strings", header(`{"__metadata__":{"a":1}}`, 0), "__metadata__ must be an object of strings"},
		{"entry not an object", header(`{"a":3}`, 0), "must be an object with dtype, shape and data_offsets"},
		// A config.json given where the checkpoint belongs: its first 8 bytes read as a length
		// of about 8·10^18.
		{"a config.json", []byte("{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 4096\n}\n"), "this is JSON, not a safetensors file"},
		{"a short JSON file", []byte("{\"a\": 1}"), "this is JSON, not a safetensors file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := read(full); err != nil {
		t.Fatalf("the well-formed file: %v", err)
	}
	// A header of 123 bytes: its length's first byte is '{', and the file is still read.
	padded := make([]byte, 8, 8+123+8)
	binary.LittleEndian.PutUint64(padded, 123)
	padded = append(padded, ok+strings.Repeat(" ", 123-len(ok))...)
	if f, err := read(append(padded, make([]byte, 8)...)); err != nil || len(f.Tensors) != 1 {
		t.Fatalf("a 123-byte header: %v", err)
	}
}

// readCounter counts the bytes read through ReadAt.
type readCounter struct {
	r    *bytes.Reader
	read int64
}

func (c *readCounter) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.read += int64(n)
	return n, err
}

func TestReadNeverTouchesTheData(t *testing.T) {
	head, data := st.Header([]st.T{st.Of("w", "F32", 1024, 1024)}, nil)
	b := append(head, make([]byte, data)...)
	rc := &readCounter{r: bytes.NewReader(b)}
	if _, err := safetensors.Read(rc, int64(len(b)), "w.safetensors"); err != nil {
		t.Fatal(err)
	}
	if rc.read != int64(len(head)) {
		t.Errorf("read %d bytes, want only the %d of the header", rc.read, len(head))
	}
}

func TestOpenFileIndexAndFolder(t *testing.T) {
	tensors := []st.T{
		st.Of("model.embed_tokens.weight", "BF16", 64, 16),
		st.Of("model.layers.0.mlp.down_proj.weight", "BF16", 16, 32),
		st.Of("model.layers.1.mlp.down_proj.weight", "BF16", 16, 32),
		st.Of("model.norm.weight", "BF16", 16),
		st.Of("lm_head.weight", "BF16", 64, 16),
	}
	dir := t.TempDir()
	idx, err := st.WriteSharded(dir, tensors, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{idx, dir} {
		c, err := safetensors.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(c.Files) != 3 || len(c.Tensors) != 5 || c.Index != idx {
			t.Errorf("%s: %d files, %d tensors, index %q", path, len(c.Files), len(c.Tensors), c.Index)
		}
		i := slices.IndexFunc(c.Tensors, func(x safetensors.Tensor) bool { return x.Name == "model.norm.weight" })
		if i < 0 || c.Tensors[i].ShapeString() != "[16]" {
			t.Errorf("%s: no model.norm.weight of shape [16] in %+v", path, c.Tensors)
		}
	}
	single := filepath.Join(t.TempDir(), "model.safetensors")
	if err := st.Write(single, tensors, nil); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{single, filepath.Dir(single)} {
		c, err := safetensors.Open(path)
		if err != nil || len(c.Tensors) != 5 || c.Index != "" {
			t.Fatalf("%s: %v %+v", path, err, c)
		}
	}
}

func TestOpenRefusesInconsistentShards(t *testing.T) {
	dir := t.TempDir()
	tensors := []st.T{st.Of("a", "F32", 2), st.Of("b", "F32", 2)}
	idx, err := st.WriteSharded(dir, tensors, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The index names a tensor the shard does not hold.
	if err := os.WriteFile(idx, []byte(`{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := safetensors.Open(idx); err == nil || !strings.Contains(err.Error(), `places tensor "c" in this file, which does not hold it`) {
		t.Errorf("err = %v", err)
	}
	// A shard outside the folder is refused, not read.
	if err := os.WriteFile(idx, []byte(`{"weight_map": {"a": "../elsewhere.safetensors"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := safetensors.Open(idx); err == nil || !strings.Contains(err.Error(), "not a file beside the index") {
		t.Errorf("err = %v", err)
	}
	// Two shards without an index that hold the same tensor.
	two := t.TempDir()
	for _, n := range []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"} {
		if err := st.Write(filepath.Join(two, n), tensors[:1], nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := safetensors.Open(two); err == nil || !strings.Contains(err.Error(), `tensor "a" is also in`) {
		t.Errorf("err = %v", err)
	}
	if _, err := safetensors.Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no .safetensors file") {
		t.Errorf("empty folder: err = %v", err)
	}
	if _, err := safetensors.Open(filepath.Join(dir, "nope.safetensors")); err == nil || strings.Contains(err.Error(), "stat ") {
		t.Errorf("missing file: err = %v (no system-call names)", err)
	}
}

// TestSparseSevenBillion reads a checkpoint with Llama-2-7b's shapes whose 13 GB of data is a
// hole: the reader touches only the headers.
func TestSparseSevenBillion(t *testing.T) {
	var ts []st.T
	ts = append(ts, st.Of("model.embed_tokens.weight", "F16", 32000, 4096))
	for i := 0; i < 32; i++ {
		p := "model.layers." + strconv.Itoa(i) + "."
		for _, n := range []string{"q", "k", "v", "o"} {
			ts = append(ts, st.T{Name: p + "self_attn." + n + "_proj.weight", DType: "F16", Shape: []int64{4096, 4096}})
		}
		ts = append(ts,
			st.Of(p+"mlp.gate_proj.weight", "F16", 11008, 4096),
			st.Of(p+"mlp.up_proj.weight", "F16", 11008, 4096),
			st.Of(p+"mlp.down_proj.weight", "F16", 4096, 11008),
			st.Of(p+"input_layernorm.weight", "F16", 4096),
			st.Of(p+"post_attention_layernorm.weight", "F16", 4096))
	}
	ts = append(ts, st.Of("model.norm.weight", "F16", 4096),
		st.Of("lm_head.weight", "F16", 32000, 4096))
	dir := t.TempDir()
	if _, err := st.WriteSharded(dir, ts, 150); err != nil {
		t.Skipf("no room for a sparse file here: %v", err)
	}
	c, err := safetensors.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, tt := range c.Tensors {
		total += tt.Elements()
	}
	// 6,738,415,616 parameters: docs/research/families.md derives it from the config.
	if total != 6_738_415_616 {
		t.Errorf("elements = %d", total)
	}
}

// TestOpenFolderReadsWhatTransformersLoads: without an index a folder is read as
// from_pretrained reads it — model.safetensors, else a complete set of
// model-NNNNN-of-NNNNN.safetensors shards — and any other .safetensors file (Mistral's
// consolidated.safetensors beside model.safetensors holds the same weights under other names) is
// not read, with a note; with an index, the files it does not name are noted too.
func TestOpenFolderReadsWhatTransformersLoads(t *testing.T) {
	tensors := []st.T{
		st.Of("model.embed_tokens.weight", "BF16", 64, 16),
		st.Of("model.norm.weight", "BF16", 16),
		st.Of("lm_head.weight", "BF16", 64, 16),
	}
	// consolidated.safetensors: the same 2,064 parameters under Mistral's own names.
	consolidated := []st.T{
		st.Of("tok_embeddings.weight", "BF16", 64, 16),
		st.Of("norm.weight", "BF16", 16),
		st.Of("output.weight", "BF16", 64, 16),
	}
	write := func(t *testing.T, dir, name string, ts []st.T) {
		t.Helper()
		if err := st.Write(filepath.Join(dir, name), ts, nil); err != nil {
			t.Fatal(err)
		}
	}
	names := func(c *safetensors.Checkpoint) []string {
		var out []string
		for _, f := range c.Files {
			out = append(out, filepath.Base(f.Path))
		}
		return out
	}
	noted := func(t *testing.T, c *safetensors.Checkpoint, want ...string) {
		t.Helper()
		if len(c.Notes) != len(want) {
			t.Fatalf("notes %q, want %d", c.Notes, len(want))
		}
		for i, w := range want {
			if !strings.Contains(c.Notes[i], w) {
				t.Errorf("note %q does not say %q", c.Notes[i], w)
			}
		}
	}

	t.Run("model.safetensors beside consolidated.safetensors", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "model.safetensors", tensors)
		write(t, dir, "consolidated.safetensors", consolidated)
		c, err := safetensors.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(c); !slices.Equal(got, []string{"model.safetensors"}) || len(c.Tensors) != 3 {
			t.Errorf("read %v, %d tensors; want model.safetensors alone, 3 tensors", got, len(c.Tensors))
		}
		noted(t, c, "consolidated.safetensors: not read: without an index transformers loads model.safetensors")
	})
	t.Run("shards without their index", func(t *testing.T) {
		dir := t.TempDir()
		idx, err := st.WriteSharded(dir, tensors, 2) // model-00001-of-00002, model-00002-of-00002
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(idx); err != nil {
			t.Fatal(err)
		}
		write(t, dir, "consolidated.safetensors", consolidated)
		c, err := safetensors.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(c); !slices.Equal(got, []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) || len(c.Tensors) != 3 {
			t.Errorf("read %v, %d tensors", got, len(c.Tensors))
		}
		noted(t, c, "consolidated.safetensors: not read")
		// One shard gone: the checkpoint is incomplete, which is said, not guessed around.
		if err := os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors")); err != nil {
			t.Fatal(err)
		}
		if _, err := safetensors.Open(dir); err == nil || !strings.Contains(err.Error(), "model-00002-of-00002.safetensors is missing") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an index and a file it does not name", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := st.WriteSharded(dir, tensors, 2); err != nil {
			t.Fatal(err)
		}
		write(t, dir, "consolidated.safetensors", consolidated)
		c, err := safetensors.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Files) != 2 || len(c.Tensors) != 3 {
			t.Errorf("read %v, %d tensors", names(c), len(c.Tensors))
		}
		noted(t, c, "consolidated.safetensors: not read: the index model.safetensors.index.json does not name it")
	})
	t.Run("only another file", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "consolidated.safetensors", consolidated)
		_, err := safetensors.Open(dir)
		if err == nil || !strings.Contains(err.Error(), "name the file to check (it holds consolidated.safetensors)") {
			t.Errorf("err = %v", err)
		}
		// Named, it is read.
		c, err := safetensors.Open(filepath.Join(dir, "consolidated.safetensors"))
		if err != nil || len(c.Tensors) != 3 || len(c.Notes) != 0 {
			t.Errorf("named: %v %+v", err, c)
		}
	})
	t.Run("a shard of an absurd count", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "model-00001-of-99999999.safetensors", tensors)
		if _, err := safetensors.Open(dir); err == nil || !strings.Contains(err.Error(), "model-00002-of-99999999.safetensors is missing") {
			t.Errorf("err = %v", err)
		}
	})
}
