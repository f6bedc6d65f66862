package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

func check(t *testing.T, src string) []Problem {
	t.Helper()
	d, err := jsonpos.Parse("t.json", []byte(src), jsonpos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Check(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestSchemaCompiles(t *testing.T) {
	defer templatesWanted.Store(templatesWanted.Load())
	for _, templates := range []bool{false, true} {
		if err := Prepare(templates); err != nil {
			t.Fatalf("templates %v: %v", templates, err)
		}
	}
}

// TestModelsSchemaSaysTheSame: the schema compiled for model files (without the template
// section) finds in every shipped model file and every faulty one of testdata/bad what the
// whole schema finds, and leaves out what only the template section uses.
func TestModelsSchemaSaysTheSame(t *testing.T) {
	files, _ := filepath.Glob("../../models/*.json")
	bad, _ := filepath.Glob("../../testdata/bad/*.json")
	files = append(files, bad...)
	if len(bad) < 20 {
		t.Fatalf("%d files in testdata/bad, want the fixtures there", len(bad))
	}
	compared := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonpos.Parse(f, src, jsonpos.Options{Share: true})
		if err != nil || doc.Root.Kind == jsonpos.Object && doc.Root.Member("template") != nil {
			continue // not JSON, or a template
		}
		// Each form checks the file from scratch: the problems of basic layers are shared
		// across files (shared.go), which would hand the second form the first one's verdicts.
		forgetShared()
		models, err := checkWith(forModels(), doc.Root)
		if err != nil {
			t.Fatal(err)
		}
		forgetShared()
		whole, err := checkWith(forTemplates(), doc.Root)
		if err != nil {
			t.Fatal(err)
		}
		// The order of unknown keys is the validator's map order; the command sorts findings by
		// position.
		for _, ps := range [][]Problem{whole, models} {
			slices.SortFunc(ps, func(a, b Problem) int {
				return strings.Compare(strings.Join(a.Tokens, "/")+a.Message, strings.Join(b.Tokens, "/")+b.Message)
			})
		}
		if !reflect.DeepEqual(whole, models) {
			t.Errorf("%s: the whole schema finds\n%v\nthe one for model files\n%v", f, whole, models)
		}
		compared++
	}
	if compared < 50 {
		t.Errorf("compared %d files, want the shipped models and the faulty files", compared)
	}
	doc, err := parseSchema()
	if err != nil {
		t.Fatal(err)
	}
	withoutTemplate(doc)
	if _, ok := doc["properties"].(map[string]any)["template"]; ok {
		t.Error("the schema for model files still has the template property")
	}
	if _, ok := doc["$defs"].(map[string]any)["template"]; ok {
		t.Error("the schema for model files still has the template definition")
	}
	if _, ok := doc["$defs"].(map[string]any)["layer"]; !ok {
		t.Error("the schema for model files lost the layer definition")
	}
}

func TestProblems(t *testing.T) {
	cases := []struct {
		src    string
		tokens string
		code   string
		msg    string
	}{
		{`{"layers": [{"name": "a", "class": "x.Y", "sublayers": []}]}`, "layers/0/sublayers", "unknown-key", `unknown key "sublayers" (did you mean "sub_layers"?)`},
		{`{"layers": [{"name": "a", "class": "x.Y", "zzz": 1}]}`, "layers/0/zzz", "unknown-key", `unknown key "zzz" (your own annotations go in keys that begin with x-)`},
		{`{"layers": [{"name": "a", "class": "x.Y", "x-note": 1}]}`, "", "", ""},
		{`{"layers": [{"name": "a"}]}`, "layers/0", "required", `layer has no "class" (the module's Python class path`},
		{`{"layers": [{"name": "", "class": "x.Y"}]}`, "layers/0/name", "empty", "layer name is empty"},
		{`{"layers": [{"name": "a.b", "class": "x.Y"}]}`, "layers/0/name", "pattern", `layer name "a.b" may not contain dots`},
		{`{"layers": [{"name": "a", "class": "x.Y", "repeat": 0}]}`, "layers/0/repeat", "minimum", "repeat must be an integer ≥ 1, got 0"},
		{`{"layers": [{"name": "a", "class": "x.Y", "repeat": 2.5}]}`, "layers/0/repeat", "type", "repeat must be an integer ≥ 1 or a placeholder string, not the number 2.5"},
		{`{"layers": [{"name": "a", "class": "x.Y", "sub_layers": []}]}`, "layers/0/sub_layers", "empty", "sub_layers is empty"},
		{`{"layers": [{"name": "a", "class": "x.Y", "sub_layers": null}]}`, "layers/0/sub_layers", "type", `"sub_layers" must be an array, not null`},
		{`{"layers": [{"name": "a", "class": "x.Y", "parameters": {"n": [1]}}]}`, "layers/0/parameters/n", "type", `parameter "n" must be a number, a boolean or a placeholder expression string, not an array`},
		{`{"layers": []}`, "layers", "empty", "layers is empty"},
		{`{"layer": []}`, "layer", "unknown-key", `did you mean "layers"?`},
	}
	for _, c := range cases {
		ps := check(t, c.src)
		if c.code == "" {
			if len(ps) != 0 {
				t.Errorf("%s: unexpected problems %+v", c.src, ps)
			}
			continue
		}
		found := false
		for _, p := range ps {
			if strings.Join(p.Tokens, "/") == c.tokens && p.Code == c.code && strings.Contains(p.Message, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want %s %s %q, got %+v", c.src, c.tokens, c.code, c.msg, ps)
		}
	}
}

// TestProblemsExactly checks every problem a document gives, not just one of them: one finding
// per fault, no echoes.
func TestProblemsExactly(t *testing.T) {
	cases := []struct {
		src  string
		want []string // "tokens code message"
	}{
		// An empty name breaks minLength and the pattern; only "empty" is said.
		{`{"layers": [{"name": "", "class": "x.Y"}]}`, []string{"layers/0/name empty layer name is empty"}},
		// Both keys missing: one finding each.
		{`{"layers": [{}]}`, []string{
			`layers/0 required layer has no "class" (the module's Python class path, such as torch.nn.modules.linear.Linear)`,
			`layers/0 required layer has no "name" (the module's attribute name, as print(model) shows it)`,
		}},
		{`{}`, []string{`required missing key "layers": a model file lists its top-level modules under "layers"`}},
		// propertyNames: the key itself, in the right object. jsonschema v6.0.3 reports the
		// location of these errors wrongly when several objects have bad keys; the parameters
		// below come after the variables, which is what used to mislocate them.
		{`{"variables": {"Bad-name": 1}, "layers": [{"name": "a", "class": "x.Y", "sub_layers": [{"name": "b", "class": "x.Z", "parameters": {"9x": 1}}]}]}`, []string{
			`layers/0/sub_layers/0/parameters/9x pattern parameter name "9x" is not an identifier (letters, digits and _, not starting with a digit)`,
			`variables/Bad-name pattern variable name "Bad-name" is not an identifier (letters, digits and _, not starting with a digit)`,
		}},
		{`{"layers": [{"name": "` + strings.Repeat("n", 300) + `", "class": "x.Y"}]}`, []string{"layers/0/name too-long layer name is 300 characters long; at most 256 are allowed"}},
	}
	for _, c := range cases {
		ps := check(t, c.src)
		var got []string
		for _, p := range ps {
			keyProblem := strings.HasPrefix(p.Message, "variable name") || strings.HasPrefix(p.Message, "parameter name")
			if p.AtKey != keyProblem {
				t.Errorf("%s: %+v: AtKey is %v", c.src, p, p.AtKey)
			}
			got = append(got, strings.TrimPrefix(strings.Join(p.Tokens, "/")+" "+p.Code+" "+p.Message, " "))
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

// TestNamePatternsAreExprs: every pattern of the schema that describes a name spells it as
// expr.NamePattern, the one rule for names (the parser, the catalog and the validator use
// expr.IsName), so the schema cannot accept a name the rest refuses, or the other way round.
func TestNamePatternsAreExprs(t *testing.T) {
	var doc any
	if err := json.Unmarshal(modelSchemaJSON, &doc); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "pattern" {
					patterns = append(patterns, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	names := 0
	for _, p := range patterns {
		if strings.Contains(p, expr.NamePattern) {
			names++
		}
		if rest := strings.ReplaceAll(p, expr.NamePattern, "NAME"); strings.Contains(rest, "A-Za-z") || strings.Contains(rest, "a-z") {
			t.Errorf("pattern %q spells a name other than as expr.NamePattern %q", p, expr.NamePattern)
		}
	}
	if names < 3 { // identifier, name (or x-…), dotted class path
		t.Errorf("%d patterns use expr.NamePattern, want at least 3: %q", names, patterns)
	}
}

// TestNameRuleTreatsDigitsAlike: the layer-name rule gives a name with its digits written as 0
// the verdict of the name itself (the schema check remembers verdicts so, for the million
// numbered names of an unrolled file). A rule that told digits apart would fail here.
func TestNameRuleTreatsDigitsAlike(t *testing.T) {
	nameSchema := forModels().name
	if nameSchema == nil {
		t.Fatal(forModels().err)
	}
	long := strings.Repeat("x", 250)
	for _, name := range []string{
		"layer_7", "7", "0", "12345", "9layer", "a.1", "a 1", "layer_1\t", "experts_255", "e\u00e91",
		long + "123456", long + "12345", long + "1234567", "1." + long, "x\x7f9", "",
	} {
		zeroed := []byte(name)
		for i, b := range zeroed {
			if b >= '1' && b <= '9' {
				zeroed[i] = '0'
			}
		}
		if a, b := nameSchema.Validate(name) == nil, nameSchema.Validate(string(zeroed)) == nil; a != b {
			t.Errorf("%q is %v, %q is %v", name, a, zeroed, b)
		}
	}
}

// TestProblemsSharedAcrossFiles: a basic layer checked in one file is not checked again in
// another, yet each file gets the problems at its own place; a layer that differs in anything
// but its name is checked on its own.
func TestProblemsSharedAcrossFiles(t *testing.T) {
	bad := `"class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": [1]}, "colour": 1`
	remembered := func() int { shared.Lock(); defer shared.Unlock(); return shared.n }
	a := check(t, `{"layers": [{"name": "a", `+bad+`}]}`)
	before := remembered()
	b := check(t, `{"layers": [{"name": "m", "class": "m.M", "sub_layers": [{"name": "x", "class": "c.C"}, {"name": "bb", `+bad+`}]}]}`)
	if n := remembered() - before; n > 1 {
		t.Errorf("the second file's copy of the first file's layer was checked again (%d contents remembered)", n)
	}
	c := check(t, `{"layers": [{"name": "a", `+strings.Replace(bad, "colour", "color", 1)+`}]}`)
	render := func(ps []Problem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, strings.Join(p.Tokens, "/")+" "+p.Code)
		}
		slices.Sort(out)
		return out
	}
	if got, want := render(a), []string{"layers/0/colour unknown-key", "layers/0/parameters/num_tokens type"}; !slices.Equal(got, want) {
		t.Errorf("first file: %v, want %v", got, want)
	}
	if got, want := render(b), []string{"layers/0/sub_layers/1/colour unknown-key", "layers/0/sub_layers/1/parameters/num_tokens type"}; !slices.Equal(got, want) {
		t.Errorf("second file: %v, want %v", got, want)
	}
	if got, want := render(c), []string{"layers/0/color unknown-key", "layers/0/parameters/num_tokens type"}; !slices.Equal(got, want) {
		t.Errorf("third file: %v, want %v", got, want)
	}
}

// TestUnionTypes: only an anyOf of bare types becomes a union type; one with any other keyword
// in a branch stays as it is.
func TestUnionTypes(t *testing.T) {
	doc := map[string]any{
		"value":  map[string]any{"anyOf": []any{map[string]any{"type": "number"}, map[string]any{"type": "string"}}},
		"repeat": map[string]any{"anyOf": []any{map[string]any{"type": "integer", "minimum": 1}, map[string]any{"type": "string"}}},
		"nested": []any{map[string]any{"anyOf": []any{map[string]any{"type": "boolean"}}}},
	}
	unionTypes(doc)
	got, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"nested":[{"type":["boolean"]}],"repeat":{"anyOf":[{"minimum":1,"type":"integer"},{"type":"string"}]},"value":{"type":["number","string"]}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// forgetShared empties the problems of basic layers remembered across files.
func forgetShared() {
	shared.Lock()
	defer shared.Unlock()
	shared.entries = map[uint64][]sharedEntry{}
	shared.n = 0
}
