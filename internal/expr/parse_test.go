package expr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestCanonical checks precedence and associativity through the canonical text:
// the parentheses it keeps are exactly those the tree needs.
func TestCanonical(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{a}+{b}*{c}", "{a} + {b} * {c}"},
		{"({a}+{b})*{c}", "({a} + {b}) * {c}"},
		{"{a}*({b}+{c})", "{a} * ({b} + {c})"},
		{"{a}-({b}-{c})", "{a} - ({b} - {c})"},
		{"({a}-{b})+{c}", "{a} - {b} + {c}"},
		{"{a} + ({b} + {c})", "{a} + ({b} + {c})"},
		{"{a}/({b}*{c})", "{a} / ({b} * {c})"},
		{"{a}/{b}*{c}", "{a} / {b} * {c}"},
		{"{a}//{b}%{c}", "{a} // {b} % {c}"},
		{"{a}%({b}//{c})", "{a} % ({b} // {c})"},
		{"2**3**2", "2 ** 3 ** 2"},
		{"2**(3**2)", "2 ** 3 ** 2"},
		{"(2**3)**2", "(2 ** 3) ** 2"},
		{"(-2)**2", "(-2) ** 2"},
		{"-2**2", "-2 ** 2"},
		{"-(2**2)", "-2 ** 2"},
		{"2**-1", "2 ** -1"},
		{"2**(-1)", "2 ** -1"},
		{"2 ** -2 ** 2", "2 ** -2 ** 2"},
		{"{a}**(1/2)", "{a} ** (1 / 2)"},
		{"{a}*{b}**2", "{a} * {b} ** 2"},
		{"({a}*{b})**2", "({a} * {b}) ** 2"},
		{"-{a}**2", "-{a} ** 2"},
		{"(-{a})**2", "(-{a}) ** 2"},
		{"min({a},2)**2", "min({a}, 2) ** 2"},
		{"- {x}", "-{x}"},
		{"+ {x}", "+{x}"},
		{"! {b}", "!{b}"},
		{"!!{b}", "!!{b}"},
		{"- -{x}", "--{x}"},
		{"-(-{x})", "--{x}"},
		{"-(1 + 2)", "-(1 + 2)"},
		{"!({a} && {b})", "!({a} && {b})"},
		{"{a} - -1", "{a} - -1"},
		{"{a}*-{b}", "{a} * -{b}"},
		{"{a}-(-{b})", "{a} - -{b}"},
		{"min({a},4096)", "min({a}, 4096)"},
		{"max( {a} , {b} , 3 )", "max({a}, {b}, 3)"},
		{"ceil({a}/{b})", "ceil({a} / {b})"},
		{"floor(({a}))", "floor({a})"},
		{"min({a} ? 1 : 2, 3)", "min({a} ? 1 : 2, 3)"},
		{"{c}?{a}:{b}", "{c} ? {a} : {b}"},
		{"{c}?{a}:{d}?{e}:{f}", "{c} ? {a} : {d} ? {e} : {f}"},
		{"{c}?{a}:({d}?{e}:{f})", "{c} ? {a} : {d} ? {e} : {f}"},
		{"({c}?{a}:{b})?{d}:{e}", "({c} ? {a} : {b}) ? {d} : {e}"},
		{"{c} ? ({a} ? 1 : 2) : 3", "{c} ? {a} ? 1 : 2 : 3"},
		{"{a} || {b} ? 1 : 2", "{a} || {b} ? 1 : 2"},
		{"({a} < {b}) == true", "({a} < {b}) == true"},
		{"{a} < ({b} < {c})", "{a} < ({b} < {c})"},
		{"{a} + 1 < {b} * 2", "{a} + 1 < {b} * 2"},
		{"{a} && {b} || {c}", "{a} && {b} || {c}"},
		{"{a} || {b} && {c}", "{a} || {b} && {c}"},
		{"({a} || {b}) && {c}", "({a} || {b}) && {c}"},
		{"{a} && ({b} || {c})", "{a} && ({b} || {c})"},
		{"{a} && ({b} && {c})", "{a} && ({b} && {c})"},
		{"{a} == {b} && {c} != {d}", "{a} == {b} && {c} != {d}"},
		{"(({a}))", "{a}"},
		{"\t{a}\n+\r{b} ", "{a} + {b}"},
		{"true&&false", "true && false"},
		{"1.50", "1.5"},
		{"1e3", "1000"},
		{"2.5E3", "2500"},
		{"1e-5", "0.00001"},
		{"0.10", "0.1"},
		{"0.0", "0"},
		{"1e400", "1" + strings.Repeat("0", 400)},
		{"10e4095", "1e4096"},
		{"1e4096", "1e4096"},
		{"15e4094", "15" + strings.Repeat("0", 4094)},
		{"15e4095", "15e4095"},
		{"15e4096", "15e4096"},
		{"5e-4096", "5e-4096"},
		{"5e-4095", "0." + strings.Repeat("0", 4094) + "5"},
		{"{batch_size} * {seq_len} * {num_experts_per_tok} / {num_local_experts}",
			"{batch_size} * {seq_len} * {num_experts_per_tok} / {num_local_experts}"},
		{"2*{num_tokens}*{in_features}*{out_features}+({bias}?{num_tokens}*{out_features}:0)",
			"2 * {num_tokens} * {in_features} * {out_features} + ({bias} ? {num_tokens} * {out_features} : 0)"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got := e.String()
		if got != tt.want {
			t.Errorf("Parse(%q).String() = %.80q, want %.80q", tt.src, got, tt.want)
			continue
		}
		if e.Source() != tt.src {
			t.Errorf("Source() = %q, want %q", e.Source(), tt.src)
		}
		e2, err := Parse(got)
		if err != nil {
			t.Errorf("Parse(canonical %q): %v", got, err)
			continue
		}
		if again := e2.String(); again != got {
			t.Errorf("canonical text not idempotent: %q -> %q", got, again)
		}
	}
}

// TestCanonicalParens checks that the minimal parenthesisation does not change
// meaning, on values where the trees differ.
func TestCanonicalParens(t *testing.T) {
	tests := []struct {
		src  string
		want Value
	}{
		{"(2 ** 3) ** 2", Int(64)},
		{"2 ** 3 ** 2", Int(512)},
		{"-2 ** 2", Int(-4)},
		{"(-2) ** 2", Int(4)},
		{"2 ** -1", rat(1, 2)},
		{"2 ** -2 ** 2", rat(1, 16)},
		{"10 - (4 - 3)", Int(9)},
		{"10 - 4 - 3", Int(3)},
		{"2 * 3 + 4", Int(10)},
		{"2 * (3 + 4)", Int(14)},
		{"12 / 2 / 3", Int(2)},
		{"12 / (2 / 3)", Int(18)},
		{"2 + 3 * 4 ** 2", Int(50)},
		{"-3 // 2", Int(-2)},
		{"-(3 // 2)", Int(-1)},
		{"true || false && false", Bool(true)},
		{"(true || false) && false", Bool(false)},
		{"!true || true", Bool(true)},
		{"!(true || true)", Bool(false)},
		{"1 < 2 == true", Value{}}, // parse error: chained comparison, see TestParseErrors
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if !tt.want.IsValid() {
			if err == nil {
				t.Errorf("Parse(%q) succeeded", tt.src)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		for _, x := range []*Expr{e, MustParse(e.String())} {
			v, err := x.Eval(nil)
			if err != nil || !v.Equal(tt.want) {
				t.Errorf("%q = %v, %v; want %v", x.Source(), v, err, tt.want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src  string
		col  int
		msg  string // a part of the message
		kind error
	}{
		{"", 1, "empty expression", ErrSyntax},
		{"   ", 1, "empty expression", ErrSyntax},
		{"{a} + + ", 9, "unexpected end", ErrSyntax},
		{"1 +", 4, "unexpected end", ErrSyntax},
		{"-", 2, "unexpected end", ErrSyntax},
		{"!", 2, "unexpected end", ErrSyntax},
		{"* 2", 1, `found "*"`, ErrSyntax},
		{"**2", 1, `found "**"`, ErrSyntax},
		{"1 ** ** 2", 6, `found "**"`, ErrSyntax},
		{"{a", 1, `missing "}"`, ErrSyntax},
		{"{", 1, "unterminated", ErrSyntax},
		{"{ a }", 2, "write {a}", ErrSyntax},
		{"{a }", 3, `unexpected " "`, ErrSyntax},
		{"{ 1 }", 2, "no spaces", ErrSyntax},
		{"{1a}", 2, "must start with a letter", ErrSyntax},
		{"{}", 1, "empty variable name", ErrSyntax},
		{"{a b}", 3, `unexpected " "`, ErrSyntax},
		{"{a.b}", 3, `unexpected "."`, ErrSyntax},
		{"{a-b}", 3, `unexpected "-"`, ErrSyntax},
		{"{-}", 2, `unexpected "-"`, ErrSyntax},
		{"1 + {é}", 6, `unexpected "é"`, ErrSyntax},
		{"1 2", 3, "found number 2", ErrSyntax},
		{"{a} {b}", 5, "found variable {b}", ErrSyntax},
		{"{a}{b}", 4, "expected an operator", ErrSyntax},
		{"2 x", 3, "found name x", ErrSyntax},
		{"(1 + 2", 1, `unclosed "("`, ErrSyntax},
		{"((1)", 1, `unclosed "("`, ErrSyntax},
		{"(1))", 4, `unmatched ")"`, ErrSyntax},
		{")", 1, `found ")"`, ErrSyntax},
		{"(1 2)", 4, `expected ")"`, ErrSyntax},
		{"()", 2, `found ")"`, ErrSyntax},
		{"1 = 2", 3, `"=="`, ErrSyntax},
		{"1 & 2", 3, `"&&"`, ErrSyntax},
		{"1 | 2", 3, `"||"`, ErrSyntax},
		{"1 $ 2", 3, `unexpected character "$"`, ErrSyntax},
		{"1 é", 3, `unexpected character "é"`, ErrSyntax},
		{"1 \xff", 3, `unexpected character "\xff"`, ErrSyntax},
		{"a", 1, "write {a}", ErrSyntax},
		{"hidden_size * 2", 1, "{hidden_size}", ErrSyntax},
		{"2 * hidden_size", 5, "{hidden_size}", ErrSyntax},
		{"sqrt(4)", 1, "unknown function sqrt (the functions are activation, ceil, floor, is_boolean, is_list, is_number, is_string, len, max, min)", ErrSyntax},
		{"min", 1, "min is a function", ErrSyntax},
		{"min + 1", 1, "min is a function", ErrSyntax},
		{"min()", 1, "at least one argument", ErrSyntax},
		{"ceil(1, 2)", 1, "exactly one argument", ErrSyntax},
		{"floor()", 1, "at least one argument", ErrSyntax},
		{"min(1,)", 7, `found ")"`, ErrSyntax},
		{"min(1 2)", 7, `expected "," or ")"`, ErrSyntax},
		{"min(1", 1, "unclosed", ErrSyntax},
		{"true(1)", 5, `found "("`, ErrSyntax},
		{"{a} < {b} < {c}", 11, "cannot be chained", ErrSyntax},
		{"1 == 2 == 3", 8, "cannot be chained", ErrSyntax},
		{"1 < 2 == true", 7, "cannot be chained", ErrSyntax},
		{"1 + 2 < 3 + 4 >= 5", 15, "cannot be chained", ErrSyntax},
		{"{a} ? 1", 8, `expected ":"`, ErrSyntax},
		{"{a} ? 1 ; 2", 9, `unexpected character ";"`, ErrSyntax},
		{"{a} ? 1 , 2", 9, `expected ":" for the "?" at col 5`, ErrSyntax},
		{"1 : 2", 3, `found ":"`, ErrSyntax},
		{"1, 2", 2, `found ","`, ErrSyntax},
		{".5", 1, "write 0.5", ErrSyntax},
		{"1 + .5", 5, "write 0.5", ErrSyntax},
		{"5.", 3, "digit after the decimal point", ErrSyntax},
		{"5. + 1", 3, "digit after the decimal point", ErrSyntax},
		{"01", 1, "leading zeros", ErrSyntax},
		{"1 + 007", 5, "leading zeros", ErrSyntax},
		{"1e", 3, "exponent", ErrSyntax},
		{"2x", 2, `unexpected "x" after the number 2`, ErrSyntax},
		{"0x1F", 2, `unexpected "x"`, ErrSyntax},
		{"1.2.3", 4, `unexpected "."`, ErrSyntax},
		{"1 . 2", 3, `unexpected "."`, ErrSyntax},
		{"1e4097", 1, "exponent", ErrTooLarge},
		{"1 + " + strings.Repeat("7", 5000), 5, "5000 digits", ErrTooLarge},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want an error", tt.src, e)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error %v is not *Error", tt.src, err)
			continue
		}
		if pe.Col != tt.col || !strings.Contains(pe.Msg, tt.msg) || !errors.Is(err, tt.kind) {
			t.Errorf("Parse(%.40q) = %v\n\twant col %d, message with %q, %v", tt.src, err, tt.col, tt.msg, tt.kind)
		}
		if !strings.HasPrefix(err.Error(), "col ") {
			t.Errorf("Error() = %q, want \"col N: …\"", err.Error())
		}
	}
}

func TestErrorString(t *testing.T) {
	err := &Error{Col: 3, Msg: "division by zero", Err: ErrDivByZero}
	if got := err.Error(); got != "col 3: division by zero" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, ErrDivByZero) || err.Unwrap() != ErrDivByZero {
		t.Errorf("Unwrap")
	}
}

func TestVars(t *testing.T) {
	e := MustParse("{b} * ({a} + {b}) ? min({c_1}, {_x}) : {a}")
	want := []VarRef{{"b", 1}, {"a", 8}, {"b", 14}, {"c_1", 25}, {"_x", 32}, {"a", 40}}
	if got := e.Vars(); !reflect.DeepEqual(got, want) {
		t.Errorf("Vars() = %v, want %v", got, want)
	}
	e.Vars()[0].Name = "changed"
	if e.Vars()[0].Name != "b" {
		t.Errorf("Vars() does not return a copy")
	}
	if got, want := e.VarNames(), []string{"_x", "a", "b", "c_1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("VarNames() = %v, want %v", got, want)
	}
	if got := MustParse("1 + 2").VarNames(); len(got) != 0 {
		t.Errorf("VarNames() = %v, want none", got)
	}
	if got := MustParse("1 + 2").Vars(); len(got) != 0 {
		t.Errorf("Vars() = %v, want none", got)
	}
}

func TestIsConst(t *testing.T) {
	tests := []struct {
		src  string
		want Value // invalid: not constant
	}{
		{"1 + 2", Int(3)},
		{"1 / 3", rat(1, 3)},
		{"true && false", Bool(false)},
		{"1 / 0", Value{}},
		{"{a}", Value{}},
		{"false && {a}", Value{}},
		{"0 * {a}", Value{}},
	}
	for _, tt := range tests {
		v, ok := MustParse(tt.src).IsConst()
		if ok != tt.want.IsValid() || ok && !v.Equal(tt.want) {
			t.Errorf("Parse(%q).IsConst() = %v, %v; want %v", tt.src, v, ok, tt.want)
		}
	}
}

func TestConst(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Int(4096), "4096"},
		{Int(-4), "-4"},
		{rat(1, 2), "0.5"},
		{rat(-1, 2), "-0.5"},
		{rat(1, 3), "1 / 3"},
		{rat(-1, 3), "-1 / 3"},
		{Bool(true), "true"},
		{BigInt(pow10Int(4096)), "1e4096"},
		{BigInt(pow10Int(5000)), "1" + strings.Repeat("0", 1000) + " * 10 ** 4000"},
	}
	for _, tt := range tests {
		e := Const(tt.v)
		if e.String() != tt.want || e.Source() != tt.want {
			t.Errorf("Const(%v) = %q (source %q), want %q", tt.v, e.String(), e.Source(), tt.want)
		}
		if v, ok := e.IsConst(); !ok || !v.Equal(tt.v) {
			t.Errorf("Const(%v).IsConst() = %v, %v", tt.v, v, ok)
		}
		re, err := Parse(e.String())
		if err != nil {
			t.Errorf("Parse(%q): %v", e.String(), err)
			continue
		}
		if v, err := re.Eval(nil); err != nil || !v.Equal(tt.v) {
			t.Errorf("Parse(%q).Eval() = %v, %v; want %v", e.String(), v, err, tt.v)
		}
		if re.String() != tt.want {
			t.Errorf("Parse(%q).String() = %q", tt.want, re.String())
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Const(Value{}) did not panic")
		}
	}()
	Const(Value{})
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "col 4") {
			t.Errorf("MustParse panic = %v", r)
		}
	}()
	MustParse("1 +")
}
