package models_test

// The helpers every test in this package shares. A config is named by its path relative to the
// repository root ("models/gpt2.config.json", "testdata/configs/…"), as the checkpoint tables
// write it; a shipped model file by its file name in this directory ("gpt2.json").

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/validate"
	"github.com/modeltool/modeltool/models"
)

// checkpoint is a real config.json and the parameter count of the released checkpoint,
// derived by hand from the architecture (docs/research/families.md), never from this code.
type checkpoint struct {
	config string // relative to the repository root
	params string // exact, as an integer literal
}

// checkCheckpoints populates each config, a subtest each, and compares the parameter count of
// the model file it builds (which must validate cleanly) with the hand-derived one.
func checkCheckpoints(t *testing.T, cases []checkpoint) {
	t.Helper()
	for _, c := range cases {
		t.Run(filepath.Base(c.config), func(t *testing.T) {
			wantFigure(t, "params", params(t, c.config, buildConfig(t, c.config, nil)), c.params)
		})
	}
}

// buildConfig is configVariant for a config that populate must accept: its error fails the
// test.
func buildConfig(t *testing.T, path string, set map[string]any, remove ...string) []byte {
	t.Helper()
	src, err := configVariant(t, path, set, remove...)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return src
}

// configVariant populates a fresh model file from the config at path (relative to the
// repository root) with the keys in set replaced (a nil value writes null) and the keys in
// remove deleted, and returns it with populate's error. The other keys keep their values as
// written, numbers too; with no edits the config is read as it is.
func configVariant(t *testing.T, path string, set map[string]any, remove ...string) ([]byte, error) {
	t.Helper()
	file := filepath.Join("..", path)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) > 0 || len(remove) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var cfg map[string]any
		if err := dec.Decode(&cfg); err != nil {
			t.Fatal(err)
		}
		maps.Copy(cfg, set)
		for _, k := range remove {
			delete(cfg, k)
		}
		if data, err = json.Marshal(cfg); err != nil {
			t.Fatal(err)
		}
	}
	return populateConfig(t, file, data, "")
}

// populateConfig populates the config text data, read as the file name, with its model_type's
// template, and returns the model file and populate's error; a config that cannot be read or
// has no template fails the test. A non-empty modelID replaces the config's.
func populateConfig(t *testing.T, name string, data []byte, modelID string) ([]byte, error) {
	t.Helper()
	cfg, err := populate.ReadConfig(name, data)
	if err != nil {
		t.Fatal(err)
	}
	tplData, ok := models.Template(cfg.ModelType)
	if !ok {
		t.Fatalf("%s: no template for model_type %q", name, cfg.ModelType)
	}
	tpl, err := populate.LoadTemplate(cfg.ModelType, tplData, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: cfg.ModelType, ModelID: modelID})
	if err != nil {
		return nil, err
	}
	return res.Output, nil
}

// params validates a model file, reporting every diagnostic as an error, and returns its total
// parameter count with the default variables.
func params(t *testing.T, name string, src []byte) *big.Rat {
	t.Helper()
	res := validate.Source(name, src, validate.Options{})
	for _, d := range res.Diagnostics {
		t.Errorf("%s:%d:%d: %s: %s", d.File, d.Line, d.Column, d.Severity, d.Message)
	}
	f, err := model.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out.Totals.Params
}

// step is one forward pass: seq new tokens per sequence after past cached ones, for batch
// sequences.
type step struct{ batch, seq, past int64 }

var (
	prefill2048 = step{1, 2048, 0} // a prefill of 2048 tokens
	decode2048  = step{1, 1, 2048} // one decode step after 2048 cached tokens
)

// stepFLOPs is a step of one sequence and the hand-derived matmul and attention-core FLOPs of
// a model in it.
type stepFLOPs struct {
	name             string
	seq, past        int64
	matmul, attnCore string // exact, as integer literals
}

// checkStepFLOPs computes each step of a shipped model file, a subtest each, and compares its
// matmul and attention FLOPs with the hand-derived ones.
func checkStepFLOPs(t *testing.T, file string, cases []stepFLOPs) {
	t.Helper()
	src := shipped(t, file)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := computeStep(t, file, src, step{1, c.seq, c.past})
			wantFigure(t, "matmul FLOPs", categoryFLOPs(res, "matmul"), c.matmul)
			wantFigure(t, "attention FLOPs", categoryFLOPs(res, "attention"), c.attnCore)
		})
	}
}

// shipped reads a shipped model file by its name in this directory.
func shipped(t *testing.T, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// computeStep runs calc on a model file for one step: batch_size, seq_len and past_len set,
// every other variable its default.
func computeStep(t *testing.T, name string, src []byte, s step) *calc.Result {
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

// categoryFLOPs is the total FLOP count of a category ("matmul", "attention", "routing"), nil
// when the model has no layer of it.
func categoryFLOPs(res *calc.Result, cat string) *big.Rat {
	if s := res.Totals.ByCategory[cat]; s != nil {
		return s.FLOPs
	}
	return nil
}

// row returns the layer at a dotted path; a missing one fails the test.
func row(t *testing.T, res *calc.Result, path string) calc.Row {
	t.Helper()
	i := slices.IndexFunc(res.Rows, func(r calc.Row) bool { return r.Path == path })
	if i < 0 {
		t.Fatalf("no layer %s", path)
	}
	return res.Rows[i]
}

// hasLayer reports whether a layer path exists in the result.
func hasLayer(res *calc.Result, path string) bool {
	return slices.ContainsFunc(res.Rows, func(r calc.Row) bool { return r.Path == path })
}

// wantFigure compares an exact figure with a literal, an integer (underscores allowed) or a
// fraction "n/d"; a nil figure is reported as missing.
func wantFigure(t *testing.T, what string, got *big.Rat, want string) {
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
