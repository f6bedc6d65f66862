package expr

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Property tests over random expressions and environments: the canonical text
// round-trips, and partial evaluation agrees with evaluation.

var sentinels = []error{ErrSyntax, ErrUnbound, ErrType, ErrDivByZero, ErrNotInteger, ErrTooLarge, ErrCycle, ErrIndex}

// errKind is the sentinel an error wraps (nil for no error).
func errKind(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// sameResult reports whether two evaluations agree: equal values, or errors of
// the same kind.
func sameResult(v1 Value, err1 error, v2 Value, err2 error) bool {
	if err1 != nil || err2 != nil {
		return errKind(err1) == errKind(err2)
	}
	return v1.Equal(v2)
}

var genVars = []string{"a", "b", "c", "d", "flag", "s", "l"}

var genLeaves = []string{"0", "1", "2", "3", "7", "0.5", "1e-3", "2.5E1", "true", "false",
	"1180591620717411303424", "{a}", "{b}", "{c}", "{d}", "{flag}", "{a}", "{b}", "{u}",
	"'x'", `'it\'s'`, "{s}", "{l}", "[1, 'x', true]", "[]"}

var genBinary = []string{"+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
	"+", "-", "*", "/"}

func genExpr(r *rand.Rand, depth int) string {
	if depth <= 0 || r.IntN(5) == 0 {
		return genLeaves[r.IntN(len(genLeaves))]
	}
	sub := func() string {
		s := genExpr(r, depth-1)
		if r.IntN(3) > 0 {
			return "(" + s + ")"
		}
		return s
	}
	switch r.IntN(13) {
	case 10:
		return sub() + "[" + genExpr(r, depth-1) + "]"
	case 11:
		return sub() + " in " + sub()
	case 12:
		if r.IntN(2) == 0 {
			return "len(" + genExpr(r, depth-1) + ")"
		}
		return "[" + genExpr(r, depth-1) + ", " + genExpr(r, depth-1) + "]"
	case 0:
		return []string{"-", "+", "!"}[r.IntN(3)] + sub()
	case 1:
		return sub() + " ? " + sub() + " : " + sub()
	case 2:
		f := []string{"min", "max", "ceil", "floor"}[r.IntN(4)]
		n := 1
		if f == "min" || f == "max" {
			n += r.IntN(3)
		}
		args := make([]string, n)
		for i := range args {
			args[i] = genExpr(r, depth-1)
		}
		return f + "(" + strings.Join(args, ", ") + ")"
	}
	op := genBinary[r.IntN(len(genBinary))]
	if op == "**" { // keep the powers small
		return sub() + " ** " + []string{"2", "3", "-1", "0", "(1/2)", "{a}", "{b}", "-2"}[r.IntN(8)]
	}
	return sub() + " " + op + " " + sub()
}

var genValues = []Value{Int(0), Int(1), Int(-1), Int(2), Int(3), Int(-7), Int(1 << 40), rat(1, 2), rat(-1, 3), rat(5, 4), Bool(true), Bool(false),
	String("x"), String("it's"), List([]Value{Int(1), String("x")}), List(nil), List([]Value{Int(0), Int(1), Int(2)})}

func genEnv(r *rand.Rand) MapEnv {
	env := MapEnv{}
	for _, name := range genVars {
		if r.IntN(8) > 0 {
			env[name] = genValues[r.IntN(len(genValues))]
		}
	}
	return env
}

// split divides env into two disjoint parts at random.
func split(r *rand.Rand, env MapEnv) (a, b MapEnv) {
	a, b = MapEnv{}, MapEnv{}
	for k, v := range env {
		if r.IntN(2) == 0 {
			a[k] = v
		} else {
			b[k] = v
		}
	}
	return a, b
}

// checkInvariants checks the round trip and partial evaluation of e under env
// split into a and b.
func checkInvariants(t *testing.T, e *Expr, a, b MapEnv) {
	t.Helper()
	full := MapEnv{}
	for k, v := range b {
		full[k] = v
	}
	for k, v := range a {
		full[k] = v
	}
	want, werr := e.Eval(full)

	// Canonical text: parses, is idempotent, means the same.
	s := e.String()
	if len(s) <= MaxLength {
		c, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(String()) of %q: %q: %v", e.Source(), s, err)
		}
		if c.String() != s {
			t.Fatalf("String not idempotent for %q:\n%q\n%q", e.Source(), s, c.String())
		}
		if got, err := c.Eval(full); !sameResult(got, err, want, werr) {
			t.Fatalf("%q and its canonical %q differ under %v: %v, %v vs %v, %v", e.Source(), s, full, got, err, want, werr)
		}
	}

	// Partial evaluation.
	p, perr := e.Partial(a)
	if perr != nil {
		if werr == nil {
			t.Fatalf("%q: Partial(%v) failed (%v) but Eval(%v) = %v", e.Source(), a, perr, full, want)
		}
	} else {
		got, err := p.Eval(b)
		if !sameResult(got, err, want, werr) {
			t.Fatalf("%q: Partial(%v) = %q, which under %v gives %v, %v; Eval(%v) = %v, %v", e.Source(), a, p, b, got, err, full, want, werr)
		}
		if len(p.String()) <= MaxLength {
			c, cerr := Parse(p.String())
			if cerr != nil {
				t.Fatalf("%q: Parse(Partial = %q): %v", e.Source(), p, cerr)
			}
			if c.String() != p.String() {
				t.Fatalf("Partial text not canonical: %q -> %q", p, c)
			}
			if !reflect.DeepEqual(c.Vars(), p.Vars()) {
				t.Fatalf("Partial(%q) = %q: Vars() = %v, but the text has %v", e.Source(), p, p.Vars(), c.Vars())
			}
			if got, err := c.Eval(b); !sameResult(got, err, want, werr) {
				t.Fatalf("%q: reparsed Partial %q under %v gives %v, %v; want %v, %v", e.Source(), p, b, got, err, want, werr)
			}
		}
	}

	// With every variable known, Partial is the value or the error (a host
	// function the Env does not give stays a call, like an unknown name).
	if usesHost(e) {
		return
	}
	for _, name := range e.VarNames() {
		if _, ok := full[name]; !ok {
			return
		}
	}
	p, perr = e.Partial(full)
	switch {
	case werr != nil && perr == nil:
		t.Fatalf("%q: Eval(%v) failed (%v) but Partial gave %q", e.Source(), full, werr, p)
	case werr == nil && perr != nil:
		t.Fatalf("%q: Eval(%v) = %v but Partial failed: %v", e.Source(), full, want, perr)
	case werr == nil:
		if v, ok := p.IsConst(); !ok || !v.Equal(want) {
			t.Fatalf("%q: Partial(%v) = %q, want the constant %v", e.Source(), full, p, want)
		}
	}
}

func TestRandomInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	parsed := 0
	for range n {
		src := genExpr(r, 1+r.IntN(5))
		e, err := Parse(src)
		if err != nil {
			continue // a chained comparison, most likely
		}
		parsed++
		a, b := split(r, genEnv(r))
		checkInvariants(t, e, a, b)
	}
	if parsed < n/2 {
		t.Errorf("only %d of %d random expressions parsed", parsed, n)
	}
}

// usesHost reports whether the expression calls a host function.
func usesHost(e *Expr) bool {
	for i := range e.nodes {
		if n := &e.nodes[i]; n.op == opCall && n.fn == fnActivation {
			return true
		}
	}
	return false
}
