package models_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/calc"
	"github.com/modeltool/modeltool/model"
	"github.com/modeltool/modeltool/models"
	"github.com/modeltool/modeltool/populate"
	"github.com/modeltool/modeltool/validate"
)

// checkpoint is a real config.json and the parameter count of the released checkpoint,
// derived by hand from the architecture (docs/research/families.md), never from this code.
type checkpoint struct {
	config string // relative to the repository root
	params string // exact, as an integer literal
}

// build populates a fresh model file from a config with its model_type's template.
func build(t *testing.T, configPath, modelID string) []byte {
	t.Helper()
	data, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := populate.ReadConfig(configPath, data)
	if err != nil {
		t.Fatal(err)
	}
	tplData, ok := models.Template(cfg.ModelType)
	if !ok {
		t.Fatalf("%s: no template for model_type %q", configPath, cfg.ModelType)
	}
	tpl, err := populate.LoadTemplate(cfg.ModelType, tplData, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: cfg.ModelType, ModelID: modelID})
	if err != nil {
		t.Fatalf("%s: %v", configPath, err)
	}
	return res.Output
}

// params computes the total parameter count of a model file with the default variables.
func params(t *testing.T, name string, src []byte) string {
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
	return out.Totals.Params.RatString()
}

// checkCheckpoints populates each config and compares the parameter count.
func checkCheckpoints(t *testing.T, cases []checkpoint) {
	t.Helper()
	for _, c := range cases {
		t.Run(filepath.Base(c.config), func(t *testing.T) {
			path := filepath.Join("..", c.config)
			got := params(t, path, build(t, path, ""))
			want := strings.ReplaceAll(c.params, "_", "")
			if got != want {
				t.Errorf("params = %s, want %s", got, want)
			}
		})
	}
}

// TestShippedModelsAreUpToDate rebuilds every shipped model file from the config beside it
// and requires the same bytes, so the files never drift from their templates.
func TestShippedModelsAreUpToDate(t *testing.T) {
	configs, err := filepath.Glob("*.config.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(configs) == 0 {
		t.Fatal("no shipped configs")
	}
	for _, cfg := range configs {
		modelPath := strings.TrimSuffix(cfg, ".config.json") + ".json"
		t.Run(modelPath, func(t *testing.T) {
			shipped, err := os.ReadFile(modelPath)
			if err != nil {
				t.Fatalf("every shipped config has its model file beside it: %v", err)
			}
			f, err := model.Parse(modelPath, shipped)
			if err != nil {
				t.Fatal(err)
			}
			if got := build(t, cfg, f.ModelID); !bytes.Equal(got, shipped) {
				t.Errorf("%s differs from what populate builds from %s; regenerate it:\n  modeltool populate --config models/%s --model-id %s -o models/%s",
					modelPath, cfg, cfg, f.ModelID, modelPath)
			}
		})
	}
}
