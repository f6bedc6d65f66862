package expr

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func rat(a, b int64) Value { return Rat(big.NewRat(a, b)) }

// pow10Int is 10^n, computed independently of the package.
func pow10Int(n int) *big.Int {
	return new(big.Int).SetBytes(nil).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		lit  string
		want Value
	}{
		{"0", Int(0)},
		{"-0", Int(0)},
		{"123", Int(123)},
		{"-4", Int(-4)},
		{"1.50", rat(3, 2)},
		{"0.1", rat(1, 10)},
		{"0.000", Int(0)},
		{"-0.0", Int(0)},
		{"2.5E3", Int(2500)},
		{"2.5e+3", Int(2500)},
		{"1e-5", rat(1, 100000)},
		{"1E2", Int(100)},
		{"1e-0", Int(1)},
		{"1e0000000000000000000000000005", Int(100000)},
		{"12.5e-1", rat(5, 4)},
		{"0.125", rat(1, 8)},
		{"-0.125", rat(-1, 8)},
		{"9223372036854775807", Int(math.MaxInt64)},
		{"-9223372036854775808", Int(math.MinInt64)},
		{"9223372036854775808", BigInt(new(big.Int).Lsh(big.NewInt(1), 63))},
		{"123456789012345678901234567890", BigInt(mustBig("123456789012345678901234567890"))},
		{"0.33333333333333333333", Rat(new(big.Rat).SetFrac(mustBig("33333333333333333333"), pow10Int(20)))},
		{"1e400", BigInt(pow10Int(400))},
		{"1e4096", BigInt(pow10Int(4096))},
		{"1e-4096", Rat(new(big.Rat).SetFrac(big.NewInt(1), pow10Int(4096)))},
		{strings.Repeat("9", 4096), BigInt(new(big.Int).Sub(pow10Int(4096), big.NewInt(1)))},
	}
	for _, tt := range tests {
		got, err := ParseNumber(tt.lit)
		if err != nil {
			t.Errorf("ParseNumber(%.40q): %v", tt.lit, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseNumber(%.40q) = %.60s, want %.60s", tt.lit, got, tt.want)
		}
	}
	v, _ := ParseNumber("1e400")
	if !v.IsInt() {
		t.Errorf("1e400 is not integral")
	}
	if n, ok := v.BigInt(); !ok || n.Cmp(pow10Int(400)) != 0 {
		t.Errorf("1e400 BigInt = %v, %v", n, ok)
	}
	a, _ := ParseNumber("0.1")
	b, _ := ParseNumber("0.2")
	c, _ := ParseNumber("0.3")
	if s, _ := numAdd(a, b); !s.Equal(c) {
		t.Errorf("0.1 + 0.2 = %v, want exactly 0.3", s)
	}
}

func mustBig(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

func TestParseNumberErrors(t *testing.T) {
	tests := []struct {
		lit  string
		col  int
		kind error
	}{
		{"", 1, ErrSyntax},
		{"-", 2, ErrSyntax},
		{"01", 1, ErrSyntax},
		{"-01", 2, ErrSyntax},
		{"00", 1, ErrSyntax},
		{".5", 1, ErrSyntax},
		{"5.", 3, ErrSyntax},
		{"5.e3", 3, ErrSyntax},
		{"1e", 3, ErrSyntax},
		{"1e+", 4, ErrSyntax},
		{"+1", 1, ErrSyntax},
		{"--1", 2, ErrSyntax},
		{"1 ", 2, ErrSyntax},
		{" 1", 1, ErrSyntax},
		{"0x10", 2, ErrSyntax},
		{"1.2.3", 4, ErrSyntax},
		{"1_000", 2, ErrSyntax},
		{"NaN", 1, ErrSyntax},
		{"Infinity", 1, ErrSyntax},
		{"1e4097", 1, ErrTooLarge},
		{"1e-4097", 1, ErrTooLarge},
		{"-1e99999999999999999999", 2, ErrTooLarge},
		{strings.Repeat("1", 4097), 1, ErrTooLarge},
		{"0." + strings.Repeat("0", 4096), 1, ErrTooLarge},
	}
	for _, tt := range tests {
		_, err := ParseNumber(tt.lit)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseNumber(%.40q) error = %v, want *Error", tt.lit, err)
			continue
		}
		if e.Col != tt.col || !errors.Is(err, tt.kind) {
			t.Errorf("ParseNumber(%.40q) = %v (col %d), want col %d, %v", tt.lit, err, e.Col, tt.col, tt.kind)
		}
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Int(0), "0"},
		{Int(-4), "-4"},
		{Int(math.MaxInt64), "9223372036854775807"},
		{Int(math.MinInt64), "-9223372036854775808"},
		{rat(1, 3), "1/3"},
		{rat(-2, 3), "-2/3"},
		{rat(7, 6), "7/6"},
		{rat(1, 15), "1/15"},
		{rat(1, 2), "0.5"},
		{rat(-1, 8), "-0.125"},
		{rat(5, 4), "1.25"},
		{rat(1, 20), "0.05"},
		{rat(1, 1024), "0.0009765625"},
		{rat(-3, 1024), "-0.0029296875"},
		{rat(50, 2), "25"},
		{Rat(new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(5), big.NewInt(30), nil))),
			"0." + strings.Repeat("0", 20) + "1073741824"}, // 1/5^30 = 2^30/10^30
		{BigInt(new(big.Int).Lsh(big.NewInt(1), 70)), "1180591620717411303424"},
		{BigInt(new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 70))), "-1180591620717411303424"},
		{Bool(true), "true"},
		{Bool(false), "false"},
		{Value{}, "<invalid>"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestValueDecimal(t *testing.T) {
	tests := []struct {
		v      Value
		places int
		want   string
		exact  bool
	}{
		{rat(1, 3), 9, "0.333333333", false},
		{rat(2, 3), 9, "0.666666667", false},
		{rat(-2, 3), 2, "-0.67", false},
		{rat(1, 2), 0, "1", false},
		{rat(-1, 2), 0, "-1", false},
		{rat(5, 2), 0, "3", false},
		{rat(1, 8), 2, "0.13", false},
		{rat(-1, 8), 2, "-0.13", false},
		{rat(1, 8), 3, "0.125", true},
		{rat(3, 2), 5, "1.5", true},
		{rat(1, 1000), 2, "0", false},
		{rat(-1, 1000), 2, "0", false},
		{rat(-999, 1000), 2, "-1", false},
		{rat(1, 3), -1, "0", false},
		{rat(22, 7), 4, "3.1429", false},
		{Int(42), 3, "42", true},
		{Int(-42), 0, "-42", true},
		{BigInt(pow10Int(30)), 2, "1" + strings.Repeat("0", 30), true},
		{Bool(true), 2, "true", true},
		{Value{}, 2, "", false},
	}
	for _, tt := range tests {
		got, exact := tt.v.Decimal(tt.places)
		if got != tt.want || exact != tt.exact {
			t.Errorf("%v.Decimal(%d) = %q, %v; want %q, %v", tt.v, tt.places, got, exact, tt.want, tt.exact)
		}
	}
}

func TestValueAccessors(t *testing.T) {
	var zero Value
	if zero.IsValid() || zero.IsBool() || zero.IsNumber() || zero.Bool() || zero.Rat() != nil || zero.IsInt() || zero.Sign() != 0 {
		t.Errorf("zero Value is not plainly invalid")
	}
	if BigInt(nil).IsValid() || Rat(nil).IsValid() {
		t.Errorf("BigInt(nil) or Rat(nil) is valid")
	}
	tr := Bool(true)
	if !tr.IsValid() || !tr.IsBool() || tr.IsNumber() || !tr.Bool() || tr.Rat() != nil || tr.IsInt() || tr.Sign() != 0 {
		t.Errorf("Bool(true) accessors wrong")
	}
	if _, ok := tr.Int64(); ok {
		t.Errorf("Bool(true).Int64 ok")
	}
	if _, ok := tr.BigInt(); ok {
		t.Errorf("Bool(true).BigInt ok")
	}

	third := rat(1, 3)
	if third.IsInt() || third.Sign() != 1 || third.Bool() {
		t.Errorf("1/3 accessors wrong")
	}
	if _, ok := third.Int64(); ok {
		t.Errorf("1/3 Int64 ok")
	}
	if _, ok := third.BigInt(); ok {
		t.Errorf("1/3 BigInt ok")
	}
	if rat(-1, 3).Sign() != -1 || Int(-5).Sign() != -1 || Int(0).Sign() != 0 || Int(7).Sign() != 1 {
		t.Errorf("Sign wrong")
	}

	// Copies in and out.
	r := big.NewRat(1, 3)
	v := Rat(r)
	r.SetInt64(5)
	if v.String() != "1/3" {
		t.Errorf("Rat did not copy its argument")
	}
	v.Rat().SetInt64(7)
	if v.String() != "1/3" {
		t.Errorf("Rat() did not return a copy")
	}
	big70 := new(big.Int).Lsh(big.NewInt(1), 70)
	w := BigInt(big70)
	big70.SetInt64(1)
	if w.String() != "1180591620717411303424" {
		t.Errorf("BigInt did not copy its argument")
	}
	n, ok := w.BigInt()
	if !ok {
		t.Fatalf("2^70 BigInt not ok")
	}
	n.SetInt64(3)
	if w.String() != "1180591620717411303424" {
		t.Errorf("BigInt() did not return a copy")
	}
	if _, ok := w.Int64(); ok {
		t.Errorf("2^70 fits an int64?")
	}
	if i, ok := Int(-12).Int64(); !ok || i != -12 {
		t.Errorf("Int(-12).Int64() = %d, %v", i, ok)
	}
	if i, ok := rat(12, 4).Int64(); !ok || i != 3 {
		t.Errorf("12/4 Int64() = %d, %v", i, ok)
	}
	if n, ok := Int(5).BigInt(); !ok || n.Int64() != 5 {
		t.Errorf("Int(5).BigInt() = %v, %v", n, ok)
	}
	if got := Int(5).Rat(); got.Cmp(big.NewRat(5, 1)) != 0 {
		t.Errorf("Int(5).Rat() = %v", got)
	}
}

func TestValueCmpEqual(t *testing.T) {
	big63 := BigInt(new(big.Int).Lsh(big.NewInt(1), 63))
	belowMin := BigInt(new(big.Int).Neg(new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 63), big.NewInt(1)))) // -(2^63+1)
	ordered := []Value{{}, Bool(false), Bool(true), belowMin, Int(math.MinInt64), Int(-1), rat(-1, 3), Int(0), rat(1, 3), rat(1, 2), Int(1), Int(math.MaxInt64), big63}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Cmp(b); got != want {
				t.Errorf("%v.Cmp(%v) = %d, want %d", a, b, got, want)
			}
			if got := a.Equal(b); got != (i == j) {
				t.Errorf("%v.Equal(%v) = %v", a, b, got)
			}
		}
	}
	if !big63.neg().Equal(Int(math.MinInt64)) {
		t.Errorf("-(2^63) is not MinInt64")
	}
	if !rat(2, 4).Equal(rat(1, 2)) || !rat(4, 2).Equal(Int(2)) {
		t.Errorf("equal numbers with different spellings are not Equal")
	}
	if Int(1).Equal(Bool(true)) || Int(0).Equal(Bool(false)) {
		t.Errorf("numbers equal booleans")
	}
}

func (v Value) neg() Value { return numNeg(v) }
