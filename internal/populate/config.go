// Package populate builds and fills model files from a HuggingFace config.json through an
// architecture template: config keys become numbers, the variables chosen at calc time stay
// placeholders, and whatever an author already wrote is kept.
package populate

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

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

// ConfigError is a problem with a config file, positioned where possible.
type ConfigError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: error: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: error: %s", e.File, e.Msg)
}

// ReadConfig parses a config.json.
func ReadConfig(name string, data []byte) (*Config, error) {
	doc, err := jsonpos.Parse(name, data, jsonpos.Options{})
	if err != nil {
		var se *jsonpos.SyntaxError
		if errors.As(err, &se) {
			return nil, &ConfigError{File: name, Line: se.Line, Col: se.Col, Msg: "invalid JSON: " + se.Msg}
		}
		return nil, err
	}
	if doc.Root.Kind != jsonpos.Object {
		return nil, &ConfigError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("a config.json is an object, not %s", doc.Root.Kind.WithArticle())}
	}
	c := &Config{Doc: doc, Name: name}
	if mt := doc.Root.Get("model_type"); mt != nil {
		if mt.Kind != jsonpos.String {
			return nil, c.errorAt(mt.Offset, "model_type must be a string, not %s", describe(mt))
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

func (c *Config) errorAt(offset int, format string, args ...any) *ConfigError {
	pos := c.Doc.Position(offset)
	return &ConfigError{File: c.Name, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)}
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
		s := n.Text
		if len(s) > 40 {
			cut := 37
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut-- // at a character boundary: half a character would print as \xNN
			}
			s = s[:cut] + "..."
		}
		return fmt.Sprintf("the string %q", s)
	case jsonpos.Number:
		return "the number " + n.Text
	case jsonpos.Bool:
		return n.Text
	case jsonpos.Null:
		return "null"
	}
	return "an " + n.Kind.String()
}
