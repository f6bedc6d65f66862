package validate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

// TestCopiesFindings validates a file whose layers are copies of each other (names of equal
// length, as an unrolled model has): equal layers share their nodes and a clean one is checked
// once, yet every copy of a broken layer gets its findings at its own position, exactly as
// without sharing.
func TestCopiesFindings(t *testing.T) {
	bad := `"class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": "{batch_size} * {sq_len}", "in_features": 4, "out_features": 4, "bias": false, "dtype_bytes": 2, "colour": 1}`
	block := func(name string) string {
		return `{"name": "` + name + `", "class": "m.Block", "repeat": "{nope}", "sub_layers": [
    {"name": "a", ` + linear + `},
    {"name": "b", ` + bad + `, "tied_to": "model.x"},
    ` + silu + `]}`
	}
	var blocks []string
	for i := range 12 {
		blocks = append(blocks, block(fmt.Sprintf("block_%d", i)))
	}
	src := `{"layers": [{"name": "model", "class": "m.Model", "sub_layers": [
  ` + strings.Join(blocks, ",\n  ") + `]}]}`
	shared := Source("f.json", []byte(src), Options{})
	doc, err := jsonpos.Parse("f.json", []byte(src), jsonpos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain := Document(doc, Options{})
	if !slices.Equal(shared.Diagnostics, plain.Diagnostics) {
		t.Fatalf("findings depend on sharing:\nshared %+v\nplain  %+v", shared.Diagnostics, plain.Diagnostics)
	}
	// Each of the 12 blocks: the repeat, the typo in the placeholder, the unknown parameter and
	// the dangling tie; each on the block's own line.
	if len(shared.Diagnostics) != 12*4 {
		t.Fatalf("%d findings, want %d: %+v", len(shared.Diagnostics), 12*4, shared.Diagnostics)
	}
	lines := map[int]bool{}
	for _, d := range shared.Diagnostics {
		lines[d.Line] = true
	}
	if len(lines) != 12*2 {
		t.Errorf("findings on %d lines, want 24 (a block's line and its layer b's)", len(lines))
	}
	if rep, _, ok := shared.File.Layers[0].SubLayers[5].Node.Shared(); !ok || rep != shared.File.Layers[0].SubLayers[0].Node {
		t.Error("block_5 does not share block_0's nodes")
	}
}
