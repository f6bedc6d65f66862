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
