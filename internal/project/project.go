// Package project reads a repository's project file, .modeltool.json: the catalog overlays and
// templates its model files use, so that no command and no hook has to repeat --catalog or
// --template. The file is found by walking up from the working directory; paths in it are
// relative to the directory that holds it.
//
//	{
//	  "catalogs": ["catalog/our-classes.json"],
//	  "templates": ["templates/our_family.json"]
//	}
package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// FileName is the project file's name.
const FileName = ".modeltool.json"

// Project is a parsed project file.
type Project struct {
	// Path is the project file; Dir the directory its paths are relative to.
	Path, Dir string
	// Catalogs are the catalog overlays, in file order, as paths usable from the working
	// directory.
	Catalogs []string
	// Templates are the project's templates, by the model_type each declares.
	Templates map[string]Template
	// Order lists the template names in file order.
	Order []string
}

// Template is a template the project file names.
type Template struct {
	ModelType   string
	Description string
	// Path is the template file, usable from the working directory; Data its bytes.
	Path string
	Data []byte
}

// Find returns the project file governing dir: dir's .modeltool.json, else its parent's, up to
// the root; "" when there is none. Whatever is there under that name governs, even if it is no
// file (a directory) or cannot be read: Load then refuses it rather than look further up.
func Find(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads the project file governing dir; nil, nil when there is none. Its faults are a
// *diag.Faults positioned in the project file (an unknown key, a path to no file, two
// templates of one model_type); one that cannot be read or is no regular file (a directory)
// is an error that names it.
func Load(dir string) (*Project, error) {
	path := Find(dir)
	if path == "" {
		return nil, nil
	}
	data, err := fsutil.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := Parse(shown(dir, path), data, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	// Paths as the user would write them from dir.
	for i, c := range p.Catalogs {
		p.Catalogs[i] = shown(dir, c)
	}
	for k, t := range p.Templates {
		t.Path = shown(dir, t.Path)
		p.Templates[k] = t
	}
	return p, nil
}

// shown is how the project file is named in messages: relative to dir.
func shown(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}

// Parse reads a project file's text; its relative paths are taken from base.
func Parse(name string, data []byte, base string) (*Project, error) {
	doc, err := jsonpos.Parse(name, data, jsonpos.Options{})
	if err != nil {
		return nil, err
	}
	p := &Project{Path: name, Dir: base, Templates: map[string]Template{}}
	var faults []diag.Diagnostic
	fault := func(n *jsonpos.Node, pointer, format string, args ...any) {
		d := doc.Diagnostic(n.Offset, "project", fmt.Sprintf(format, args...))
		d.Pointer = pointer
		faults = append(faults, d)
	}
	for _, d := range doc.Duplicates {
		f := doc.Diagnostic(d.Again, "duplicate-key", fmt.Sprintf("duplicate key %q", d.Key))
		faults = append(faults, f)
	}
	root := doc.Root
	if root.Kind != jsonpos.Object {
		fault(root, "", "a project file is an object with \"catalogs\" and \"templates\", not %s", root.Kind.WithArticle())
		return nil, diag.New(faults...)
	}
	for _, m := range root.Members {
		ptr := "/" + jsonpos.EscapePointerToken(m.Key)
		switch m.Key {
		case "catalogs":
			for _, path := range p.paths(m.Value, ptr, fault) {
				if path != "" {
					p.Catalogs = append(p.Catalogs, path)
				}
			}
		case "templates":
			items := m.Value.Items
			for i, path := range p.paths(m.Value, ptr, fault) {
				if path == "" {
					continue
				}
				n := items[i]
				t, msg := readTemplate(path)
				if msg != "" {
					fault(n, fmt.Sprintf("%s/%d", ptr, i), "%s: %s", diag.Clip(n.Text), msg)
					continue
				}
				if prev, ok := p.Templates[t.ModelType]; ok {
					fault(n, fmt.Sprintf("%s/%d", ptr, i), "%s is a second template for model_type %q (the first: %s)", diag.Clip(n.Text), t.ModelType, diag.Clip(prev.Path))
					continue
				}
				p.Templates[t.ModelType] = t
				p.Order = append(p.Order, t.ModelType)
			}
		case "$schema", "description":
		default:
			if !strings.HasPrefix(m.Key, "x-") {
				d := doc.Diagnostic(m.KeyOffset, "project", fmt.Sprintf("unknown key %s in the project file (expected \"catalogs\", \"templates\", or your own x- keys)", diag.Quote(m.Key)))
				d.Pointer = ptr
				faults = append(faults, d)
			}
		}
	}
	if len(faults) > 0 {
		diag.Sort(faults)
		return nil, diag.New(faults...)
	}
	return p, nil
}

// paths reads an array of file paths relative to the project's directory: each existing
// regular file as a path usable from the working directory, "" for an item at fault (reported).
func (p *Project) paths(n *jsonpos.Node, ptr string, fault func(*jsonpos.Node, string, string, ...any)) []string {
	if n.Kind != jsonpos.Array {
		fault(n, ptr, "%s must be an array of file paths, relative to the project file", ptr[1:])
		return nil
	}
	out := make([]string, len(n.Items))
	for i, it := range n.Items {
		iptr := fmt.Sprintf("%s/%d", ptr, i)
		if it.Kind != jsonpos.String || it.Text == "" {
			fault(it, iptr, "a path must be a non-empty string, not %s", it.Kind.WithArticle())
			continue
		}
		if strings.Contains(it.Text, "://") {
			fault(it, iptr, "%s is a URL: modeltool reads only local files", diag.Clip(it.Text))
			continue
		}
		path := it.Text
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.Dir, filepath.FromSlash(path))
		}
		st, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fault(it, iptr, "%s: no such file (paths are relative to the project file's directory)", diag.Clip(it.Text))
			continue
		case err != nil:
			fault(it, iptr, "%s: %v", diag.Clip(it.Text), errors.Unwrap(err))
			continue
		case !st.Mode().IsRegular():
			fault(it, iptr, "%s is not a regular file", diag.Clip(it.Text))
			continue
		}
		out[i] = path
	}
	return out
}

// readTemplate reads a template's model_type and description; a message says why it is none.
func readTemplate(path string) (Template, string) {
	data, err := fsutil.ReadFile(path)
	if err != nil {
		return Template{}, err.Error()
	}
	doc, err := jsonpos.Parse(path, data, jsonpos.Options{})
	if err != nil {
		return Template{}, "not valid JSON (modeltool validate shows where)"
	}
	mt := doc.Root.Find("/template/model_type")
	if mt == nil || mt.Kind != jsonpos.String || mt.Text == "" {
		return Template{}, "not a template: it has no template.model_type"
	}
	t := Template{ModelType: mt.Text, Path: path, Data: data}
	if d := doc.Root.Find("/template/description"); d != nil && d.Kind == jsonpos.String {
		t.Description = d.Text
	}
	return t, ""
}
