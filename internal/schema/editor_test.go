package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/modeltool/modeltool/internal/layers"
)

var update = flag.Bool("update", false, "rewrite schema/model.schema.json (the editor schema in the repository) from the catalog")

// repoRoot is the repository's top directory, seen from this package.
var repoRoot = filepath.Join("..", "..")

// editorSchemaPath is the generated editor schema kept in the repository, so a checkout's model
// files can name it in $schema and editors find it without running modeltool.
var editorSchemaPath = filepath.Join(repoRoot, "schema", "model.schema.json")

// compileEditor compiles the editor schema of cat with an independent compiler instance (draft
// 2020-12, no loader: nothing may be fetched).
func compileEditor(t *testing.T, cat *layers.Catalog) *jsonschema.Schema {
	t.Helper()
	doc, err := Editor(cat)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource("editor.json", v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("editor.json")
	if err != nil {
		t.Fatalf("the editor schema does not compile: %v", err)
	}
	return s
}

// violation is one leaf of a validation error: where, and which rule.
type violation struct {
	pointer string
	kind    string
}

func violations(t *testing.T, s *jsonschema.Schema, src string) []violation {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	var out []violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, violation{"/" + strings.Join(e.InstanceLocation, "/"), typeName(e.ErrorKind)})
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

func typeName(k jsonschema.ErrorKind) string {
	switch k.(type) {
	case *kind.Required:
		return "required"
	case *kind.Const:
		return "const"
	case *kind.Pattern:
		return "pattern"
	case *kind.AdditionalProperties:
		return "additionalProperties"
	case *kind.FalseSchema:
		return "false"
	case *kind.Type:
		return "type"
	case *kind.Minimum, *kind.ExclusiveMinimum:
		return "minimum"
	}
	return "other"
}

func pointers(vs []violation, k string) []string {
	var out []string
	for _, v := range vs {
		if v.kind == k && !slices.Contains(out, v.pointer) {
			out = append(out, v.pointer)
		}
	}
	return out
}

const linear = `"class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": "{batch_size}", "in_features": 8, "out_features": 8, "bias": false, "dtype_bytes": 2}`

// TestEditorSchemaFlagsAuthoringMistakes checks what an editor shows as one types: a typo'd
// class and a missing parameter at their own pointers, an unknown parameter, a parameter of the
// wrong type; and what it must leave alone: x- keys, aliases, composite layers of any class,
// class expressions of templates.
func TestEditorSchemaFlagsAuthoringMistakes(t *testing.T) {
	s := compileEditor(t, layers.Builtin())
	cases := []struct {
		name, src string
		kind      string
		pointers  []string
	}{
		{"good", `{"layers": [{"name": "l", ` + linear + `}]}`, "", nil},
		{"typo'd class", `{"layers": [{"name": "m", "class": "a.M", "sub_layers": [{"name": "l", "class": "torch.nn.modules.linear.Lineer", "parameters": {}}]}]}`,
			"const", []string{"/layers/0/sub_layers/0/class"}},
		{"missing parameter", `{"layers": [{"name": "l", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 1, "in_features": 8, "bias": false, "dtype_bytes": 2}}]}`,
			"required", []string{"/layers/0/parameters"}},
		{"unknown parameter", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"bias"`, `"bais": 1, "bias"`, 1) + `}]}`,
			"additionalProperties", []string{"/layers/0/parameters"}},
		{"size of the wrong type", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"in_features": 8`, `"in_features": 0`, 1) + `}]}`,
			"minimum", []string{"/layers/0/parameters/in_features"}},
		{"x- parameter", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"bias"`, `"x-note": [1], "bias"`, 1) + `}]}`, "", nil},
		{"optional parameter", `{"layers": [{"name": "l", ` + strings.Replace(linear, `"bias"`, `"weight_dtype_bytes": 0.5, "bias"`, 1) + `}]}`, "", nil},
		{"alias", `{"layers": [{"name": "n", "class": "transformers.models.mistral.modeling_mistral.MistralRMSNorm", "parameters": {"num_rows": 1, "hidden_size": 8, "dtype_bytes": 2}}]}`, "", nil},
		{"composite of any class", `{"layers": [{"name": "m", "class": "my.Own", "sub_layers": [{"name": "l", ` + linear + `}]}]}`, "", nil},
		{"class expression", `{"layers": [{"name": "a", "class": "activation({hidden_act})", "parameters": {"anything": 1}}]}`, "", nil},
	}
	for _, c := range cases {
		vs := violations(t, s, c.src)
		if c.kind == "" {
			if len(vs) > 0 {
				t.Errorf("%s: flagged %v", c.name, vs)
			}
			continue
		}
		if got := pointers(vs, c.kind); !slices.Equal(got, c.pointers) {
			t.Errorf("%s: %s violations at %v, want at %v (all: %v)", c.name, c.kind, got, c.pointers, vs)
		}
		for _, v := range vs {
			if !slices.Contains(c.pointers, v.pointer) {
				t.Errorf("%s: a violation elsewhere: %v", c.name, v)
			}
		}
	}
}

// TestEditorSchemaAcceptsShippedFiles validates every shipped model file and template.
func TestEditorSchemaAcceptsShippedFiles(t *testing.T) {
	s := compileEditor(t, layers.Builtin())
	files, err := filepath.Glob(filepath.Join(repoRoot, "models", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	templates, err := filepath.Glob(filepath.Join(repoRoot, "models", "templates", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range append(files, templates...) {
		if strings.HasSuffix(f, ".config.json") {
			continue
		}
		n++
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if vs := violations(t, s, string(data)); len(vs) > 0 {
			t.Errorf("%s: %v", f, vs)
		}
	}
	if n < 10 || len(templates) < 10 {
		t.Fatalf("found only %d files (%d templates)", n, len(templates))
	}
}

// TestEditorSchemaCatalogOverlay: a --catalog class is known to the schema, with its own
// parameters.
func TestEditorSchemaCatalogOverlay(t *testing.T) {
	cat, err := layers.Builtin().Extend("my.json", []byte(`{"classes": [{"class": "my.Mamba", "category": "other", "description": "a state-space mixer",
		"parameters": [{"name": "d_state", "type": "size", "meaning": "state width"}], "formulas": {"params": "{d_state}"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := compileEditor(t, cat)
	if vs := violations(t, s, `{"layers": [{"name": "m", "class": "my.Mamba", "parameters": {"d_state": 16}}]}`); len(vs) > 0 {
		t.Errorf("the overlay's class is flagged: %v", vs)
	}
	vs := violations(t, s, `{"layers": [{"name": "m", "class": "my.Mamba", "parameters": {}}]}`)
	if got := pointers(vs, "required"); !slices.Equal(got, []string{"/layers/0/parameters"}) {
		t.Errorf("the overlay's required parameter: %v", vs)
	}
	builtin := compileEditor(t, layers.Builtin())
	if got := pointers(violations(t, builtin, `{"layers": [{"name": "m", "class": "my.Mamba", "parameters": {"d_state": 16}}]}`), "const"); len(got) != 1 {
		t.Errorf("the builtin schema accepts an unknown class")
	}
}

// TestEditorSchemaInRepository keeps schema/model.schema.json equal to `modeltool schema`
// (go test ./internal/schema -run TestEditorSchemaInRepository -update rewrites it).
func TestEditorSchemaInRepository(t *testing.T) {
	want, err := Editor(layers.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(editorSchemaPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(editorSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what modeltool schema prints; go test ./internal/schema -run TestEditorSchemaInRepository -update rewrites it", editorSchemaPath)
	}
}

// TestEditorSchemaDescribesClasses: every class and alias is offered with a description that
// says what it computes.
func TestEditorSchemaDescribesClasses(t *testing.T) {
	doc, err := Editor(layers.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range layers.Builtin().Classes() {
		for _, n := range append([]string{cl.Name}, cl.Aliases...) {
			if !bytes.Contains(doc, []byte(`"const": "`+n+`",`+"\n")) {
				t.Errorf("%s is not offered", n)
			}
		}
	}
	if !bytes.Contains(doc, []byte(`"description": "Linear — matmul: y = x·Wᵀ + b over num_tokens rows. Parameters: num_tokens, in_features, out_features, bias, dtype_bytes."`)) {
		t.Errorf("Linear's description is not as expected")
	}
}

// TestNoUnionTypes: the schema writes a value of several types as anyOf, never as a union type
// ("type": [...]), which ajv's strict mode (what editor plugins and CI linters run) refuses.
func TestNoUnionTypes(t *testing.T) {
	var doc any
	if err := json.Unmarshal(modelSchemaJSON, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			if _, union := v["type"].([]any); union {
				t.Errorf("%s: a union type; write anyOf of single types (ajv --strict=true refuses unions)", path)
			}
			for k, c := range v {
				walk(c, path+"/"+k)
			}
		case []any:
			for i, c := range v {
				walk(c, fmt.Sprintf("%s/%d", path, i))
			}
		}
	}
	walk(doc, "")
}
