package populate_test

import (
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/populate"
)

// nullTemplate reads one key whose absent and null values differ, as Mistral's sliding_window
// does (absent: 4096, null: no window).
const nullTemplate = `{
  "template": {
    "model_type": "toy",
    "config": {
      "width": {"type": "integer", "minimum": 0, "description": "a width", "default": 4096, "null": 0}
    }
  },
  "variables": {"batch_size": 1, "dtype_bytes": 2},
  "layers": [
    {"name": "mul", "class": "torch.mul", "parameters": {"num_elements": "{batch_size} * {width}", "dtype_bytes": "{dtype_bytes}"}}
  ]
}`

func TestConfigKeyNull(t *testing.T) {
	tpl, err := populate.LoadTemplate("toy.json", []byte(nullTemplate), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ config, want string }{
		{`{"model_type": "toy"}`, `"{batch_size} * 4096"`},
		{`{"model_type": "toy", "width": null}`, `"{batch_size} * 0"`},
		{`{"model_type": "toy", "width": 7}`, `"{batch_size} * 7"`},
	} {
		cfg, err := populate.ReadConfig("config.json", []byte(c.config))
		if err != nil {
			t.Fatal(err)
		}
		res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: "toy"})
		if err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		if !strings.Contains(string(res.Output), c.want) {
			t.Errorf("%s: output lacks %s:\n%s", c.config, c.want, res.Output)
		}
	}
}
