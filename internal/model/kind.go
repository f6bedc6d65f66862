package model

import (
	"bytes"
	"strings"

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
// tsconfig.json (JSON with comments), and a HuggingFace checkpoint's config.json,
// generation_config.json, tokenizer_config.json, model.safetensors.index.json. A JSON file is
// a model file when its top level is an object with at least one of the keys "layers",
// "model_id" or "variables", or a "$schema" that names modeltool's schema; with a "template"
// key it is a template. A file that is not JSON at all counts as a model file when its text
// holds "layers" in quotes, so a model file with a syntax error is reported, never skipped.
//
// Classify applies the rule to a file's bytes, or to its parsed document when doc is not nil.
// It returns the kind and, for files that are not model files, why not (for --verbose).
func Classify(data []byte, doc *jsonpos.Document) (Kind, string) {
	if doc == nil {
		var err error
		if doc, err = jsonpos.Parse("", data, jsonpos.Options{}); err != nil {
			if bytes.Contains(data, []byte(`"layers"`)) {
				return ModelFile, ""
			}
			return NotModel, `not valid JSON, and no "layers" key in it`
		}
	}
	return ClassifyNode(doc.Root)
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
	if root.Get("template") != nil {
		return TemplateFile, ""
	}
	for _, key := range []string{"layers", "model_id", "variables"} {
		if root.Get(key) != nil {
			return ModelFile, ""
		}
	}
	if s := root.Get("$schema"); s != nil && s.Kind == jsonpos.String && strings.Contains(strings.ToLower(s.Text), "modeltool") {
		return ModelFile, ""
	}
	switch {
	case root.Get("model_type") != nil || root.Get("architectures") != nil:
		return HFConfig, "a HuggingFace config (model_type or architectures, no layers)"
	case root.Get("weight_map") != nil:
		return NotModel, "a checkpoint index (weight_map, no layers)"
	}
	return NotModel, `no "layers", "model_id" or "variables" key`
}
