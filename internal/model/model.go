// Package model is the model file in Go: layers with their classes, parameters and repeat
// counts, declared variables, and — for architecture templates — the template header. It is
// built from a jsonpos tree, so every piece knows where it came from, and it is tolerant: a file
// that breaks the schema still yields every layer that can be understood, so the validator can
// report all problems at once.
package model

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// File is a parsed model file (or template).
type File struct {
	// Doc is the JSON document the file was built from; editing Doc.Root and writing it is how
	// files are rewritten without losing anything the author wrote.
	Doc *jsonpos.Document
	// ModelID is the "model_id" string, if any.
	ModelID string
	// Variables are the variables the file declares, in file order.
	Variables []*Variable
	// Layers are the top-level layers.
	Layers []*Layer
	// Template is the header of an architecture template, nil for model files.
	Template *Template
}

// Variable is one entry of "variables": a name and its default value.
type Variable struct {
	Name      string
	KeyOffset int
	Value     Value
}

// Layer is one module of the tree: composite when it has sub_layers, basic otherwise.
type Layer struct {
	Name  string
	Class string
	// Path is the dotted name path from the top ("model.decoder_layer.self_attn.q_proj").
	Path string
	// Pointer is the JSON pointer of the layer object ("/layers/0/sub_layers/1").
	Pointer string
	// Node is the layer's JSON object.
	Node *jsonpos.Node
	// Shift is the distance from the offsets of Node and the nodes below it to the layer's own
	// bytes in the file: 0 unless the file was parsed with jsonpos.Options.Share and the layer
	// is (or lies in) an object standing for an equal earlier one. Its position in the file is
	// an offset plus Shift (Offset does the sum).
	Shift  int
	Parent *Layer
	// Repeat is the "repeat" value; nil when absent (meaning 1).
	Repeat *Value
	// Composite is true when the layer has a "sub_layers" key (even an empty or invalid one).
	Composite bool
	SubLayers []*Layer
	// Parameters holds the basic layer's parameters in file order.
	Parameters []*Param
	// HasParameters is true when the layer has a "parameters" key.
	HasParameters bool
	// TiedTo is the dotted path of the layer whose weights this one shares ("tied_to").
	TiedTo string
	// If is a template layer's inclusion condition; nil when absent.
	If *Value
	// ClassExpr is a template layer's class when it is an expression (its text contains "{"),
	// evaluated by populate to a class path; nil for a plain class path.
	ClassExpr *Value
	// Index is a template layer's "index": the name its instances are numbered by (0 …
	// repeat−1) in its subtree; "" when absent.
	Index string
	// Unquantized is a template layer's "unquantized": the checkpoint stores this layer's
	// Linears (it, or those below it) in its torch_dtype whatever the config's
	// quantization_config says (DeepSeek-V3's multi-token-prediction eh_proj is bf16 in an fp8
	// checkpoint), so populate does not give them the quantization's byte widths.
	Unquantized bool
	// Aliases are the layer's other names ("layers" for decoder_layer): in a template, the
	// names populate also matches; in a model file, the name of the HuggingFace ModuleList the
	// layer's instances belong to.
	Aliases []string
	// Routed marks the routed experts of a mixture-of-experts layer; nil when absent.
	Routed *Routed
	// Parallel says how the layer splits across devices; nil when absent.
	Parallel *Parallel
}

// Param is one entry of a basic layer's "parameters".
type Param struct {
	Name      string
	KeyOffset int
	Value     Value
}

// Value is a number, boolean or placeholder-expression value from the file, with its source.
type Value struct {
	Node *jsonpos.Node
	// Expr is the value as an expression (constants for numbers and booleans); nil when Err is set.
	Expr *expr.Expr
	// Err says why the value is not usable: an expression that does not parse (an *expr.Error
	// whose column is inside the string), or a JSON type that cannot be a value.
	Err error
}

// Offset returns the position in the file of offset, an offset read off the layer's nodes
// (Node, its members and their values, not those of sub-layers, which have their own Shift).
func (l *Layer) Offset(offset int) int {
	if offset < 0 {
		return offset
	}
	return offset + l.Shift
}

// Content identifies what the layer says apart from its name: layers with the same Content
// have the same class, parameters, repeat, sub-layers and every other key, byte for byte, so
// whatever depends on those alone is the same for them. Layers of a file parsed without
// jsonpos.Options.Share each have their own.
func (l *Layer) Content() *jsonpos.Node {
	rep, _, _ := l.Node.Shared()
	return rep
}

// IsBasic reports whether the layer is basic (has no sub_layers key).
func (l *Layer) IsBasic() bool { return !l.Composite }

// Param returns the parameter named name, or nil.
func (l *Layer) Param(name string) *Param {
	for _, p := range l.Parameters {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Variable returns the declared variable named name, or nil.
func (f *File) Variable(name string) *Variable {
	for _, v := range f.Variables {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Walk calls fn for every layer in depth-first order (a layer before its sub-layers). When fn
// returns false the layer's sub-layers are skipped.
func Walk(layers []*Layer, fn func(*Layer) bool) {
	for _, l := range layers {
		if fn(l) {
			Walk(l.SubLayers, fn)
		}
	}
}

// FindLayer returns the layer with the given dotted path, or nil.
func (f *File) FindLayer(path string) *Layer {
	var found *Layer
	Walk(f.Layers, func(l *Layer) bool {
		if found != nil {
			return false
		}
		if l.Path == path {
			found = l
			return false
		}
		return strings.HasPrefix(path, l.Path+".")
	})
	return found
}

// Position returns the line and column of a byte offset in the file.
func (f *File) Position(offset int) jsonpos.Position { return f.Doc.Position(offset) }

// Name returns the file name used in messages.
func (f *File) Name() string { return f.Doc.Name }

// Template is the header of an architecture template: which HuggingFace model_type it builds,
// which config.json keys it reads (with their types, meanings and defaults) and which
// conditions a config must meet.
type Template struct {
	Node        *jsonpos.Node
	ModelType   string
	Description string
	Config      []*ConfigKey
	Requires    []*Requirement
}

// ConfigKey is one config.json key a template reads.
type ConfigKey struct {
	Name      string
	KeyOffset int
	// Type is "integer", "number", "boolean", "string" or "array" (a list in expressions),
	// or "" when the key accepts several types.
	Type string
	// Types are the JSON types the key accepts: Type alone, or those of a list such as
	// ["integer", "string"] (a union of "integer", "number", "boolean" and "string":
	// EXAONE 4's sliding_window_pattern is 4 or "LLLG").
	Types       []string
	Description string
	// Default is used when the config lacks the key (and when it holds null, unless Null is
	// set); nil means the key is required. For a string key it is the literal string (Node
	// only, no Expr), which HuggingFace configs often omit (Falcon's activation defaults to
	// "gelu").
	Default *Value
	// Null, when set, is used when the config holds an explicit null, for families whose
	// config class treats null differently from an absent key (Mistral's sliding_window:
	// absent means 4096, null means no window).
	Null *Value
	// Minimum, when set, is the smallest number the key may hold.
	Minimum *Value
	// Enum lists the values a string key may take (a string, when the key has several types).
	Enum []string
	// Pattern, when set, is a regular expression (Go's RE2 syntax) a string value must match
	// somewhere, as JSON Schema's pattern: anchor it with ^…$ to match the whole string.
	// PatternRE is it compiled, or nil with PatternErr when it does not compile.
	Pattern    *jsonpos.Node
	PatternRE  *regexp.Regexp
	PatternErr error
	// Items, for an array key, is the JSON type every item must have ("" for any number,
	// boolean or string), and ItemEnum the strings an item may be.
	Items    string
	ItemEnum []string
	// Length, for an array key, is the expression its length must equal; MinLength one it must
	// reach at least (a config class that reads only the first items: SmolLM3's no_rope_layers).
	Length    *Value
	MinLength *Value
	// DefaultEach, for an array key, builds the list item by item when the config lacks it
	// (or holds null): an expression over {index} (0-based) and other keys, for Length (or
	// MinLength) items.
	DefaultEach *Value
}

// Accepts reports whether the key accepts values of the JSON type t.
func (k *ConfigKey) Accepts(t string) bool { return slices.Contains(k.Types, t) }

// BuildLength is the number of items default_each builds: Length, else MinLength (nil when
// the key has neither).
func (k *ConfigKey) BuildLength() *Value {
	if k.Length != nil {
		return k.Length
	}
	return k.MinLength
}

// Requirement is a condition every config must meet for the template to apply.
type Requirement struct {
	Check   Value
	Message string
}

// ConfigKey returns the template's config key named name, or nil.
func (t *Template) ConfigKey(name string) *ConfigKey {
	for _, k := range t.Config {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// RepeatError is a repeat that does not evaluate to a count: a positive integer, or for a
// placeholder expression a non-negative one.
type RepeatError struct {
	Layer *Layer
	Err   error
}

func (e *RepeatError) Error() string { return e.Layer.Path + ": repeat: " + e.Err.Error() }
func (e *RepeatError) Unwrap() error { return e.Err }

// Repeats returns how many times the layer occurs in a row: its repeat evaluated in env, or 1.
// A placeholder expression may work out to 0: the layer is then absent for these variables (an
// optional module switched on by a variable, such as DeepSeek-V3's multi-token prediction
// layer); a repeat written as a number must be at least 1.
func (l *Layer) Repeats(env expr.Env) (*big.Int, error) {
	if l.Repeat == nil {
		return big.NewInt(1), nil
	}
	if l.Repeat.Err != nil {
		return nil, &RepeatError{Layer: l, Err: l.Repeat.Err}
	}
	v, err := l.Repeat.Expr.Eval(env)
	if err != nil {
		return nil, &RepeatError{Layer: l, Err: err}
	}
	n, ok := v.BigInt()
	if l.Repeat.Node.Kind == jsonpos.String {
		if !ok || n.Sign() < 0 {
			return nil, &RepeatError{Layer: l, Err: fmt.Errorf("must be an integer ≥ 0, got %s", v)}
		}
		return n, nil
	}
	if !ok || n.Sign() <= 0 {
		return nil, &RepeatError{Layer: l, Err: fmt.Errorf("must be a positive integer, got %s", v)}
	}
	return n, nil
}

// WalkCounts calls fn for every layer in depth-first order with its count: the product of its
// own repeat and the repeats of every layer above it, evaluated in env. Repeats are never
// expanded, so a layer repeated 10^30 times is visited once. A layer whose repeat works out to
// 0 is absent: neither it nor its sub-layers are visited. When fn returns false the layer's
// sub-layers are skipped; a repeat that does not evaluate stops the walk with a *RepeatError.
func WalkCounts(layers []*Layer, env expr.Env, fn func(l *Layer, count *big.Int) bool) error {
	return walkCounts(layers, big.NewInt(1), env, fn)
}

func walkCounts(layers []*Layer, above *big.Int, env expr.Env, fn func(*Layer, *big.Int) bool) error {
	for _, l := range layers {
		count := above
		if l.Repeat != nil {
			n, err := l.Repeats(env)
			if err != nil {
				return err
			}
			if n.Sign() == 0 {
				continue
			}
			count = new(big.Int).Mul(above, n)
		}
		if fn(l, count) {
			if err := walkCounts(l.SubLayers, count, env, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
