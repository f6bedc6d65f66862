package populate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/models"
)

// nestedTemplate has an indexed layer inside an indexed layer: each expert's width depends on
// both indexes, a layer exists only in every third instance, and the kinds of layer recur
// apart (0, 3 are alike; 1, 5 are alike; …).
const nestedTemplate = `{
  "template": {
    "model_type": "nested",
    "config": {
      "num_hidden_layers": {"type": "integer", "minimum": 1, "description": "layers"},
      "num_experts": {"type": "integer", "minimum": 1, "description": "experts"},
      "hidden_size": {"type": "integer", "minimum": 1, "description": "width"}
    }
  },
  "layers": [
    {"name": "model", "class": "my.Model", "sub_layers": [
      {"name": "decoder_layer", "aliases": ["layers"], "class": "my.DecoderLayer", "repeat": "{num_hidden_layers}", "index": "layer_idx",
       "sub_layers": [
        {"name": "norm", "if": "{layer_idx} % 3 == 0", "class": "torch.nn.modules.normalization.LayerNorm", "parameters": {
          "normalized_shape": "{hidden_size}", "num_rows": "{batch_size} * {seq_len}", "dtype_bytes": "{dtype_bytes}"}},
        {"name": "expert", "aliases": ["experts"], "class": "my.Expert", "repeat": "{num_experts}", "index": "e", "unquantized": true, "sub_layers": [
          {"name": "up", "class": "torch.nn.modules.linear.Linear", "parameters": {
            "in_features": "{hidden_size}", "out_features": "({layer_idx} % 2 == 0 && {e} < 2) ? 2 * {hidden_size} : {hidden_size} + {layer_idx} % 3",
            "bias": false, "num_tokens": "{batch_size} * {seq_len}", "dtype_bytes": "{dtype_bytes}"}}
        ]}
      ]}
    ]}
  ]
}`

// TestReplayedInstancesAreBuilt: an instance of an indexed layer copied from an equal one built
// before (its evaluations replayed) is the same JSON, with the same aliases and unquantized
// marks, as the instance built on its own, and quantized the same — for every shipped config,
// every extra config and a template with an indexed layer inside an indexed layer.
func TestReplayedInstancesAreBuilt(t *testing.T) {
	type pair struct {
		name      string
		config    []byte
		template  []byte
		modelType string
	}
	var pairs []pair
	files, _ := filepath.Glob("../../models/*.config.json")
	more, _ := filepath.Glob("../../testdata/configs/*.json")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := ReadConfig(f, data)
		if err != nil {
			continue
		}
		if tpl, ok := models.Template(cfg.ModelType); ok {
			pairs = append(pairs, pair{f, data, tpl, cfg.ModelType})
		}
	}
	if len(pairs) < 60 {
		t.Fatalf("only %d configs with templates", len(pairs))
	}
	for _, n := range []string{"1", "2", "7", "12"} {
		pairs = append(pairs, pair{"nested " + n, []byte(`{"num_hidden_layers": ` + n + `, "num_experts": 4, "hidden_size": 16}`), []byte(nestedTemplate), "nested"})
	}
	for _, p := range pairs {
		cfg, err := ReadConfig(p.name, p.config)
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := LoadTemplate(p.modelType, p.template, nil)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		generate := func(buildEach bool) (*generated, error) {
			b, err := bind(cfg, tpl, p.modelType)
			if err != nil {
				return nil, err
			}
			b.cat = layers.Builtin()
			b.buildEach = buildEach
			return b.generate()
		}
		copied, err1 := generate(false)
		built, err2 := generate(true)
		if err1 != nil || err2 != nil {
			if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
				t.Errorf("%s: errors differ: %v and %v", p.name, err1, err2)
			}
			continue
		}
		if a, b := jsonpos.Marshal(copied.root), jsonpos.Marshal(built.root); string(a) != string(b) {
			t.Errorf("%s: the files differ:\n%s\n%s", p.name, a, b)
			continue
		}
		var walk func(a, b *jsonpos.Node, path string)
		walk = func(a, b *jsonpos.Node, path string) {
			if !slices.Equal(copied.aliases[a], built.aliases[b]) || copied.unquantized[a] != built.unquantized[b] {
				t.Errorf("%s %s: aliases %v and %v, unquantized %v and %v", p.name, path, copied.aliases[a], built.aliases[b], copied.unquantized[a], built.unquantized[b])
			}
			for i := range a.Members {
				walk(a.Members[i].Value, b.Members[i].Value, path+"/"+a.Members[i].Key)
			}
			for i := range a.Items {
				walk(a.Items[i], b.Items[i], path+"/"+string(rune('0'+i%10)))
			}
		}
		walk(copied.root, built.root, "")
		// Quantization changes the layers in place (gpt-oss's experts, DeepSeek-V3's Linears):
		// a copy changes as the instance built on its own does, and nothing else with it.
		_, err1 = applyQuantization(cfg, copied.root, copied.unquantized, layers.Builtin())
		_, err2 = applyQuantization(cfg, built.root, built.unquantized, layers.Builtin())
		if a, b := jsonpos.Marshal(copied.root), jsonpos.Marshal(built.root); string(a) != string(b) || (err1 == nil) != (err2 == nil) {
			t.Errorf("%s: quantized, the files differ (errors %v, %v)", p.name, err1, err2)
		}
	}
}
