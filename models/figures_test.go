package models_test

import (
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/calc"
	"github.com/modeltool/modeltool/expr"
	"github.com/modeltool/modeltool/model"
	"github.com/modeltool/modeltool/models"
	"github.com/modeltool/modeltool/populate"
)

// step is one forward pass: seq new tokens per sequence after past cached ones.
type step struct{ batch, seq, past int64 }

var (
	prefill2048 = step{1, 2048, 0}
	decode2048  = step{1, 1, 2048}
)

// compute runs calc on a model file for one step.
func compute(t *testing.T, name string, src []byte, s step) *calc.Result {
	t.Helper()
	f, err := model.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := calc.Compute(f, calc.Options{Set: map[string]expr.Value{
		"batch_size": expr.Int(s.batch), "seq_len": expr.Int(s.seq), "past_len": expr.Int(s.past),
	}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// shipped reads a shipped model file (relative to this directory).
func shipped(t *testing.T, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// variant builds a model file from a config (relative to the repository root) with keys
// replaced (a nil value writes null) and keys removed.
func variant(t *testing.T, config string, set map[string]any, remove ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", config))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		cfg[k] = v
	}
	for _, k := range remove {
		delete(cfg, k)
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(config))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return build(t, path, "")
}

// equal compares an exact figure with an integer literal (underscores allowed).
func equal(t *testing.T, what string, got *big.Rat, want string) {
	t.Helper()
	w, ok := new(big.Rat).SetString(strings.ReplaceAll(want, "_", ""))
	if !ok {
		t.Fatalf("%s: bad literal %q", what, want)
	}
	if got == nil {
		t.Errorf("%s is missing, want %s", what, want)
	} else if got.Cmp(w) != 0 {
		t.Errorf("%s = %s, want %s", what, got.RatString(), want)
	}
}

// categoryTotal is a total FLOP count by category ("matmul", "attention").
func categoryTotal(t *testing.T, res *calc.Result, cat string) *big.Rat {
	t.Helper()
	s := res.Totals.ByCategory[cat]
	if s == nil {
		t.Fatalf("no %s layers", cat)
	}
	return s.FLOPs
}

// row returns the layer at a dotted path.
func row(t *testing.T, res *calc.Result, path string) calc.Row {
	t.Helper()
	for _, r := range res.Rows {
		if r.Path == path {
			return r
		}
	}
	t.Fatalf("no layer %s", path)
	return calc.Row{}
}

// hasLayer reports whether a layer path exists in the result.
func hasLayer(res *calc.Result, path string) bool {
	for _, r := range res.Rows {
		if r.Path == path {
			return true
		}
	}
	return false
}

// populateError builds a model file from an edited config and returns populate's error.
func populateError(t *testing.T, config string, set map[string]any) error {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", config))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		cfg[k] = v
	}
	out, _ := json.Marshal(cfg)
	c, err := populate.ReadConfig(config, out)
	if err != nil {
		t.Fatal(err)
	}
	tplData, _ := models.Template(c.ModelType)
	tpl, err := populate.LoadTemplate(c.ModelType, tplData, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = populate.Run(populate.Request{Config: c, Template: tpl, TemplateName: c.ModelType})
	return err
}
