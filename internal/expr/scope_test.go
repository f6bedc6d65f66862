package expr

import (
	"errors"
	"fmt"
	"testing"
)

func lookupInt(t *testing.T, env Env, name string, want int64) {
	t.Helper()
	v, err := env.Lookup(name)
	if err != nil || !v.Equal(Int(want)) {
		t.Errorf("Lookup(%q) = %v, %v; want %d", name, v, err, want)
	}
}

func TestScopeChains(t *testing.T) {
	config := MapEnv{"hidden_size": Int(4096), "num_attention_heads": Int(32)}
	s := NewScope(config)
	s.Define("head_dim", MustParse("{hidden_size} / {num_attention_heads}"))
	s.Define("kv_dim", MustParse("{head_dim} * {num_key_value_heads}"))
	s.Define("num_key_value_heads", MustParse("{num_attention_heads}"))
	lookupInt(t, s, "head_dim", 128)
	lookupInt(t, s, "kv_dim", 128*32)
	lookupInt(t, s, "hidden_size", 4096) // from the parent

	// A value set here comes before the definition of the same name.
	s.Set("num_key_value_heads", Int(8))
	lookupInt(t, s, "kv_dim", 1024) // the cache was dropped by Set
	s.Define("num_key_value_heads", MustParse("1"))
	lookupInt(t, s, "num_key_value_heads", 8)

	// Own names shadow the parent's.
	s.Set("hidden_size", Int(2048))
	lookupInt(t, s, "head_dim", 64)

	if !s.Has("head_dim") || !s.Has("hidden_size") || s.Has("num_attention_heads") || s.Has("nope") {
		t.Errorf("Has is wrong")
	}
	if _, err := s.Lookup("nope"); err != ErrUnbound {
		t.Errorf("Lookup(nope) = %v, want ErrUnbound itself", err)
	}
	if _, err := NewScope(nil).Lookup("nope"); err != ErrUnbound {
		t.Errorf("Lookup(nope) without parent = %v, want ErrUnbound itself", err)
	}

	// Scopes over scopes: the child sees the parent's definitions, which are
	// evaluated in the parent.
	child := NewScope(s)
	child.Define("q_dim", MustParse("{head_dim} * {num_attention_heads}"))
	child.Set("num_attention_heads", Int(16)) // not seen by the parent's head_dim
	lookupInt(t, child, "q_dim", 64*16)

	v, err := MustParse("{q_dim} + {kv_dim}").Eval(child)
	if err != nil || !v.Equal(Int(64*16+64*8)) {
		t.Errorf("Eval over scopes = %v, %v", v, err)
	}
}

type countingEnv struct {
	MapEnv
	n int
}

func (c *countingEnv) Lookup(name string) (Value, error) {
	c.n++
	return c.MapEnv.Lookup(name)
}

func TestScopeCache(t *testing.T) {
	parent := &countingEnv{MapEnv: MapEnv{"x": Int(3)}}
	s := NewScope(parent)
	s.Define("y", MustParse("{x} * {x}"))
	for range 3 {
		lookupInt(t, s, "y", 9)
	}
	if parent.n != 2 {
		t.Errorf("definition evaluated %d times' worth of lookups, want once (2 lookups)", parent.n/2)
	}
	s.Define("z", MustParse("{y} + 1"))
	lookupInt(t, s, "z", 10)
	if parent.n != 4 { // Define dropped the cache, so y was evaluated again
		t.Errorf("parent lookups = %d, want 4", parent.n)
	}
	// Errors are cached too.
	s.Define("bad", MustParse("{x} / 0"))
	parent.n = 0
	_, err := MustParse("{c} ? {bad} : {bad} + {bad}").Partial(s)
	if err != nil || parent.n != 2 { // c, then x once
		t.Errorf("Partial: %v, %d parent lookups, want 2", err, parent.n)
	}
	_, err = s.Lookup("bad")
	if !errors.Is(err, ErrDivByZero) || parent.n != 2 {
		t.Errorf("Lookup(bad) = %v after %d parent lookups", err, parent.n)
	}
}

func TestScopeCycles(t *testing.T) {
	s := NewScope(MapEnv{"p": Int(1)})
	s.Define("a", MustParse("{a} + 1"))
	_, err := s.Lookup("a")
	if err == nil || err.Error() != "{a} is defined in terms of itself: a → a" || !errors.Is(err, ErrCycle) {
		t.Errorf("direct cycle: %v", err)
	}

	s = NewScope(MapEnv{"p": Int(1)})
	s.Define("a", MustParse("{b} * 2"))
	s.Define("b", MustParse("{p} + {a}"))
	_, err = s.Lookup("a")
	if err == nil || err.Error() != "{a} is defined in terms of itself: a → b → a" || !errors.Is(err, ErrCycle) {
		t.Errorf("indirect cycle from a: %v", err)
	}
	_, err = s.Lookup("b")
	if err == nil || err.Error() != "{b} is defined in terms of itself: b → a → b" {
		t.Errorf("indirect cycle from b: %v", err)
	}
	_, err = MustParse("1 + {a}").Eval(s)
	if err == nil || err.Error() != "col 5: {a} is defined in terms of itself: a → b → a" || !errors.Is(err, ErrCycle) {
		t.Errorf("cycle in Eval: %v", err)
	}
	// A definition that leads into a cycle it is not part of.
	s.Define("x", MustParse("{p} + {a}"))
	_, err = s.Lookup("x")
	if err == nil || err.Error() != "in {x}: col 7: {a} is defined in terms of itself: a → b → a" || !errors.Is(err, ErrCycle) {
		t.Errorf("cycle behind x: %v", err)
	}
	// The scope recovers: after breaking the cycle everything resolves.
	s.Set("b", Int(5))
	lookupInt(t, s, "a", 10)
	lookupInt(t, s, "x", 11)

	// Each definition on a cycle tells it from itself, also from the cache.
	s = NewScope(nil)
	s.Define("a", MustParse("{b}"))
	s.Define("b", MustParse("{c}"))
	s.Define("c", MustParse("{a}"))
	for _, want := range []string{
		"{a} is defined in terms of itself: a → b → c → a",
		"{c} is defined in terms of itself: c → a → b → c",
		"{b} is defined in terms of itself: b → c → a → b",
	} {
		name := want[1:2]
		if _, err := s.Lookup(name); err == nil || err.Error() != want {
			t.Errorf("Lookup(%s) = %v, want %q", name, err, want)
		}
	}

	// A cycle in a branch that is not taken is no error.
	s = NewScope(nil)
	s.Define("a", MustParse("false ? {a} : 3"))
	lookupInt(t, s, "a", 3)
}

func TestScopeErrors(t *testing.T) {
	s := NewScope(MapEnv{"dtype_bytes": Int(2)})
	s.Define("weight_dtype_bytes", MustParse("{dtype_bytes} / 0"))
	_, err := s.Lookup("weight_dtype_bytes")
	if err == nil || err.Error() != "in {weight_dtype_bytes}: col 15: division by zero" || !errors.Is(err, ErrDivByZero) {
		t.Errorf("Lookup: %v", err)
	}
	_, err = MustParse("{weight_dtype_bytes} * 2").Eval(s)
	if err == nil || err.Error() != "col 1: in {weight_dtype_bytes}: col 15: division by zero" || !errors.Is(err, ErrDivByZero) {
		t.Errorf("Eval: %v", err)
	}
	var ee *Error
	if !errors.As(err, &ee) || ee.Col != 1 {
		t.Errorf("outer column: %v", err)
	}

	// Errors nest through definitions.
	s.Define("w", MustParse("1 + {weight_dtype_bytes}"))
	_, err = s.Lookup("w")
	if err == nil || err.Error() != "in {w}: col 5: in {weight_dtype_bytes}: col 15: division by zero" {
		t.Errorf("nested: %v", err)
	}

	// An unbound name inside a definition is ErrUnbound.
	s.Define("a", MustParse("{b} + 1"))
	_, err = s.Lookup("a")
	if err == nil || err.Error() != "in {a}: col 1: undefined variable {b}" || !errors.Is(err, ErrUnbound) {
		t.Errorf("unbound in definition: %v", err)
	}
	_, err = MustParse("2 * {a}").Eval(s)
	if err == nil || err.Error() != "col 5: in {a}: col 1: undefined variable {b}" || !errors.Is(err, ErrUnbound) {
		t.Errorf("unbound through Eval: %v", err)
	}
}

func TestScopePartial(t *testing.T) {
	config := MapEnv{"hidden_size": Int(4096)}
	s := NewScope(config)
	s.Define("head_dim", MustParse("{hidden_size} / {num_attention_heads}"))
	s.Define("bad", MustParse("1 / 0"))
	s.Define("loop", MustParse("{loop}"))
	e := MustParse("{head_dim} * {seq_len} + {hidden_size}")

	// head_dim cannot be resolved yet: it stays symbolic.
	p, err := e.Partial(s)
	if err != nil || p.String() != "{head_dim} * {seq_len} + 4096" {
		t.Errorf("Partial = %v, %v", p, err)
	}
	s.Set("num_attention_heads", Int(32))
	p, err = e.Partial(s)
	if err != nil || p.String() != "128 * {seq_len} + 4096" {
		t.Errorf("Partial = %v, %v", p, err)
	}
	// A definition that fails for another reason is an error where it is
	// certainly evaluated, and stays symbolic where it may not be.
	_, err = MustParse("{seq_len} + {bad}").Partial(s)
	if err == nil || err.Error() != "col 13: in {bad}: col 3: division by zero" || !errors.Is(err, ErrDivByZero) {
		t.Errorf("Partial with bad: %v", err)
	}
	_, err = MustParse("{seq_len} + {loop}").Partial(s)
	if !errors.Is(err, ErrCycle) {
		t.Errorf("Partial with loop: %v", err)
	}
	p, err = MustParse("{c} ? {bad} : {loop}").Partial(s)
	if err != nil || p.String() != "{c} ? {bad} : {loop}" {
		t.Errorf("Partial with bad in a branch = %v, %v", p, err)
	}
}

// TestScopeLongChains: errors through chains, fan-outs and cycles of 10,000 definitions name
// where the failure arose, so each message has a bounded size (the whole chain would be
// 10,000 nested "in {cN}: col 1:" prefixes).
func TestScopeLongChains(t *testing.T) {
	const n = 10000
	chain := func(first string) *Scope {
		s := NewScope(nil)
		s.Define("c0", MustParse(first))
		for i := 1; i < n; i++ {
			s.Define(fmt.Sprintf("c%d", i), MustParse(fmt.Sprintf("{c%d} + 1", i-1)))
		}
		return s
	}
	s := chain("1 / 0")
	total := 0
	for i := n - 1; i >= 0; i-- {
		_, err := s.Lookup(fmt.Sprintf("c%d", i))
		if !errors.Is(err, ErrDivByZero) {
			t.Fatalf("c%d: %v", i, err)
		}
		if names, ok := DefinitionError(err); !ok || len(names) != 1 || names[0] != "c0" {
			t.Fatalf("c%d: DefinitionError = %v, %v", i, names, ok)
		}
		total += len(err.Error())
	}
	if _, err := s.Lookup("c9999"); err.Error() != "in {c9999}: col 1: in {c0}: col 3: division by zero" {
		t.Errorf("c9999: %v", err)
	}
	if _, err := s.Lookup("c0"); err.Error() != "in {c0}: col 3: division by zero" {
		t.Errorf("c0: %v", err)
	}
	if total > 60*n {
		t.Errorf("the messages of %d definitions take %d bytes", n, total)
	}

	// An unbound name at the base stays ErrUnbound all the way up (Partial leaves it symbolic).
	s = chain("{nope}")
	if _, err := s.Lookup("c9999"); !errors.Is(err, ErrUnbound) || err.Error() != "in {c9999}: col 1: in {c0}: col 1: undefined variable {nope}" {
		t.Errorf("unbound base: %v", err)
	}

	// A cycle of n: each member tells it from itself, in a message of bounded size.
	s = chain(fmt.Sprintf("{c%d} + 1", n-1))
	_, err := s.Lookup("c0")
	want := "{c0} is defined in terms of itself: c0 → c9999 → c9998 → c9997 → c9996 → … → c4 → c3 → c2 → c1 → c0 (10000 definitions)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrCycle) {
		t.Errorf("cycle: %v", err)
	}
	_, err = s.Lookup("c5000")
	want = "{c5000} is defined in terms of itself: c5000 → c4999 → c4998 → c4997 → c4996 → … → c5004 → c5003 → c5002 → c5001 → c5000 (10000 definitions)"
	if err == nil || err.Error() != want {
		t.Errorf("cycle from c5000: %v", err)
	}
	if names, ok := DefinitionError(err); !ok || len(names) != n {
		t.Errorf("DefinitionError of the cycle: %d names, %v", len(names), ok)
	}
}
