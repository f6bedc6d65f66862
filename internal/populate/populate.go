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
	// AddMissing inserts the template's layers that Existing lacks.
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
	// keeps whatever the author's own values cause).
	Diagnostics []diag.Diagnostic
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
	root := gen.root
	if req.Existing != nil {
		if len(req.Existing.Doc.Duplicates) > 0 {
			d := req.Existing.Doc.Duplicates[0]
			f := req.Existing.Doc.Diagnostic(d.Again, "duplicate-key", fmt.Sprintf("duplicate key %q: resolve it before populate rewrites the file", d.Key))
			f.Pointer = d.Pointer + "/" + jsonpos.EscapePointerToken(d.Key)
			return nil, diag.New(f)
		}
		root = req.Existing.Doc.Root.Clone()
		if root.Kind != jsonpos.Object {
			return nil, diag.New(req.Existing.Doc.Diagnostic(root.Offset, "not-a-model-file", "not a model file: its top level is not an object"))
		}
		f := &filler{cat: cat, gen: gen, addMissing: req.AddMissing, report: &res.Report}
		f.fillFile(root)
	}
	res.Output = jsonpos.Marshal(root)
	name := "populated model"
	if req.Existing != nil {
		name = req.Existing.Name()
	}
	check := validate.Source(name, res.Output, validate.Options{Catalog: cat})
	res.Diagnostics = check.Diagnostics
	if req.Existing == nil {
		if errs := diag.Errors(check.Diagnostics); len(errs) > 0 {
			return nil, errors.Join(fmt.Errorf("template %s produced an invalid model file (a bug in the template)", req.TemplateName), diag.New(errs...))
		}
	}
	return res, nil
}
