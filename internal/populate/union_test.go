package populate_test

import (
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/validate"
)

// unionsTemplate has config keys of several JSON types, as real configs write them: a period or
// a pattern of layer kinds (EXAONE 4's sliding_window_pattern, 4 or "LLLG"), a rank or "auto"
// (Jamba's mamba_dt_rank) and a switch written as a boolean or a number (Llama 4's
// attn_temperature_tuning, true or 4), each read through the type tests.
const unionsTemplate = `{
  "template": {
    "model_type": "unions",
    "config": {
      "num_hidden_layers": {"type": "integer", "minimum": 1, "description": "layers", "default": 6},
      "hidden_size": {"type": "integer", "minimum": 1, "description": "width", "default": 40},
      "pattern": {"type": ["integer", "string"], "minimum": 1, "pattern": "^[LG]+$", "description": "period of the global layers, or the kinds as L and G", "default": 3},
      "rank": {"type": ["integer", "string"], "minimum": 1, "enum": ["auto"], "description": "a rank, or auto", "default": "auto"},
      "tuning": {"type": ["boolean", "number"], "description": "on when truthy", "default": true, "null": "false"}
    }
  },
  "layers": [
    {"name": "model", "class": "my.Model", "sub_layers": [
      {"name": "decoder_layer", "class": "my.DecoderLayer", "repeat": "{num_hidden_layers}", "index": "layer_idx", "sub_layers": [
        {"name": "local", "if": "is_string({pattern}) ? {pattern}[{layer_idx} % len({pattern})] == 'L' : ({layer_idx} + 1) % {pattern} != 0",
         "class": "torch.mul", "parameters": {"num_elements": "{batch_size}", "dtype_bytes": "{dtype_bytes}"}},
        {"name": "add", "class": "torch.add", "parameters": {"num_elements": "{batch_size}", "dtype_bytes": "{dtype_bytes}"}}
      ]},
      {"name": "proj", "class": "torch.mul", "parameters": {
        "num_elements": "{batch_size} * (is_string({rank}) ? ceil({hidden_size} / 16) : {rank})", "dtype_bytes": "{dtype_bytes}"}},
      {"name": "scale", "if": "is_boolean({tuning}) ? {tuning} : {tuning} != 0", "class": "torch.mul", "parameters": {
        "num_elements": "{batch_size}", "dtype_bytes": "{dtype_bytes}"}}
    ]}
  ]
}`

func runUnions(t *testing.T, config string) (string, error) {
	t.Helper()
	tpl, err := populate.LoadTemplate("unions.json", []byte(unionsTemplate), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := populate.ReadConfig("config.json", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: "unions"})
	if err != nil {
		return "", err
	}
	return string(res.Output), nil
}

func TestUnionKeys(t *testing.T) {
	// Layers 2 and 5 are global (no "local") both for the period 3 and for the pattern "LLG":
	// (i + 1) % 3 == 0 and "LLG"[i % 3] == 'G' pick the same layers.
	globalAt2And5 := []string{`"name": "decoder_layer_0_1"`, `"name": "decoder_layer_2_2"`, `"name": "decoder_layer_3_4"`, `"name": "decoder_layer_5_5"`}
	for _, c := range []struct {
		config string
		want   []string
		lacks  []string
	}{
		{`{}`, append(globalAt2And5, `"num_elements": "{batch_size} * 3"`, `"name": "scale"`), nil},
		{`{"pattern": 3}`, globalAt2And5, nil},
		{`{"pattern": "LLG"}`, globalAt2And5, nil},
		// "LG" against 6 layers: the odd layers are global.
		{`{"pattern": "LG"}`, []string{`"name": "decoder_layer_0_0"`, `"name": "decoder_layer_5_5"`}, []string{`"name": "decoder_layer_0_1"`}},
		// "L" alone: every layer is local, so the layer is uniform.
		{`{"pattern": "L"}`, []string{`"name": "decoder_layer",`, `"repeat": 6`, `"name": "local"`}, nil},
		// ceil(40 / 16) = 3 for "auto", the number itself otherwise.
		{`{"rank": "auto"}`, []string{`"num_elements": "{batch_size} * 3"`}, nil},
		{`{"rank": 7}`, []string{`"num_elements": "{batch_size} * 7"`}, nil},
		{`{"rank": "auto", "hidden_size": 4096}`, []string{`"num_elements": "{batch_size} * 256"`}, nil},
		// Truthiness: true and any number but 0 switch it on; false, 0 and null off.
		{`{"tuning": true}`, []string{`"name": "scale"`}, nil},
		{`{"tuning": 4}`, []string{`"name": "scale"`}, nil},
		{`{"tuning": 0.5}`, []string{`"name": "scale"`}, nil},
		{`{"tuning": false}`, nil, []string{`"name": "scale"`}},
		{`{"tuning": 0}`, nil, []string{`"name": "scale"`}},
		{`{"tuning": null}`, nil, []string{`"name": "scale"`}},
	} {
		out, err := runUnions(t, c.config)
		if err != nil {
			t.Errorf("%s: %v", c.config, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %s:\n%s", c.config, w, out)
			}
		}
		for _, w := range c.lacks {
			if strings.Contains(out, w) {
				t.Errorf("%s: output has %s:\n%s", c.config, w, out)
			}
		}
	}
}

func TestUnionKeyErrors(t *testing.T) {
	for _, c := range []struct{ config, want string }{
		// A value of none of the types, at the value, naming the accepted types.
		{`{"pattern": true}`, `config.json:1:13: error: pattern must be an integer or a string, not true (the unions template needs it for model.decoder_layer.local)`},
		{`{"tuning": "yes"}`, `config.json:1:12: error: tuning must be a boolean or a number, not the string "yes"`},
		{`{"rank": [1]}`, `config.json:1:10: error: rank must be an integer or a string, not an array`},
		// Each type's own constraints: the minimum for numbers, enum and pattern for strings.
		{`{"pattern": 0}`, `config.json:1:13: error: pattern must be at least 1, got 0`},
		{`{"pattern": 2.5}`, `config.json:1:13: error: pattern must be an integer or a string, got 2.5`},
		{`{"pattern": "LXG"}`, `config.json:1:13: error: pattern is "LXG", which does not match the pattern ^[LG]+$ this template needs`},
		{`{"pattern": ""}`, `config.json:1:13: error: pattern is "", which does not match the pattern ^[LG]+$ this template needs`},
		{`{"rank": "AUTO"}`, `config.json:1:10: error: rank is "AUTO", which this template does not support (supported: auto)`},
		{`{"rank": -2}`, `config.json:1:10: error: rank must be at least 1, got -2`},
	} {
		_, err := runUnions(t, c.config)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n  error %v\n  want  %s", c.config, err, c.want)
		}
	}
}

// The validator checks what a key of several types declares.
func TestUnionKeyTemplateErrors(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{`{"type": ["integer", "boolean"], "enum": ["a"], "description": "x", "default": 1}`, "config key k has an enum but is not a string"},
		{`{"type": ["integer", "boolean"], "pattern": "^a$", "description": "x", "default": 1}`, "config key k has a pattern but is not a string"},
		{`{"type": ["integer", "string"], "pattern": "(", "description": "x", "default": 1}`, "the pattern of config key k is not a regular expression"},
		{`{"type": ["integer", "string"], "pattern": "^[LG]+$", "description": "x", "default": "LLX"}`, `the default "LLX" of config key k does not match its pattern ^[LG]+$`},
		{`{"type": ["integer", "string"], "enum": ["auto"], "description": "x", "default": "car"}`, `the default "car" of config key k is not one of its enum (auto)`},
		{`{"type": ["integer", "array"], "description": "x", "default": 1}`, "type"},
		{`{"type": ["integer"], "description": "x", "default": 1}`, "type"},
		{`{"type": ["integer", "integer"], "description": "x", "default": 1}`, "type"},
		{`{"type": ["integer", "string"], "items": {"type": "string"}, "description": "x", "default": 1}`, "config key k has items but is not an array"},
	} {
		src := `{"template": {"model_type": "t", "config": {"k": ` + c.key + `}}, "layers": [
  {"name": "m", "class": "torch.mul", "parameters": {"num_elements": "{batch_size}", "dtype_bytes": 2}}]}`
		res := validate.Source("t.json", []byte(src), validate.Options{})
		found := false
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: diagnostics %v lack %q", c.key, res.Diagnostics, c.want)
		}
	}
	// A valid union key validates.
	src := `{"template": {"model_type": "t", "config": {"k": {"type": ["integer", "string"], "minimum": 1, "enum": ["auto"], "description": "x", "default": "auto"}}}, "layers": [
  {"name": "m", "class": "torch.mul", "parameters": {"num_elements": "{batch_size}", "dtype_bytes": 2}}]}`
	if res := validate.Source("t.json", []byte(src), validate.Options{}); len(res.Diagnostics) > 0 {
		t.Errorf("a valid union key: %v", res.Diagnostics)
	}
}
