package populate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/model"
)

// bookkeeping are config keys that never shape the module tree: no template needs them, so
// they are not worth naming as ignored.
var bookkeeping = []string{"_name_or_path", "architectures", "model_type", "transformers_version",
	"torch_dtype", "dtype", "auto_map", "bos_token_id", "eos_token_id", "pad_token_id", "use_cache",
	"initializer_range"}

// TemplateMismatch is the warning for a template chosen for a config of another model_type
// (--template llama on a qwen3 config): it names both model types and the config keys the
// template ignores. Those are the keys the config's own template uses (templateFor finds it)
// that the chosen one does not declare, or, when there is no template for the config's
// model_type, every key the chosen one does not declare apart from bookkeeping
// (transformers_version, token ids, …). ok is false when the types agree or either is unknown.
func TemplateMismatch(cfg *Config, tpl *model.File, tplName string, templateFor func(modelType string) (*model.File, bool)) (diag.Diagnostic, bool) {
	if tpl.Template == nil || cfg.ModelType == "" || tpl.Template.ModelType == "" || tpl.Template.ModelType == cfg.ModelType {
		return diag.Diagnostic{}, false
	}
	own, hasOwn := templateFor(cfg.ModelType)
	var ignored []string
	for _, m := range cfg.Doc.Root.Members {
		key := m.Key
		switch {
		case slices.Contains(ignored, key), tpl.Template.ConfigKey(key) != nil, slices.Contains(bookkeeping, key):
			continue
		case key == "torch_dtype" || key == "dtype":
			continue
		case hasOwn && own.Template.ConfigKey(key) == nil:
			continue
		}
		ignored = append(ignored, key)
	}
	msg := fmt.Sprintf("the config's model_type is %q, but the template %s is for %q", cfg.ModelType, tplName, tpl.Template.ModelType)
	switch n := len(ignored); {
	case n == 0:
		msg += "; it reads every key of the config that shapes the model, but the module tree may still differ"
	case n <= 12:
		msg += "; it ignores the config keys " + strings.Join(ignored, ", ")
	default:
		msg += fmt.Sprintf("; it ignores the config keys %s and %d more", strings.Join(ignored[:12], ", "), n-12)
	}
	d := cfg.Doc.Diagnostic(cfg.Doc.Root.Get("model_type").Offset, "template-mismatch", msg)
	d.Severity = diag.Warning
	d.Pointer = "/model_type"
	return d, true
}
