// Package layers is the catalog of basic classes: for every class that does arithmetic (Linear,
// Embedding, RMSNorm, the attention core, …) the parameters a model file must give it, what each
// means, and the formulas for its parameters, FLOPs, bytes and KV cache. The validator's
// "required parameters" and the calculator's arithmetic come from the same entry, so they cannot
// drift apart. The catalog is data (catalog/*.json, embedded); users extend or override it with
// their own file.
package layers

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/suggest"
)

// builtinFiles holds the builtin catalog, one file per topic (catalog/matmul.json, …). A file's
// "aliases" may name the classes of any other; no two may define the same class or alias.
//
//go:embed catalog/*.json
var builtinFiles embed.FS

// BuiltinName is the name the embedded catalog carries in messages.
const BuiltinName = "builtin catalog"

// Formula is one figure a class may define; a missing formula is zero. Figures and their sums
// are indexed by it.
type Formula int

// The formulas, in the order they are reported.
const (
	FormulaParams Formula = iota
	FormulaWeightBytes
	FormulaFLOPs
	FormulaBytesRead
	FormulaBytesWritten
	FormulaKVCacheBytes
	// NumFormulas is the number of formulas: the length of an array indexed by Formula.
	NumFormulas
)

// formulaNames are the formulas' names in catalogs, expressions and JSON output.
var formulaNames = [NumFormulas]string{"params", "weight_bytes", "flops", "bytes_read", "bytes_written", "kv_cache_bytes"}

// Formulas lists every formula in the order they are reported.
var Formulas = []Formula{FormulaParams, FormulaWeightBytes, FormulaFLOPs, FormulaBytesRead, FormulaBytesWritten, FormulaKVCacheBytes}

// String is the formula's name: "flops", "kv_cache_bytes", ….
func (f Formula) String() string { return formulaNames[f] }

// FormulaNamed returns the formula of a name, and whether there is one.
func FormulaNamed(name string) (Formula, bool) {
	for f, n := range formulaNames {
		if n == name {
			return Formula(f), true
		}
	}
	return 0, false
}

// ParamTypes maps each parameter type to what it accepts, as said in messages.
var ParamTypes = map[string]string{
	"size":    "a positive integer",
	"count":   "a non-negative integer",
	"amount":  "a non-negative number (fractions allowed)",
	"bytes":   "a positive number of bytes (fractions allowed, 0.5 for int4)",
	"boolean": "true or false",
	"number":  "a number",
}

// Catalog is a set of basic classes, looked up by class path or alias.
type Catalog struct {
	classes []*Class
	byName  map[string]*Class
	// aliasDefs are a file's "aliases" entries, applied by With.
	aliasDefs []aliasDef
	// activations maps transformers activation names (ACT2FN keys: "silu", "gelu_new", …) to
	// the class path of the module they build: the "activations" objects of the files.
	activations map[string]string
}

// aliasDef is one entry of a catalog file's "aliases" object.
type aliasDef struct{ alias, target string }

// Class is one basic class.
type Class struct {
	Name        string
	Aliases     []string
	Category    string
	Description string
	Notes       string
	Params      []*ParamSpec
	// Derived are named intermediate values, evaluated in order of need.
	Derived []Definition
	// Formulas holds the class's figures (a subset of Formulas).
	Formulas []Definition
	Checks   []Check
	// Tensors are the tensors a checkpoint holds for one instance of the class, with their
	// shapes; nil when the class declares none.
	Tensors []TensorSpec
	// Source says where the class was defined: the builtin catalog or a user's file.
	Source string
}

// ParamSpec is a parameter of a class.
type ParamSpec struct {
	Name    string
	Type    string
	Meaning string
	// Default, when set, is used if the layer omits the parameter; it may refer to the class's
	// other parameters. A parameter without a default is required.
	Default *expr.Expr
}

// Definition is a named expression over a class's parameters.
type Definition struct {
	Name string
	Expr *expr.Expr
}

// Check is a condition a layer's parameters must meet.
type Check struct {
	Expr    *expr.Expr
	Message string
}

var (
	builtinOnce sync.Once
	builtin     *Catalog
)

// Builtin returns the embedded catalog, parsed once; callers must not change it (Extend and
// With return new catalogs). It panics only if the embedded data is broken, which the
// package's tests rule out.
func Builtin() *Catalog {
	builtinOnce.Do(func() {
		c, err := parseBuiltin()
		if err != nil {
			panic("layers: embedded catalog is invalid: " + err.Error())
		}
		builtin = c
	})
	return builtin
}

// parseBuiltin reads the embedded catalog files.
func parseBuiltin() (*Catalog, error) {
	return parseFiles(builtinFiles, "catalog")
}

// parseFiles reads the catalog files of a folder in rounds: each round takes, in name order,
// every file that parses on top of the files already taken, so a file's "aliases" may name a
// class of any other file, whatever their names. No file may redefine another's class. When a
// round takes nothing, every file left reports its problems, in name order.
func parseFiles(fsys fs.FS, dir string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	type file struct {
		name string
		doc  *jsonpos.Document // parsed once, however many rounds it waits
	}
	var left []file
	for _, e := range entries {
		data, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		name := BuiltinName + " (" + e.Name() + ")"
		doc, err := jsonpos.Parse(name, data, jsonpos.Options{})
		if err != nil {
			return nil, err
		}
		left = append(left, file{name, doc})
	}
	c := &Catalog{byName: map[string]*Class{}}
	all := false // parse every file left, ready or not
	for len(left) > 0 {
		var next []file
		var errs []error
		// A file whose aliases name classes no file taken so far defines waits for a later
		// round without being parsed (a parse that fails costs its messages too); when no file
		// left is ready, or a round took none, all are parsed, to take what does parse or
		// report every file's problems.
		ready := !all && slices.ContainsFunc(left, func(f file) bool { return namesKnown(f.doc, c) })
		for _, f := range left {
			if ready && !namesKnown(f.doc, c) {
				next = append(next, f)
				continue
			}
			if parseHook != nil {
				parseHook(f.name)
			}
			overlay, err := parseDoc(f.name, f.doc, c)
			if err != nil {
				next = append(next, f)
				errs = append(errs, err)
				continue
			}
			for _, oc := range overlay.classes {
				if base := c.changed(oc); base != nil {
					return nil, fileFault(f.name, fmt.Sprintf("%s is already defined in %s", oc.Name, base.Source))
				}
			}
			// The catalog being built is nobody else's yet: the file's classes go into it as
			// they are (With would copy it whole for each file).
			if err := c.addNew(overlay); err != nil {
				return nil, err
			}
		}
		if len(next) == len(left) {
			if ready {
				all = true
				continue
			}
			return nil, errors.Join(errs...)
		}
		left = next
	}
	return c, nil
}

// parseHook, when set (by tests), is called with each file's name as parseFiles parses it.
var parseHook func(name string)

// namesKnown reports whether every class a catalog file's "aliases" name is defined by the
// file itself or by c: a look at the file's names only, before it is parsed.
func namesKnown(doc *jsonpos.Document, c *Catalog) bool {
	root := doc.Root
	aliases := root.Get("aliases")
	if aliases == nil || aliases.Kind != jsonpos.Object {
		return true
	}
	own := map[string]bool{}
	if classes := root.Get("classes"); classes != nil && classes.Kind == jsonpos.Array {
		for _, n := range classes.Items {
			if name := n.Get("class"); name != nil && name.Kind == jsonpos.String {
				own[name.Text] = true
			}
			if as := n.Get("aliases"); as != nil && as.Kind == jsonpos.Array {
				for _, a := range as.Items {
					if a.Kind == jsonpos.String {
						own[a.Text] = true
					}
				}
			}
		}
	}
	for _, m := range aliases.Members {
		if t := m.Value; t.Kind == jsonpos.String && !own[t.Text] && c.byName[t.Text] == nil {
			return false
		}
	}
	return true
}

// addNew adds the classes, aliases and activation names of overlay, none of which c has, to
// c itself, as With would to a copy.
func (c *Catalog) addNew(overlay *Catalog) error {
	for _, cl := range overlay.classes {
		for _, key := range append([]string{cl.Name}, cl.Aliases...) {
			if prev := c.byName[key]; prev != nil {
				return fileFault(cl.Source, fmt.Sprintf("class %s clashes with %s (%s)", key, prev.Name, prev.Source))
			}
			c.byName[key] = cl
		}
		c.classes = append(c.classes, cl)
	}
	// The classes are c's own, so an alias is added to its class in place (addAlias copies the
	// class and looks for every name of it: quadratic over the builtin catalog's aliases).
	for _, a := range overlay.aliasDefs {
		cl, err := c.aliasTarget(a)
		if err != nil {
			return err
		}
		cl.Aliases = append(cl.Aliases, a.alias)
		c.byName[a.alias] = cl
	}
	if len(overlay.activations) > 0 {
		if c.activations == nil {
			c.activations = make(map[string]string, len(overlay.activations))
		}
		maps.Copy(c.activations, overlay.activations)
	}
	return nil
}

// Classes returns the catalog's classes sorted by name.
func (c *Catalog) Classes() []*Class {
	out := append([]*Class(nil), c.classes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Find looks a class up by path or alias, else by short name ("Linear", any case). It returns
// the class when exactly one matches, or when several match in any case but one in the case
// given (Conv1d and Conv1D); otherwise nil and the classes whose short name matched (none, or
// several: ambiguous).
func (c *Catalog) Find(name string) (*Class, []*Class) {
	if cl := c.Lookup(name); cl != nil {
		return cl, nil
	}
	var matches, exact []*Class
	for _, cl := range c.Classes() {
		folded, same := false, false
		for _, n := range append([]string{cl.Name}, cl.Aliases...) {
			folded = folded || strings.EqualFold(ShortName(n), name)
			same = same || ShortName(n) == name
		}
		if folded {
			matches = append(matches, cl)
		}
		if same {
			exact = append(exact, cl)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	if len(exact) == 1 {
		return exact[0], nil
	}
	return nil, matches
}

// Activation returns the class path of the module that the transformers activation name
// (an ACT2FN key such as "gelu_pytorch_tanh") builds, from the catalog's "activations" table.
func (c *Catalog) Activation(name string) (string, bool) {
	path, ok := c.activations[name]
	return path, ok
}

// ActivationNames returns the activation names the catalog knows, sorted.
func (c *Catalog) ActivationNames() []string {
	names := make([]string, 0, len(c.activations))
	for n := range c.activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the class with the given path or alias, or nil.
func (c *Catalog) Lookup(class string) *Class { return c.byName[class] }

// Suggest returns the known class path or alias nearest to class, or "" when nothing is close.
// A class with the same short name is the answer; else a short name without dots ("Lnear") is
// compared with the classes' short names and a path with the paths, by suggest.Nearest.
func (c *Catalog) Suggest(class string) string {
	short := ShortName(class)
	byShort := map[string]string{} // a short name -> its first class path
	for _, name := range slices.Sorted(maps.Keys(c.byName)) {
		if s := ShortName(name); byShort[s] == "" {
			byShort[s] = name
		}
	}
	if name := byShort[short]; name != "" && name != class {
		return name
	}
	if short == class {
		return byShort[suggest.Nearest(class, slices.Collect(maps.Keys(byShort)))]
	}
	return suggest.Nearest(class, slices.Collect(maps.Keys(c.byName)))
}

// Param returns the class's parameter named name, or nil.
func (cl *Class) Param(name string) *ParamSpec {
	for _, p := range cl.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Required returns the parameters without defaults, in catalog order.
func (cl *Class) Required() []*ParamSpec {
	var out []*ParamSpec
	for _, p := range cl.Params {
		if p.Default == nil {
			out = append(out, p)
		}
	}
	return out
}

// Formula returns the expression of a figure, or nil when the class does not define it (zero).
func (cl *Class) Formula(k Formula) *expr.Expr {
	for _, f := range cl.Formulas {
		if f.Name == k.String() {
			return f.Expr
		}
	}
	return nil
}

// ShortName is the last segment of a class path: "Linear" for torch.nn.modules.linear.Linear.
func ShortName(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}

func (cl *Class) String() string { return fmt.Sprintf("%s (%s)", cl.Name, cl.Category) }
