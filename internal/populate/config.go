// Package populate builds and fills model files from a HuggingFace config.json through an
// architecture template: config keys become numbers, the variables chosen at calc time stay
// placeholders, and whatever an author already wrote is kept.
package populate

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// Config is a HuggingFace config.json as the Hub ships it.
type Config struct {
	Doc  *jsonpos.Document
	Name string
	// ModelType is "model_type" when it is a string, else "".
	ModelType string
	// ModelID is "_name_or_path" when set, else derived from the file name.
	ModelID string
}

// ReadConfig parses a config.json. Its faults are a *diag.Faults (code "syntax" for malformed
// JSON, "config" for the rest).
func ReadConfig(name string, data []byte) (*Config, error) {
	doc, err := jsonpos.Parse(name, data, jsonpos.Options{})
	if err != nil {
		return nil, err
	}
	if doc.Root.Kind != jsonpos.Object {
		return nil, diag.New(doc.Diagnostic(doc.Root.Offset, "config", fmt.Sprintf("a config.json is an object, not %s", doc.Root.Kind.WithArticle())))
	}
	if len(doc.Duplicates) > 0 {
		// The model file's rule holds for configs too: a repeated key is ambiguous (which
		// one did the author mean?), and populate would silently build from the last.
		var ds []diag.Diagnostic
		for _, d := range doc.Duplicates {
			first := doc.Position(d.First)
			f := doc.Diagnostic(d.Again, "duplicate-key", fmt.Sprintf("duplicate key %q (first at %d:%d): JSON readers keep only the last value, so which one the config means is unclear; keep one", d.Key, first.Line, first.Col))
			f.Pointer = d.Pointer + "/" + jsonpos.EscapePointerToken(d.Key)
			ds = append(ds, f)
		}
		return nil, diag.New(ds...)
	}
	c := &Config{Doc: doc, Name: name}
	if mt := doc.Root.Get("model_type"); mt != nil {
		if mt.Kind != jsonpos.String {
			return nil, c.keyError("model_type", mt, "model_type must be a string, not %s", describe(mt))
		}
		c.ModelType = mt.Text
	}
	if id := doc.Root.Get("_name_or_path"); id != nil && id.Kind == jsonpos.String && id.Text != "" {
		c.ModelID = id.Text
	} else {
		c.ModelID = modelIDFromFileName(name)
	}
	return c, nil
}

// modelIDFromFileName guesses a model id when the config does not carry _name_or_path:
// "org__name.json" or "org__name.config.json" gives "org/name" (the Hub cache's spelling), a
// config.json gives its directory's name.
func modelIDFromFileName(name string) string {
	base := filepath.Base(name)
	if base == "config.json" {
		dir := filepath.Base(filepath.Dir(name))
		if dir == "." || dir == "/" {
			return ""
		}
		dir = strings.TrimPrefix(dir, "models--")
		return strings.Replace(dir, "--", "/", 1)
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".config")
	return strings.Replace(base, "__", "/", 1)
}

// errorAt is a fault of the config at offset (code "config").
func (c *Config) errorAt(offset int, format string, args ...any) error {
	return diag.New(c.Doc.Diagnostic(offset, "config", fmt.Sprintf(format, args...)))
}

// keyError is a fault in the value of the config's top-level key.
func (c *Config) keyError(key string, n *jsonpos.Node, format string, args ...any) error {
	d := c.Doc.Diagnostic(n.Offset, "config", fmt.Sprintf(format, args...))
	d.Pointer = "/" + jsonpos.EscapePointerToken(key)
	return diag.New(d)
}

// fileError is a fault of the config as a whole: it fails a requirement of the template.
func (c *Config) fileError(msg string) error {
	return diag.New(diag.Diagnostic{File: c.Name, Severity: diag.Error, Code: "config", Message: msg})
}

// Get returns the value of a top-level key, treating null as absent.
func (c *Config) Get(key string) *jsonpos.Node {
	n := c.Doc.Root.Get(key)
	if n == nil || n.Kind == jsonpos.Null {
		return nil
	}
	return n
}

// IsNull reports whether the config holds an explicit null for a top-level key.
func (c *Config) IsNull(key string) bool {
	n := c.Doc.Root.Get(key)
	return n != nil && n.Kind == jsonpos.Null
}

func describe(n *jsonpos.Node) string {
	switch n.Kind {
	case jsonpos.String:
		return "the string " + diag.Quote(n.Text)
	case jsonpos.Number:
		return "the number " + n.Text
	case jsonpos.Bool:
		return n.Text
	case jsonpos.Null:
		return "null"
	}
	return "an " + n.Kind.String()
}
