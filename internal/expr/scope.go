package expr

import (
	"errors"
	"slices"
	"strings"
)

// Scope is an Env of named values and lazily evaluated definitions, layered
// over a parent Env. Lookup looks at the scope's own values first, then its own
// definitions, then the parent. A definition is evaluated in the scope itself
// (so definitions can refer to each other and to the parent) on its first
// Lookup, and its value (or error) is cached until the next Set or Define on
// this scope (changes to the parent are not seen by definitions already
// evaluated).
//
// A definition that refers to itself, directly or through others, fails with
// "{a} is defined in terms of itself: a → b → a" (wrapping ErrCycle). Any other
// error in a definition is wrapped so that its message names it
// ("in {weight_dtype_bytes}: col 15: division by zero") while errors.Is still
// finds the cause; in particular a definition that uses an unbound name fails
// with an error wrapping ErrUnbound, so Partial over a Scope leaves that
// definition's name symbolic.
//
// A Scope is not safe for concurrent use (Lookup fills the cache).
type Scope struct {
	parent Env
	vals   map[string]Value
	defs   map[string]*Expr
	cache  map[string]cached // evaluated definitions
	active []string          // definitions being evaluated, outermost first
}

// cached is an evaluated definition: errors are cached too, so that an expression
// that mentions a failing definition many times does not evaluate it each time.
type cached struct {
	v   Value
	err error
}

// NewScope returns an empty scope over parent, which may be nil.
func NewScope(parent Env) *Scope { return &Scope{parent: parent} }

// Set gives name the value v in this scope.
func (s *Scope) Set(name string, v Value) {
	if s.vals == nil {
		s.vals = make(map[string]Value)
	}
	s.vals[name] = v
	clear(s.cache)
}

// Define makes name stand for the expression x (not nil), evaluated in this
// scope when it is first looked up.
func (s *Scope) Define(name string, x *Expr) {
	if s.defs == nil {
		s.defs = make(map[string]*Expr)
	}
	s.defs[name] = x
	clear(s.cache)
}

// Has reports whether name has a value or a definition in this scope itself
// (not in the parent).
func (s *Scope) Has(name string) bool {
	if _, ok := s.vals[name]; ok {
		return true
	}
	_, ok := s.defs[name]
	return ok
}

// Lookup returns the value of name: a value set here, else a definition made
// here (evaluated, or taken from the cache), else the parent's value. A name
// found nowhere gives ErrUnbound itself.
func (s *Scope) Lookup(name string) (Value, error) {
	if v, ok := s.vals[name]; ok {
		return v, nil
	}
	x, ok := s.defs[name]
	if !ok {
		if s.parent == nil {
			return Value{}, ErrUnbound
		}
		return s.parent.Lookup(name)
	}
	if r, ok := s.cache[name]; ok {
		return r.v, r.err
	}
	for i, a := range s.active {
		if a == name {
			path := append(append([]string(nil), s.active[i:]...), name)
			return Value{}, &cycleError{path: path}
		}
	}
	s.active = append(s.active, name)
	v, err := x.Eval(s)
	s.active = s.active[:len(s.active)-1]
	if err != nil {
		var ce *cycleError
		if errors.As(err, &ce) && ce.has(name) {
			err = ce.from(name) // the cycle's own message says it all
		} else {
			err = &defError{name: name, err: err}
		}
		v = Value{}
	}
	if s.cache == nil {
		s.cache = make(map[string]cached)
	}
	s.cache[name] = cached{v, err}
	return v, err
}

// defError is an error inside the definition of name.
type defError struct {
	name string
	err  error
}

func (e *defError) Error() string { return "in {" + e.name + "}: " + e.err.Error() }
func (e *defError) Unwrap() error { return e.err }

// cycleError is a definition that depends on itself: path[0] → … → path[0].
type cycleError struct{ path []string }

func (e *cycleError) Error() string {
	return "{" + e.path[0] + "} is defined in terms of itself: " + strings.Join(e.path, " → ")
}
func (e *cycleError) Unwrap() error { return ErrCycle }

func (e *cycleError) has(name string) bool { return slices.Contains(e.path, name) }

// from returns the same cycle told from name, which is on it.
func (e *cycleError) from(name string) *cycleError {
	if e.path[0] == name {
		return e
	}
	i := slices.Index(e.path, name)
	n := len(e.path) - 1 // the last is the first again
	path := make([]string, 0, n+1)
	for k := range n + 1 {
		path = append(path, e.path[(i+k)%n])
	}
	return &cycleError{path: path}
}
