package populate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/populate"
)

// kindsTemplate has every piece of the second-round template language: a string key choosing a
// class through activation(), a list with items, length and default_each, and a decoder layer
// numbered by "index" whose attention window depends on the layer's kind.
const kindsTemplate = `{
  "template": {
    "model_type": "kinds",
    "config": {
      "num_hidden_layers": {"type": "integer", "minimum": 1, "description": "layers"},
      "hidden_size": {"type": "integer", "minimum": 1, "description": "width"},
      "hidden_act": {"type": "string", "description": "activation", "default": "silu"},
      "use_sliding_window": {"type": "boolean", "description": "whether any layer slides", "default": true},
      "sliding_window": {"type": "integer", "minimum": 0, "description": "window", "default": 4},
      "layer_types": {"type": "array", "description": "kind of each layer",
        "items": {"type": "string", "enum": ["sliding_attention", "full_attention"]},
        "length": "{num_hidden_layers}",
        "default_each": "({index} + 1) % 3 == 0 ? 'full_attention' : 'sliding_attention'"},
      "mlp_only_layers": {"type": "array", "items": {"type": "integer"}, "description": "layers without the extra mul", "default": "[]"},
      "nope": {"type": "boolean", "description": "whether some layers do not rotate", "default": true},
      "rope": {"type": "array", "items": {"type": "integer"}, "description": "1 for a layer that rotates", "min_length": "{num_hidden_layers}", "default_each": "({index} + 1) % 4 == 0 ? 0 : 1"}
    }
  },
  "layers": [
    {"name": "model", "class": "my.Model", "sub_layers": [
      {"name": "decoder_layer", "aliases": ["layers"], "class": "my.DecoderLayer", "repeat": "{num_hidden_layers}", "index": "layer_idx",
       "sub_layers": [
        {"name": "attention", "class": "torch.nn.functional.scaled_dot_product_attention", "parameters": {
          "batch_size": "{batch_size}", "num_heads": 2, "num_kv_heads": 1, "head_dim": 8, "q_len": "{seq_len}",
          "kv_len": "{past_len} + {seq_len}", "causal": true, "dtype_bytes": "{dtype_bytes}",
          "sliding_window": "{use_sliding_window} && {layer_types}[{layer_idx}] == 'sliding_attention' ? {sliding_window} : 0"}},
        {"name": "act_fn", "class": "activation({hidden_act})", "parameters": {
          "num_elements": "{batch_size} * {seq_len} * {hidden_size}", "dtype_bytes": "{dtype_bytes}"}},
        {"name": "rotary", "if": "!{nope} || {rope}[{layer_idx}] == 1", "class": "torch.mul", "parameters": {
          "num_elements": "{batch_size} * {seq_len}", "dtype_bytes": "{dtype_bytes}"}},
        {"name": "extra", "if": "len({mlp_only_layers}) == 0 || !({layer_idx} in {mlp_only_layers})", "class": "torch.mul", "parameters": {
          "num_elements": "{batch_size} * {seq_len} * {hidden_size}", "dtype_bytes": "{dtype_bytes}"}}
      ]}
    ]}
  ]
}`

func runKinds(t *testing.T, config string) (*populate.Result, error) {
	t.Helper()
	tpl, err := populate.LoadTemplate("kinds.json", []byte(kindsTemplate), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := populate.ReadConfig("config.json", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: "kinds"})
}

// decoderRuns returns the (name, repeat, sliding_window, act_fn class, has extra) of each decoder
// layer run of a generated file.
func decoderRuns(t *testing.T, out []byte) []string {
	t.Helper()
	var f struct {
		Layers []struct {
			SubLayers []struct {
				Name      string   `json:"name"`
				Aliases   []string `json:"aliases"`
				Repeat    int      `json:"repeat"`
				SubLayers []struct {
					Name       string         `json:"name"`
					Class      string         `json:"class"`
					Parameters map[string]any `json:"parameters"`
				} `json:"sub_layers"`
			} `json:"sub_layers"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, d := range f.Layers[0].SubLayers {
		s := d.Name + " ×" + itoa(d.Repeat) + " " + strings.Join(d.Aliases, ",")
		for _, sub := range d.SubLayers {
			switch sub.Name {
			case "attention":
				s += " w" + toString(sub.Parameters["sliding_window"])
			case "act_fn":
				s += " " + sub.Class[strings.LastIndex(sub.Class, ".")+1:]
			case "extra":
				s += " extra"
			case "rotary":
				s += " rope"
			}
		}
		runs = append(runs, s)
	}
	return runs
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestIndexRuns(t *testing.T) {
	for _, c := range []struct {
		name, config string
		want         []string
	}{
		// default_each: layers 2, 5 are full (every third), the rest slide by 4; layer 3 does
		// not rotate (every fourth).
		{"default_each", `{"num_hidden_layers": 6, "hidden_size": 16}`, []string{
			"decoder_layer_0_1 ×2 layers w4 SiLU rope extra",
			"decoder_layer_2_2 ×1 layers w0 SiLU rope extra",
			"decoder_layer_3_3 ×1 layers w4 SiLU extra",
			"decoder_layer_4_4 ×1 layers w4 SiLU rope extra",
			"decoder_layer_5_5 ×1 layers w0 SiLU rope extra",
		}},
		// An explicit list, another activation, and an index list taking layers out of a run.
		{"explicit list", `{"num_hidden_layers": 4, "hidden_size": 16, "hidden_act": "gelu_pytorch_tanh", "mlp_only_layers": [3],
		  "layer_types": ["full_attention", "full_attention", "full_attention", "full_attention"],
		  "rope": [1, 1, 1, 1, 0, 0]}`, []string{ // min_length: items past the layers are not read
			"decoder_layer_0_2 ×3 layers w0 PytorchGELUTanh rope extra",
			"decoder_layer_3_3 ×1 layers w0 PytorchGELUTanh rope",
		}},
		// Without sliding every layer is the same: one run keeps the template's name, and the
		// list is never built (10^30 layers cost nothing).
		{"uniform", `{"num_hidden_layers": 1e30, "hidden_size": 16, "use_sliding_window": false, "nope": false}`, []string{
			"decoder_layer ×0 layers w0 SiLU rope extra", // repeat 10^30 does not fit the test's int
		}},
		// A null list is built by default_each too.
		{"null list", `{"num_hidden_layers": 3, "hidden_size": 16, "layer_types": null, "rope": null}`, []string{
			"decoder_layer_0_1 ×2 layers w4 SiLU rope extra",
			"decoder_layer_2_2 ×1 layers w0 SiLU rope extra",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := runKinds(t, c.config)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Diagnostics) != 0 {
				t.Errorf("output does not validate: %v", res.Diagnostics)
			}
			out := res.Output
			if c.name == "uniform" {
				if !strings.Contains(string(out), `"repeat": 1000000000000000000000000000000,`) {
					t.Errorf("the uniform layer lost its repeat:\n%s", out)
				}
				out = []byte(strings.Replace(string(out), "1000000000000000000000000000000", "0", 1))
			}
			if got := decoderRuns(t, out); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestIndexErrors(t *testing.T) {
	for _, c := range []struct{ config, want string }{
		// A list of the wrong length, at the list, naming both lengths.
		{`{"num_hidden_layers": 3, "hidden_size": 16, "layer_types": ["full_attention"]}`,
			`config.json:1:60: error: layer_types has 1 items, but the kinds template needs {num_hidden_layers} = 3 of them`},
		// A list shorter than its min_length.
		{`{"num_hidden_layers": 3, "hidden_size": 16, "rope": [1, 1]}`,
			`config.json:1:53: error: rope has 2 items, but the kinds template needs at least {num_hidden_layers} = 3 of them`},
		// An item outside the enum, at the item.
		{`{"num_hidden_layers": 2, "hidden_size": 16, "layer_types": ["full_attention", "chunked"]}`,
			`config.json:1:79: error: layer_types item 1 is "chunked", which this template does not support (supported: sliding_attention, full_attention)`},
		{`{"num_hidden_layers": 2, "hidden_size": 16, "mlp_only_layers": [0.5]}`,
			`config.json:1:65: error: mlp_only_layers item 0 must be an integer, not the number 0.5`},
		{`{"num_hidden_layers": 2, "hidden_size": 16, "mlp_only_layers": 3}`,
			`config.json:1:64: error: mlp_only_layers must be an array, not the number 3`},
		// An activation the catalog does not know, at the key, listing the known ones.
		{`{"num_hidden_layers": 2, "hidden_size": 16, "hidden_act": "swiglu9"}`,
			`config.json:1:59: error: hidden_act "swiglu9" is not an activation the catalog knows (known: gelu, gelu_fast, gelu_new, gelu_python, gelu_pytorch_tanh, linear, quick_gelu, relu, relu2, sigmoid, silu, swish, tanh): it chooses the class of model.decoder_layer.act_fn`},
		// Index-dependent layers are built one by one, up to MaxInstances.
		{`{"num_hidden_layers": 100001, "hidden_size": 16, "mlp_only_layers": [7], "use_sliding_window": false, "nope": false}`,
			`config.json:1:23: error: num_hidden_layers 100001: model.decoder_layer: its layers depend on {layer_idx}, so each of its 100001 instances would be built one by one; the limit is 100000`},
		{`{"num_hidden_layers": 1e30, "hidden_size": 16}`,
			`layer_types: default_each would build {num_hidden_layers} = 1000000000000000000000000000000 items one by one; the limit is 100000`},
	} {
		_, err := runKinds(t, c.config)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n  error %v\n  want  %s", c.config, err, c.want)
		}
	}
	// A list that is too long for default_each is an error only when it is used.
	if _, err := runKinds(t, `{"num_hidden_layers": 1e30, "hidden_size": 16, "use_sliding_window": false, "nope": false}`); err != nil {
		t.Errorf("unused long default list: %v", err)
	}
	var ce *diag.Faults
	_, err := runKinds(t, `{"num_hidden_layers": 2, "hidden_size": 16, "hidden_act": "nope"}`)
	if !errors.As(err, &ce) {
		t.Errorf("an unknown activation is a config error, got %T", err)
	}
}

// A uniform model of 10^30 layers populates at once: the decoder layer does not depend on its
// index once the config is applied, so it is evaluated once.
func BenchmarkUniformHugeModel(b *testing.B) {
	tpl, err := populate.LoadTemplate("kinds.json", []byte(kindsTemplate), nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := populate.ReadConfig("config.json", []byte(`{"num_hidden_layers": 1e30, "hidden_size": 16, "use_sliding_window": false, "nope": false}`))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: "kinds"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIndexLimitNamesTheKey: the count of an indexed layer too large to build one by one is a
// fault of the config key that sets it, at its position — also through the default of another
// key (repeat {num_layers}, num_layers defaulting to {num_hidden_layers} + {mtp_layers}) — and
// of the config as a whole when it comes from the template's defaults alone.
func TestIndexLimitNamesTheKey(t *testing.T) {
	tpl := strings.Replace(kindsTemplate, `"repeat": "{num_hidden_layers}"`, `"repeat": "{num_layers}"`, 1)
	tpl = strings.Replace(tpl, `"config": {`, `"config": {
      "num_layers": {"type": "integer", "description": "layers built", "default": "{num_hidden_layers} + {mtp_layers}"},
      "mtp_layers": {"type": "integer", "description": "extra layers", "default": 1},`, 1)
	tpl = strings.Replace(tpl, `"num_hidden_layers": {"type": "integer", "minimum": 1, "description": "layers"}`,
		`"num_hidden_layers": {"type": "integer", "minimum": 1, "description": "layers", "default": 100000}`, 1)
	tpl = strings.Replace(tpl, `"min_length": "{num_hidden_layers}"`, `"min_length": "{num_layers}"`, 1)
	tpl = strings.Replace(tpl, `"length": "{num_hidden_layers}"`, `"length": "{num_layers}"`, 1)
	template, err := populate.LoadTemplate("kinds.json", []byte(tpl), nil)
	if err != nil {
		t.Fatal(err)
	}
	const limit = "model.decoder_layer: its layers depend on {layer_idx}, so each of its 100001 instances would be built one by one; the limit is 100000"
	// layer_types' default list, which the windows read, would be as long: the same fault.
	const list = "layer_types: default_each would build {num_layers} = 100001 items one by one; the limit is 100000"
	const noList = `, "use_sliding_window": false, "nope": false}`
	for _, c := range []struct{ config, want string }{
		{`{"hidden_size": 16, "num_hidden_layers": 100000, "mlp_only_layers": [7]` + noList,
			"config.json:1:42: error: num_hidden_layers 100000: " + limit},
		{`{"hidden_size": 16, "num_layers": 100001, "mlp_only_layers": [7]` + noList,
			"config.json:1:35: error: num_layers 100001: " + limit},
		{`{"hidden_size": 16, "mlp_only_layers": [7]` + noList,
			"config.json:1:1: error: " + limit + " (the count {num_layers} comes from the template's defaults)"},
		{`{"hidden_size": 16, "num_hidden_layers": 100000}`,
			"config.json:1:42: error: num_hidden_layers 100000: " + list},
		{`{"hidden_size": 16}`,
			"config.json:1:1: error: " + list + " (the count {num_layers} comes from the template's defaults)"},
	} {
		cfg, err := populate.ReadConfig("config.json", []byte(c.config))
		if err != nil {
			t.Fatal(err)
		}
		_, err = populate.Run(populate.Request{Config: cfg, Template: template, TemplateName: "kinds"})
		var ce *diag.Faults
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n  error %v\n  want  %s", c.config, err, c.want)
		}
	}
}
