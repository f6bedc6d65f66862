// Package schema holds the JSON Schema of the model file (embedded, draft 2020-12) and turns
// its violations into messages a person can act on.
package schema

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/suggest"
)

//go:embed model.schema.json
var modelSchemaJSON []byte

// ModelURL is the $id of the model-file schema. Nothing is ever fetched from it.
const ModelURL = "https://modeltool.dev/schema/model.schema.json"

// A compiled form of the model-file schema: the whole of it, for templates, or without the
// template section, for model files (see Prepare).
type compiled struct {
	root, layer, name *jsonschema.Schema
	err               error
}

var (
	// forTemplates is the whole schema; forModels leaves out "template" and the definitions
	// only it uses. A file without a "template" key never reaches them, so both say the same
	// of a model file, and the smaller compiles in about two thirds of the time.
	forTemplates = sync.OnceValue(func() *compiled { return compile(false) })
	forModels    = sync.OnceValue(func() *compiled { return compile(true) })
	// templatesWanted is set once the whole schema is asked for: from then on model files are
	// checked with it too, rather than compiling the smaller one as well.
	templatesWanted atomic.Bool
	// knownKeys are every property name the schema defines, for did-you-mean suggestions.
	knownKeys = sync.OnceValue(func() []string {
		doc, err := parseSchema()
		if err != nil {
			return nil
		}
		return collectKeys(doc)
	})
)

// noLoader refuses every URL: the schema is self-contained and modeltool never touches the
// network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("refusing to load %s: modeltool never fetches schemas", url)
}

// Prepare compiles the schema that files of one kind are checked against — templates
// (populate, import) or model files — so that a command can have it compiled on another
// goroutine while it reads its input. Check compiles what it needs itself.
func Prepare(templates bool) error {
	if templates {
		templatesWanted.Store(true)
		return forTemplates().err
	}
	return forModels().err
}

// schemaFor returns the compiled schema to check root with.
func schemaFor(root *jsonpos.Node) *compiled {
	if templatesWanted.Load() || root.Kind == jsonpos.Object && root.Member("template") != nil {
		templatesWanted.Store(true)
		return forTemplates()
	}
	return forModels()
}

// parseSchema returns the embedded schema as the plain Go values the validator compiles.
func parseSchema() (map[string]any, error) {
	doc, err := jsonpos.Parse("model.schema.json", modelSchemaJSON, jsonpos.Options{})
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	m, ok := jsonpos.ToAny(doc.Root).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("embedded schema: not an object")
	}
	return m, nil
}

// compile compiles the embedded schema, without its template section when modelsOnly.
func compile(modelsOnly bool) *compiled {
	doc, err := parseSchema()
	if err != nil {
		return &compiled{err: err}
	}
	unionTypes(doc)
	if modelsOnly {
		withoutTemplate(doc)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource(ModelURL, doc); err != nil {
		return &compiled{err: fmt.Errorf("embedded schema: %w", err)}
	}
	out := &compiled{}
	if out.root, err = c.Compile(ModelURL); err == nil {
		if out.layer, err = c.Compile(ModelURL + "#/$defs/layer"); err == nil {
			out.name, err = c.Compile(ModelURL + "#/$defs/layer/properties/name")
		}
	}
	if err != nil {
		return &compiled{err: fmt.Errorf("embedded schema: %w", err)}
	}
	return out
}

// withoutTemplate removes from the schema document the "template" property and every
// definition that nothing else refers to.
func withoutTemplate(doc map[string]any) {
	if props, ok := doc["properties"].(map[string]any); ok {
		delete(props, "template")
	}
	defs, _ := doc["$defs"].(map[string]any)
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if ref, ok := t["$ref"].(string); ok {
				if name, ok := strings.CutPrefix(ref, "#/$defs/"); ok {
					name, _, _ = strings.Cut(name, "/")
					if !used[name] {
						used[name] = true
						walk(defs[name])
					}
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
	for k, v := range doc {
		if k != "$defs" {
			walk(v)
		}
	}
	for name := range defs {
		if !used[name] {
			delete(defs, name)
		}
	}
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
// offending value.
//
// It does not hand the whole tree to the validator at once: the file without its layers, and
// then each layer without its sub-layers, are checked one by one (a sub-layer is replaced by a
// placeholder the schema accepts, and checked on its own turn). So memory stays that of one
// layer, not of a second copy of the file. Layers that differ only by a plain name — the
// copies of an unrolled model, experts — are checked once: the key is the layer's content
// (jsonpos.Node.Shared, when the tree was parsed with jsonpos.Options.Share), and a layer
// whose whole subtree was found clean is not walked again.
func Check(root *jsonpos.Node) ([]Problem, error) {
	return checkWith(schemaFor(root), root)
}

// checkWith is Check with the compiled schema s.
func checkWith(s *compiled, root *jsonpos.Node) ([]Problem, error) {
	if s.err != nil {
		return nil, s.err
	}
	c := &checker{s: s, cache: map[*jsonpos.Node][]Problem{}, cleanTree: map[*jsonpos.Node]bool{}, plain: map[string]bool{}}
	var top any
	if root.Kind == jsonpos.Object {
		top = without(root, "layers")
	} else {
		top = jsonpos.ToAny(root)
	}
	c.out = append(c.out, validate(s.root, root, top, false)...)
	if root.Kind == jsonpos.Object {
		c.layers(root.Get("layers"), []string{"layers"})
	}
	return c.out, nil
}

type checker struct {
	s   *compiled
	out []Problem
	// cache holds the problems of each layer content checked (names stood in for).
	cache map[*jsonpos.Node][]Problem
	// cleanTree holds the layer contents whose whole subtree has no problem.
	cleanTree map[*jsonpos.Node]bool
	// plain caches plainName by name, digits written as 0; digits is its buffer.
	plain  map[string]bool
	digits []byte
}

// layers checks the layer objects of a layers or sub_layers array; tokens locate it.
func (c *checker) layers(arr *jsonpos.Node, tokens []string) {
	if arr == nil || arr.Kind != jsonpos.Array {
		return
	}
	for i, l := range arr.Items {
		if l.Kind != jsonpos.Object {
			continue // its parent's check reported the type
		}
		key, _, _ := l.Shared()
		plain := c.plainName(l.Get("name"))
		if plain && c.cleanTree[key] {
			continue
		}
		before := len(c.out)
		lt := append(tokens[:len(tokens):len(tokens)], strconv.Itoa(i))
		c.layer(l, key, plain, lt)
		c.layers(l.Get("sub_layers"), append(lt, "sub_layers"))
		if plain && len(c.out) == before {
			c.cleanTree[key] = true
		}
	}
}

// layer checks one layer without its sub-layers; a layer with a plain name is checked once per
// distinct content (key).
func (c *checker) layer(l, key *jsonpos.Node, plain bool, tokens []string) {
	problems, cached := c.cache[key]
	if !plain || !cached {
		// A basic layer with a plain name may have been checked in another file.
		basic := plain && l.Get("sub_layers") == nil
		var sum uint64
		var found bool
		if basic {
			problems, sum, found = sharedProblems(l)
		}
		if !found {
			v := without(l, "sub_layers")
			if plain {
				v["name"] = "n"
			}
			problems = validate(c.s.layer, l, v, true)
			if basic {
				rememberShared(sum, l, problems)
			}
		}
		if plain {
			c.cache[key] = problems
		}
	}
	for _, p := range problems {
		p.Tokens = append(tokens[:len(tokens):len(tokens)], p.Tokens...)
		c.out = append(c.out, p)
	}
}

// placeholderLayer stands for a sub-layer while its parent is checked: the schema accepts it.
var placeholderLayer = map[string]any{"name": "n", "class": "c"}

var onePlaceholder = []any{placeholderLayer}

// without returns object obj in its plain Go form (jsonpos.ToAny) with the layer objects of
// its array member key replaced by placeholders.
func without(obj *jsonpos.Node, key string) map[string]any {
	m := make(map[string]any, len(obj.Members))
	for _, mem := range obj.Members {
		if mem.Key == key && mem.Value.Kind == jsonpos.Array {
			m[mem.Key] = placeholders(mem.Value)
		} else {
			m[mem.Key] = jsonpos.ToAny(mem.Value)
		}
	}
	return m
}

// placeholders returns the items of a layers or sub_layers array for the schema, each layer
// object replaced by a placeholder. When all are objects, one placeholder stands for them all:
// the array's own rules (an array, not empty) hold the same, and a module of 100,000 layers is
// not 100,000 placeholders checked.
func placeholders(arr *jsonpos.Node) []any {
	if len(arr.Items) > 0 && !slices.ContainsFunc(arr.Items, func(n *jsonpos.Node) bool { return n.Kind != jsonpos.Object }) {
		return onePlaceholder
	}
	out := make([]any, len(arr.Items))
	for i, it := range arr.Items {
		if it.Kind == jsonpos.Object {
			out[i] = placeholderLayer
		} else {
			out[i] = jsonpos.ToAny(it)
		}
	}
	return out
}

// maxPlainCache bounds the names plainName remembers: a file of a million distinct names
// must not make a million entries.
const maxPlainCache = 4096

// plainName reports whether a layer's name passes the schema's own name rules, so it can be
// left out of the cache key (the layer is then checked with a stand-in name). The name rule is
// one of length and character classes, to which every ASCII digit is alike, so the verdict is
// remembered for the name with its digits written as 0: layer_0 … layer_429999 are checked
// once each length. TestNameRuleTreatsDigitsAlike keeps the rule so.
func (c *checker) plainName(n *jsonpos.Node) bool {
	if n == nil || n.Kind != jsonpos.String {
		return false
	}
	c.digits = append(c.digits[:0], n.Text...)
	for i, b := range c.digits {
		if b >= '1' && b <= '9' {
			c.digits[i] = '0'
		}
	}
	ok, seen := c.plain[string(c.digits)]
	if !seen {
		ok = c.s.name.Validate(n.Text) == nil
		if len(c.plain) < maxPlainCache {
			c.plain[string(c.digits)] = ok
		}
	}
	return ok
}

// validate checks one value, n as v (its plain Go form), against a schema — a layer's when
// layer is set — and describes every problem, tokens relative to the value.
func validate(s *jsonschema.Schema, n *jsonpos.Node, v any, layer bool) []Problem {
	verr := s.Validate(v)
	if verr == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return []Problem{{Code: "schema", Message: verr.Error()}}
	}
	var out []Problem
	seen := map[string]bool{}
	for _, leaf := range leaves(ve) {
		for _, p := range describe(n, leaf, layer) {
			key := strings.Join(p.Tokens, "\x00") + "\x01" + p.Message
			if !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if _, ok := e.ErrorKind.(*kind.PropertyNames); ok || len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	if _, ok := e.ErrorKind.(*kind.AnyOf); ok {
		return anyOfLeaves(e)
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// anyOfLeaves describes a failed anyOf of alternatives by type (the schema writes "a number, a
// boolean or a string" as anyOf, not as a union type, which strict validators refuse): the
// branches whose type the value has say what is wrong with it; when it has none of their types,
// one type error names them all.
func anyOfLeaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	var want []string
	var matched []*jsonschema.ValidationError
	for _, c := range e.Causes {
		if t, ok := c.ErrorKind.(*kind.Type); ok && len(c.Causes) == 0 {
			want = append(want, t.Want...)
			continue
		}
		matched = append(matched, leaves(c)...)
	}
	if len(matched) > 0 {
		return matched
	}
	slices.Sort(want)
	got := ""
	if t, ok := e.Causes[0].ErrorKind.(*kind.Type); ok {
		got = t.Got
	}
	return []*jsonschema.ValidationError{{
		SchemaURL:        e.SchemaURL,
		InstanceLocation: e.InstanceLocation,
		ErrorKind:        &kind.Type{Got: got, Want: slices.Compact(want)},
	}}
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
	if _, err := strconv.Atoi(last); err == nil && parent != "" && parent != "layers" && parent != "sub_layers" {
		return fmt.Sprintf("item %s of %q", last, parent)
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

// describe turns one violation into problems; root is the value that was validated (a whole
// file without its layers, or one layer when layer is true).
func describe(root *jsonpos.Node, e *jsonschema.ValidationError, layer bool) []Problem {
	tokens := e.InstanceLocation
	p := Problem{Tokens: tokens}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []Problem
		for _, prop := range k.Properties {
			msg := "unknown key " + diag.Quote(prop)
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
		for _, loc := range identifierKeyObjects(root, layer) {
			if loc.node.Member(k.Property) == nil {
				continue
			}
			out = append(out, Problem{
				Tokens: append(append([]string(nil), loc.tokens...), k.Property), AtKey: true, Code: "pattern",
				Message: fmt.Sprintf("%s %s is not an identifier (letters, digits and _, not starting with a digit)", loc.what, diag.Quote(k.Property)),
			})
		}
		return out
	case *kind.Required:
		inLayer := layer && len(tokens) == 0 || len(tokens) >= 2 && (tokens[len(tokens)-2] == "layers" || tokens[len(tokens)-2] == "sub_layers")
		var out []Problem
		for _, key := range k.Missing {
			msg := fmt.Sprintf("missing key %q", key)
			switch {
			case inLayer && key == "name":
				msg = `layer has no "name" (the module's attribute name, as print(model) shows it)`
			case inLayer && key == "class":
				msg = `layer has no "class" (the module's Python class path, such as torch.nn.modules.linear.Linear)`
			case !layer && len(tokens) == 0 && key == "layers":
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
			if k.Want > 1 {
				p.Message = fmt.Sprintf("%s must have at least %d items, not %d", subject(tokens), k.Want, k.Got)
			}
		}
	case *kind.UniqueItems:
		p.Code = "duplicate-item"
		p.Message = fmt.Sprintf("%s holds the same value twice (items %d and %d)", subject(tokens), k.Duplicates[0], k.Duplicates[1])
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
			p.Message = fmt.Sprintf("layer name %s may not contain dots, whitespace or control characters (names join into dotted paths)", diag.Quote(k.Got))
		case "class":
			p.Message = fmt.Sprintf("class %s is not a dotted Python path like torch.nn.modules.linear.Linear", diag.Quote(k.Got))
		default:
			p.Message = fmt.Sprintf("%s is not an identifier (letters, digits and _, not starting with a digit)", diag.Quote(k.Got))
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
// propertyNames) in the value that was validated: a layer's parameters, or a file's variables
// and template.config.
func identifierKeyObjects(root *jsonpos.Node, layer bool) []keyObject {
	var out []keyObject
	if layer {
		if p := root.Get("parameters"); p != nil && p.Kind == jsonpos.Object {
			out = append(out, keyObject{[]string{"parameters"}, p, "parameter name"})
		}
		return out
	}
	if v := root.Get("variables"); v != nil && v.Kind == jsonpos.Object {
		out = append(out, keyObject{[]string{"variables"}, v, "variable name"})
	}
	if c := root.Get("template").Get("config"); c != nil && c.Kind == jsonpos.Object {
		out = append(out, keyObject{[]string{"template", "config"}, c, "config key"})
	}
	return out
}

func last(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[len(tokens)-1]
}

func nearestKey(key string) string { return suggest.Nearest(key, knownKeys()) }

// unionTypes rewrites, in the schema document v, every anyOf whose branches each say only
// {"type": T} as the one union type {"type": [T, …]}: the same rule, which the validator checks
// without building an error for each branch a value does not take (a placeholder string failed
// "number" and "boolean" first, at every parameter of every layer). The file keeps anyOf,
// because strict validators refuse union types in the editor schema built from it.
func unionTypes(v any) {
	switch t := v.(type) {
	case map[string]any:
		if alts, ok := t["anyOf"].([]any); ok {
			var types []any
			for _, a := range alts {
				m, ok := a.(map[string]any)
				if !ok || len(m) != 1 {
					types = nil
					break
				}
				ty, ok := m["type"].(string)
				if !ok {
					types = nil
					break
				}
				types = append(types, ty)
			}
			if len(types) == len(alts) {
				delete(t, "anyOf")
				t["type"] = types
			}
		}
		for _, c := range t {
			unionTypes(c)
		}
	case []any:
		for _, c := range t {
			unionTypes(c)
		}
	}
}
