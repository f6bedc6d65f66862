package expr

import (
	"errors"
	"strconv"
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
// A definition that fails only because a definition it uses fails names the
// definition where the failure arose, not every step between: with c1 = {c0}+1,
// c2 = {c1}+1, … and c0 = 1/0, {c9999} fails with "in {c9999}: col 1: in {c0}:
// col 3: division by zero". So an error's size, and the memory of all errors
// cached, stay linear in the number of definitions, for chains, fan-outs and
// cycles alike (a long cycle's message names its first and last few steps).
//
// A Scope is not safe for concurrent use (Lookup fills the cache).
type Scope struct {
	parent Env
	vals   map[string]Value
	defs   map[string]*Expr
	funcs  map[string]func(Env) (Value, error) // definitions computed by Go code
	cache  map[string]cached                   // evaluated definitions
	active []string                            // definitions being evaluated, outermost first
	depth  map[string]int                      // index of each active definition in active
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
	delete(s.funcs, name)
	clear(s.cache)
}

// DefineFunc makes name stand for what f computes, called with this scope when
// name is first looked up: a definition that is not one expression (populate
// builds a list item by item with it). Like an expression definition, its
// result is cached, and a lookup of name while f runs is a cycle.
func (s *Scope) DefineFunc(name string, f func(env Env) (Value, error)) {
	if s.funcs == nil {
		s.funcs = make(map[string]func(Env) (Value, error))
	}
	s.funcs[name] = f
	delete(s.defs, name)
	clear(s.cache)
}

// Has reports whether name has a value or a definition in this scope itself
// (not in the parent).
func (s *Scope) Has(name string) bool {
	if _, ok := s.vals[name]; ok {
		return true
	}
	if _, ok := s.defs[name]; ok {
		return true
	}
	_, ok := s.funcs[name]
	return ok
}

// Call passes a host function on to the parent when it is a Caller; otherwise
// the function is not available (an error wrapping ErrUnbound).
func (s *Scope) Call(name string, args []Value) (Value, error) {
	if c, ok := s.parent.(Caller); ok {
		return c.Call(name, args)
	}
	return Value{}, unavailable(name)
}

// Lookup returns the value of name: a value set here, else a definition made
// here (evaluated, or taken from the cache), else the parent's value. A name
// found nowhere gives ErrUnbound itself.
func (s *Scope) Lookup(name string) (Value, error) {
	if v, ok := s.vals[name]; ok {
		return v, nil
	}
	x, ok := s.defs[name]
	f, isFunc := s.funcs[name]
	if !ok && !isFunc {
		if s.parent == nil {
			return Value{}, ErrUnbound
		}
		return s.parent.Lookup(name)
	}
	if r, ok := s.cache[name]; ok {
		return r.v, r.err
	}
	if i, ok := s.depth[name]; ok {
		path := append(append([]string(nil), s.active[i:]...), name)
		return Value{}, newCycle(path)
	}
	if s.depth == nil {
		s.depth = make(map[string]int)
	}
	s.depth[name] = len(s.active)
	s.active = append(s.active, name)
	var v Value
	var err error
	if ok {
		v, err = x.Eval(s)
	} else {
		v, err = f(s)
	}
	s.active = s.active[:len(s.active)-1]
	delete(s.depth, name)
	if err != nil {
		var ce *cycleError
		if errors.As(err, &ce) && ce.has(name) {
			err = ce.from(name) // the cycle's own message says it all
		} else {
			err = &defError{name: name, err: toOrigin(err)}
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

// toOrigin shortens the error of a definition that failed because a definition it
// uses failed: the column of the use is kept and the cause becomes the definition
// where the failure arose (or the cycle it leads into), without the steps between.
func toOrigin(err error) error {
	ee, ok := err.(*Error)
	if !ok {
		return err
	}
	used, ok := ee.Err.(*defError)
	if !ok {
		return err
	}
	origin := error(used)
	if inner, ok := used.err.(*Error); ok {
		switch inner.Err.(type) {
		case *defError, *cycleError:
			origin = inner.Err // used failed because of another: already its origin
		}
	}
	if origin == ee.Err {
		return err
	}
	return &Error{Col: ee.Col, Msg: origin.Error(), Err: origin}
}

// cycle is the list of definitions on a cycle, shared by the errors of all of them.
type cycle struct {
	path  []string // path[0] → … → path[0]; the last is the first again
	index map[string]int
}

// cycleError is a definition that depends on itself: the cycle told from path[start].
type cycleError struct {
	c     *cycle
	start int
}

func newCycle(path []string) *cycleError {
	c := &cycle{path: path, index: make(map[string]int, len(path))}
	for i, name := range path[:len(path)-1] {
		c.index[name] = i
	}
	return &cycleError{c: c}
}

// longCycle is the length beyond which a cycle's message names only its first and
// last few steps.
const longCycle = 10

func (e *cycleError) Error() string {
	n := len(e.c.path) - 1
	at := func(k int) string { return e.c.path[(e.start+k)%n] }
	var b strings.Builder
	b.WriteString("{" + at(0) + "} is defined in terms of itself: ")
	for k := 0; k <= n; k++ {
		if n > longCycle && k == 5 {
			b.WriteString("… → ")
			k = n - 4
		}
		b.WriteString(at(k))
		if k < n {
			b.WriteString(" → ")
		}
	}
	if n > longCycle {
		b.WriteString(" (" + strconv.Itoa(n) + " definitions)")
	}
	return b.String()
}
func (e *cycleError) Unwrap() error { return ErrCycle }

func (e *cycleError) has(name string) bool {
	_, ok := e.c.index[name]
	return ok
}

// from returns the same cycle told from name, which is on it.
func (e *cycleError) from(name string) *cycleError {
	i := e.c.index[name]
	if i == e.start {
		return e
	}
	return &cycleError{c: e.c, start: i}
}

// DefinitionError says which definition of a Scope an error from Lookup or Eval
// arose in: the definition whose own expression failed (for "in {c9999}: col 1:
// in {c0}: col 3: division by zero", c0), or for a cycle the definitions on it.
// ok is false for errors that did not come from a Scope definition.
func DefinitionError(err error) (names []string, ok bool) {
	for err != nil {
		switch e := err.(type) {
		case *cycleError:
			return e.c.path[:len(e.c.path)-1], true
		case *defError:
			if inner, isErr := e.err.(*Error); isErr {
				switch inner.Err.(type) {
				case *defError, *cycleError:
					err = inner.Err
					continue
				}
			}
			return []string{e.name}, true
		}
		err = errors.Unwrap(err)
	}
	return nil, false
}
