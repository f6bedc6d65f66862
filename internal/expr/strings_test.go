package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Strings and lists: the template-only part of the language.

func strList(items ...string) Value {
	vs := make([]Value, len(items))
	for i, s := range items {
		vs[i] = String(s)
	}
	return List(vs)
}

// hostEnv is a MapEnv that knows activation(NAME) for a few names.
type hostEnv struct{ MapEnv }

func (h hostEnv) Call(name string, args []Value) (Value, error) {
	if name != "activation" || len(args) != 1 || !args[0].IsString() {
		return Value{}, fmt.Errorf("bad call %s%v", name, args)
	}
	switch args[0].Text() {
	case "silu":
		return String("torch.nn.modules.activation.SiLU"), nil
	case "gelu":
		return String("torch.nn.modules.activation.GELU"), nil
	}
	return Value{}, fmt.Errorf("unknown activation %s", args[0])
}

func TestStringsAndLists(t *testing.T) {
	types := strList("sliding_attention", "full_attention", "sliding_attention")
	env := hostEnv{MapEnv{
		"layer_types": types, "i": Int(1), "act": String("silu"), "empty": List(nil),
		"mlp_only_layers": List([]Value{Int(0), Int(3)}), "w": Int(4096),
	}}
	tests := []struct {
		src  string
		want Value
	}{
		{"'a'", String("a")},
		{"''", String("")},
		{`'it\'s'`, String("it's")},
		{`'back\\slash'`, String(`back\slash`)},
		{"'a' == 'a'", Bool(true)},
		{"'a' != 'b'", Bool(true)},
		{"'a' == 'b'", Bool(false)},
		{"{layer_types}[{i}]", String("full_attention")},
		{"{layer_types}[0] == 'sliding_attention'", Bool(true)},
		{"{layer_types}[{i} + 1] == 'sliding_attention' ? {w} : 0", Int(4096)},
		{"len({layer_types})", Int(3)},
		{"len({empty})", Int(0)},
		{"len([])", Int(0)},
		{"3 in {mlp_only_layers}", Bool(true)},
		{"2 in {mlp_only_layers}", Bool(false)},
		{"'full_attention' in {layer_types}", Bool(true)},
		{"'x' in {mlp_only_layers}", Bool(false)}, // another kind is simply not there
		{"!(1 in [])", Bool(true)},
		{"[1, 2, 3][2]", Int(3)},
		{"[1, 'a', true][1]", String("a")},
		{"[1 + 1, -2][1]", Int(-2)},
		{"{i} > 0 ? 'b' : 'c'", String("b")},
		{"activation({act})", String("torch.nn.modules.activation.SiLU")},
		{"activation('ge' == 'ge' ? 'gelu' : 'silu')", String("torch.nn.modules.activation.GELU")},
		{"[[1][0]][0]", Int(1)},
		// Strings index and measure like Python's: by Unicode code point.
		{"'LLLG'[3]", String("G")},
		{"'LLLG'[5 % len('LLLG')] == 'L'", Bool(true)},
		{"len('LLLG')", Int(4)},
		{"len('')", Int(0)},
		{"len('größe')", Int(5)},
		{"'größe'[2]", String("ö")},
		{"'größe'[4] == 'e'", Bool(true)},
		{"{act}[0]", String("s")},
		// Type tests: what a key of several JSON types holds.
		{"is_number({w})", Bool(true)},
		{"is_number('4')", Bool(false)},
		{"is_number(0.5)", Bool(true)},
		{"is_boolean(true)", Bool(true)},
		{"is_boolean(1)", Bool(false)},
		{"is_string({act})", Bool(true)},
		{"is_string({layer_types})", Bool(false)},
		{"is_list({layer_types})", Bool(true)},
		{"is_list('ab')", Bool(false)},
		{"is_string({act}) ? {act} == 'silu' : {act} != 0", Bool(true)},
		{"is_boolean({w}) ? {w} : {w} != 0", Bool(true)},
	}
	for _, tc := range tests {
		e, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		got, err := e.Eval(env)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q = %v, %v; want %v", tc.src, got, err, tc.want)
		}
	}
}

func TestStringAndListErrors(t *testing.T) {
	env := hostEnv{MapEnv{"layer_types": strList("a", "b"), "n": Int(2), "act": String("relu9")}}
	tests := []struct {
		src  string
		col  int
		msg  string
		kind error
	}{
		{"{layer_types}[{n}]", 14, "index 2 is out of range: {layer_types} has 2 items (indexes 0 to 1)", ErrIndex},
		{"{layer_types}[-1]", 14, "index -1 is out of range", ErrIndex},
		{"[1, 2][1 / 2]", 7, "an index is an integer, not 0.5", ErrType},
		{"{n}[0]", 4, `"[…]" indexes a list or a string, not a number`, ErrType},
		{"{act}[5]", 6, "index 5 is out of range: {act} has 5 characters (indexes 0 to 4)", ErrIndex},
		{"'LLG'[3]", 6, "index 3 is out of range: the string has 3 characters (indexes 0 to 2)", ErrIndex},
		{"[0][1]", 4, "index 1 is out of range: the list has 1 items", ErrIndex},
		{"''[0]", 3, "index 0 is out of range: the string has 0 characters", ErrIndex},
		// A long index is clipped as every quoted value is (diag.Clip: 48 bytes and the length):
		// 10^60 is a 1 and 60 zeros, 61 bytes.
		{"[0][10 ** 60]", 4, "index 1" + strings.Repeat("0", 47) + "…(61 bytes) is out of range", ErrIndex},
		{"'L'[true]", 4, "an index is an integer, not true", ErrType},
		{"{n} == 'auto'", 5, "not a number and a string (a config key of several types is tested with is_number, is_boolean, is_string or is_list first)", ErrType},
		{"'a' < 'b'", 5, `"<" needs numbers, not a string`, ErrType},
		{"'a' + 1", 5, `"+" needs numbers, not a string`, ErrType},
		{"'a' == 1", 5, `compares two numbers, two booleans or two strings, not a string and a number`, ErrType},
		{"[1] == [1]", 5, `not a list and a list`, ErrType},
		{"1 in 2", 3, `"in" looks in a list, not a number`, ErrType},
		{"[1] in [[1]]", 8, "a list holds numbers, booleans and strings, not a list", ErrType},
		{"len(3)", 1, "len needs a list or a string, not a number", ErrType},
		{"min('a', 1)", 1, "min needs numbers, not a string", ErrType},
		{"'a' ? 1 : 2", 5, `the condition of "?" must be a boolean, not a string`, ErrType},
		{"activation({act})", 1, "unknown activation 'relu9'", nil},
	}
	for _, tc := range tests {
		e, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		_, err = e.Eval(env)
		var ee *Error
		if !errors.As(err, &ee) || ee.Col != tc.col || !strings.Contains(ee.Msg, tc.msg) || tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("%q: %v\n\twant col %d, message with %q, %v", tc.src, err, tc.col, tc.msg, tc.kind)
		}
	}
	// A host function needs an Env that gives it.
	_, err := MustParse("activation('silu')").Eval(MapEnv{})
	if !errors.Is(err, ErrUnbound) || !strings.Contains(err.Error(), "only known to populate") {
		t.Errorf("activation without a Caller: %v", err)
	}
}

func TestStringAndListSyntax(t *testing.T) {
	for _, tc := range []struct {
		src string
		col int
		msg string
	}{
		{"'abc", 1, "unterminated string"},
		{`'a\b'`, 3, `a backslash in a string is written \\`},
		{"[1, 2", 1, `unclosed "["`},
		{"[1, ]", 5, `expected an item after ","`},
		{"[1 2]", 4, `expected "," or "]" in the list`},
		{"{a}[1", 4, `unclosed "["`},
		{"{a}[1 2]", 7, `expected "]" for the "[" at col 4`},
		{"1 in 2 in 3", 8, "comparisons cannot be chained"},
		{"is_string()", 1, "is_string needs at least one argument"},
		{"is_number(1, 2)", 1, "is_number takes exactly one argument, not 2"},
		{"is_str({a})", 1, "unknown function is_str"},
		{"in", 1, `found "in"`},
		{"len(1, 2)", 1, "len takes exactly one argument, not 2"},
		{"activation()", 1, "activation needs at least one argument"},
		{"]", 1, `found "]"`},
	} {
		_, err := Parse(tc.src)
		var ee *Error
		if !errors.As(err, &ee) || ee.Col != tc.col || !strings.Contains(ee.Msg, tc.msg) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v\n\twant col %d, message with %q", tc.src, err, tc.col, tc.msg)
		}
	}
}

func TestStringAndListPrinting(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{a}[ {i} ]", "{a}[{i}]"},
		{"( {a} )[0]", "{a}[0]"},
		{"[ 1,2 ,'x' ]", "[1, 2, 'x']"},
		{"{x}  in  {l}", "{x} in {l}"},
		{`'it\'s' == {s}`, `'it\'s' == {s}`},
		{"(-{a})[0]", "(-{a})[0]"},
		{"-{a}[0]", "-{a}[0]"},
		{"({c} ? {a} : {b})[0]", "({c} ? {a} : {b})[0]"},
		{"!({x} in {l})", "!({x} in {l})"},
		{"len( {l} ) + 1", "len({l}) + 1"},
		{"is_string( {s} ) ? 'a'[0] : {s}", "is_string({s}) ? 'a'[0] : {s}"},
	} {
		e := MustParse(tc.src)
		if got := e.String(); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestStringAndListPartial(t *testing.T) {
	env := hostEnv{MapEnv{
		"layer_types": strList("sliding_attention", "full_attention"), "window": Int(4096),
		"act": String("silu"), "quote": String(`it's \ here`),
	}}
	for _, tc := range []struct{ src, want string }{
		// The index is known: the whole choice folds.
		{"{layer_types}[1] == 'sliding_attention' ? {window} : 0", "0"},
		// The index is not: the list is printed as a literal.
		{"{layer_types}[{i}] == 'sliding_attention' ? {window} : 0", "['sliding_attention', 'full_attention'][{i}] == 'sliding_attention' ? 4096 : 0"},
		{"{x} in [1, 1 + 1]", "{x} in [1, 2]"},
		{"[{x}, 1 + 1]", "[{x}, 2]"},
		{"len({layer_types}) * {seq_len}", "2 * {seq_len}"},
		{"activation({act})", "'torch.nn.modules.activation.SiLU'"},
		{"{c} ? {quote} : 'b'", `{c} ? 'it\'s \\ here' : 'b'`},
		// A host function the Env cannot evaluate stays a call.
		{"activation({other})", "activation({other})"},
		// Type tests fold when their argument is known, and stay calls when not.
		{"is_string({act}) ? {act}[{i} % len({act})] == 'L' : {i} > 0", "'silu'[{i} % 4] == 'L'"},
		{"is_boolean({window}) ? {window} : {window} != 0", "true"},
		{"is_number({x}) && {c}", "is_number({x}) && {c}"},
		{"is_list({layer_types}) || is_list({x})", "true"},
		{"'LLG'[{i}]", "'LLG'[{i}]"},
		{"'LLG'[2]", "'G'"},
	} {
		p, err := MustParse(tc.src).Partial(env)
		if err != nil {
			t.Errorf("Partial(%q): %v", tc.src, err)
			continue
		}
		if p.String() != tc.want {
			t.Errorf("Partial(%q) = %q, want %q", tc.src, p, tc.want)
		}
		// The printed form parses back to the same text.
		if q := MustParse(p.String()); q.String() != p.String() {
			t.Errorf("Partial(%q) = %q does not round-trip: %q", tc.src, p, q)
		}
	}
	// An index out of range is certain to be evaluated: Partial fails, naming the list.
	_, err := MustParse("{layer_types}[2] == 'x'").Partial(env)
	if !errors.Is(err, ErrIndex) || !strings.Contains(err.Error(), "{layer_types} has 2 items") {
		t.Errorf("Partial out of range: %v", err)
	}
	// In a branch that may not be taken it is left for evaluation.
	p, err := MustParse("{c} ? {layer_types}[2] : 'x'").Partial(env)
	if err != nil || p.String() != "{c} ? ['sliding_attention', 'full_attention'][2] : 'x'" {
		t.Errorf("Partial in a branch = %v, %v", p, err)
	}
}

func TestValueStringsAndLists(t *testing.T) {
	l := List([]Value{Int(1), String("a"), Bool(true), rat(1, 3)})
	if got := l.String(); got != "[1, 'a', true, 1/3]" {
		t.Errorf("String = %q", got)
	}
	if l.Len() != 4 || !l.Item(1).Equal(String("a")) || l.Item(4).IsValid() || l.Item(-1).IsValid() {
		t.Error("Len/Item")
	}
	if List([]Value{l}).IsValid() || List([]Value{{}}).IsValid() {
		t.Error("a list of lists (or of invalid values) must be invalid")
	}
	if !List(nil).IsList() || List(nil).Len() != 0 {
		t.Error("empty list")
	}
	if String("a").Cmp(String("b")) >= 0 || String("a").Cmp(Int(5)) <= 0 || l.Cmp(String("z")) <= 0 {
		t.Error("Cmp order")
	}
	if !strList("a", "b").Equal(strList("a", "b")) || strList("a").Equal(strList("a", "b")) {
		t.Error("list Equal")
	}
	if String("x").Text() != "x" || Int(1).Text() != "" {
		t.Error("Text")
	}
	if s, exact := String("x").Decimal(3); s != "'x'" || exact {
		t.Errorf("Decimal of a string = %q, %v", s, exact)
	}
}

func TestScopeDefineFunc(t *testing.T) {
	s := NewScope(MapEnv{"n": Int(3)})
	calls := 0
	s.DefineFunc("squares", func(env Env) (Value, error) {
		calls++
		n, err := env.Lookup("n")
		if err != nil {
			return Value{}, err
		}
		k, _ := n.Int64()
		items := make([]Value, k)
		for i := range items {
			items[i] = Int(int64(i * i))
		}
		return List(items), nil
	})
	v, err := MustParse("{squares}[2] + len({squares})").Eval(s)
	if err != nil || !v.Equal(Int(7)) || calls != 1 {
		t.Errorf("= %v, %v after %d calls; want 7 after 1", v, err, calls)
	}
	// A definition through Go code still takes part in cycle detection.
	s.DefineFunc("loop", func(env Env) (Value, error) { return env.Lookup("loop") })
	if _, err := s.Lookup("loop"); !errors.Is(err, ErrCycle) {
		t.Errorf("loop: %v", err)
	}
	// A Scope passes host functions on to a Caller parent.
	outer := NewScope(hostEnv{MapEnv{}})
	v, err = MustParse("activation('gelu')").Eval(NewScope(outer))
	if err != nil || v.Text() != "torch.nn.modules.activation.GELU" {
		t.Errorf("activation through scopes = %v, %v", v, err)
	}
}

func TestTemplateOnly(t *testing.T) {
	for _, tc := range []struct {
		src  string
		col  int
		what string
	}{
		{"{a} * 2", 0, ""},
		{"{a} == 'x'", 8, "a string"},
		{"{l}[0] + 1", 4, "an index [...]"},
		{"1 in {l}", 3, `"in"`},
		{"len({l})", 1, "len(...)"},
		{"[1]", 1, "a list"},
		{"activation({x})", 1, "activation(...)"},
		{"{b} && is_boolean({x})", 8, "is_boolean(...)"},
		{"is_number({x}) ? {x} : 0", 1, "is_number(...)"},
	} {
		col, what, ok := MustParse(tc.src).TemplateOnly()
		if ok != (tc.col > 0) || col != tc.col || what != tc.what {
			t.Errorf("TemplateOnly(%q) = %d, %q, %v; want %d, %q", tc.src, col, what, ok, tc.col, tc.what)
		}
	}
}
