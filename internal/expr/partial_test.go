package expr

import (
	"errors"
	"math/big"
	"reflect"
	"testing"
)

func TestPartial(t *testing.T) {
	env := MapEnv{
		"hidden_size": Int(4096), "num_key_value_heads": Int(8), "head_dim": Int(128),
		"t": Bool(true), "f": Bool(false), "one": Int(1), "minus4": Int(-4), "minus2": Int(-2),
		"half": rat(1, 2), "third": rat(1, 3), "mthird": rat(-1, 3), "seven": Int(7), "zero": Int(0),
	}
	tests := []struct{ src, want string }{
		{"{batch_size} * {seq_len} * {hidden_size}", "{batch_size} * {seq_len} * 4096"},
		{"{num_key_value_heads} * {head_dim}", "1024"},
		{"{a} + 2 * 3", "{a} + 6"},
		{"2 * {a} * 3", "2 * {a} * 3"}, // no reassociation
		{"(1 + 2) * {a}", "3 * {a}"},
		{"{a} * ({hidden_size} / 2)", "{a} * 2048"},
		{"{a} - {minus4}", "{a} - -4"},
		{"{minus2} ** {a}", "(-2) ** {a}"},
		{"{a} ** {half}", "{a} ** 0.5"},
		{"{a} ** {third}", "{a} ** (1 / 3)"},
		{"{a} ** {mthird}", "{a} ** (-1 / 3)"},
		{"{one} / 3", "1 / 3"},
		{"{one} / 3 * {b}", "1 / 3 * {b}"},
		{"{b} * ({one} / 3)", "{b} * (1 / 3)"},
		{"{b} / ({one} / 3)", "{b} / (1 / 3)"},
		{"{b} - {third}", "{b} - 1 / 3"},
		{"{b} - {mthird}", "{b} - -1 / 3"},
		{"-{third} * {b}", "-1 / 3 * {b}"},
		{"{mthird} ** {b}", "(-1 / 3) ** {b}"},
		{"{half} ** {b}", "0.5 ** {b}"},
		{"-{b}", "-{b}"},
		{"-{minus4} + {b}", "4 + {b}"},
		// logic
		{"false && {x}", "false"},
		{"{f} && {x}", "false"},
		{"true || {x}", "true"},
		{"{t} || {x}", "true"},
		{"true && {x} > 1", "{x} > 1"},
		{"false || !{x}", "!{x}"},
		{"true && ({x} && {y})", "{x} && {y}"},
		{"true && ({c} ? {x} > 1 : false)", "{c} ? {x} > 1 : false"},
		{"true && {x}", "true && {x}"},                               // {x} may be a number: keep the check
		{"false || {x}", "false || {x}"},                             // likewise
		{"true && ({c} ? {x} : true)", "true && ({c} ? {x} : true)"}, // likewise
		{"{x} && true", "{x} && true"},
		{"{x} || {f}", "{x} || false"},
		{"{t} && {f}", "false"},
		{"!{t}", "false"},
		// conditionals
		{"{t} ? {a} : {b}", "{a}"},
		{"{f} ? {a} : {b}", "{b}"},
		{"{c} ? {a} : {b}", "{c} ? {a} : {b}"},
		{"{c} ? {hidden_size} / 2 : 1 + 1", "{c} ? 2048 : 2"},
		{"{hidden_size} > 1024 ? {a} * 2 : {b}", "{a} * 2"},
		{"{zero} == 0 ? 0 : 1 / {zero}", "0"},
		// errors in branches that may not be taken stay unfolded
		{"{c} ? 1 / 0 : 2", "{c} ? 1 / 0 : 2"},
		{"{c} ? 2 : {seven} // {zero}", "{c} ? 2 : 7 // 0"},
		{"{c} && 1 / 0 > 0", "{c} && 1 / 0 > 0"},
		{"{c} || 1 + true", "{c} || 1 + true"},
		{"{c} ? 1 ? 2 : 3 : 4", "{c} ? 1 ? 2 : 3 : 4"},
		{"{c} ? true && 1 : 4", "{c} ? true && 1 : 4"},
		{"{c} ? 1 && {x} : 4", "{c} ? 1 && {x} : 4"},
		{"{c} ? min(1, true) : 4", "{c} ? min(1, true) : 4"},
		{"{c} ? -true : 4", "{c} ? -true : 4"},
		{"{c} ? 2 ** 0.5 : 4", "{c} ? 2 ** 0.5 : 4"},
		{"{c} ? 10 ** 10 ** 10 : 4", "{c} ? 10 ** 10000000000 : 4"},
		// type errors on unknown operands are left to evaluation
		{"{a} + true", "{a} + true"},
		// functions
		{"min({a}, 4096, 2048)", "min({a}, 4096, 2048)"},
		{"min({hidden_size}, 2048 * 4)", "4096"},
		{"max({a}, {hidden_size} * 2)", "max({a}, 8192)"},
		{"ceil({seven} / 2)", "4"},
		{"floor({a} / {seven})", "floor({a} / 7)"},
		{"min(max({a}, 1), ceil({half}))", "min(max({a}, 1), 1)"},
		// nothing known
		{"{a}", "{a}"},
		{"(({a}))", "{a}"},
		{"1.50", "1.5"},
		{"2 ** -1", "0.5"},
		{"1 / 3", "1 / 3"},
	}
	for _, tt := range tests {
		e := MustParse(tt.src)
		p, err := e.Partial(env)
		if err != nil {
			t.Errorf("Partial(%q): %v", tt.src, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("Partial(%q) = %q, want %q", tt.src, got, tt.want)
			continue
		}
		if p.Source() != tt.want {
			t.Errorf("Partial(%q).Source() = %q", tt.src, p.Source())
		}
		// The text is canonical and says the same thing as the tree.
		re, err := Parse(tt.want)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.want, err)
			continue
		}
		if re.String() != tt.want {
			t.Errorf("Parse(%q).String() = %q", tt.want, re.String())
		}
		if !reflect.DeepEqual(re.Vars(), p.Vars()) {
			t.Errorf("Partial(%q).Vars() = %v, want %v", tt.src, p.Vars(), re.Vars())
		}
	}
}

func TestPartialConst(t *testing.T) {
	e := MustParse("{num_key_value_heads} * {head_dim}")
	p, err := e.Partial(MapEnv{"num_key_value_heads": Int(8), "head_dim": Int(128)})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.IsConst(); !ok || !v.Equal(Int(1024)) {
		t.Errorf("IsConst() = %v, %v; want 1024", v, ok)
	}
	if len(p.Vars()) != 0 || len(p.VarNames()) != 0 {
		t.Errorf("constant has variables %v", p.Vars())
	}
	p, err = MustParse("{batch_size} * {seq_len} * {hidden_size}").Partial(MapEnv{"hidden_size": Int(4096)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []VarRef{{"batch_size", 1}, {"seq_len", 16}}; !reflect.DeepEqual(p.Vars(), want) {
		t.Errorf("Vars() = %v, want %v", p.Vars(), want)
	}
	if _, ok := p.IsConst(); ok {
		t.Errorf("IsConst() of %q", p)
	}
	// Partial of a partial result.
	p2, err := p.Partial(MapEnv{"batch_size": Int(2)})
	if err != nil || p2.String() != "2 * {seq_len} * 4096" {
		t.Errorf("second Partial = %v, %v", p2, err)
	}
	p3, err := p2.Partial(MapEnv{"seq_len": Int(2048)})
	if v, ok := p3.IsConst(); err != nil || !ok || !v.Equal(Int(2*2048*4096)) {
		t.Errorf("third Partial = %v, %v", p3, err)
	}
}

func TestPartialErrors(t *testing.T) {
	env := MapEnv{"zero": Int(0), "t": Bool(true), "n": Int(2)}
	tests := []struct {
		src  string
		col  int
		kind error
	}{
		{"1 / 0", 3, ErrDivByZero},
		{"{a} + 1 / 0", 9, ErrDivByZero},      // {a} is unknown, but 1 / 0 is evaluated whatever it is
		{"1 / {zero} + {a}", 3, ErrDivByZero}, // likewise
		{"{t} ? 1 / {zero} : {a}", 9, ErrDivByZero},
		{"{t} && 1", 5, ErrType},
		{"true && {n}", 6, ErrType},
		{"{n} || {a}", 5, ErrType},
		{"{n} ? 1 : 2", 5, ErrType},
		{"!{n}", 1, ErrType},
		{"{a} * min(1, true)", 7, ErrType},
		{"{a} * ceil({t})", 7, ErrType},
		{"{a} * {n} ** 0.5", 11, ErrNotInteger},
		{"{a} + 10 ** 10 ** 10", 10, ErrTooLarge},
		{"{a} == {t} + 1", 12, ErrType},
	}
	for _, tt := range tests {
		e := MustParse(tt.src)
		p, err := e.Partial(env)
		var pe *Error
		if !errors.As(err, &pe) || pe.Col != tt.col || !errors.Is(err, tt.kind) {
			t.Errorf("Partial(%q) = %v, %v; want col %d, %v", tt.src, p, err, tt.col, tt.kind)
		}
	}
	// Errors of a Partial result point into its own text.
	p, err := MustParse("({a}  +  true)").Partial(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(MapEnv{"a": Int(1)})
	if err == nil || err.Error() != `col 5: "+" needs numbers, not a boolean` {
		t.Errorf("Eval(%q) = %v", p, err)
	}
	p, err = MustParse("{c} ? 2 : {seven} // {zero}").Partial(MapEnv{"seven": Int(7), "zero": Int(0)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(MapEnv{"c": Bool(false)})
	if err == nil || err.Error() != "col 13: division by zero" {
		t.Errorf("Eval(%q) = %v", p, err)
	}
}

func TestPartialEnvErrors(t *testing.T) {
	boom := errors.New("boom")
	// Strict position: the Env's error is returned.
	_, err := MustParse("1 + {x}").Partial(errEnv{boom})
	if err == nil || err.Error() != "col 5: {x}: boom" || !errors.Is(err, boom) {
		t.Errorf("strict: %v", err)
	}
	_, err = MustParse("1 + {x}").Partial(MapEnv{"x": {}})
	if !errors.Is(err, ErrType) {
		t.Errorf("invalid value: %v", err)
	}
	// In a branch that may not be taken, the variable stays symbolic.
	p, err := MustParse("{c} ? {x} : 1").Partial(funcEnv(func(name string) (Value, error) {
		if name == "x" {
			return Value{}, boom
		}
		return Value{}, ErrUnbound
	}))
	if err != nil || p.String() != "{c} ? {x} : 1" {
		t.Errorf("branch: %v, %v", p, err)
	}
	// An Env's error wrapping ErrUnbound means unknown.
	p, err = MustParse("1 + {x}").Partial(errEnv{errors.Join(boom, ErrUnbound)})
	if err != nil || p.String() != "1 + {x}" {
		t.Errorf("wrapped ErrUnbound: %v, %v", p, err)
	}
}

// TestPartialHugeConstants: values that no number literal can write still
// print as text that parses back to them.
func TestPartialHugeConstants(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"10 ** 5000", "{a} + 10 ** 5000"},
		{"2 ** 20000", "{a} + 2 ** 20000"},
		{"-(2 ** 20000) - 1", "{a} * (-(2 ** 20000) - 1)"},
		{"10 ** 8000 + 1", "{a} - (10 ** 8000 + 1)"},
		{"a chunk of zeros", "{a} + 10 ** 9000 + 7"},
		{"1 / 2 ** 20000", "{a} + 1 / 2 ** 20000"},
		{"-1 / 3 ** 10000", "{a} + -1 / 3 ** 10000"},
		{"2 ** 20000 / 3 ** 10000", "{a} * (2 ** 20000 / 3 ** 10000)"},
		{"(2 ** 20000 + 1) / 10 ** 5000", "{a} ** (2 ** 20000 + 1) / 10 ** 5000"},
		{"10 ** -4096 * 3", "{a} + 10 ** -4096 * 3"},
		{"10 ** -4097", "{a} + 10 ** -4097"},
	}
	env := MapEnv{"a": rat(7, 2)}
	for _, tt := range tests {
		e := MustParse(tt.src)
		p, err := e.Partial(nil)
		if err != nil {
			t.Errorf("%s: Partial: %v", tt.name, err)
			continue
		}
		re, err := Parse(p.String())
		if err != nil {
			t.Errorf("%s: Parse(%.100q): %v", tt.name, p.String(), err)
			continue
		}
		if re.String() != p.String() {
			t.Errorf("%s: not idempotent:\n%.200q\n%.200q", tt.name, p.String(), re.String())
		}
		want, werr := e.Eval(env)
		for _, x := range []*Expr{p, re} {
			got, err := x.Eval(env)
			if (err != nil) != (werr != nil) || err == nil && !got.Equal(want) {
				t.Errorf("%s: %.80q = %.80v, %v; want %.80v, %v", tt.name, x.String(), got, err, want, werr)
			}
		}
	}
	if s := Const(BigInt(pow10Int(8000))).String(); s != "1 * 10 ** 8000" {
		t.Errorf("10^8000 = %.60q…", s)
	}
	want := "-(1 * 10 ** 8000 + 2 * 10 ** 4000 + 3)"
	n := new(big.Int).Add(pow10Int(8000), new(big.Int).Mul(big.NewInt(2), pow10Int(4000)))
	if s := Const(BigInt(n.Neg(n.Add(n, big.NewInt(3))))).String(); s != want {
		t.Errorf("-(10^8000 + 2·10^4000 + 3) = %.60q…, want %q", s, want)
	}
}

type funcEnv func(string) (Value, error)

func (f funcEnv) Lookup(name string) (Value, error) { return f(name) }

// TestConcurrentUse: an Expr may be used from several goroutines at once (run
// with -race).
func TestConcurrentUse(t *testing.T) {
	e := MustParse("{a} * 1e30 / 3 + ({c} ? min({a}, 2 ** 70) : 0.5)")
	p, err := e.Partial(MapEnv{"c": Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				env := MapEnv{"a": Int(int64(i)), "c": Bool(true)}
				v1, err1 := e.Eval(env)
				v2, err2 := p.Eval(env)
				if err1 != nil || err2 != nil || !v1.Equal(v2) {
					t.Errorf("%v, %v / %v, %v", v1, err1, v2, err2)
					return
				}
				_ = e.String()
				_ = p.String()
				_ = e.Vars()
				if _, err := e.Partial(env); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
