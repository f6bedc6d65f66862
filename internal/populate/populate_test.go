package populate_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/models"
)

const llamaConfig = `{
  "model_type": "llama",
  "_name_or_path": "test/tiny-llama",
  "vocab_size": 1000,
  "hidden_size": 64,
  "intermediate_size": 128,
  "num_hidden_layers": 2,
  "num_attention_heads": 4,
  "num_key_value_heads": 2,
  "torch_dtype": "bfloat16"
}`

func run(t *testing.T, config, existing string, addMissing bool) (*populate.Result, error) {
	t.Helper()
	cfg, err := populate.ReadConfig("config.json", []byte(config))
	if err != nil {
		return nil, err
	}
	data, _ := models.Template("llama")
	tpl, err := populate.LoadTemplate("llama", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := populate.Request{Config: cfg, Template: tpl, TemplateName: "llama", AddMissing: addMissing}
	if existing != "" {
		f, err := model.Parse("model.json", []byte(existing))
		if err != nil {
			t.Fatal(err)
		}
		req.Existing = f
	}
	return populate.Run(req)
}

func TestFreshFile(t *testing.T) {
	res, err := run(t, llamaConfig, "", false)
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Output)
	for _, want := range []string{
		`"model_id": "test/tiny-llama"`,
		`"dtype_bytes": 2,`,                  // from torch_dtype bfloat16
		`"out_features": 32,`,                // k_proj: 2 kv heads × head_dim 64/4
		`"repeat": 2,`,                       // num_hidden_layers
		`"num_kv_heads": 2,`,                 // the attention core
		`"kv_len": "{past_len} + {seq_len}"`, // dynamic stays a placeholder
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if strings.Contains(out, `"if"`) || strings.Contains(out, `"index"`) || strings.Contains(out, `"template"`) {
		t.Error("template-only keys leaked into the model file")
	}
	// aliases stay: they name the ModuleList of the decoder layers (model.layers.N).
	if !strings.Contains(out, "\"name\": \"decoder_layer\",\n          \"aliases\": [\n            \"layers\"\n          ],") {
		t.Errorf("the decoder layer lost its alias:\n%s", out)
	}
	if strings.Count(out, `"name": "lm_head"`) != 1 || strings.Contains(out, "tied_to") {
		t.Error("the untied lm_head should be chosen once")
	}
	tied, err := run(t, strings.Replace(llamaConfig, `"torch_dtype"`, `"tie_word_embeddings": true, "torch_dtype"`, 1), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tied.Output), `"tied_to": "model.embed_tokens"`) {
		t.Error("tie_word_embeddings true should tie lm_head")
	}
}

func TestFillKeepsWhatTheAuthorWrote(t *testing.T) {
	existing := `{
  "x-owner": "me",
  "layers": [
    {
      "name": "model",
      "class": "transformers.models.llama.modeling_llama.LlamaModel",
      "x-note": "kept",
      "sub_layers": [
        {"name": "embed_tokens", "class": "torch.nn.modules.sparse.Embedding", "parameters": {"embedding_dim": 99}},
        {"name": "layers", "class": "transformers.models.llama.modeling_llama.LlamaDecoderLayer", "repeat": 2, "sub_layers": [
          {"name": "mlp", "class": "transformers.models.llama.modeling_llama.LlamaMLP", "sub_layers": [
            {"name": "gate_proj", "class": "torch.nn.modules.activation.SiLU"},
            {"name": "mystery", "class": "torch.nn.modules.linear.Linear"}
          ]}
        ]}
      ]
    }
  ]
}`
	res, err := run(t, llamaConfig, existing, false)
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Output)
	if !strings.Contains(out, `"x-owner": "me"`) || !strings.Contains(out, `"x-note": "kept"`) {
		t.Error("x- keys were lost")
	}
	if !strings.Contains(out, `"embedding_dim": 99`) {
		t.Error("the author's value was overwritten")
	}
	r := res.Report
	// A basic layer of another class keeps its class (reported as kept, like any value the
	// author wrote) and gets none of the template class's parameters.
	if len(r.Kept) != 2 || !strings.Contains(r.Kept[0], "model.embed_tokens: embedding_dim 99 (the config gives 64)") ||
		r.Kept[1] != `model.layers.mlp.gate_proj: class "torch.nn.modules.activation.SiLU" (the template gives "torch.nn.modules.linear.Linear")` {
		t.Errorf("kept = %q", r.Kept)
	}
	if !strings.Contains(out, `{
                  "name": "gate_proj",
                  "class": "torch.nn.modules.activation.SiLU"
                },`) {
		t.Errorf("a basic layer of another class must be left alone:\n%s", out)
	}
	joined := strings.Join(r.Unmatched, "\n")
	if !strings.Contains(joined, "model.layers.mlp.mystery") {
		t.Errorf("unmatched layer not reported: %q", r.Unmatched)
	}
	// "layers" matched the template's decoder_layer through its alias: its sub-layers were filled.
	if !strings.Contains(strings.Join(r.Missing, "\n"), "model.layers.self_attn") {
		t.Errorf("missing = %q", r.Missing)
	}
	// Filling twice changes nothing.
	again, err := run(t, llamaConfig, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Output) != out {
		t.Error("a second fill changed the file")
	}
}

func TestAddMissingInsertsAtTemplatePosition(t *testing.T) {
	existing := `{"layers": [
  {"name": "model", "class": "transformers.models.llama.modeling_llama.LlamaModel", "sub_layers": [
    {"name": "norm", "class": "transformers.models.llama.modeling_llama.LlamaRMSNorm"}
  ]}
]}`
	res, err := run(t, llamaConfig, existing, true)
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Output)
	iEmb, iDec, iNorm, iRot, iHead := strings.Index(out, `"embed_tokens"`), strings.Index(out, `"decoder_layer"`), strings.Index(out, `"norm"`), strings.Index(out, `"rotary_emb"`), strings.Index(out, `"lm_head"`)
	if !(iEmb < iDec && iDec < iNorm && iNorm < iRot && iRot < iHead) {
		t.Errorf("layers out of template order: %d %d %d %d %d", iEmb, iDec, iNorm, iRot, iHead)
	}
	if len(res.Diagnostics) != 0 {
		t.Errorf("the result does not validate: %v", res.Diagnostics)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ config, want string }{
		{`{"model_type": "llama"}`, "lacks vocab_size (tokens in the vocabulary), which the llama template needs for lm_head, model.embed_tokens"},
		{strings.Replace(llamaConfig, `"num_key_value_heads": 2`, `"num_key_value_heads": 3`, 1), "num_key_value_heads must divide num_attention_heads ({num_attention_heads} % {num_key_value_heads} == 0 is false for num_attention_heads=4, num_key_value_heads=3)"},
		{strings.Replace(llamaConfig, `"hidden_size": 64`, `"hidden_size": 64.5`, 1), "config.json:5:18: error: hidden_size must be an integer, got 64.5"},
		// A null is the config's value, not an absent key: transformers hands None on.
		{strings.Replace(llamaConfig, `"hidden_size": 64`, `"hidden_size": null`, 1), "config.json:5:18: error: hidden_size is null, and the llama template needs a value for it"},
		{strings.Replace(llamaConfig, `"hidden_size": 64`, `"hidden_size": 64, "rms_norm_eps": 1e-5, "tie_word_embeddings": null`, 1), "tie_word_embeddings is null: transformers passes None on to the model instead of the default (false)"},
		{strings.Replace(llamaConfig, `"num_hidden_layers": 2`, `"num_hidden_layers": 0`, 1), "num_hidden_layers must be at least 1, got 0"},
	} {
		_, err := run(t, c.config, "", false)
		ds, rest := diag.Split(err)
		if len(ds) == 0 || len(rest) > 0 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v\nwant diagnostics, one containing %q", err, c.want)
		}
		for _, d := range ds {
			if d.Code != "config" || d.File != "config.json" {
				t.Errorf("%+v: want code config in config.json", d)
			}
		}
	}
}

// TestConfigNotAnObject: a config that is not an object says what it is, grammatically.
func TestConfigNotAnObject(t *testing.T) {
	for src, want := range map[string]string{
		`[]`:   "config.json:1:1: error: a config.json is an object, not an array",
		`"x"`:  "config.json:1:1: error: a config.json is an object, not a string",
		`null`: "config.json:1:1: error: a config.json is an object, not null",
	} {
		if _, err := populate.ReadConfig("config.json", []byte(src)); err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
}

func TestModelIDFromFileName(t *testing.T) {
	for name, want := range map[string]string{
		"models/mistralai__Mistral-7B-v0.1.json":              "mistralai/Mistral-7B-v0.1",
		"x/org__name.config.json":                             "org/name",
		"cache/models--meta-llama--Llama-2-7b-hf/config.json": "meta-llama/Llama-2-7b-hf",
	} {
		cfg, err := populate.ReadConfig(name, []byte(`{"model_type": "llama"}`))
		if err != nil || cfg.ModelID != want {
			t.Errorf("%s: model id %q (%v), want %q", name, cfg.ModelID, err, want)
		}
	}
}

func TestShippedConfigsStillRead(t *testing.T) {
	data, err := os.ReadFile("../../models/llama-2-7b-hf.config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := populate.ReadConfig("c.json", data)
	if err != nil || cfg.ModelType != "llama" || cfg.ModelID != "meta-llama/Llama-2-7b-hf" {
		t.Errorf("%+v %v", cfg, err)
	}
}

// TestLoadTemplateRefusesModelFiles: a model file is not a template, however many findings it
// has as one; a file that is no object at all, or not JSON, gets its findings.
func TestLoadTemplateRefusesModelFiles(t *testing.T) {
	for src, notTemplate := range map[string]bool{
		`{"layers": [{"name": "a", "class": "torch.nn.modules.activation.SiLU"}]}`: true,
		`{"layers": []}`: true,
		`[]`:             false,
		`{"layers": [`:   false,
	} {
		_, err := populate.LoadTemplate("t.json", []byte(src), nil)
		if err == nil || errors.Is(err, populate.ErrNotATemplate) != notTemplate {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// TestConfigLongStringIsCutWhole: a long string in the wrong place is cut in the message at a
// character boundary, never inside a UTF-8 sequence.
func TestConfigLongStringIsCutWhole(t *testing.T) {
	_, err := run(t, strings.Replace(llamaConfig, `"hidden_size": 64`, `"hidden_size": "`+strings.Repeat("é", 30)+`"`, 1), "", false)
	want := `hidden_size must be an integer, not the string "` + strings.Repeat("é", diag.MaxQuoted/2) + `"…(60 bytes)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v\nwant %q", err, want)
	}
}

// TestConfigDuplicateKeys: a key given twice in config.json is an error at the repeat, naming
// the first, for every repeat (top level and nested).
func TestConfigDuplicateKeys(t *testing.T) {
	src := "{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 4096,\n  \"rope_scaling\": {\"factor\": 2, \"factor\": 4},\n  \"hidden_size\": 5120\n}"
	_, err := populate.ReadConfig("config.json", []byte(src))
	ds, rest := diag.Split(err)
	if len(rest) > 0 || len(ds) != 2 {
		t.Fatalf("%v", err)
	}
	want := []string{
		`config.json:4:33: error: duplicate key "factor" (first at 4:20): JSON readers keep only the last value, so which one the config means is unclear; keep one`,
		`config.json:5:3: error: duplicate key "hidden_size" (first at 3:3): JSON readers keep only the last value, so which one the config means is unclear; keep one`,
	}
	for i, d := range ds {
		if d.String() != want[i] {
			t.Errorf("got  %s\nwant %s", d, want[i])
		}
	}
	if ds[1].Pointer != "/hidden_size" || ds[0].Pointer != "/rope_scaling/factor" {
		t.Errorf("pointers %q %q", ds[0].Pointer, ds[1].Pointer)
	}
}
