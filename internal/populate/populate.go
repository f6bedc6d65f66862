package populate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/validate"
)

// TemplateError is a template that is not a valid template.
type TemplateError struct {
	Name        string
	Diagnostics []validate.Diagnostic
}

func (e *TemplateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not a valid template:", e.Name)
	for _, d := range e.Diagnostics {
		if d.Severity == validate.Error {
			fmt.Fprintf(&b, "\n  %d:%d: %s", d.Line, d.Column, d.Message)
		}
	}
	return b.String()
}

// ErrNotATemplate is returned (wrapped) by LoadTemplate for a file without a "template"
// section: a model file given where a template belongs.
var ErrNotATemplate = errors.New(`it has no "template" section`)

// LoadTemplate parses and validates a template. A model file is refused before its findings
// (an unfilled one has many) with an error wrapping ErrNotATemplate.
func LoadTemplate(name string, data []byte, cat *layers.Catalog) (*model.File, error) {
	res := validate.Source(name, data, validate.Options{Catalog: cat})
	if res.File != nil && res.File.Doc.Root.Kind == jsonpos.Object && res.File.Doc.Root.Get("template") == nil {
		return nil, fmt.Errorf("%s is a model file, not a template (%w)", name, ErrNotATemplate)
	}
	if n, _ := validate.Count(res.Diagnostics); n > 0 {
		return nil, &TemplateError{Name: name, Diagnostics: res.Diagnostics}
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
	Diagnostics []validate.Diagnostic
}

// Run builds or fills a model file.
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
	gen, err := b.generate()
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", req.TemplateName, err)
	}
	res := &Result{}
	root := gen.root
	if req.Existing != nil {
		if len(req.Existing.Doc.Duplicates) > 0 {
			d := req.Existing.Doc.Duplicates[0]
			pos := req.Existing.Doc.Position(d.Again)
			return nil, fmt.Errorf("%s:%d:%d: duplicate key %q: resolve it before populate rewrites the file", req.Existing.Name(), pos.Line, pos.Col, d.Key)
		}
		root = req.Existing.Doc.Root.Clone()
		if root.Kind != jsonpos.Object {
			return nil, fmt.Errorf("%s is not a model file (its top level is not an object)", req.Existing.Name())
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
		if n, _ := validate.Count(check.Diagnostics); n > 0 {
			return nil, errors.Join(fmt.Errorf("template %s produced an invalid model file (a bug in the template)", req.TemplateName), &TemplateError{Name: "the output", Diagnostics: check.Diagnostics})
		}
	}
	return res, nil
}
