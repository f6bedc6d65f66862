package populate

import (
	"errors"
	"fmt"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/validate"
)

// ErrNotATemplate is returned (wrapped) by LoadTemplate for a file without a "template"
// section: a model file given where a template belongs.
var ErrNotATemplate = errors.New(`it has no "template" section`)

// LoadTemplate parses and validates a template. A template with errors gives them as a
// *diag.Faults (the validator's findings; warnings are left out). A model file is refused before
// its findings (an unfilled one has many) with an error wrapping ErrNotATemplate.
func LoadTemplate(name string, data []byte, cat *layers.Catalog) (*model.File, error) {
	res := validate.Source(name, data, validate.Options{Catalog: cat})
	if res.File != nil && res.File.Doc.Root.Kind == jsonpos.Object && res.File.Doc.Root.Get("template") == nil {
		return nil, fmt.Errorf("%s is a model file, not a template (%w)", name, ErrNotATemplate)
	}
	if errs := diag.Errors(res.Diagnostics); len(errs) > 0 {
		return nil, diag.New(errs...)
	}
	return res.File, nil
}

// Request is one populate run.
type Request struct {
	Config       *Config
	Template     *model.File
	TemplateName string
	// Existing is the file to fill; nil builds a new model file.
	Existing *model.File
	// Mode says what to do with Existing: fill it, update it, or only check it.
	Mode Mode
	// AddMissing inserts the template's layers that Existing lacks (Update always does).
	AddMissing bool
	Catalog    *layers.Catalog
	// ModelID, when set, is the model_id of a new file (instead of the config's
	// _name_or_path or file name).
	ModelID string
}

// Result is the file populate produced and what it did.
type Result struct {
	// Output is the complete model file, canonical JSON.
	Output []byte
	Report Report
	// Diagnostics are the validator's findings on Output (a fresh file has none; a filled file
	// keeps whatever the author's own values cause). Output is not on disk, so for a filled
	// file each finding is positioned where the same finding is in Existing, or has no line
	// when the fill brought it about. Check validates the file as a plain fill would leave it:
	// a file in sync with its config that validate refuses (a class the catalog lacks) is
	// reported, and what the file lacks is drift, not also a validation error.
	Diagnostics []diag.Diagnostic
	// Drift lists, positioned in Existing, every value the template derives from the config
	// that the file has otherwise ("in_features is 4097, the config gives 4096") and everything
	// derived that it lacks (parameters, repeat, tied_to, model_id, variables, layers), sorted
	// by position. Values the template does not derive are never drift. Empty for a new file
	// and for a file in sync with its config.
	Drift []diag.Diagnostic
}

// Run builds or fills a model file. Faults of the config or of the file to fill are a
// *diag.Faults (possibly joined with other errors).
func Run(req Request) (*Result, error) {
	cat := req.Catalog
	if cat == nil {
		cat = layers.Builtin()
	}
	if req.ModelID != "" {
		cfg := *req.Config
		cfg.ModelID = req.ModelID
		req.Config = &cfg
	}
	b, err := bind(req.Config, req.Template, req.TemplateName)
	if err != nil {
		return nil, err
	}
	b.cat = cat
	gen, err := b.generate()
	if err != nil {
		var ce *diag.Faults
		if errors.As(err, &ce) {
			return nil, ce // positioned in the config: the template is not at fault
		}
		return nil, fmt.Errorf("template %s: %w", req.TemplateName, err)
	}
	res := &Result{}
	notes, err := applyQuantization(req.Config, gen.root, gen.unquantized, cat)
	if err != nil {
		return nil, err
	}
	res.Report.Notes = append(res.Report.Notes, notes...)
	root := gen.root
	if req.Existing != nil {
		if len(req.Existing.Doc.Duplicates) > 0 {
			d := req.Existing.Doc.Duplicates[0]
			f := req.Existing.Doc.Diagnostic(d.Again, "duplicate-key", fmt.Sprintf("duplicate key %q: resolve it before populate rewrites the file", d.Key))
			f.Pointer = d.Pointer + "/" + jsonpos.EscapePointerToken(d.Key)
			return nil, diag.New(f)
		}
		if err := checkTarget(req.Existing); err != nil {
			return nil, err
		}
		root = req.Existing.Doc.Root.Clone()
		f := newFiller(req, cat, gen, &res.Report)
		f.fillFile(root)
		if len(f.losses) > 0 {
			diag.Sort(f.losses)
			return nil, errors.Join(errors.New("nothing written: --update would remove what the author wrote with layers the config no longer gives"), diag.New(f.losses...))
		}
		res.Drift = f.drift
		diag.Sort(res.Drift)
	}
	res.Output = jsonpos.Marshal(root)
	name := "populated model"
	if req.Existing != nil {
		name = req.Existing.Name()
	}
	check := validate.Source(name, res.Output, validate.Options{Catalog: cat})
	res.Diagnostics = check.Diagnostics
	if req.Existing != nil {
		res.Diagnostics = inOriginal(check.Diagnostics, req.Existing, cat)
	}
	if req.Existing == nil {
		if errs := diag.Errors(check.Diagnostics); len(errs) > 0 {
			return nil, errors.Join(fmt.Errorf("template %s produced an invalid model file (a bug in the template)", req.TemplateName), diag.New(errs...))
		}
	}
	return res, nil
}

// checkTarget refuses to fill a file that is not a model file: a HuggingFace config or a
// template given as the target (populate would turn it into half a model file), or other JSON.
func checkTarget(f *model.File) error {
	root := f.Doc.Root
	kind, why := model.ClassifyNode(root)
	var msg string
	switch kind {
	case model.ModelFile:
		return nil
	case model.HFConfig:
		msg = "this is a HuggingFace config, not a model file: populate builds a model file from it with --config " + f.Name() + " -o NAME.json"
	case model.TemplateFile:
		msg = "this is an architecture template, not a model file: populate builds a model file from it with --template " + f.Name() + " --config CONFIG.json -o NAME.json"
	default:
		msg = "not a model file (" + why + "): populate fills model files; a new one is written with -o NAME.json"
	}
	return diag.New(f.Doc.Diagnostic(root.Offset, "not-a-model-file", msg))
}

// inOriginal positions the findings on a filled file's output in the file as it is on disk:
// a finding that the file has too (same rule, layer and message: the author's own value) takes
// its position there; one that only the filled output has keeps its file and layer, without a
// line.
func inOriginal(ds []diag.Diagnostic, existing *model.File, cat *layers.Catalog) []diag.Diagnostic {
	if len(ds) == 0 {
		return nil
	}
	type key struct{ code, layer, msg string }
	before := map[key][]diag.Diagnostic{}
	for _, d := range validate.File(existing, validate.Options{Catalog: cat}) {
		k := key{d.Code, d.Layer, d.Message}
		before[k] = append(before[k], d)
	}
	out := make([]diag.Diagnostic, 0, len(ds))
	for _, d := range ds {
		k := key{d.Code, d.Layer, d.Message}
		if same := before[k]; len(same) > 0 {
			out = append(out, same[0])
			before[k] = same[1:]
			continue
		}
		d.Line, d.Column = 0, 0
		out = append(out, d)
	}
	diag.Sort(out)
	return out
}
