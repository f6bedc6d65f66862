// Package schema holds the JSON Schema of the model file (embedded, draft 2020-12) and turns
// its violations into messages a person can act on.
package schema

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/modeltool/modeltool/jsonpos"
	"github.com/modeltool/modeltool/suggest"
)

//go:embed model.schema.json
var modelSchemaJSON []byte

// ModelURL is the $id of the model-file schema. Nothing is ever fetched from it.
const ModelURL = "https://modeltool.dev/schema/model.schema.json"

// ModelJSON returns the text of the model-file schema.
func ModelJSON() []byte { return bytes.Clone(modelSchemaJSON) }

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
	knownKeys   []string
)

// noLoader refuses every URL: the schema is self-contained and modeltool never touches the
// network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("refusing to load %s: modeltool never fetches schemas", url)
}

// Model returns the compiled model-file schema.
func Model() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(modelSchemaJSON))
		if err != nil {
			compileErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.UseLoader(noLoader{})
		if err := c.AddResource(ModelURL, doc); err != nil {
			compileErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile(ModelURL)
		knownKeys = collectKeys(doc)
	})
	return compiled, compileErr
}

// collectKeys returns every property name the schema defines, for did-you-mean suggestions.
func collectKeys(doc any) []string {
	set := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if props, ok := t["properties"].(map[string]any); ok {
				for k := range props {
					set[k] = true
				}
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(doc)
	return slices.Sorted(maps.Keys(set))
}

// Problem is one schema violation.
type Problem struct {
	// Tokens locate the offending value (unescaped JSON pointer tokens).
	Tokens []string
	// AtKey is set when the problem is a key itself (an unknown key): Tokens then end with the
	// key, and the position to report is the key's, not its value's.
	AtKey bool
	// Code is a short stable identifier of the rule ("unknown-key", "type", "required", …).
	Code string
	// Message says what is wrong, in words.
	Message string
}

// Check validates a model-file tree against the schema and returns every problem, one per
// offending value, in document order of their pointers.
func Check(root *jsonpos.Node) ([]Problem, error) {
	s, err := Model()
	if err != nil {
		return nil, err
	}
	verr := s.Validate(jsonpos.ToAny(root))
	if verr == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return nil, verr
	}
	var out []Problem
	seen := map[string]bool{}
	for _, leaf := range leaves(ve) {
		for _, p := range describe(root, leaf) {
			key := strings.Join(p.Tokens, "\x00") + "\x01" + p.Message
			if !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// leaves returns the innermost errors below e, which say what is wrong with one value. A
// propertyNames error stops the descent: its causes are about the key as a string of its own,
// with no location, and only the propertyNames error knows which key of which object it is.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if _, ok := e.ErrorKind.(*kind.PropertyNames); ok || len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

var printer = message.NewPrinter(language.English)

// subject names the value at tokens for a message: `"repeat"`, `layer name`, `parameter "bias"`.
func subject(tokens []string) string {
	if len(tokens) == 0 {
		return "the file"
	}
	last := tokens[len(tokens)-1]
	parent := ""
	if len(tokens) >= 2 {
		parent = tokens[len(tokens)-2]
	}
	switch parent {
	case "parameters":
		return fmt.Sprintf("parameter %q", last)
	case "variables":
		return fmt.Sprintf("variable %q", last)
	case "layers", "sub_layers":
		return "a layer"
	}
	return fmt.Sprintf("%q", last)
}

// nodeType describes a value for a message: "a string", "the number 2.5", "an object".
func nodeType(n *jsonpos.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case jsonpos.Null:
		return "null"
	case jsonpos.Bool:
		return "a boolean"
	case jsonpos.String:
		return "a string"
	case jsonpos.Number:
		return "the number " + n.Text
	case jsonpos.Array:
		return "an array"
	}
	return "an object"
}

func article(t string) string {
	switch t {
	case "integer", "object", "array":
		return "an " + t
	}
	return "a " + t
}

func describe(root *jsonpos.Node, e *jsonschema.ValidationError) []Problem {
	tokens := e.InstanceLocation
	p := Problem{Tokens: tokens}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []Problem
		for _, prop := range k.Properties {
			msg := "unknown key " + quoteShort(prop)
			if s := nearestKey(prop); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (your own annotations go in keys that begin with x-)"
			}
			out = append(out, Problem{Tokens: append(append([]string(nil), tokens...), prop), AtKey: true, Code: "unknown-key", Message: msg})
		}
		return out
	case *kind.PropertyNames:
		// jsonschema v6.0.3 does not copy the instance location of propertyNames errors (it
		// keeps a slice the validator goes on appending to), so the location may name another
		// object. Find the key's objects ourselves: every object whose keys must be
		// identifiers.
		var out []Problem
		for _, loc := range identifierKeyObjects(root) {
			if loc.node.Member(k.Property) == nil {
				continue
			}
			out = append(out, Problem{
				Tokens: append(append([]string(nil), loc.tokens...), k.Property), AtKey: true, Code: "pattern",
				Message: fmt.Sprintf("%s %s is not an identifier (letters, digits and _, not starting with a digit)", loc.what, quoteShort(k.Property)),
			})
		}
		return out
	case *kind.Required:
		inLayer := len(tokens) >= 2 && (tokens[len(tokens)-2] == "layers" || tokens[len(tokens)-2] == "sub_layers")
		var out []Problem
		for _, key := range k.Missing {
			msg := fmt.Sprintf("missing key %q", key)
			switch {
			case inLayer && key == "name":
				msg = `layer has no "name" (the module's attribute name, as print(model) shows it)`
			case inLayer && key == "class":
				msg = `layer has no "class" (the module's Python class path, such as torch.nn.modules.linear.Linear)`
			case len(tokens) == 0 && key == "layers":
				msg = `missing key "layers": a model file lists its top-level modules under "layers"`
			}
			out = append(out, Problem{Tokens: tokens, Code: "required", Message: msg})
		}
		return out
	case *kind.Type:
		p.Code = "type"
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = article(w)
		}
		got := nodeType(root.FindTokens(tokens, false))
		p.Message = fmt.Sprintf("%s must be %s, not %s", subject(tokens), strings.Join(want, " or "), got)
		if strings.Join(k.Want, " ") == "boolean number string" {
			p.Message = fmt.Sprintf("%s must be a number, a boolean or a placeholder expression string, not %s", subject(tokens), got)
		}
		if len(tokens) > 0 && tokens[len(tokens)-1] == "repeat" {
			p.Message = fmt.Sprintf("repeat must be an integer ≥ 1 or a placeholder string, not %s", got)
		}
	case *kind.Minimum:
		p.Code = "minimum"
		p.Message = fmt.Sprintf("%s must be at least %s, got %s", subject(tokens), k.Want.RatString(), k.Got.RatString())
		if last(tokens) == "repeat" {
			p.Message = fmt.Sprintf("repeat must be an integer ≥ 1, got %s", k.Got.RatString())
		}
	case *kind.MinItems:
		p.Code = "empty"
		switch last(tokens) {
		case "sub_layers":
			p.Message = "sub_layers is empty: a composite layer needs at least one sub-layer (drop sub_layers to make the layer basic)"
		case "layers":
			p.Message = "layers is empty: a model needs at least one layer"
		default:
			p.Message = fmt.Sprintf("%s must not be empty", subject(tokens))
		}
	case *kind.MinLength:
		p.Code = "empty"
		if last(tokens) == "name" {
			p.Message = "layer name is empty"
		} else {
			p.Message = fmt.Sprintf("%s must not be empty", subject(tokens))
		}
	case *kind.MaxLength:
		p.Code = "too-long"
		what := subject(tokens)
		switch last(tokens) {
		case "name":
			what = "layer name"
		case "class":
			what = "class"
		}
		p.Message = fmt.Sprintf("%s is %d characters long; at most %d are allowed", what, k.Got, k.Want)
	case *kind.Pattern:
		p.Code = "pattern"
		if k.Got == "" && (last(tokens) == "name" || last(tokens) == "class") {
			return nil // minLength says it is empty
		}
		switch last(tokens) {
		case "name":
			p.Message = fmt.Sprintf("layer name %s may not contain dots, whitespace or control characters (names join into dotted paths)", quoteShort(k.Got))
		case "class":
			p.Message = fmt.Sprintf("class %s is not a dotted Python path like torch.nn.modules.linear.Linear", quoteShort(k.Got))
		default:
			p.Message = fmt.Sprintf("%s is not an identifier (letters, digits and _, not starting with a digit)", quoteShort(k.Got))
		}
	case *kind.Enum:
		p.Code = "enum"
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		p.Message = fmt.Sprintf("%s must be one of %s", subject(tokens), strings.Join(want, ", "))
	default:
		p.Code = "schema"
		p.Message = e.ErrorKind.LocalizedString(printer)
	}
	return []Problem{p}
}

// keyObject is an object whose keys the schema requires to be identifiers.
type keyObject struct {
	tokens []string
	node   *jsonpos.Node
	// what names its keys in messages.
	what string
}

// identifierKeyObjects returns the objects whose keys must be identifiers (the schema's
// propertyNames): variables, template.config, and every layer's parameters.
func identifierKeyObjects(root *jsonpos.Node) []keyObject {
	var out []keyObject
	if v := root.Get("variables"); v != nil && v.Kind == jsonpos.Object {
		out = append(out, keyObject{[]string{"variables"}, v, "variable name"})
	}
	if c := root.Get("template").Get("config"); c != nil && c.Kind == jsonpos.Object {
		out = append(out, keyObject{[]string{"template", "config"}, c, "config key"})
	}
	var walk func(arr *jsonpos.Node, tokens []string)
	walk = func(arr *jsonpos.Node, tokens []string) {
		if arr == nil || arr.Kind != jsonpos.Array {
			return
		}
		for i, l := range arr.Items {
			if l.Kind != jsonpos.Object {
				continue
			}
			lt := append(append([]string(nil), tokens...), strconv.Itoa(i))
			if p := l.Get("parameters"); p != nil && p.Kind == jsonpos.Object {
				out = append(out, keyObject{append(lt[:len(lt):len(lt)], "parameters"), p, "parameter name"})
			}
			walk(l.Get("sub_layers"), append(lt, "sub_layers"))
		}
	}
	walk(root.Get("layers"), []string{"layers"})
	return out
}

func last(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[len(tokens)-1]
}

// quoteShort quotes a string from the file for a message, cut (at a character boundary) when
// long: a message need not repeat what the position points at.
func quoteShort(s string) string {
	if len(s) > 60 {
		cut := 57
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…(%d bytes)", s[:cut], len(s))
	}
	return fmt.Sprintf("%q", s)
}

func nearestKey(key string) string { return suggest.Nearest(key, knownKeys) }
