package model

import (
	"bytes"
	"regexp"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

// Kind is what a JSON file is, as far as modeltool is concerned.
type Kind int

const (
	// NotModel is any other JSON: package.json, tokenizer files, a checkpoint index.
	NotModel Kind = iota
	// ModelFile is a model file (filled or not, valid or not).
	ModelFile
	// TemplateFile is an architecture template.
	TemplateFile
	// HFConfig is a HuggingFace config.json.
	HFConfig
)

// The model-file rule. Directory walks (validate DIR) and the pre-commit hooks read only model
// files and templates, because a model repository also holds other JSON: package.json,
// tsconfig.json and .vscode/settings.json (JSON with comments), a HuggingFace checkpoint's
// config.json, generation_config.json, tokenizer_config.json, model.safetensors.index.json, and
// the JSON of other tools (Packer and Azure ARM templates with "variables", Elasticsearch index
// templates with "template", API settings with "model_id"). A JSON file is a model file when its
// top level is an object and
//
//   - its "$schema" names modeltool's schema (whatever else it holds or lacks), or
//   - its "layers" is an array that is empty or holds a layer: an object with "class" or
//     "sub_layers" (Lottie animations and Mapbox styles have top-level "layers" too, without
//     either; a list of numbers is a hyperparameter), or
//   - it has "layers" (of any kind) together with "model_id" or "variables", or
//   - its "variables" object declares one of the standard variables (batch_size, seq_len, …).
//
// It is a template when its "template" is an object holding "model_type" or "config", or any
// "template" beside a model file's "layers" or modeltool's "$schema".
//
// A file that is not strict JSON is read again as JSON with comments and trailing commas (JSONC)
// and classified by the same rule, so a model file with a comment is still reported and a
// settings file is still skipped. Text that is not even JSONC counts as a model file when it
// holds a "layers" key opening an array (or cut off after its colon), a "sub_layers" key, or
// modeltool's schema name: a model file with a syntax error is reported, never skipped.
//
// Classify applies the rule to a file's bytes, or to its parsed document when doc is not nil.
// It returns the kind and, for files that are not model files, why not (for --verbose).
func Classify(data []byte, doc *jsonpos.Document) (Kind, string) {
	if doc != nil {
		return ClassifyNode(doc.Root)
	}
	doc, err := jsonpos.Parse("", data, jsonpos.Options{})
	if err == nil {
		return ClassifyNode(doc.Root)
	}
	if relaxed, rerr := jsonpos.Parse("", stripJSONC(data), jsonpos.Options{}); rerr == nil {
		kind, why := ClassifyNode(relaxed.Root)
		if kind == NotModel || kind == HFConfig {
			return NotModel, "JSON with comments or trailing commas (JSONC), and " + why
		}
		return kind, ""
	}
	if looksLikeModelText(data) {
		return ModelFile, ""
	}
	return NotModel, `not valid JSON, and no "layers" or "sub_layers" key opening an array in it`
}

// ClassifyNode is Classify for a parsed top-level value.
func ClassifyNode(root *jsonpos.Node) (Kind, string) {
	if root == nil || root.Kind != jsonpos.Object {
		kind := "nothing"
		if root != nil {
			kind = root.Kind.WithArticle()
		}
		return NotModel, "its top level is " + kind + ", not an object"
	}
	schema := ourSchema(root.Get("$schema"))
	layers := root.Get("layers")
	if t := root.Get("template"); t != nil {
		if t.Kind == jsonpos.Object && (t.Get("model_type") != nil || t.Get("config") != nil) || layers != nil || schema {
			return TemplateFile, ""
		}
	}
	switch {
	case schema:
		return ModelFile, ""
	case layers != nil && layers.Kind == jsonpos.Array && holdsLayers(layers):
		return ModelFile, ""
	case layers != nil && (root.Get("model_id") != nil || root.Get("variables") != nil):
		return ModelFile, ""
	case declaresStandard(root.Get("variables")):
		return ModelFile, ""
	case root.Get("model_type") != nil || root.Get("architectures") != nil:
		return HFConfig, "a HuggingFace config (model_type or architectures, no layers)"
	case root.Get("weight_map") != nil:
		return NotModel, "a checkpoint index (weight_map, no layers)"
	case layers != nil:
		return NotModel, `its "layers" holds no layer (an object with "class" or "sub_layers")`
	case root.Get("template") != nil:
		return NotModel, `its "template" is not a modeltool template (no "model_type" or "config" in it, no "layers")`
	case root.Get("variables") != nil:
		return NotModel, `its "variables" declare none of the standard variables (batch_size, seq_len, …) and there is no "layers"`
	}
	return NotModel, `no "layers" array, modeltool "$schema" or standard "variables"`
}

// ourSchema reports a "$schema" that names modeltool's schema.
func ourSchema(s *jsonpos.Node) bool {
	return s != nil && s.Kind == jsonpos.String && strings.Contains(strings.ToLower(s.Text), "modeltool")
}

// holdsLayers reports an empty "layers" array, or one with an item that is a layer: an object
// with "class" or "sub_layers".
func holdsLayers(layers *jsonpos.Node) bool {
	if len(layers.Items) == 0 {
		return true
	}
	for _, it := range layers.Items {
		if it.Kind == jsonpos.Object && (it.Get("class") != nil || it.Get("sub_layers") != nil) {
			return true
		}
	}
	return false
}

// declaresStandard reports a "variables" object declaring one of the standard variables.
func declaresStandard(vars *jsonpos.Node) bool {
	if vars == nil || vars.Kind != jsonpos.Object {
		return false
	}
	for _, v := range StandardVariables {
		if vars.Get(v.Name) != nil {
			return true
		}
	}
	return false
}

// modelText finds the keys that only a model file's text holds: a "layers" key opening an
// array (or cut off after its colon), a "sub_layers" key, modeltool's schema name.
var modelText = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`"layers"\s*:\s*(\[|$)|"sub_layers"\s*:|(?i)"\$schema"\s*:\s*"[^"]*modeltool`)
})

// looksLikeModelText applies the rule to text that is not JSON, even with comments.
func looksLikeModelText(data []byte) bool {
	return modelText().Match(data)
}

// stripJSONC turns JSON with comments and trailing commas into JSON, byte for byte the same
// length: every comment and every comma before a closing bracket becomes spaces (a newline
// stays a newline), strings are kept as they are.
func stripJSONC(data []byte) []byte {
	out := bytes.Clone(data)
	lastComma := -1 // the comma since which only blanks and comments came
	for i := 0; i < len(out); i++ {
		switch c := out[i]; {
		case c == '"':
			lastComma = -1
			for i++; i < len(out) && out[i] != '"'; i++ {
				if out[i] == '\\' {
					i++
				}
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			end := bytes.Index(out[i+2:], []byte("*/"))
			stop := len(out)
			if end >= 0 {
				stop = i + 2 + end + 2
			}
			for ; i < stop; i++ {
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
			i--
		case c == ',':
			lastComma = i
		case c == '}' || c == ']':
			if lastComma >= 0 {
				out[lastComma] = ' '
			}
			lastComma = -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			lastComma = -1
		}
	}
	return out
}
