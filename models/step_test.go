package models_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/modeltool/modeltool/calc"
	"github.com/modeltool/modeltool/expr"
	"github.com/modeltool/modeltool/model"
	"github.com/modeltool/modeltool/models"
	"github.com/modeltool/modeltool/populate"
)

// stepTotals computes a shipped model file for one step of batch 1: seqLen new tokens after
// pastLen cached ones (a prefill is pastLen 0, a decode step seqLen 1).
func stepTotals(t *testing.T, modelPath string, seqLen, pastLen int64) calc.Totals {
	t.Helper()
	src, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	return sourceTotals(t, modelPath, src, seqLen, pastLen)
}

// sourceTotals is stepTotals for a model file in memory.
func sourceTotals(t *testing.T, modelPath string, src []byte, seqLen, pastLen int64) calc.Totals {
	t.Helper()
	f, err := model.Parse(modelPath, src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := calc.Compute(f, calc.Options{Set: map[string]expr.Value{
		"batch_size": expr.Int(1),
		"seq_len":    expr.Int(seqLen),
		"past_len":   expr.Int(pastLen),
	}})
	if err != nil {
		t.Fatalf("%s: %v", modelPath, err)
	}
	return out.Totals
}

// category returns one figure (layers.FormulaFLOPs, …) of a category's totals, exactly; "0"
// when the model has no layer of that category.
func category(tot calc.Totals, cat, figure string) string {
	s := tot.ByCategory[cat]
	if s == nil {
		return "0"
	}
	return s.Get(figure).RatString()
}

// populateVariant populates a config with some keys replaced (JSON values; "null" for null)
// and returns populate's error, or "" when it succeeds.
func populateVariant(t *testing.T, configPath string, replace map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	for k, v := range replace {
		obj[k] = json.RawMessage(v)
	}
	if data, err = json.Marshal(obj); err != nil {
		t.Fatal(err)
	}
	cfg, err := populate.ReadConfig(configPath, data)
	if err != nil {
		t.Fatal(err)
	}
	tplData, ok := models.Template(cfg.ModelType)
	if !ok {
		t.Fatalf("no template for %q", cfg.ModelType)
	}
	tpl, err := populate.LoadTemplate(cfg.ModelType, tplData, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: cfg.ModelType}); err != nil {
		return err.Error()
	}
	return ""
}
