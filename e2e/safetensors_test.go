package e2e

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	st "github.com/modeltool/modeltool/internal/safetensors/safetensorstest"
)

// cmdSafetensors is the script command "safetensors [-shards N] SPEC OUT": it writes the
// checkpoint SPEC describes, one tensor a line ("NAME DTYPE DIM..."; # starts a comment), as the
// safetensors file OUT — real headers, the data a hole — or, with -shards, as N shards and
// their model.safetensors.index.json in the folder OUT.
func cmdSafetensors(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! safetensors")
	}
	shards := 0
	if len(args) > 0 && args[0] == "-shards" {
		if len(args) < 2 {
			ts.Fatalf("usage: safetensors [-shards N] SPEC OUT")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			ts.Fatalf("safetensors: bad shard count %q", args[1])
		}
		shards, args = n, args[2:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: safetensors [-shards N] SPEC OUT")
	}
	var tensors []st.T
	for _, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			ts.Fatalf("safetensors: %q: want NAME DTYPE DIM...", line)
		}
		t := st.Of(f[0], f[1])
		for _, d := range f[2:] {
			n, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				ts.Fatalf("safetensors: %q: bad dimension %q", line, d)
			}
			t.Shape = append(t.Shape, n)
		}
		tensors = append(tensors, t)
	}
	out := ts.MkAbs(args[1])
	if shards == 0 {
		ts.Check(st.Write(out, tensors, map[string]string{"format": "pt"}))
		return
	}
	ts.Check(os.MkdirAll(out, 0o755))
	_, err := st.WriteSharded(out, tensors, (len(tensors)+shards-1)/shards)
	ts.Check(err)
}

// cmdHeaderLength is the script command "headerlength OUT N [TEXT]": it writes a file that
// begins with the 8-byte little-endian header length N, followed by TEXT — a damaged or hostile
// safetensors file.
func cmdHeaderLength(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: headerlength OUT N [TEXT]")
	}
	n, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		ts.Fatalf("headerlength: bad length %q", args[1])
	}
	b := binary.LittleEndian.AppendUint64(nil, n)
	if len(args) == 3 {
		b = append(b, args[2]...)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}
