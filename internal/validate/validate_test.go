package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/schema"
)

// finding is what a test expects of one diagnostic: "LINE:COL SEVERITY CODE [LAYER] MESSAGE",
// where MESSAGE may be a prefix of the message (ending in "…").
type finding string

func render(d diag.Diagnostic) string {
	layer := ""
	if d.Layer != "" {
		layer = "[" + d.Layer + "] "
	}
	return fmt.Sprintf("%d:%d %s %s %s%s", d.Line, d.Column, d.Severity, d.Code, layer, d.Message)
}

func matches(got string, want finding) bool {
	if w, ok := strings.CutSuffix(string(want), "…"); ok {
		return strings.HasPrefix(got, w)
	}
	return got == string(want)
}

// The SiLU and Linear layers below are complete unless a case breaks them.
const (
	silu   = `{"name": "act", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}`
	linear = `"class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 8, "in_features": 4, "out_features": 4, "bias": false, "dtype_bytes": 2}`
)

// TestRules gives each rule a small file and every finding it must produce, position included.
// Positions are counted by hand from the sources (columns are 1-based bytes).
func TestRules(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []finding
	}{
		{"clean", `{"layers": [` + silu + `]}`, nil},
		{"clean with x- keys", `{"x-a": 1, "layers": [{"name": "d", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}, "x-b": [1]}]}`, nil},

		// JSON syntax: one finding, nothing else.
		{"syntax", "{\n  \"layers\": [,]\n}", []finding{`2:14 error syntax invalid JSON: unexpected character ',': expected a value`}},
		{"depth limit", strings.Repeat("[", 1001), []finding{`1:1001 error too-deep objects and arrays nest deeper than 1000 levels…`}},

		// Duplicate keys, at the repeat, naming the first; the last value is the one checked.
		{"duplicate key", "{\"layers\": [\n{\"name\": \"act\", \"class\": \"torch.nn.modules.activation.SiLU\",\n\"parameters\": {\"num_elements\": -1, \"dtype_bytes\": 2, \"num_elements\": 8}}]}",
			[]finding{`3:54 error duplicate-key [act] duplicate key "num_elements" (first at 3:16): JSON readers keep only the last value, so the first is lost`}},

		// Schema.
		{"unknown key", `{"layers": [], "layres": 1}`, []finding{
			`1:12 error empty layers is empty: a model needs at least one layer`,
			`1:16 error unknown-key unknown key "layres" (did you mean "layers"?)`,
		}},
		{"missing name and class", `{"layers": [{}]}`, []finding{
			`1:13 error required layer has no "name"…`, // the schema's order of required keys
			`1:13 error required layer has no "class"…`,
		}},
		{"bad variable name at the key", `{"variables": {"9x": 1}, "layers": [` + silu + `]}`, []finding{
			`1:16 error pattern variable name "9x" is not an identifier (letters, digits and _, not starting with a digit)`,
		}},
		{"template-only keys", `{"layers": [{"name": "d", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}, "if": true, "index": "i", "aliases": ["e"], "unquantized": true}]}`, []finding{
			`1:90 error template-only [d] "if" is only allowed in architecture templates (files with a "template" section)`,
			`1:102 error template-only [d] "index" is only allowed in architecture templates (files with a "template" section)`,
			`1:134 error template-only [d] "unquantized" is only allowed in architecture templates (files with a "template" section)`,
		}},
		// Strings, lists and class expressions are for templates; a model file's aliases are
		// kept (they name the ModuleList), but one may not be a sibling's name.
		{"template-only expressions", `{"variables": {"mode": "'fast'"}, "layers": [
{"name": "a", "class": "activation({act})", "parameters": {}},
{"name": "d", "aliases": ["layers"], "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": "[1, 2][0]", "dtype_bytes": 2}},
{"name": "layers", "aliases": ["x", "d"], "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": "{seq_len} in [1]", "dtype_bytes": 2}}
]}`, []finding{
			`1:25 error template-only variable mode: a string is only allowed in architecture templates…`,
			`2:24 error template-only [a] class "activation({act})" is an expression, which only architecture templates may use…`,
			`3:27 error duplicate-name [d] alias "layers" is the name of a sibling layer…`,
			`3:115 error template-only [d] parameter num_elements: a list is only allowed in architecture templates…`,
			`4:37 error duplicate-name [layers] alias "d" is the name of a sibling layer…`,
			`4:130 error template-only [layers] parameter num_elements: "in" is only allowed in architecture templates…`,
		}},

		// Catalog.
		{"unknown class with suggestion", `{"layers": [{"name": "n", "class": "torch.nn.modules.linear.Lnear", "parameters": {}}]}`, []finding{
			`1:36 error unknown-class [n] unknown basic class torch.nn.modules.linear.Lnear (did you mean torch.nn.modules.linear.Linear?)…`,
		}},
		{"missing parameters, one each, at the parameters key", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"dtype_bytes": 2}}]}`, []finding{
			`1:72 error missing-parameter [a] missing parameter num_elements of SiLU: elements the activation is applied to (tokens × width)`,
		}},
		{"missing parameters without a parameters key: at the name", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU"}]}`, []finding{
			`1:22 error missing-parameter [a] missing parameter num_elements of SiLU…`, // the catalog's order
			`1:22 error missing-parameter [a] missing parameter dtype_bytes of SiLU: bytes per element`,
		}},
		{"parameters not an object: only the type", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": [1]}]}`, []finding{
			`1:86 error type [a] "parameters" must be an object, not an array`,
		}},
		{"unknown parameter", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_byte": 2, "dtype_bytes": 2}}]}`, []finding{
			`1:106 warning unknown-parameter [a] SiLU has no parameter "dtype_byte"; it is ignored (did you mean dtype_bytes?)`,
		}},
		{"a parameter name that is no identifier is the schema's alone", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_bytes": 2, "a-b": 1}}]}`, []finding{
			`1:124 error pattern [a] parameter name "a-b" is not an identifier (letters, digits and _, not starting with a digit)`,
		}},
		{"composite with parameters", `{"layers": [{"name": "m", "class": "a.M", "parameters": {}, "sub_layers": [` + silu + `]}]}`, []finding{
			`1:43 error composite-parameters [m] composite layer has parameters, which nothing reads…`,
		}},
		{"duplicate sibling names", `{"layers": [` + silu + `, ` + silu + `]}`, []finding{
			`1:137 error duplicate-name [act] duplicate layer name "act" among siblings (first at 1:22): layer paths must be unique`,
		}},
		{"same name in different parents is fine", `{"layers": [{"name": "a", "class": "a.A", "sub_layers": [` + silu + `]}, {"name": "b", "class": "a.B", "sub_layers": [` + silu + `]}]}`, nil},
		{"attention without core", `{"layers": [{"name": "attn", "class": "x.MyAttention", "sub_layers": [` + silu + `]}]}`, []finding{
			`1:22 warning no-attention-core [attn] attention module has no attention-core layer…`,
		}},
		{"failed check", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"bias": false`, `"bias": false, "weight_read_share": 2`, 1) + `}]}`, []finding{
			`1:22 error check [l] weight_read_share is a share of the weights: at most 1 ({weight_read_share} <= 1 is false with the default variables)`,
		}},

		// Expressions and values.
		{"expression syntax, column inside the string after an escape", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": "\u0031 + * 2", "dtype_bytes": 2}}]}`, []finding{
			`1:113 error bad-expression [a] parameter num_elements: expected a number, a {variable}, "(" or a function call, found "*"`,
		}},
		{"undeclared with suggestion", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": "2 * {seq_le}", "dtype_bytes": 2}}]}`, []finding{
			`1:108 error undeclared-variable [a] parameter num_elements: {seq_le} is not a declared variable (did you mean {seq_len}?)`,
		}},
		{"division by zero at the operator", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": "{seq_len} // {past_len}", "dtype_bytes": 2}}]}`, []finding{
			`1:114 error bad-value [a] parameter num_elements: division by zero`,
		}},
		{"zero size", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"in_features": 4`, `"in_features": "{past_len}"`, 1) + `}]}`, []finding{
			`1:117 error bad-value [l] parameter in_features of Linear must be a positive integer, got 0 ("{past_len}" with the default variables)`,
		}},
		{"fractional size from a constant string", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"in_features": 4`, `"in_features": "9 / 2"`, 1) + `}]}`, []finding{
			`1:117 error bad-value [l] parameter in_features of Linear must be a positive integer, got 4.5`,
		}},
		{"negative bytes from a variable", `{"variables": {"dtype_bytes": "-2"}, "layers": [` + silu + `]}`, []finding{
			`1:31 error bad-value variable dtype_bytes must be a positive number of bytes (fractions allowed, 0.5 for int4), got -2`,
		}},
		{"a broken variable is reported once, not at every use", `{"variables": {"n": "{n} + 1", "dtype_bytes": 0}, "layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": "{n}", "dtype_bytes": "{dtype_bytes}"}}]}`, []finding{
			`1:21 error bad-value variable n: {n} is defined in terms of itself: n → n`,
			`1:47 error bad-value variable dtype_bytes must be a positive number of bytes (fractions allowed, 0.5 for int4), got 0`,
		}},
		// One finding per fault: a dependent before its broken origin in the file is not reported,
		// nor one that leads into a cycle; a cycle once, at its first variable in file order.
		{"a broken variable's dependents are not reported", `{"variables": {"d": "{c} * 2", "c": "{b} + 1", "b": "1 / 0", "x": "{q}", "p": "{q} + 1", "q": "{p}"}, "layers": [` + silu + `]}`, []finding{
			`1:56 error bad-value variable b: division by zero`,
			`1:79 error bad-value variable p: {p} is defined in terms of itself: p → q → p`,
		}},
		{"repeat string evaluates", `{"layers": [{"name": "a", "repeat": "{seq_len} / 3", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}]}`, []finding{
			`1:37 error bad-value [a] repeat must be an integer ≥ 0, got 2048/3 ("{seq_len} / 3" with the default variables)`,
		}},
		{"repeat string negative", `{"layers": [{"name": "a", "repeat": "{seq_len} - 2049", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}]}`, []finding{
			`1:37 error bad-value [a] repeat must be an integer ≥ 0, got -1 ("{seq_len} - 2049" with the default variables)`,
		}},
		{"repeat string 0 is an absent layer", `{"variables": {"extra": 0}, "layers": [{"name": "a", "repeat": "{extra}", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}]}`, nil},
		{"repeat string 32 is fine", `{"layers": [{"name": "a", "repeat": "32", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}]}`, nil},
		{"number literal out of range", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 1e99999, "dtype_bytes": 2}}]}`, []finding{
			`1:103 error bad-number [a] parameter num_elements: …`,
		}},

		// tied_to.
		{"tied_to", `{"layers": [
{"name": "e", "class": "torch.nn.modules.sparse.Embedding", "parameters": {"num_indices": 8, "num_embeddings": 10, "embedding_dim": 4, "dtype_bytes": 2, "index_dtype_bytes": 8}},
{"name": "h", "tied_to": "e", ` + linear + `},
{"name": "g", "tied_to": "f", ` + linear + `},
{"name": "m", "class": "a.M", "tied_to": "e", "sub_layers": [` + silu + `]},
{"name": "k", "tied_to": "m", ` + linear + `},
{"name": "s", "tied_to": "s", ` + linear + `}
]}`, []finding{
			`3:26 error tied-to [h] this layer's weight is [4, 4] but e's is [10, 4]: tied layers share one weight, which has one shape; make the shapes agree or drop tied_to`,
			`4:26 error tied-to [g] tied_to names f, which is not a layer of this file…`,
			`5:42 error tied-to [m] a composite layer cannot be tied…`,
			`6:26 error tied-to [k] tied_to names m, a composite layer…`,
			`7:26 error tied-to [s] a layer cannot be tied to itself`,
		}},
		// Same size, another shape: a Linear 10→4 holds a [4, 10] weight, the embedding a
		// [10, 4] one (40 each); 4→10 holds [10, 4], the embedding's. With a bias of its own
		// (10 more) the shapes agree and the counts do not.
		{"tied_to transposed", `{"layers": [
{"name": "e", "class": "torch.nn.modules.sparse.Embedding", "parameters": {"num_indices": 8, "num_embeddings": 10, "embedding_dim": 4, "dtype_bytes": 2, "index_dtype_bytes": 8}},
{"name": "t", "tied_to": "e", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 2, "in_features": 10, "out_features": 4, "bias": false, "dtype_bytes": 2}},
{"name": "h", "tied_to": "e", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 2, "in_features": 4, "out_features": 10, "bias": false, "dtype_bytes": 2}},
{"name": "b", "tied_to": "e", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 2, "in_features": 4, "out_features": 10, "bias": true, "dtype_bytes": 2}}
]}`, []finding{
			`3:26 error tied-to [t] this layer's weight is [4, 10] but e's is [10, 4]…`,
			`5:26 error tied-to [b] this layer has 50 parameters but e has 40: a tied layer's parameters are counted once…`,
		}},
		// Layers tied to each other in a circle: calc leaves tied layers' parameters out, so
		// nothing would count the weight. One finding per circle, at its first layer; a layer
		// tied into it (c) and a chain that ends at an owner (y → x ← z) are fine.
		{"tied_to in a circle", `{"layers": [
{"name": "a", "tied_to": "b", ` + linear + `},
{"name": "b", "tied_to": "a", ` + linear + `},
{"name": "c", "tied_to": "b", ` + linear + `},
{"name": "x", ` + linear + `},
{"name": "y", "tied_to": "x", ` + linear + `},
{"name": "z", "tied_to": "y", ` + linear + `}
]}`, []finding{
			`2:26 error tied-to [a] tied_to goes round in a circle (a → b → a): no layer on it owns the weight, so its parameters would be counted nowhere; tie the others to the one that owns it and drop its tied_to`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Source("t.json", []byte(c.src), Options{})
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, render(d))
			}
			ok := len(got) == len(c.want)
			for i := 0; ok && i < len(got); i++ {
				ok = matches(got[i], c.want[i])
			}
			if !ok {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(asStrings(c.want), "\n\t"))
			}
		})
	}
}

func asStrings(fs []finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// TestShippedFilesAreClean: the model files and templates the project ships validate without a
// finding.
func TestShippedFilesAreClean(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "models", "*.json"))
	tpls, _ := filepath.Glob(filepath.Join("..", "..", "models", "templates", "*.json"))
	for _, f := range append(files, tpls...) {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if res := Source(f, data, Options{}); len(res.Diagnostics) != 0 {
			t.Errorf("%s: %d findings, first %s", f, len(res.Diagnostics), render(res.Diagnostics[0]))
		}
	}
}

func TestSortAndCount(t *testing.T) {
	ds := []diag.Diagnostic{
		{File: "b", Line: 1, Column: 1, Severity: diag.Error, Message: "x"},
		{File: "a", Line: 2, Column: 1, Severity: diag.Warning, Message: "w"},
		{File: "a", Line: 2, Column: 1, Severity: diag.Error, Message: "z"},
		{File: "a", Line: 1, Column: 9, Severity: diag.Error, Message: "y"},
		{File: "a", Line: 2, Column: 1, Severity: diag.Error, Message: "e"},
	}
	diag.Sort(ds)
	var order []string
	for _, d := range ds {
		order = append(order, d.Message)
	}
	// a:1:9 (y); a:2:1's errors in the order found (z, e), then its warning (w); b (x).
	if got := strings.Join(order, ""); got != "yzewx" {
		t.Errorf("order %q, want yzewx", got)
	}
	if e, w := diag.Count(ds); e != 4 || w != 1 {
		t.Errorf("Count = %d, %d", e, w)
	}
}

// longNameCases are names and values from the file that used to print megabytes, or take
// seconds in the quadratic did-you-mean search (a 200 KB class: 2 s; 20 KB tied_to: 1.8 s).
func longNameCases() []struct{ name, src, want string } {
	long := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	cases := []struct{ name, src, want string }{
		{"class", `{"layers": [{"name": "a", "class": "` + long('x', 1<<20) + `", "parameters": {}}]}`,
			`unknown basic class ` + long('x', diag.MaxQuoted) + `…(1048576 bytes); a layer without sub_layers must be a class of the catalog (modeltool layers), or add it with --catalog`},
		{"tied_to", `{"layers": [{"name": "` + long('y', 1<<16) + `", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}, {"name": "b", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}, "tied_to": "` + long('y', 1<<16-1) + `z"}]}`,
			`tied_to names ` + long('y', diag.MaxQuoted) + `…(65536 bytes), which is not a layer of this file`},
		{"unknown key", `{"layers": [], "` + long('k', 1<<20) + `": 1}`,
			`unknown key "` + long('k', diag.MaxQuoted) + `"…(1048576 bytes) (your own annotations go in keys that begin with x-)`},
		{"unknown parameter", `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU", "parameters": {"num_elements": 1, "dtype_bytes": 2, "` + long('p', 1<<20) + `": 1}}]}`,
			`SiLU has no parameter "` + long('p', diag.MaxQuoted) + `"…(1048576 bytes); it is ignored`},
		{"multi-byte cut", `{"layers": [{"name": "a", "class": "` + strings.Repeat("é", 100) + `", "parameters": {}}]}`,
			`unknown basic class ` + strings.Repeat("é", diag.MaxQuoted/2) + `…(200 bytes); a layer without sub_layers must be a class of the catalog (modeltool layers), or add it with --catalog`},
		// A class path is cut at the front: its end says what it is.
		{"dotted class", `{"layers": [{"name": "a", "class": "acme.models.rotary_family.modeling_rotary_family.ApplyRotaryPosEmb", "parameters": {}}]}`,
			`unknown basic class …modeling_rotary_family.ApplyRotaryPosEmb; a layer without sub_layers must be a class of the catalog (modeltool layers), or add it with --catalog`},
	}
	return cases
}

// TestLongNamesAreCut: names and values from the file are cut in messages (the position says
// where the rest is); suggest.MaxLen keeps them out of the did-you-mean search, and
// BenchmarkLongNames measures that they stay cheap.
func TestLongNamesAreCut(t *testing.T) {
	for _, c := range longNameCases() {
		res := Source("t.json", []byte(c.src), Options{})
		found := false
		for _, d := range res.Diagnostics {
			found = found || d.Message == c.want
			if len(d.Message) > 400 {
				t.Errorf("%s: a %d-byte message", c.name, len(d.Message))
			}
		}
		if !found {
			t.Errorf("%s: no finding %q in %+v", c.name, c.want, res.Diagnostics)
		}
	}
}

// BenchmarkLongNames validates the long-name cases: milliseconds, where the did-you-mean search
// on whole names took seconds.
func BenchmarkLongNames(b *testing.B) {
	cases := longNameCases()
	for b.Loop() {
		for _, c := range cases {
			Source("t.json", []byte(c.src), Options{})
		}
	}
}

// TestSchemaCheckPanicReachesTheCaller: the schema check runs on a goroutine of its own; a bug
// that panics there is raised again on the caller's goroutine (where modeltool reports an
// internal error, exit 2, and a fuzzer sees a crash), not turned into a finding (exit 1) nor
// left to kill the process.
func TestSchemaCheckPanicReachesTheCaller(t *testing.T) {
	defer func(f func(*jsonpos.Node) ([]schema.Problem, error)) { checkSchema = f }(checkSchema)
	checkSchema = func(*jsonpos.Node) ([]schema.Problem, error) { panic("boom") }
	defer func() {
		if r := recover(); fmt.Sprint(r) != "the schema check of t.json: boom" {
			t.Errorf("recovered %v", r)
		}
	}()
	res := Source("t.json", []byte(`{"layers": [`+silu+`]}`), Options{})
	t.Errorf("no panic; findings %+v", res.Diagnostics)
}
