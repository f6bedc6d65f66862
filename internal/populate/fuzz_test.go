package populate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/validate"
	"github.com/modeltool/modeltool/models"
)

// FuzzPopulate feeds arbitrary config.json text through the config reader and the template of
// its model_type: never a panic; a populate that succeeds produces a model file that validates
// without errors, that filling or updating again does not change, and that --check finds in
// sync.
func FuzzPopulate(f *testing.F) {
	for _, pattern := range []string{"../../models/*.config.json", "../../testdata/configs/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"model_type": "llama", "hidden_size": 0}`))
	f.Add([]byte(`{"model_type": 7}`))
	f.Add([]byte(`[]`))
	// The second-round language: lists, default_each, activation() and indexed layers.
	f.Add([]byte(`{"model_type": "kinds", "num_hidden_layers": 6, "hidden_size": 16}`))
	f.Add([]byte(`{"model_type": "kinds", "num_hidden_layers": 3, "hidden_size": 8, "hidden_act": "gelu_new", "mlp_only_layers": [1], "layer_types": ["full_attention", "sliding_attention", "full_attention"]}`))
	f.Add([]byte(`{"model_type": "kinds", "num_hidden_layers": 1e30, "hidden_size": 16, "use_sliding_window": false, "nope": false}`))
	// Config keys of several JSON types, read through the type tests and string indexing.
	f.Add([]byte(`{"model_type": "unions", "pattern": "LLG", "rank": "auto", "tuning": 4}`))
	f.Add([]byte(`{"model_type": "unions", "num_hidden_layers": 7, "pattern": 2, "rank": 9, "tuning": false, "hidden_size": 4096}`))
	f.Add([]byte(`{"model_type": "unions", "pattern": "GL", "tuning": null}`))
	f.Add([]byte(`{"model_type": "exaone4", "num_hidden_layers": 30, "sliding_window_pattern": "LLLG"}`))
	f.Add([]byte(`{"model_type": "jamba", "hidden_size": 4104, "num_attention_heads": 8, "mamba_dt_rank": "auto"}`))
	f.Add([]byte(`{"model_type": "llama4_text", "num_hidden_layers": 8, "attn_temperature_tuning": 0}`))
	templates := map[string]*model.File{}
	for name, src := range map[string]string{"kinds": kindsTemplate, "unions": unionsTemplate} {
		tpl, err := populate.LoadTemplate(name, []byte(src), nil)
		if err != nil {
			f.Fatal(err)
		}
		templates[name] = tpl
	}
	for _, name := range models.TemplateNames() {
		data, _ := models.Template(name)
		tpl, err := populate.LoadTemplate(name, data, nil)
		if err != nil {
			f.Fatal(err)
		}
		templates[name] = tpl
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := populate.ReadConfig("config.json", data)
		if err != nil {
			return
		}
		tpl := templates[cfg.ModelType]
		if tpl == nil {
			tpl = templates["llama"]
		}
		res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: tpl.Template.ModelType})
		if err != nil {
			return
		}
		out := validate.Source("out.json", res.Output, validate.Options{})
		if n, _ := diag.Count(out.Diagnostics); n > 0 {
			t.Fatalf("populate produced an invalid file: %+v\n%s", out.Diagnostics[0], data)
		}
		again, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: tpl.Template.ModelType, Existing: out.File})
		if err != nil {
			t.Fatalf("filling the populated file failed: %v", err)
		}
		if !bytes.Equal(again.Output, res.Output) {
			t.Fatal("filling a populated file changed it")
		}
		// A file built from a config is in sync with it, and updating it changes nothing.
		check, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: tpl.Template.ModelType, Existing: out.File, Mode: populate.Check})
		if err != nil || len(check.Drift) > 0 {
			t.Fatalf("a freshly built file is out of sync: %v %v\n%s", err, check.Drift, data)
		}
		upd, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: tpl.Template.ModelType, Existing: out.File, Mode: populate.Update})
		if err != nil || !bytes.Equal(upd.Output, res.Output) || len(upd.Report.Updated) > 0 {
			t.Fatalf("updating a freshly built file changed it: %v %q", err, upd.Report.Updated)
		}
	})
}
