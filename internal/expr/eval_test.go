package expr

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

var (
	two63    = new(big.Int).Lsh(big.NewInt(1), 63)                                  // 9223372036854775808
	minus263 = new(big.Int).Neg(two63)                                              // math.MinInt64
	two64m2  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(2)) // 2·MaxInt64
)

func TestEval(t *testing.T) {
	env := MapEnv{
		"batch_size": Int(2), "seq_len": Int(2048), "num_experts_per_tok": Int(2), "num_local_experts": Int(8),
		"num_key_value_heads": Int(8), "head_dim": Int(128), "causal": Bool(true), "x": Int(0),
		"third": rat(1, 3), "neg": Int(-6), "no": Bool(false),
	}
	tests := []struct {
		src  string
		want Value
	}{
		// arithmetic
		{"1 + 2", Int(3)},
		{"7 - 10", Int(-3)},
		{"6 * 7", Int(42)},
		{"7 / 2", rat(7, 2)},
		{"6 / 3", Int(2)},
		{"-6 / 4", rat(-3, 2)},
		{"1 / 3 + 1 / 6", rat(1, 2)},
		{"0.1 + 0.2", rat(3, 10)},
		{"1.5 * 4", Int(6)},
		{"1e-5 * 100000", Int(1)},
		{"+5", Int(5)},
		{"-(-5)", Int(5)},
		{"--5", Int(5)},
		// floor division and modulo, Python's sign rule
		{"7 // 2", Int(3)},
		{"-7 // 2", Int(-4)},
		{"7 // -2", Int(-4)},
		{"-7 // -2", Int(3)},
		{"6 // 3", Int(2)},
		{"-6 // 3", Int(-2)},
		{"7 % 2", Int(1)},
		{"-7 % 2", Int(1)},
		{"7 % -2", Int(-1)},
		{"-7 % -2", Int(-1)},
		{"6 % -3", Int(0)},
		{"7.5 // 2", Int(3)},
		{"7.5 % 2", rat(3, 2)},
		{"-7.5 // 2", Int(-4)},
		{"-7.5 % 2", rat(1, 2)},
		{"(1/3) // (1/6)", Int(2)},
		{"(1/3) % (1/6)", Int(0)},
		{"(1/2) % (1/3)", rat(1, 6)},
		{"(-1/2) % (1/3)", rat(1, 6)},
		{"(1/2) % (-1/3)", rat(-1, 6)},
		{"(1/2) // (-1/3)", Int(-2)},
		{"7 // (2/3)", Int(10)},
		{"7 % (2/3)", rat(1, 3)},
		// powers
		{"2 ** 10", Int(1024)},
		{"2 ** -2", rat(1, 4)},
		{"(-2) ** 3", Int(-8)},
		{"(-2) ** -3", rat(-1, 8)},
		{"(2/3) ** 2", rat(4, 9)},
		{"(2/3) ** -2", rat(9, 4)},
		{"(-2/3) ** -3", rat(-27, 8)},
		{"0 ** 0", Int(1)},
		{"0 ** 5", Int(0)},
		{"5 ** 0", Int(1)},
		{"(1/3) ** 0", Int(1)},
		{"1 ** -5", Int(1)},
		{"(-1) ** 3", Int(-1)},
		{"(-1) ** -4", Int(1)},
		{"(-1) ** (10 ** 30)", Int(1)},
		{"(-1) ** (10 ** 30 + 1)", Int(-1)},
		{"1 ** (10 ** 30)", Int(1)},
		{"0 ** (10 ** 30)", Int(0)},
		{"2 ** (4 / 2)", Int(4)},
		{"2 ** 62", Int(1 << 62)},
		{"2 ** 63", BigInt(two63)},
		{"(-2) ** 63", Int(math.MinInt64)},
		{"3 ** 40", BigInt(mustBig("12157665459056928801"))},
		{"10 ** 20", BigInt(mustBig("100000000000000000000"))},
		{"10 ** -20", Rat(new(big.Rat).SetFrac(big.NewInt(1), mustBig("100000000000000000000")))},
		// around int64 overflow
		{"9223372036854775807 + 1", BigInt(two63)},
		{"-9223372036854775807 - 1", Int(math.MinInt64)},
		{"-9223372036854775807 - 2", BigInt(new(big.Int).Sub(minus263, big.NewInt(1)))},
		{"9223372036854775807 * 2", BigInt(two64m2)},
		{"(-9223372036854775807 - 1) * -1", BigInt(two63)},
		{"-1 * (-9223372036854775807 - 1)", BigInt(two63)},
		{"(-9223372036854775807 - 1) / -1", BigInt(two63)},
		{"(-9223372036854775807 - 1) // -1", BigInt(two63)},
		{"(-9223372036854775807 - 1) % -1", Int(0)},
		{"-(-9223372036854775807 - 1)", BigInt(two63)},
		{"9223372036854775808 - 1", Int(math.MaxInt64)},
		{"9223372036854775808 / 2", Int(1 << 62)},
		{"(2 ** 64) // 3", BigInt(mustBig("6148914691236517205"))},
		{"(2 ** 64) % 3", Int(1)},
		{"(2 ** 64 + 1) / (2 ** 64)", Rat(new(big.Rat).SetFrac(mustBig("18446744073709551617"), mustBig("18446744073709551616")))},
		// comparisons
		{"0.1 + 0.2 == 0.3", Bool(true)},
		{"1 == 1.0", Bool(true)},
		{"1 != 2", Bool(true)},
		{"1 < 2", Bool(true)},
		{"2 <= 2", Bool(true)},
		{"3 > 4", Bool(false)},
		{"1/3 >= 0.333", Bool(true)},
		{"1/3 < 0.333", Bool(false)},
		{"-1 < -1/2", Bool(true)},
		{"2 ** 70 > 2 ** 69", Bool(true)},
		{"true == true", Bool(true)},
		{"true != false", Bool(true)},
		{"false == false", Bool(true)},
		// logic and conditionals
		{"true && false", Bool(false)},
		{"true && true", Bool(true)},
		{"false || true", Bool(true)},
		{"false || false", Bool(false)},
		{"!true", Bool(false)},
		{"!false && true", Bool(true)},
		{"true ? 1 : 2", Int(1)},
		{"false ? 1 : 2", Int(2)},
		{"1 < 2 ? 10 : 20", Int(10)},
		{"false ? 1 : true ? 2 : 3", Int(2)},
		{"true ? false ? 1 : 2 : 3", Int(2)},
		// short-circuit: the other side is never evaluated
		{"false && 1 / 0 > 0", Bool(false)},
		{"true || 1 / 0 > 0", Bool(true)},
		{"false && 1", Bool(false)},
		{"true || 1", Bool(true)},
		{"true ? 1 : 1 / 0", Int(1)},
		{"false ? 1 / 0 : 2", Int(2)},
		{"false && {nope}", Bool(false)},
		{"true ? 1 : {nope}", Int(1)},
		{"{x} == 0 ? 0 : 1 / {x}", Int(0)},
		// functions
		{"min(3)", Int(3)},
		{"min(3, 1, 2)", Int(1)},
		{"max(3, 1, 2)", Int(3)},
		{"max(-1/3, -0.5)", rat(-1, 3)},
		{"min(1/3, 0.3)", rat(3, 10)},
		{"max(2 ** 70, 1)", BigInt(new(big.Int).Lsh(big.NewInt(1), 70))},
		{"ceil(7/2)", Int(4)},
		{"floor(7/2)", Int(3)},
		{"ceil(-7/2)", Int(-3)},
		{"floor(-7/2)", Int(-4)},
		{"ceil(3)", Int(3)},
		{"floor(-3)", Int(-3)},
		{"ceil(1e-5)", Int(1)},
		{"floor(-1e-5)", Int(-1)},
		{"ceil((2 ** 70 + 1) / 2)", BigInt(new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 69), big.NewInt(1)))},
		// variables
		{"{batch_size} * {seq_len}", Int(4096)},
		{"{num_key_value_heads} * {head_dim}", Int(1024)},
		{"{batch_size} * {seq_len} * {num_experts_per_tok} / {num_local_experts}", Int(1024)},
		{"{batch_size} * {seq_len} * {num_experts_per_tok} / 3", rat(8192, 3)},
		{"{causal} ? 1 : 0", Int(1)},
		{"{no} ? 1 : 0", Int(0)},
		{"{third} * 3", Int(1)},
		{"{neg} // 4", Int(-2)},
		{"{neg} % 4", Int(2)},
		{"-{neg}", Int(6)},
		{"!{causal} || {no}", Bool(false)},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got, err := e.Eval(env)
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("%q = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	env := MapEnv{"a": Int(3), "b": Int(3), "flag": Bool(true), "zero": Int(0)}
	tests := []struct {
		src  string
		col  int
		msg  string
		kind error
	}{
		// type errors, at the operator's column
		{"true + 1", 6, `"+" needs numbers, not a boolean`, ErrType},
		{"1 + true", 3, `"+" needs numbers, not a boolean`, ErrType},
		{"1 - false", 3, `"-" needs numbers`, ErrType},
		{"{flag} * 2", 8, `"*" needs numbers`, ErrType},
		{"2 ** true", 3, `"**" needs numbers`, ErrType},
		{"(1 < 2) * 3", 9, `"*" needs numbers`, ErrType},
		{"!3", 1, `"!" needs a boolean, not a number`, ErrType},
		{"-true", 1, `"-" needs a number, not a boolean`, ErrType},
		{"+true", 1, `"+" needs a number`, ErrType},
		{"1 ? 2 : 3", 3, `condition of "?" must be a boolean, not a number`, ErrType},
		{"1 && true", 3, `"&&" needs booleans, not a number`, ErrType},
		{"true && 1", 6, `"&&" needs booleans`, ErrType},
		{"false || 1", 7, `"||" needs booleans`, ErrType},
		{"1 || true", 3, `"||" needs booleans`, ErrType},
		{"1 == true", 3, `compares two numbers, two booleans or two strings, not a number and a boolean`, ErrType},
		{"false != 0", 7, "not a boolean and a number", ErrType},
		{"true < false", 6, `"<" needs numbers`, ErrType},
		{"min(1, true)", 1, "min needs numbers, not a boolean", ErrType},
		{"2 * max(true)", 5, "max needs numbers", ErrType},
		{"ceil(true)", 1, "ceil needs numbers", ErrType},
		{"floor(1 < 2)", 1, "floor needs numbers", ErrType},
		// division by zero
		{"1 / 0", 3, "division by zero", ErrDivByZero},
		{"1 // 0", 3, "division by zero", ErrDivByZero},
		{"1 % 0", 3, "division by zero", ErrDivByZero},
		{"{a} / ({b} - {a})", 5, "division by zero", ErrDivByZero},
		{"{a} / {zero}", 5, "division by zero", ErrDivByZero},
		{"0 ** -1", 3, "division by zero", ErrDivByZero},
		{"0 ** -(10 ** 30)", 3, "division by zero", ErrDivByZero},
		{"1/3 / 0", 5, "division by zero", ErrDivByZero},
		{"(1/3) // 0", 7, "division by zero", ErrDivByZero},
		{"(1/3) % 0", 7, "division by zero", ErrDivByZero},
		{"(2 ** 70) % 0", 11, "division by zero", ErrDivByZero},
		// exponents
		{"2 ** 0.5", 3, "exponent must be an integer, not 0.5", ErrNotInteger},
		{"4 ** (1/3)", 3, "exponent must be an integer, not 1/3", ErrNotInteger},
		{"1 ** 0.5", 3, "exponent must be an integer", ErrNotInteger},
		// unbound
		{"{a} + {nope}", 7, "undefined variable {nope}", ErrUnbound},
		{"true && {nope}", 9, "undefined variable {nope}", ErrUnbound},
		// evaluation order: the left operand's error comes first
		{"1 / 0 + {nope}", 3, "division by zero", ErrDivByZero},
		{"{nope} + 1 / 0", 1, "undefined variable", ErrUnbound},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		v, err := e.Eval(env)
		if err == nil {
			t.Errorf("%q = %v, want an error", tt.src, v)
			continue
		}
		var ee *Error
		if !errors.As(err, &ee) {
			t.Errorf("%q: error %T is not *Error", tt.src, err)
			continue
		}
		if ee.Col != tt.col || !strings.Contains(ee.Msg, tt.msg) || !errors.Is(err, tt.kind) {
			t.Errorf("%q: %v\n\twant col %d, message with %q, %v", tt.src, err, tt.col, tt.msg, tt.kind)
		}
		if v.IsValid() {
			t.Errorf("%q: error with a valid value %v", tt.src, v)
		}
	}

	// Whole messages.
	_, err := MustParse("1 / 0").Eval(nil)
	if err == nil || err.Error() != "col 3: division by zero" {
		t.Errorf("1 / 0: %v", err)
	}
	_, err = MustParse("2 * {nope}").Eval(nil)
	if err == nil || err.Error() != "col 5: undefined variable {nope}" || !errors.Is(err, ErrUnbound) {
		t.Errorf("2 * {nope} with a nil env: %v", err)
	}
}

type errEnv struct{ err error }

func (e errEnv) Lookup(name string) (Value, error) { return Value{}, e.err }

func TestEvalEnvErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		env  Env
		msg  string
		kind error
	}{
		{errEnv{boom}, "col 5: {x}: boom", boom},
		{errEnv{ErrUnbound}, "col 5: undefined variable {x}", ErrUnbound},
		{errEnv{errors.Join(errors.New("not here"), ErrUnbound)}, "col 5: undefined variable {x}", ErrUnbound},
		{MapEnv{"x": {}}, "col 5: variable {x} has an invalid value", ErrType},
	}
	for _, tt := range tests {
		_, err := MustParse("1 + {x}").Eval(tt.env)
		if err == nil || err.Error() != tt.msg || !errors.Is(err, tt.kind) {
			t.Errorf("Eval with %v: %v, want %q wrapping %v", tt.env, err, tt.msg, tt.kind)
		}
	}
}

// TestLimits checks that every limit gives an error, quickly.
func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		src  string
		col  int    // for parse errors; 0: the error comes from Eval
		msg  string // part of the message
	}{
		{"1 MB string", strings.Repeat("1 + ", 1<<18), MaxLength + 1, "too long"},
		{"MaxLength+1 bytes", strings.Repeat(" ", MaxLength) + "1", MaxLength + 1, "too long"},
		{"10000-deep parentheses", strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000), 257, "nested too deeply"},
		{"10000-deep parentheses, unclosed", strings.Repeat("(", 10000), 257, "nested too deeply"},
		{"10000 unary minus", strings.Repeat("-", 10000) + "1", 257, "nested too deeply"},
		{"10000 not", strings.Repeat("!", 10000) + "true", 257, "nested too deeply"},
		{"300 powers", strings.Repeat("1 ** ", 300) + "1", 256*5 + 3, "nested too deeply"},
		{"300 conditionals", strings.Repeat("true ? 1 : ", 300) + "1", 256*11 + 6, "nested too deeply"},
		{"300 nested calls", strings.Repeat("min(", 300) + "1" + strings.Repeat(")", 300), 256*4 + 1, "nested too deeply"},
		{"5000-digit literal", strings.Repeat("9", 5000), 1, "5000 digits"},
		{"big exponent", "1e5000", 1, "exponent"},
		{"10 ** 10 ** 10", "10 ** 10 ** 10", 0, "result too large"},
		{"2 ** 2 ** 2 ** 2 ** 2 ** 2", "2 ** 2 ** 2 ** 2 ** 2 ** 2", 0, "result too large"},
		{"2 ** 1048576", "2 ** 1048576", 0, "result too large"},
		{"(1/2) ** 32768", "(1/2) ** 32768", 0, "result too large"},
		{"2 ** -32768", "2 ** -32768", 0, "result too large"},
		{"3 ** (2 ** 70)", "3 ** (2 ** 70)", 0, "result too large"},
		{"(1/3) ** -(10 ** 30)", "(1/3) ** -(10 ** 30)", 0, "result too large"},
		{"product", "(2 ** 1000000) * (2 ** 1000000)", 0, "number too large"},
		{"sum", "(2 ** 1048575) + (2 ** 1048575)", 0, "number too large"},
		{"difference", "-(2 ** 1048575) - (2 ** 1048575)", 0, "number too large"},
		{"quotient", "(2 ** 1048575) / (1/2)", 0, "number too large"},
		{"floor quotient", "(2 ** 1048575) // (1/2)", 0, "number too large"},
		{"denominator", "(1 / 3 ** 20000) / 3 ** 20000", 0, "denominator"},
		{"denominator of a sum", "1 / 3 ** 20000 + 1 / 7 ** 12000", 0, "denominator"},
		{"inexact division by a huge number", "(2 ** 1000000 + 1) / (3 ** 600000)", 0, "denominator"},
	}
	for _, tt := range tests {
		start := time.Now()
		e, err := Parse(tt.src)
		if tt.col == 0 {
			if err != nil {
				t.Errorf("%s: Parse: %v", tt.name, err)
				continue
			}
			_, err = e.Eval(nil)
			if err == nil {
				t.Errorf("%s: no error", tt.name)
				continue
			}
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%s: %v, want ErrTooLarge, %q", tt.name, err, tt.msg)
			}
			if _, perr := e.Partial(nil); perr == nil || perr.Error() != err.Error() {
				t.Errorf("%s: Partial: %v, want %v", tt.name, perr, err)
			}
		} else {
			var pe *Error
			if !errors.As(err, &pe) || pe.Col != tt.col || !errors.Is(err, ErrTooLarge) || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("%s: Parse: %.200v, want col %d, ErrTooLarge, %q", tt.name, err, tt.col, tt.msg)
			}
		}
		if d := time.Since(start); d > 10*time.Second { // a guard against hangs (without the limits: minutes), not a speed test
			t.Errorf("%s: took %v", tt.name, d)
		}
	}
}

// TestWithinLimits checks inputs just inside the limits.
func TestWithinLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth) + "1" + strings.Repeat(")", MaxDepth)
	if v, err := MustParse(deep).Eval(nil); err != nil || !v.Equal(Int(1)) {
		t.Errorf("%d-deep parentheses: %v, %v", MaxDepth, v, err)
	}
	if v, err := MustParse(strings.Repeat("-", MaxDepth) + "1").Eval(nil); err != nil || !v.Equal(Int(1)) {
		t.Errorf("%d unary minus: %v, %v", MaxDepth, v, err)
	}
	// The longest left-associative chain: deep trees are fine to walk.
	chain := strings.Repeat("1+", MaxLength/2-1) + "1"
	e := MustParse(chain)
	if v, err := e.Eval(nil); err != nil || !v.Equal(Int(MaxLength/2)) {
		t.Errorf("long chain: %v, %v", v, err)
	}
	if p, err := e.Partial(nil); err != nil || p.String() != "32768" {
		t.Errorf("long chain: Partial: %v", err)
	}
	if s := e.String(); len(s) != len(chain)*2-1 {
		t.Errorf("long chain: String has %d bytes", len(s))
	}
	if len(strings.Repeat(" ", MaxLength-1)+"1") == MaxLength {
		MustParse(strings.Repeat(" ", MaxLength-1) + "1")
	}
	// 2 ** 1048575 has exactly MaxBits bits.
	v, err := MustParse("2 ** 1048575").Eval(nil)
	if n, ok := v.BigInt(); err != nil || !ok || n.BitLen() != MaxBits {
		t.Errorf("2 ** 1048575: %v", err)
	}
	// 1 / 2 ** 32767 has a denominator of exactly MaxDenomBits bits.
	v, err = MustParse("2 ** -32767").Eval(nil)
	if err != nil || v.Rat().Denom().BitLen() != MaxDenomBits {
		t.Errorf("2 ** -32767: %v", err)
	}
	// The extreme literal values.
	v, err = MustParse("0." + strings.Repeat("0", 4094) + "1e-4096").Eval(nil)
	if err != nil || v.Rat().Denom().Cmp(pow10Int(8191)) != 0 {
		t.Errorf("smallest literal: %v", err)
	}
	v, err = MustParse(strings.Repeat("9", 4096) + "e4096").Eval(nil)
	if n, ok := v.BigInt(); err != nil || !ok || n.Cmp(new(big.Int).Mul(new(big.Int).Sub(pow10Int(4096), big.NewInt(1)), pow10Int(4096))) != 0 {
		t.Errorf("largest literal: %v", err)
	}
	// Exact division by a huge number is fine.
	v, err = MustParse("(3 ** 600001) / (3 ** 600000)").Eval(nil)
	if err != nil || !v.Equal(Int(3)) {
		t.Errorf("exact huge division: %v, %v", v, err)
	}
}

// TestEnvBeyondLimits: values from an Env can be beyond the limits; arithmetic
// on them fails instead of running for long.
func TestEnvBeyondLimits(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), MaxBits+10)
	hugeDen := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), MaxDenomBits+10))
	env := MapEnv{"huge": BigInt(huge), "tiny": Rat(hugeDen)}
	for _, src := range []string{"{huge} + 1", "{huge} * 1/2", "{huge} / 3", "{huge} // 3", "{huge} % 3", "{huge} ** 1", "{tiny} + 1", "{tiny} * 2", "{tiny} / 3", "1 / {tiny}", "{tiny} ** 1", "{tiny} // 1", "{tiny} % 1"} {
		_, err := MustParse(src).Eval(env)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", src, err)
		}
	}
	// Passing them through is fine.
	v, err := MustParse("{huge}").Eval(env)
	if err != nil || v.Cmp(BigInt(huge)) != 0 {
		t.Errorf("{huge}: %v", err)
	}
	if v, err := MustParse("{huge} > 0 && {tiny} > 0").Eval(env); err != nil || !v.Bool() {
		t.Errorf("comparisons: %v, %v", v, err)
	}
}

// TestWorkLimit: 64 KB expressions built to be slow stop at MaxWork, quickly.
func TestWorkLimit(t *testing.T) {
	for _, term := range []string{
		"3**661000*0+",                         // powers near MaxBits
		"(2**524287-1)**2*0+",                  // products near MaxBits
		"(1/3**10300+1/7**5800)*0+",            // fractions near MaxDenomBits
		"(7**11600/3**20600)//(1/3**20600)*0+", // floor division of fractions
		"min(2**1048575, 2**1048574)*0+",       // comparisons
		"(3**661000)%(7**300000)*0+",           // remainders
	} {
		src := strings.Repeat(term, (MaxLength-1)/len(term)) + "1"
		e := MustParse(src)
		start := time.Now()
		_, err := e.Eval(nil)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "too much work") {
			t.Errorf("%s…: %v, want too much work", term, err)
		}
		_, err = e.Partial(nil)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "too much work") {
			t.Errorf("%s…: Partial: %v, want too much work", term, err)
		}
		if d := time.Since(start); d > 10*time.Second { // a guard against hangs (without MaxWork: 40 s), not a speed test
			t.Errorf("%s…: took %v", term, d)
		}
	}
	// Huge values from an Env are free to look up, not to compare.
	huge := MapEnv{"x": BigInt(new(big.Int).Lsh(big.NewInt(1), MaxBits-1)), "y": BigInt(new(big.Int).Lsh(big.NewInt(3), MaxBits-3))}
	for _, op := range []string{"== {y} ||", "!= {y} &&", "< {y} ||", ">= {y} &&"} { // x > y
		_, err := MustParse(strings.Repeat("{x} "+op+" ", 1000) + "true").Eval(huge)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("many comparisons %s of huge values: %v", op, err)
		}
	}
	// Printing very large constants is work too.
	_, err := MustParse("{a}" + strings.Repeat("+2**1048575", 100)).Partial(nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Partial with many huge constants: %v", err)
	}
	// One such operation is fine, and numbers of the usual kind cost nothing.
	if _, err := MustParse("3**661000 + 1").Eval(nil); err != nil {
		t.Errorf("one big power: %v", err)
	}
	chain := strings.Repeat("1/3+", MaxLength/4-1) + "1"
	if v, err := MustParse(chain).Eval(nil); err != nil || !v.Equal(rat(MaxLength/4-1+3, 3)) {
		t.Errorf("long chain of fractions: %v, %v", v, err)
	}
}
