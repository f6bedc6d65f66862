package schema

import (
	"strings"
	"testing"

	"github.com/modeltool/modeltool/jsonpos"
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
	if _, err := Model(); err != nil {
		t.Fatal(err)
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
		{`{"layers": [{"name": "a"}]}`, "layers/0", "required", `layer missing key "class"`},
		{`{"layers": [{"name": "", "class": "x.Y"}]}`, "layers/0/name", "empty", "layer name is empty"},
		{`{"layers": [{"name": "a.b", "class": "x.Y"}]}`, "layers/0/name", "pattern", `layer name "a.b" may not contain dots`},
		{`{"layers": [{"name": "a", "class": "x.Y", "repeat": 0}]}`, "layers/0/repeat", "minimum", "must be at least 1, got 0"},
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
