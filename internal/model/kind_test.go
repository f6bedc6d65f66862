package model

import (
	"bytes"
	"testing"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		name, src string
		want      Kind
	}{
		{"model file", `{"layers": []}`, ModelFile},
		{"model file with a layer", `{"layers": [{"name": "m", "class": "torch.nn.Linear"}]}`, ModelFile},
		{"composite layer without class", `{"layers": [{"name": "m", "sub_layers": []}]}`, ModelFile},
		{"broken layers beside model_id", `{"model_id": "x", "layers": 5}`, ModelFile},
		{"broken layers beside variables", `{"variables": {}, "layers": {}}`, ModelFile},
		{"standard variables without layers", `{"variables": {"seq_len": 8}}`, ModelFile},
		{"schema named, no layers", `{"$schema": "../.vscode/modeltool.schema.json"}`, ModelFile},
		{"schema named, layers of another kind", `{"$schema": "https://example.org/ModelTool/model.schema.json", "layers": "x"}`, ModelFile},
		{"template", `{"template": {"model_type": "llama", "config": {}}, "layers": []}`, TemplateFile},
		{"template without layers yet", `{"template": {"model_type": "llama"}}`, TemplateFile},
		{"template of the wrong kind beside layers", `{"template": 5, "layers": []}`, TemplateFile},
		{"broken model file", `{"layers": [`, ModelFile},
		{"broken model file cut after the key", `{"model_id": "x", "layers":`, ModelFile},
		{"broken composite", `{"x": [{"name": "m", "sub_layers": [}`, ModelFile},
		{"broken file naming our schema", `{"$schema": "modeltool.schema.json",, }`, ModelFile},
		{"model file with a comment", "{\n  // the model\n  \"layers\": [{\"name\": \"m\", \"class\": \"c\"}],\n}", ModelFile},
		{"HF config", `{"model_type": "llama", "hidden_size": 4096}`, HFConfig},
		{"generation_config.json", `{"bos_token_id": 1, "eos_token_id": 2, "transformers_version": "4.56.0"}`, NotModel},
		{"tokenizer_config.json", `{"add_bos_token": true, "model_max_length": 4096, "added_tokens_decoder": {}}`, NotModel},
		{"model.safetensors.index.json", `{"metadata": {"total_size": 1}, "weight_map": {"a": "b"}}`, NotModel},
		{"package.json", `{"name": "site", "version": "1.0.0", "scripts": {}}`, NotModel},
		{"tsconfig.json (JSONC)", "{\n  // comments are JSONC\n  \"compilerOptions\": {\"strict\": true},\n}", NotModel},
		{".vscode/settings.json (JSONC) naming layers", "{ // c\n  \"files.exclude\": {\"layers\": true},\n  /* more */ \"editor.tabSize\": 2,\n}\n", NotModel},
		{"array", `[1, 2]`, NotModel},
		{"other schema", `{"$schema": "https://json.schemastore.org/package"}`, NotModel},
		{"Packer", `{"variables": {"aws_region": "us-east-1"}, "builders": []}`, NotModel},
		{"Azure ARM template", `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "parameters": {}, "variables": {"location": "[resourceGroup().location]"}, "resources": []}`, NotModel},
		{"Elasticsearch index template", `{"index_patterns": ["x"], "template": {}}`, NotModel},
		{"Elasticsearch template with settings", `{"index_patterns": ["x"], "template": {"settings": {"number_of_shards": 1}, "mappings": {}}}`, NotModel},
		{"API settings", `{"model_id": "gpt-4o", "temperature": 0.2}`, NotModel},
		{"hyperparameters", `{"layers": [256, 128], "dropout": 0.1}`, NotModel},
		{"Lottie animation", `{"v": "5.7.4", "fr": 30, "layers": [{"ty": 4, "nm": "Shape"}]}`, NotModel},
		{"Mapbox style", `{"version": 8, "sources": {}, "layers": [{"id": "bg", "type": "background"}]}`, NotModel},
		{"layers as a count", `{"layers": 12, "hidden": 768}`, NotModel},
		{"broken JSON naming layers as a setting", `{"files.exclude": {"layers": true}} }`, NotModel},
	}
	for _, c := range cases {
		got, why := Classify([]byte(c.src), nil)
		if got != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, got, why, c.want)
		}
		if (got == NotModel || got == HFConfig) && why == "" {
			t.Errorf("%s: no reason given", c.name)
		}
	}
}

// TestStripJSONC: comments and trailing commas become blanks, the length and the newlines are
// kept (positions stay), strings are untouched.
func TestStripJSONC(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"{\"a\": 1, // x\n}", "{\"a\": 1      \n}"},
		{"[1, /* y\n */ 2,]", "[1,     \n    2 ]"},
		{`{"u": "http://x/*y*/", "c": ",]"}`, `{"u": "http://x/*y*/", "c": ",]"}`},
		{`{"e": "a\"//b",}`, `{"e": "a\"//b" }`},
		{"[1 /* cut", "[1       "},
	} {
		got := stripJSONC([]byte(c.in))
		if !bytes.Equal(got, []byte(c.want)) {
			t.Errorf("stripJSONC(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzClassify: any bytes are classified without a panic; stripJSONC keeps the length and every
// newline, and leaves strict JSON as it is.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{`{"layers": []}`, "{ // c\n \"a\": [1,],\n}", `{"x": "/*", "y": 1} /* z`, `"\`, `{"layers": [`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		Classify(data, nil)
		out := stripJSONC(data)
		if len(out) != len(data) || bytes.Count(out, []byte("\n")) != bytes.Count(data, []byte("\n")) {
			t.Fatalf("stripJSONC(%q) = %q: length or lines changed", data, out)
		}
		if _, err := jsonpos.Parse("", data, jsonpos.Options{}); err == nil && !bytes.Equal(out, data) {
			t.Fatalf("stripJSONC changed strict JSON %q to %q", data, out)
		}
	})
}
