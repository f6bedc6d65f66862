package validate_test

import (
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/validate"
)

// templateWith is a minimal template whose config declares one string key as given.
func templateWith(key string) []byte {
	return []byte(`{
  "template": {"model_type": "t", "config": {"activation": ` + key + `}},
  "layers": [{"name": "act", "class": "torch.nn.modules.activation.ReLU",
    "parameters": {"num_elements": "{batch_size} * {seq_len}", "dtype_bytes": "{dtype_bytes}"}}]
}`)
}

func TestStringConfigKeyDefault(t *testing.T) {
	cases := []struct {
		name, key, finding string
	}{
		{"literal in enum", `{"type": "string", "description": "d", "enum": ["relu"], "default": "relu"}`, ""},
		{"literal without enum", `{"type": "string", "description": "d", "default": "relu"}`, ""},
		{"literal outside enum", `{"type": "string", "description": "d", "enum": ["relu"], "default": "gelu"}`, `the default "gelu" of config key activation is not one of its enum (relu)`},
		{"not a string", `{"type": "string", "description": "d", "default": 1}`, "config key activation is a string, so its default is a string, not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := validate.Source("t.json", templateWith(c.key), validate.Options{})
			var msgs []string
			for _, d := range res.Diagnostics {
				msgs = append(msgs, d.Message)
			}
			got := strings.Join(msgs, "\n")
			if got != c.finding {
				t.Errorf("findings:\n%s\nwant:\n%s", got, c.finding)
			}
		})
	}
}

// TestTemplateLanguage: the second-round keys — index, class expressions, array keys with
// items, length and default_each — validate in templates; misuse is reported where it is.
func TestTemplateLanguage(t *testing.T) {
	const head = `{"template": {"model_type": "t", "config": {
  "n": {"type": "integer", "description": "layers"},
  "act": {"type": "string", "description": "activation", "default": "silu"},
  "kinds": {"type": "array", "description": "kinds", "items": {"type": "string", "enum": ["a", "b"]}, "length": "{n}", "default_each": "{index} % 2 == 0 ? 'a' : 'b'"}`
	layer := func(extra string) string {
		return `{"name": "act", "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": "{seq_len}", "dtype_bytes": 2}` + extra + `}`
	}
	cases := []struct {
		name, config, layers string
		findings             []string
	}{
		{"all well", "", `[{"name": "d", "class": "x.D", "repeat": "{n}", "index": "i", "sub_layers": [
  {"name": "act", "class": "activation({act})", "parameters": {"num_elements": "{kinds}[{i}] == 'a' ? {seq_len} : 1", "dtype_bytes": 2}}]}]`, nil},
		{"index outside its layer", "", `[{"name": "d", "class": "x.D", "repeat": "{n}", "index": "i", "sub_layers": [` + layer("") + `]},
  ` + strings.Replace(layer(""), `"{seq_len}"`, `"{i}"`, 1) + `]`,
			[]string{"parameter num_elements: {i} is not a declared variable (did you mean {n}?)"}},
		{"index without repeat", "", `[{"name": "d", "class": "x.D", "index": "i", "sub_layers": [` + layer("") + `]}]`,
			[]string{"a layer with an index needs a repeat: {i} numbers its instances 0 … repeat−1"}},
		{"index is a config key", "", `[{"name": "d", "class": "x.D", "repeat": 2, "index": "n", "sub_layers": [` + layer("") + `]}]`,
			[]string{"index n is already a config key, a variable or an enclosing layer's index: choose another name"}},
		{"index not an identifier", "", `[{"name": "d", "class": "x.D", "repeat": 2, "index": "1x", "sub_layers": [` + layer("") + `]}]`,
			[]string{`"1x" is not an identifier`}},
		{"repeat may not use its own index", "", `[{"name": "d", "class": "x.D", "repeat": "{i}", "index": "i", "sub_layers": [` + layer("") + `]}]`,
			[]string{"repeat: {i} is not a declared variable"}},
		{"index of a default_each outside it", `, "m": {"type": "integer", "description": "m", "default": "{index}"}`, "[" + layer("") + "]",
			[]string{"default of config key m: {index} is not a declared variable"}},
		{"array keys on a number", `, "m": {"type": "integer", "description": "m", "length": 3, "default_each": 1, "items": {"type": "string"}}`, "[" + layer("") + "]",
			[]string{"config key m has length but is not an array", "config key m has default_each but is not an array", "config key m has items but is not an array"}},
		{"default_each without length", `, "l": {"type": "array", "description": "l", "default_each": "{index}"}`, "[" + layer("") + "]",
			[]string{"config key l has default_each but no length or min_length: the list it builds needs one"}},
		{"length and min_length", `, "l": {"type": "array", "description": "l", "length": 2, "min_length": 2}`, "[" + layer("") + "]",
			[]string{"config key l has both length and min_length: give one"}},
		{"item enum on numbers", `, "l": {"type": "array", "description": "l", "items": {"type": "integer", "enum": ["a"]}}`, "[" + layer("") + "]",
			[]string{"the items of config key l have an enum but are not strings"}},
		{"class expression with an undeclared key", "", `[{"name": "act", "class": "activation({hidden_act})", "parameters": {"num_elements": 1}}]`,
			[]string{"class: {hidden_act} is not a declared variable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := head + c.config + `}}, "layers": ` + c.layers + `}`
			res := validate.Source("t.json", []byte(src), validate.Options{})
			var msgs []string
			for _, d := range res.Diagnostics {
				msgs = append(msgs, d.Message)
			}
			got := strings.Join(msgs, "\n")
			if len(msgs) != len(c.findings) {
				t.Fatalf("findings:\n%s\nwant:\n%s", got, strings.Join(c.findings, "\n"))
			}
			for i, f := range c.findings {
				if !strings.Contains(msgs[i], f) {
					t.Errorf("finding %d: %s\nwant it to contain %s", i, msgs[i], f)
				}
			}
		})
	}
}
