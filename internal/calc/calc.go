// Package calc computes the figures of a model file: for every basic layer its parameters,
// FLOPs, bytes read and written, and KV-cache bytes, from the catalog's formulas and the bound
// variables; and the totals, by class and by category. Each distinct layer is evaluated once
// and multiplied by the product of the repeats above it, so the cost of a calculation depends
// on the size of the file, not on the size of the model.
package calc

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/suggest"
)

// Options configure a calculation.
type Options struct {
	// Catalog is the layer catalog; nil means the builtin one.
	Catalog *layers.Catalog
	// Set overrides variables (from --set, --seq-len, --dtype, …).
	Set map[string]expr.Value
	// Parallel spreads the model over devices; the zero value is one device.
	Parallel Parallelism
	// Stage chooses the pipeline stage shown under Parallel.PP, 1-based; 0 shows the most
	// loaded one.
	Stage int
}

// Row is one basic layer. Its figures are for one instance; Count says how many instances the
// model has.
type Row struct {
	Path     string
	Class    string
	Category string
	// Count is the product of the repeats of the layer and of every layer above it.
	Count *big.Int
	// TiedTo is the path of the layer whose weights this one shares: its params and weight
	// bytes are left out of the totals.
	TiedTo  string
	Figures layers.Figures
	// CommBytes is what one instance sends to other devices (communication rows); nil for
	// the others.
	CommBytes *big.Rat
	// Share is the share of its instances a token passes through: top_k / E for a routed
	// expert, nil (all of them) for every other row.
	Share *big.Rat
}

// Sum holds totals of each figure.
type Sum struct {
	Params       *big.Rat
	WeightBytes  *big.Rat
	FLOPs        *big.Rat
	BytesRead    *big.Rat
	BytesWritten *big.Rat
	KVCacheBytes *big.Rat
	// CommBytes is what the rows send to other devices (communication rows).
	CommBytes *big.Rat

	comm *big.Rat
	// acc accumulates the figures, indexed by formula, until finish: integers (nearly every
	// figure) in big.Int, fractions apart, so summing 50,000 rows does not normalise a fraction
	// 300,000 times.
	acc [layers.NumFormulas]accumulator
}

type accumulator struct {
	i big.Int
	r *big.Rat
}

func (a *accumulator) add(v expr.Value, count *big.Int, tmp *big.Int) {
	if n, ok := v.Int64(); ok {
		if n == 0 {
			return
		}
		tmp.SetInt64(n)
		a.i.Add(&a.i, tmp.Mul(tmp, count))
		return
	}
	if n, ok := v.BigInt(); ok {
		a.i.Add(&a.i, n.Mul(n, count))
		return
	}
	if r := v.Rat(); r != nil {
		if a.r == nil {
			a.r = new(big.Rat)
		}
		a.r.Add(a.r, r.Mul(r, new(big.Rat).SetInt(count)))
	}
}

func (a *accumulator) total() *big.Rat {
	t := new(big.Rat).SetInt(&a.i)
	if a.r != nil {
		t.Add(t, a.r)
	}
	return t
}

func newSum() *Sum {
	return &Sum{}
}

// Get returns the total of formula k.
func (s *Sum) Get(k layers.Formula) *big.Rat { return *s.field(k) }

// field is the one place that maps a formula to its total.
func (s *Sum) field(k layers.Formula) **big.Rat {
	return [layers.NumFormulas]**big.Rat{&s.Params, &s.WeightBytes, &s.FLOPs, &s.BytesRead, &s.BytesWritten, &s.KVCacheBytes}[k]
}

// isWeight reports whether a figure counts the weights themselves, which a tied layer shares.
func isWeight(k layers.Formula) bool {
	return k == layers.FormulaParams || k == layers.FormulaWeightBytes
}

// add adds count instances of a row; its weights only when countWeights.
func (s *Sum) add(r *Row, countWeights bool, tmp *big.Int) {
	for _, k := range layers.Formulas {
		if countWeights || !isWeight(k) {
			s.acc[k].add(r.Figures.Get(k), r.Count, tmp)
		}
	}
	if r.CommBytes != nil {
		if s.comm == nil {
			s.comm = new(big.Rat)
		}
		s.comm.Add(s.comm, new(big.Rat).Mul(r.CommBytes, new(big.Rat).SetInt(r.Count)))
	}
}

// finish fixes the totals from the accumulators.
func (s *Sum) finish() {
	for _, k := range layers.Formulas {
		*s.field(k) = s.acc[k].total()
	}
	s.CommBytes = new(big.Rat)
	if s.comm != nil {
		s.CommBytes.Set(s.comm)
	}
}

// Totals are the sums over all rows, and the same sums grouped by class and by category.
type Totals struct {
	Sum
	// ActiveParams are the parameters one token passes through: every parameter but the
	// routed experts', plus top_k of each layer's E routed experts (shared weights once). It
	// is the model's figure, also under parallelism.
	ActiveParams *big.Rat
	ByClass      map[string]*Sum
	ByCategory   map[string]*Sum
}

// Variable is a bound variable and its value.
type Variable struct {
	Name  string
	Value expr.Value
}

// Result is a calculation.
type Result struct {
	ModelID   string
	Variables []Variable
	Rows      []Row
	Totals    Totals
	// Activations is the peak of live activation bytes: the largest working set of one basic
	// layer (see ActivationBytes).
	Activations *big.Rat
	// Parallel describes the device the rows and totals are for; nil on one device.
	Parallel *ParallelInfo
}

// Variable returns the value the variable name was bound to, or the invalid Value.
func (r *Result) Variable(name string) expr.Value {
	for _, v := range r.Variables {
		if v.Name == name {
			return v.Value
		}
	}
	return expr.Value{}
}

// LayerError is a failure to compute one layer.
type LayerError struct {
	Path string
	Err  error
}

func (e *LayerError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *LayerError) Unwrap() error { return e.Err }

// paramError is a parameter value that does not fit its type, naming the class.
type paramError struct {
	class string
	pe    *layers.ParamError
}

func (e *paramError) Error() string {
	return fmt.Sprintf("parameter %s of %s %s", e.pe.Param, e.class, e.pe.Msg)
}
func (e *paramError) Unwrap() error { return e.pe }

// VariableError is a bad variable binding.
type VariableError struct {
	Name string
	Msg  string
}

func (e *VariableError) Error() string { return e.Name + ": " + e.Msg }

// Bind resolves the variables of f with the overrides in set and returns them in a stable
// order (standard variables first, then the file's), with the scope to evaluate in. Unknown
// names in set and values that do not fit a standard variable's type are errors.
func Bind(f *model.File, set map[string]expr.Value) (*expr.Scope, []Variable, error) {
	declared := f.DeclaredVariables()
	var unknown []string
	for name := range set {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := slices.Sorted(maps.Keys(declared))
		msg := fmt.Sprintf("not a variable of this model (variables: %s)", strings.Join(names, ", "))
		if len(unknown) > 1 {
			msg = fmt.Sprintf("not variables of this model (variables: %s)", strings.Join(names, ", "))
		} else if s := suggest.Nearest(unknown[0], names); s != "" {
			msg = fmt.Sprintf("not a variable of this model (did you mean %s?)", s)
		}
		return nil, nil, &VariableError{Name: strings.Join(unknown, ", "), Msg: msg}
	}
	scope := f.Scope(set)
	var order []string
	seen := map[string]bool{}
	for _, v := range model.StandardVariables {
		order = append(order, v.Name)
		seen[v.Name] = true
	}
	for _, v := range f.Variables {
		if !seen[v.Name] {
			order = append(order, v.Name)
			seen[v.Name] = true
		}
	}
	vars := make([]Variable, 0, len(order))
	for _, name := range order {
		v, err := scope.Lookup(name)
		if err != nil {
			return nil, nil, &VariableError{Name: name, Msg: err.Error()}
		}
		if need := model.StandardVariableNeeds(name, v); need != "" {
			return nil, nil, &VariableError{Name: name, Msg: fmt.Sprintf("must be %s, got %s", need, v)}
		}
		vars = append(vars, Variable{Name: strings.Clone(name), Value: v}) // not the file's memory
	}
	return scope, vars, nil
}

// Compute calculates the figures of f. The file should have passed validation; problems that
// remain (or that the chosen variables cause) are returned as errors naming the layer. With
// opts.Parallel the rows and totals are those of one device (see Parallelism); a split the
// model does not allow is a *SplitError.
func Compute(f *model.File, opts Options) (*Result, error) {
	p, err := newPlanner(f, opts)
	if err != nil {
		return nil, err
	}
	res, err := p.compute()
	if err != nil {
		return nil, err
	}
	if !p.par.IsNone() {
		// active_params is the model's: a token's parameters do not depend on the split.
		whole := opts
		whole.Parallel, whole.Stage = Parallelism{}, 0
		w, err := Compute(f, whole)
		if err != nil {
			return nil, err
		}
		res.Totals.ActiveParams = w.Totals.ActiveParams
	}
	return res, nil
}

// finish sums the rows into the totals; the active parameters only for a whole model (one
// is true).
func (res *Result) finish(one bool) {
	res.Totals = Totals{ByClass: map[string]*Sum{}, ByCategory: map[string]*Sum{}}
	tmp := new(big.Int)
	active := new(big.Rat)
	var activeAll accumulator // the rows whose instances are all active (no Share)
	res.Activations = new(big.Rat)
	peak := int64(0) // the largest activation bytes of the rows, while they fit in an int64
	for i := range res.Rows {
		r := &res.Rows[i]
		counted := r.TiedTo == ""
		res.Totals.add(r, counted, tmp)
		if res.Totals.ByClass[r.Class] == nil {
			res.Totals.ByClass[r.Class] = newSum()
		}
		res.Totals.ByClass[r.Class].add(r, counted, tmp)
		if res.Totals.ByCategory[r.Category] == nil {
			res.Totals.ByCategory[r.Category] = newSum()
		}
		res.Totals.ByCategory[r.Category].add(r, counted, tmp)
		if counted && one {
			if r.Share == nil {
				activeAll.add(r.Figures.Params, r.Count, tmp)
			} else {
				a := new(big.Rat).Mul(r.Figures.Params.RatOrZero(), new(big.Rat).SetInt(r.Count))
				active.Add(active, a.Mul(a, r.Share))
			}
		}
		if n, ok := activationInt(r); ok {
			peak = max(peak, n)
		} else if a := ActivationBytes(r); a.Cmp(res.Activations) > 0 {
			res.Activations = a
		}
	}
	if p := new(big.Rat).SetInt64(peak); p.Cmp(res.Activations) > 0 {
		res.Activations = p
	}
	active.Add(active, activeAll.total())
	res.Totals.finish()
	for _, s := range res.Totals.ByClass {
		s.finish()
	}
	for _, s := range res.Totals.ByCategory {
		s.finish()
	}
	if one {
		res.Totals.ActiveParams = active
	}
}

// Subtotals sums the rows under every layer path (a composite's subtree, a basic layer's own
// row): totals over all instances, shared weights once, keyed by dotted path.
func (r *Result) Subtotals() map[string]*Sum {
	out := map[string]*Sum{}
	tmp := new(big.Int)
	defer func() {
		for _, s := range out {
			s.finish()
		}
	}()
	for i := range r.Rows {
		row := &r.Rows[i]
		path := row.Path
		for {
			s := out[path]
			if s == nil {
				s = newSum()
				out[path] = s
			}
			s.add(row, row.TiedTo == "", tmp)
			i := strings.LastIndexByte(path, '.')
			if i < 0 {
				break
			}
			path = path[:i]
		}
	}
	return out
}
