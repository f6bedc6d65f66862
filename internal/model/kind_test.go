package model

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		name, src string
		want      Kind
	}{
		{"model file", `{"layers": []}`, ModelFile},
		{"skeleton without layers yet", `{"model_id": "x"}`, ModelFile},
		{"only variables", `{"variables": {"seq_len": 8}}`, ModelFile},
		{"schema named", `{"$schema": "../.vscode/modeltool.schema.json"}`, ModelFile},
		{"template", `{"template": {}, "layers": []}`, TemplateFile},
		{"broken model file", `{"layers": [`, ModelFile},
		{"HF config", `{"model_type": "llama", "hidden_size": 4096}`, HFConfig},
		{"generation_config.json", `{"bos_token_id": 1, "eos_token_id": 2, "transformers_version": "4.56.0"}`, NotModel},
		{"tokenizer_config.json", `{"add_bos_token": true, "model_max_length": 4096, "added_tokens_decoder": {}}`, NotModel},
		{"model.safetensors.index.json", `{"metadata": {"total_size": 1}, "weight_map": {"a": "b"}}`, NotModel},
		{"package.json", `{"name": "site", "version": "1.0.0", "scripts": {}}`, NotModel},
		{"tsconfig.json (JSONC)", "{\n  // comments are JSONC\n  \"compilerOptions\": {\"strict\": true},\n}", NotModel},
		{"array", `[1, 2]`, NotModel},
		{"other schema", `{"$schema": "https://json.schemastore.org/package"}`, NotModel},
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
