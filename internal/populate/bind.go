package populate

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// TorchDTypeBytes is the config key populate derives from torch_dtype (or dtype): the bytes
// per element of the checkpoint's weights, for templates that declare it.
const TorchDTypeBytes = "torch_dtype_bytes"

// MaxInstances bounds what populate builds one by one: the items of a list made by a config
// key's default_each, and the instances of an indexed layer whose subtree depends on its index.
// A uniform layer is evaluated once whatever its repeat.
const MaxInstances = 100_000

// binding is the config seen through a template: every config key the template declares,
// with its value or default.
type binding struct {
	cfg   *Config
	tpl   *model.File
	scope *expr.Scope
	// values are the resolved config keys.
	values map[string]expr.Value
	// keys are the template's config keys by name.
	keys map[string]*model.ConfigKey
	// cat gives activation(NAME) its meaning; nil means the builtin catalog.
	cat *layers.Catalog
	// unbound holds the error of each name that is not a config key (unboundError).
	unbound map[string]error
	// made holds what value made of the template values that use no index name, and names
	// the variables of the values asked about (env.independent).
	made  map[*model.Value]evaluated
	names map[*model.Value][]string
	// buildEach builds every instance of an indexed layer, none copied from an equal one
	// (the tests compare the two ways).
	buildEach bool
}

// unboundError is the error of looking up name, which is not a config key (a model variable
// such as {batch_size} stays a placeholder): made once per name, as partial evaluation asks
// for the same few names in every layer of every instance.
func (b *binding) unboundError(name string) error {
	if err, ok := b.unbound[name]; ok {
		return err
	}
	if b.unbound == nil {
		b.unbound = map[string]error{}
	}
	err := fmt.Errorf("{%s}: %w", name, expr.ErrUnbound)
	b.unbound[name] = err
	return err
}

// usage maps each config key to the template layers whose values need it, directly or
// through another key's default.
func usage(tpl *model.File) map[string][]string {
	direct := map[string]map[string]bool{}
	note := func(v *model.Value, path string) {
		if v == nil || v.Expr == nil {
			return
		}
		for _, name := range v.Expr.VarNames() {
			if direct[name] == nil {
				direct[name] = map[string]bool{}
			}
			direct[name][path] = true
		}
	}
	model.Walk(tpl.Layers, func(l *model.Layer) bool {
		note(l.Repeat, l.Path)
		note(l.If, l.Path)
		note(l.ClassExpr, l.Path)
		for _, p := range l.Parameters {
			note(&p.Value, l.Path)
		}
		return true
	})
	for _, v := range tpl.Variables {
		note(&v.Value, "variables."+v.Name)
	}
	// A key used by another key's default is needed wherever that key is.
	defaults := map[string][]string{}
	for _, k := range tpl.Template.Config {
		if k.Default != nil && k.Default.Expr != nil {
			defaults[k.Name] = k.Default.Expr.VarNames()
		}
		for _, d := range []*model.Value{k.Null, k.Length, k.MinLength, k.DefaultEach} {
			if d != nil && d.Expr != nil {
				defaults[k.Name] = append(defaults[k.Name], d.Expr.VarNames()...)
			}
		}
	}
	out := map[string][]string{}
	for _, k := range tpl.Template.Config {
		seen := map[string]bool{}
		var visit func(name string)
		visit = func(name string) {
			for p := range direct[name] {
				seen[p] = true
			}
			for user, deps := range defaults {
				for _, d := range deps {
					if d == name && !seen["#"+user] {
						seen["#"+user] = true
						visit(user)
					}
				}
			}
		}
		visit(k.Name)
		var paths []string
		for p := range seen {
			if !strings.HasPrefix(p, "#") {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		out[k.Name] = paths
	}
	return out
}

func listPaths(paths []string) string {
	if len(paths) == 0 {
		return "no layer directly"
	}
	if len(paths) > 4 {
		return strings.Join(paths[:4], ", ") + fmt.Sprintf(" and %d more", len(paths)-4)
	}
	return strings.Join(paths, ", ")
}

// bind reads the template's config keys from cfg. Every problem is reported, joined.
func bind(cfg *Config, tpl *model.File, tplName string) (*binding, error) {
	b := &binding{cfg: cfg, tpl: tpl, scope: expr.NewScope(nil), values: map[string]expr.Value{}, keys: map[string]*model.ConfigKey{}}
	var usedBy map[string][]string
	used := func(name string) []string { // worked out for a message only: a walk of the template
		if usedBy == nil {
			usedBy = usage(tpl)
		}
		return usedBy[name]
	}
	var errs []error
	for _, k := range tpl.Template.Config {
		b.keys[k.Name] = k
	}
	for _, k := range tpl.Template.Config {
		n := cfg.Get(k.Name)
		if n == nil && k.Name == TorchDTypeBytes {
			v, err := b.torchDType()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if v.IsValid() {
				b.scope.Set(k.Name, v)
				continue
			}
		}
		if n == nil && k.Null != nil && cfg.IsNull(k.Name) {
			if k.Null.Expr != nil {
				b.scope.Define(k.Name, k.Null.Expr)
			}
			continue
		}
		if n == nil && cfg.IsNull(k.Name) && !nullBuildsList(k) {
			// transformers hands an explicit null to the config class as None, which replaces
			// the signature's default: the model reads None. Unless the template says what that
			// means ("null"), populate does not invent a value.
			errs = append(errs, b.nullFault(k, tplName, used(k.Name)))
			continue
		}
		if n == nil {
			switch {
			case k.Type == "array" && k.DefaultEach != nil && k.BuildLength() != nil && k.DefaultEach.Expr != nil && k.BuildLength().Expr != nil:
				b.scope.DefineFunc(k.Name, b.defaultEach(k))
			case k.Default == nil:
				errs = append(errs, cfg.errorAt(cfg.Doc.Root.Offset, "lacks %s (%s), which the %s template needs for %s",
					k.Name, k.Description, tplName, listPaths(used(k.Name))))
			case k.Accepts("string") && k.Default.Node.Kind == jsonpos.String:
				// A string default is the literal string.
				b.scope.Set(k.Name, expr.String(k.Default.Node.Text))
				b.values[k.Name] = expr.String(k.Default.Node.Text)
			case k.Default.Expr != nil:
				b.scope.Define(k.Name, k.Default.Expr)
			}
			continue
		}
		v, at, err := convert(n, k)
		if err == nil && v.IsValid() {
			err = checkKey(k, v)
		}
		if err != nil {
			errs = append(errs, cfg.keyError(k.Name, at, "%s %v (the %s template needs it for %s)", k.Name, err, tplName, listPaths(used(k.Name))))
			continue
		}
		if v.IsValid() {
			b.scope.Set(k.Name, v)
			b.values[k.Name] = v
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Work out the defaults of the keys the config does not give, and check them too.
	for _, k := range tpl.Template.Config {
		if _, done := b.values[k.Name]; done || k.Type == "string" {
			continue
		}
		if k.DefaultEach != nil && cfg.Get(k.Name) == nil {
			continue // built item by item when first used, so 10^30 layers cost nothing until then
		}
		v, err := b.scope.Lookup(k.Name)
		if err == nil && !(k.Null != nil && cfg.IsNull(k.Name)) {
			// What null means is the template's own statement (DeepSeek-V2's n_shared_experts:
			// null is none, 0, below the minimum a config's number must meet).
			err = checkKey(k, v)
		}
		if err != nil {
			at := cfg.Doc.Root.Offset
			def := k.Default
			what := "is not in the config, and its default"
			if k.Null != nil && cfg.IsNull(k.Name) {
				at = cfg.Doc.Root.Get(k.Name).Offset
				def = k.Null
				what = "is null in the config, and its value for null"
			}
			msg := fmt.Sprintf("%s %s cannot be used: %v", k.Name, what, err)
			if def != nil && def.Expr != nil {
				msg = fmt.Sprintf("%s %s %s (%s) %v", k.Name, what, def.Expr, b.show(def.Expr), err)
			}
			errs = append(errs, cfg.errorAt(at, "%s", msg))
			continue
		}
		b.values[k.Name] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Lists of a given length: the config's, and defaults that are not built item by item.
	for _, k := range tpl.Template.Config {
		v, ok := b.values[k.Name]
		want := k.BuildLength()
		if !ok || want == nil || want.Expr == nil || !v.IsList() {
			continue
		}
		n, err := want.Expr.Eval(b.scope)
		fault := func(format string, args ...any) error {
			if node := cfg.Get(k.Name); node != nil {
				return cfg.keyError(k.Name, node, format, args...)
			}
			return cfg.errorAt(cfg.Doc.Root.Offset, format, args...)
		}
		have := expr.Int(int64(v.Len()))
		switch {
		case err != nil:
			errs = append(errs, fault("%s: its length %s cannot be worked out: %v", k.Name, want.Expr, err))
		case k.Length != nil && !n.Equal(have):
			errs = append(errs, fault("%s has %d items, but the %s template needs %s = %s of them",
				k.Name, v.Len(), tplName, want.Expr, n))
		case k.Length == nil && have.Cmp(n) < 0:
			errs = append(errs, fault("%s has %d items, but the %s template needs at least %s = %s of them",
				k.Name, v.Len(), tplName, want.Expr, n))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, r := range tpl.Template.Requires {
		if r.Check.Expr == nil {
			continue
		}
		v, err := r.Check.Expr.Eval(b.scope)
		if err != nil {
			errs = append(errs, cfg.fileError(fmt.Sprintf("%s: %v", r.Message, err)))
			continue
		}
		if !v.IsBool() || !v.Bool() {
			errs = append(errs, cfg.fileError(fmt.Sprintf("%s (%s is false for %s)", r.Message, r.Check.Expr, b.show(r.Check.Expr))))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return b, nil
}

// nullBuildsList reports whether a null list key is built by its default_each, as the config
// classes build layer_types and the like when the key is None.
func nullBuildsList(k *model.ConfigKey) bool {
	return k.Type == "array" && k.DefaultEach != nil
}

// nullFault is the config error for a null the template gives no meaning: transformers would
// hand None on to the model instead of the default.
func (b *binding) nullFault(k *model.ConfigKey, tplName string, paths []string) error {
	n := b.cfg.Doc.Root.Get(k.Name)
	if k.Default == nil {
		return b.cfg.keyError(k.Name, n, "%s is null, and the %s template needs a value for it (%s, for %s)", k.Name, tplName, k.Description, listPaths(paths))
	}
	def := k.Default.Node.Text
	if k.Default.Node.Kind == jsonpos.String && k.Accepts("string") {
		def = fmt.Sprintf("%q", def) // a string key's default is the literal string
	}
	return b.cfg.keyError(k.Name, n, "%s is null: transformers passes None on to the model instead of the default (%s), and the %s template does not say what None means for it; give %s a value, or leave the key out for the default", k.Name, def, tplName, k.Name)
}

// show lists the values of the keys an expression uses: "num_attention_heads=71, num_key_value_heads=3".
func (b *binding) show(e *expr.Expr) string {
	var parts []string
	for _, name := range e.VarNames() {
		if v, ok := b.values[name]; ok {
			parts = append(parts, name+"="+v.String())
		}
	}
	return strings.Join(parts, ", ")
}

// torchDTypeKeys are the config keys that name the checkpoint's dtype: torch_dtype, and dtype,
// its newer name.
var torchDTypeKeys = []string{"torch_dtype", "dtype"}

// DTypeDefault is the warning for a config that names no dtype (neither torch_dtype nor dtype,
// or null) built through a template that reads torch_dtype_bytes: the template's default is
// used — 4 bytes, float32, as transformers loads such a config — which is twice what the usual
// bfloat16 checkpoint stores. ok is false when the config names a dtype or the template does not
// read it.
func DTypeDefault(cfg *Config, tpl *model.File, tplName string) (diag.Diagnostic, bool) {
	if tpl.Template == nil {
		return diag.Diagnostic{}, false
	}
	k := tpl.Template.ConfigKey(TorchDTypeBytes)
	if k == nil || k.Default == nil {
		return diag.Diagnostic{}, false
	}
	for _, key := range torchDTypeKeys {
		if cfg.Get(key) != nil {
			return diag.Diagnostic{}, false
		}
	}
	def := k.Default.Node.Text
	msg := fmt.Sprintf("the config gives no torch_dtype, so the %s template counts %s bytes a weight and activation, its default for torch_dtype_bytes", tplName, def)
	if d, err := expr.ParseNumber(def); err == nil && d.Equal(expr.Int(4)) {
		msg = fmt.Sprintf("the config gives no torch_dtype, so the %s template counts 4 bytes a weight and activation: float32, transformers' default for loading such a config, twice what a bfloat16 checkpoint stores", tplName)
	}
	msg += `; if the checkpoint is bfloat16, calc --dtype bf16 counts it so (or add "torch_dtype": "bfloat16" to the config)`
	return diag.Diagnostic{File: cfg.Name, Severity: diag.Warning, Code: "dtype-default", Message: msg}, true
}

// torchDType derives torch_dtype_bytes from torch_dtype (or dtype, its newer name). It returns
// an invalid Value when the config names no dtype.
func (b *binding) torchDType() (expr.Value, error) {
	for _, key := range torchDTypeKeys {
		n := b.cfg.Get(key)
		if n == nil {
			continue
		}
		if n.Kind != jsonpos.String {
			return expr.Value{}, b.cfg.keyError(key, n, "%s must be a string such as \"bfloat16\", not %s", key, describe(n))
		}
		d, ok := dtype.FromTorch(n.Text)
		if !ok {
			known := slices.Sorted(slices.Values(dtype.TorchNames()))
			return expr.Value{}, b.cfg.keyError(key, n, "%s %q is not a dtype modeltool knows (%s)", key, n.Text, strings.Join(known, ", "))
		}
		return expr.Rat(d.Bytes), nil
	}
	return expr.Value{}, nil
}

// convert reads a config value as the template's key type says. It returns the value at fault
// with an error: the node itself, or the item of a list.
func convert(n *jsonpos.Node, k *model.ConfigKey) (expr.Value, *jsonpos.Node, error) {
	if k.Type == "array" {
		if n.Kind != jsonpos.Array {
			return expr.Value{}, n, fmt.Errorf("must be an array, not %s", describe(n))
		}
		items := make([]expr.Value, 0, len(n.Items))
		for i, it := range n.Items {
			t := k.Items
			if t == "" {
				t = "scalar"
			}
			v, err := scalar(it, t, k.ItemEnum)
			if err != nil {
				return expr.Value{}, it, fmt.Errorf("item %d %v", i, err)
			}
			items = append(items, v)
		}
		return expr.List(items), n, nil
	}
	for _, t := range k.Types {
		if !slices.Contains([]string{"integer", "number", "boolean", "string"}, t) {
			return expr.Value{}, n, fmt.Errorf("has an unknown type %q in the template", t)
		}
	}
	// The node's JSON kind chooses among the key's types; checkKey says "must be an
	// integer" of a fraction, with its value.
	var v expr.Value
	switch {
	case n.Kind == jsonpos.Number && (k.Accepts("integer") || k.Accepts("number")):
		var err error
		if v, err = expr.ParseNumber(n.Text); err != nil {
			return expr.Value{}, n, fmt.Errorf("is not a usable number: %v", err)
		}
	case n.Kind == jsonpos.Bool && k.Accepts("boolean"):
		v = expr.Bool(n.BoolValue())
	case n.Kind == jsonpos.String && k.Accepts("string"):
		v = expr.String(n.Text)
		if err := checkString(k, n.Text); err != nil {
			return expr.Value{}, n, err
		}
	default:
		return expr.Value{}, n, fmt.Errorf("must be %s, not %s", typesPhrase(k.Types), describe(n))
	}
	return v, n, nil
}

// checkString checks a string value of a key against its enum and pattern.
func checkString(k *model.ConfigKey, s string) error {
	if len(k.Enum) > 0 && !slices.Contains(k.Enum, s) {
		return fmt.Errorf("is %q, which this template does not support (supported: %s)", s, strings.Join(k.Enum, ", "))
	}
	if k.PatternRE != nil && !k.PatternRE.MatchString(s) {
		return fmt.Errorf("is %q, which does not match the pattern %s this template needs", s, k.Pattern.Text)
	}
	return nil
}

// typesPhrase names the JSON types a key accepts: "an integer", "true or false", "an integer
// or a string", "a number, a boolean or a string".
func typesPhrase(types []string) string {
	if len(types) == 1 && types[0] == "boolean" {
		return "true or false"
	}
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = article(t)
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// scalar reads an array item: a number, boolean or string of type typ ("scalar": any of
// them); an "integer" must be integral.
func scalar(n *jsonpos.Node, typ string, enum []string) (expr.Value, error) {
	if typ == "scalar" {
		switch n.Kind {
		case jsonpos.Number:
			typ = "number"
		case jsonpos.Bool:
			typ = "boolean"
		case jsonpos.String:
			typ = "string"
		default:
			return expr.Value{}, fmt.Errorf("must be a number, a boolean or a string, not %s", describe(n))
		}
	}
	switch typ {
	case "integer", "number":
		if n.Kind != jsonpos.Number {
			return expr.Value{}, fmt.Errorf("must be %s, not %s", article(typ), describe(n))
		}
		v, err := expr.ParseNumber(n.Text)
		if err != nil {
			return expr.Value{}, fmt.Errorf("is not a usable number: %v", err)
		}
		if typ == "integer" && !v.IsInt() {
			return expr.Value{}, fmt.Errorf("must be an integer, not %s", describe(n))
		}
		return v, nil
	case "boolean":
		if n.Kind != jsonpos.Bool {
			return expr.Value{}, fmt.Errorf("must be true or false, not %s", describe(n))
		}
		return expr.Bool(n.BoolValue()), nil
	case "string":
		if n.Kind != jsonpos.String {
			return expr.Value{}, fmt.Errorf("must be a string, not %s", describe(n))
		}
		if len(enum) > 0 && !slices.Contains(enum, n.Text) {
			return expr.Value{}, fmt.Errorf("is %q, which this template does not support (supported: %s)", n.Text, strings.Join(enum, ", "))
		}
		return expr.String(n.Text), nil
	}
	return expr.Value{}, fmt.Errorf("has an unknown type %q in the template", typ)
}

// defaultEach builds the list of an array key the config lacks, item by item: default_each
// with {index} = 0 … length−1.
func (b *binding) defaultEach(k *model.ConfigKey) func(expr.Env) (expr.Value, error) {
	return func(env expr.Env) (expr.Value, error) {
		length := k.BuildLength().Expr
		lv, err := length.Eval(env)
		if err != nil {
			return expr.Value{}, fmt.Errorf("%s: its length %s: %w", k.Name, length, err)
		}
		if !lv.IsInt() || lv.Sign() < 0 {
			return expr.Value{}, fmt.Errorf("%s: its length %s works out to %s, not a count", k.Name, length, lv)
		}
		n, ok := lv.Int64()
		if !ok || n > MaxInstances {
			return expr.Value{}, b.countFault(k.BuildLength(), "%s: default_each would build %s = %s items one by one; the limit is %d", k.Name, length, lv, MaxInstances)
		}
		s := expr.NewScope(env)
		items := make([]expr.Value, n)
		for i := range n {
			s.Set("index", expr.Int(i))
			v, err := k.DefaultEach.Expr.Eval(s)
			if err != nil {
				return expr.Value{}, fmt.Errorf("%s: default_each for item %d: %w", k.Name, i, err)
			}
			if err := checkItem(k, v); err != nil {
				return expr.Value{}, fmt.Errorf("%s: default_each gives item %d %v", k.Name, i, err)
			}
			items[i] = v
		}
		return expr.List(items), nil
	}
}

// checkItem checks an item that default_each built against the key's items.
func checkItem(k *model.ConfigKey, v expr.Value) error {
	switch {
	case !v.IsScalar():
		return fmt.Errorf("= %s, not a number, boolean or string", v)
	case k.Items == "string" && !v.IsString(), k.Items == "boolean" && !v.IsBool(),
		(k.Items == "number" || k.Items == "integer") && !v.IsNumber(), k.Items == "integer" && !v.IsInt():
		return fmt.Errorf("= %s, not %s", v, article(k.Items))
	case len(k.ItemEnum) > 0 && v.IsString() && !slices.Contains(k.ItemEnum, v.Text()):
		return fmt.Errorf("= %s, not one of %s", v, strings.Join(k.ItemEnum, ", "))
	}
	return nil
}

func article(t string) string {
	if t == "integer" {
		return "an integer"
	}
	return "a " + t
}

// checkKey checks a resolved value against the key's types, its minimum when it is a number,
// and its enum and pattern when it is a string.
func checkKey(k *model.ConfigKey, v expr.Value) error {
	if k.Type == "array" {
		if !v.IsList() {
			return fmt.Errorf("must be a list, got %s", v)
		}
		return nil
	}
	ok := false
	for _, t := range k.Types {
		switch t {
		case "integer":
			ok = ok || v.IsNumber() && v.IsInt()
		case "number":
			ok = ok || v.IsNumber()
		case "string":
			ok = ok || v.IsString()
		case "boolean":
			ok = ok || v.IsBool()
		}
	}
	if !ok {
		return fmt.Errorf("must be %s, got %s", typesPhrase(k.Types), v)
	}
	if v.IsString() {
		if err := checkString(k, v.Text()); err != nil {
			return err
		}
	}
	if k.Minimum != nil && k.Minimum.Expr != nil && v.IsNumber() {
		min, err := k.Minimum.Expr.Eval(expr.MapEnv{})
		if err == nil && v.Cmp(min) < 0 {
			return fmt.Errorf("must be at least %s, got %s", min, v)
		}
	}
	return nil
}
