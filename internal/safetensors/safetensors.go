// Package safetensors reads the headers of safetensors checkpoints — one file, a sharded
// checkpoint's model.safetensors.index.json, or a folder holding them — and never their tensor
// data: a 700 GB checkpoint is described by a few megabytes of JSON.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of JSON, then the
// tensor data. The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]} (offsets relative to the start of the data) and may hold a "__metadata__" object of
// strings. The reader checks what the reference implementation checks: a header length no
// larger than the file and than MaxHeaderBytes, JSON that is an object of well-formed entries,
// and data offsets that tile the data exactly, each tensor's byte size matching its dtype and
// shape, the last one ending at the end of the file (a truncated download is reported, not read
// past).
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/modeltool/modeltool/internal/diag"
	"io"
	"math/bits"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxHeaderBytes is the largest header read, the limit of the reference implementation
// (safetensors' MAX_HEADER_SIZE): DeepSeek-V3's largest shard header is about 200 KB.
const MaxHeaderBytes = 100_000_000

// MetadataKey is the header key of the free-form metadata object.
const MetadataKey = "__metadata__"

// DTypeBits gives the width in bits of every element type the format defines.
var DTypeBits = map[string]int{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// Tensor is one entry of a header.
type Tensor struct {
	Name  string
	DType string
	Shape []int64
	// Begin and End are the data offsets, relative to the start of the data.
	Begin, End int64
	// File is the path of the file that holds the tensor.
	File string
}

// Elements returns the number of elements (1 for a scalar of shape []). Shapes are checked when
// read, so the product fits in an int64.
func (t Tensor) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ShapeString prints the shape as [a, b, c].
func (t Tensor) ShapeString() string { return FormatShape(t.Shape) }

// FormatShape prints a shape as [a, b, c].
func FormatShape(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// File is the header of one safetensors file.
type File struct {
	Path string
	// Size is the file's size in bytes; HeaderBytes the length of its JSON header.
	Size        int64
	HeaderBytes int64
	Metadata    map[string]string
	// Tensors are in data order.
	Tensors []Tensor
}

// Error is a fault of a checkpoint file: a header that cannot be read or does not describe the
// file. Offset is the byte offset in the file it concerns, -1 when it concerns the file as a
// whole.
type Error struct {
	File   string
	Offset int64
	Msg    string
}

func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%s: byte %d: %s", e.File, e.Offset, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ReadFile reads the header of the safetensors file at path.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, pathError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{File: path, Offset: -1, Msg: "not a regular file"}
	}
	return Read(f, st.Size(), path)
}

// pathError drops the system call's name from an *os.PathError ("open x: no such file").
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &Error{File: pe.Path, Offset: -1, Msg: pe.Err.Error()}
	}
	return err
}

// Read reads the header of a safetensors file of size bytes through r, reading nothing past the
// header. name is the file's name in messages.
func Read(r io.ReaderAt, size int64, name string) (*File, error) {
	fail := func(off int64, format string, args ...any) (*File, error) {
		return nil, &Error{File: name, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	if size < 8 {
		return fail(-1, "%d bytes is too short for a safetensors file: it begins with an 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return fail(0, "cannot read the header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case (n > MaxHeaderBytes || n > uint64(size-8)) && lenBuf[0] == '{':
		// A JSON file where a checkpoint belongs: its config.json, or an index not named
		// *.index.json. A real header length whose first byte is '{' is told apart by the
		// length being possible.
		return fail(-1, "this is JSON, not a safetensors file (which begins with an 8-byte header length): give a .safetensors file, the checkpoint's model.safetensors.index.json or its folder")
	case n > MaxHeaderBytes:
		return fail(0, "the header length is %d bytes, more than the %d a safetensors header may have (not a safetensors file, or a damaged one)", n, MaxHeaderBytes)
	case n > uint64(size-8):
		return fail(0, "the header length is %d bytes but the file holds only %d after the length: the file is truncated or not a safetensors file", n, size-8)
	case n < 2:
		return fail(0, "the header length is %d bytes, too short for a JSON object", n)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return fail(8, "cannot read the header: %v", err)
	}
	f := &File{Path: name, Size: size, HeaderBytes: int64(n)}
	if err := f.parseHeader(header); err != nil {
		return nil, err
	}
	if err := f.checkOffsets(); err != nil {
		return nil, err
	}
	return f, nil
}

// tensorInfo is one header entry as JSON.
type tensorInfo struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseHeader reads the JSON header: one object, each member a tensor or the metadata.
func (f *File) parseHeader(header []byte) error {
	errAt := func(off int64, format string, args ...any) error {
		return &Error{File: f.Path, Offset: 8 + off, Msg: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(header) {
		return errAt(int64(firstInvalidUTF8(header)), "the header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return errAt(dec.InputOffset(), "the header is not JSON: %v", jsonMessage(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errAt(0, "the header must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		keyOff := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return errAt(dec.InputOffset(), "the header is not JSON: %v", jsonMessage(err))
		}
		key := tok.(string) // object keys are strings
		if seen[key] {
			return errAt(keyOff, "tensor %s appears twice in the header", diag.Quote(key))
		}
		seen[key] = true
		valOff := dec.InputOffset()
		if key == MetadataKey {
			var md map[string]string
			if err := dec.Decode(&md); err != nil {
				return errAt(valOff, "%s must be an object of strings: %v", MetadataKey, jsonMessage(err))
			}
			f.Metadata = md
			continue
		}
		var info tensorInfo
		if err := dec.Decode(&info); err != nil {
			return errAt(valOff, "tensor %s: %v", diag.Quote(key), jsonMessage(err))
		}
		t, msg := info.tensor(key)
		if msg != "" {
			return errAt(valOff, "tensor %s: %s", diag.Quote(key), msg)
		}
		t.File = f.Path
		f.Tensors = append(f.Tensors, t)
	}
	if _, err := dec.Token(); err != nil {
		return errAt(dec.InputOffset(), "the header is not JSON: %v", jsonMessage(err))
	}
	// Only padding (the writer pads to 8 bytes with spaces) may follow the object.
	rest := header[dec.InputOffset():]
	if i := bytes.IndexFunc(rest, func(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' && r != 0 }); i >= 0 {
		return errAt(dec.InputOffset()+int64(i), "unexpected data after the header's JSON object")
	}
	return nil
}

// tensor checks an entry and returns it, or a message saying what is wrong.
func (info tensorInfo) tensor(name string) (Tensor, string) {
	switch {
	case info.DType == nil:
		return Tensor{}, "no dtype"
	case info.Shape == nil:
		return Tensor{}, "no shape"
	case info.DataOffsets == nil:
		return Tensor{}, "no data_offsets"
	}
	if _, ok := DTypeBits[*info.DType]; !ok {
		return Tensor{}, fmt.Sprintf("unknown dtype %q (known: %s)", *info.DType, strings.Join(dtypeNames(), ", "))
	}
	elems := uint64(1)
	for _, d := range *info.Shape {
		if d < 0 {
			return Tensor{}, fmt.Sprintf("negative dimension %d in shape %s", d, FormatShape(*info.Shape))
		}
		hi, lo := bits.Mul64(elems, uint64(d))
		if hi != 0 || lo > 1<<62 {
			return Tensor{}, fmt.Sprintf("shape %s has too many elements", FormatShape(*info.Shape))
		}
		elems = lo
	}
	off := *info.DataOffsets
	if len(off) != 2 || off[0] < 0 || off[1] < off[0] {
		return Tensor{}, fmt.Sprintf("data_offsets must be [begin, end] with 0 ≤ begin ≤ end, not %v", off)
	}
	return Tensor{Name: name, DType: *info.DType, Shape: *info.Shape, Begin: off[0], End: off[1]}, ""
}

// ByteSize is the number of data bytes a tensor of this dtype and shape occupies (sub-byte types
// packed, rounded up to whole bytes).
func (t Tensor) ByteSize() int64 {
	b := uint64(DTypeBits[t.DType])
	hi, lo := bits.Mul64(uint64(t.Elements()), b)
	if hi != 0 {
		return -1
	}
	return int64((lo + 7) / 8)
}

// checkOffsets requires the tensors' data to tile the data section exactly, as the reference
// implementation does, and the data section to end where the file ends.
func (f *File) checkOffsets() error {
	sort.SliceStable(f.Tensors, func(i, j int) bool {
		a, b := f.Tensors[i], f.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var end int64
	for _, t := range f.Tensors {
		if t.Begin != end {
			if t.Begin < end {
				return &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("tensor %s overlaps the data of the tensor before it (its data begins at %d, before %d)", diag.Quote(t.Name), t.Begin, end)}
			}
			return &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("tensor %s: a gap in the data before it (bytes %d to %d belong to no tensor)", diag.Quote(t.Name), end, t.Begin)}
		}
		if want := t.ByteSize(); want != t.End-t.Begin {
			return &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("tensor %s: %s of %s takes %d bytes, but its data_offsets span %d", diag.Quote(t.Name), FormatShape(t.Shape), t.DType, want, t.End-t.Begin)}
		}
		end = t.End
	}
	data := f.Size - 8 - f.HeaderBytes
	switch {
	case end > data:
		return &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("the file is truncated: its header describes %d bytes of tensor data, the file holds %d", end, data)}
	case end < data:
		return &Error{File: f.Path, Offset: -1, Msg: fmt.Sprintf("%d bytes after the last tensor's data belong to no tensor (the header describes %d bytes of data, the file holds %d)", data-end, end, data)}
	}
	return nil
}

func dtypeNames() []string {
	var out []string
	for k := range DTypeBits {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonMessage shortens encoding/json's messages ("json: cannot unmarshal string into Go struct
// field tensorInfo.shape of type int64" → "cannot unmarshal string … of type int64").
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		what := te.Field
		if what == "" {
			what = "value"
		}
		return fmt.Sprintf("%s must be %s, not a JSON %s", what, goTypeName(te.Type.String()), te.Value)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func goTypeName(t string) string {
	switch t {
	case "int64":
		return "an integer"
	case "string":
		return "a string"
	case "[]int64":
		return "a list of integers"
	case "map[string]string":
		return "an object of strings"
	case "safetensors.tensorInfo":
		return "an object with dtype, shape and data_offsets"
	}
	return t
}
