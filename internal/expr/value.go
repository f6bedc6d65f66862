package expr

import (
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

type kind uint8

const (
	kindInvalid kind = iota
	kindBool
	kindNum
	kindString
	kindList
)

// Value is the result of an expression: an exact rational number, a boolean, a
// string or a list of numbers, booleans and strings (the last two in templates
// only). The zero Value is invalid (IsValid reports false). Values are
// immutable and safe to copy and to share between goroutines.
type Value struct {
	k kind
	// n is 0 or 1 for a boolean; for a number it is the value when r is nil.
	n int64
	// r holds a number that is not an integer fitting in an int64. It is never
	// modified after the Value is made, and never handed out.
	r *big.Rat
	// x holds a string or a list; never modified after the Value is made.
	x *compound
}

// compound is the payload of a string or a list.
type compound struct {
	s     string
	items []Value
	// runes holds the code points of a string that is not all ASCII, so that
	// indexing it and its length cost the same as for an ASCII string.
	runes []rune
}

// chars is the number of Unicode code points of the string c.
func (c *compound) chars() int {
	if c.runes != nil {
		return len(c.runes)
	}
	return len(c.s)
}

// char is code point i of the string c, as a string.
func (c *compound) char(i int) string {
	if c.runes != nil {
		return string(c.runes[i])
	}
	return c.s[i : i+1]
}

// Int returns the number n.
func Int(n int64) Value { return Value{k: kindNum, n: n} }

// BigInt returns the integer n (copied). A nil n gives the invalid Value.
func BigInt(n *big.Int) Value {
	if n == nil {
		return Value{}
	}
	if n.IsInt64() {
		return Int(n.Int64())
	}
	return Value{k: kindNum, r: new(big.Rat).SetInt(n)}
}

// Rat returns the number r (copied). A nil r gives the invalid Value.
func Rat(r *big.Rat) Value {
	if r == nil {
		return Value{}
	}
	return ratValue(new(big.Rat).Set(r))
}

// ratValue makes a Value of r, which it takes over (r must not be changed later).
func ratValue(r *big.Rat) Value {
	if r.IsInt() && r.Num().IsInt64() {
		return Int(r.Num().Int64())
	}
	return Value{k: kindNum, r: r}
}

// Bool returns the boolean b.
func Bool(b bool) Value {
	if b {
		return Value{k: kindBool, n: 1}
	}
	return Value{k: kindBool}
}

// String returns the string s.
func String(s string) Value {
	c := &compound{s: s}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			c.runes = []rune(s)
			break
		}
	}
	return Value{k: kindString, x: c}
}

// List returns the list of items (copied). Items must be numbers, booleans or
// strings: any other item (a list, an invalid Value) gives the invalid Value.
func List(items []Value) Value {
	for _, it := range items {
		if !it.IsScalar() {
			return Value{}
		}
	}
	return Value{k: kindList, x: &compound{items: append([]Value(nil), items...)}}
}

// IsValid reports whether v is a value (the zero Value is not).
func (v Value) IsValid() bool { return v.k != kindInvalid }

// IsString reports whether v is a string.
func (v Value) IsString() bool { return v.k == kindString }

// IsList reports whether v is a list.
func (v Value) IsList() bool { return v.k == kindList }

// IsScalar reports whether v is a number, a boolean or a string: what a list may hold.
func (v Value) IsScalar() bool { return v.k == kindNum || v.k == kindBool || v.k == kindString }

// Text returns the string v; it is "" for every other kind.
func (v Value) Text() string {
	if v.k != kindString {
		return ""
	}
	return v.x.s
}

// Len returns the number of items of the list v; 0 for every other kind.
func (v Value) Len() int {
	if v.k != kindList {
		return 0
	}
	return len(v.x.items)
}

// Item returns item i of the list v; the invalid Value when v is not a list or
// i is out of range.
func (v Value) Item(i int) Value {
	if v.k != kindList || i < 0 || i >= len(v.x.items) {
		return Value{}
	}
	return v.x.items[i]
}

// IsBool reports whether v is a boolean.
func (v Value) IsBool() bool { return v.k == kindBool }

// IsNumber reports whether v is a number.
func (v Value) IsNumber() bool { return v.k == kindNum }

// Bool returns the boolean v; it is false for numbers and for the invalid Value.
func (v Value) Bool() bool { return v.k == kindBool && v.n != 0 }

// Rat returns a copy of the number v, or nil when v is not a number.
func (v Value) Rat() *big.Rat {
	if v.k != kindNum {
		return nil
	}
	if v.r == nil {
		return new(big.Rat).SetInt64(v.n)
	}
	return new(big.Rat).Set(v.r)
}

// RatOrZero is Rat, with 0 for a value that is not a number: a figure that is not defined.
func (v Value) RatOrZero() *big.Rat {
	if r := v.Rat(); r != nil {
		return r
	}
	return new(big.Rat)
}

// rat returns v as a *big.Rat that the caller must not modify.
func (v Value) rat() *big.Rat {
	if v.r == nil {
		return new(big.Rat).SetInt64(v.n)
	}
	return v.r
}

// IsInt reports whether v is an integral number.
func (v Value) IsInt() bool { return v.k == kindNum && (v.r == nil || v.r.IsInt()) }

// BigInt returns a copy of v as a *big.Int; ok is false (and the result nil)
// unless v is an integral number.
func (v Value) BigInt() (n *big.Int, ok bool) {
	if !v.IsInt() {
		return nil, false
	}
	if v.r == nil {
		return big.NewInt(v.n), true
	}
	return new(big.Int).Set(v.r.Num()), true
}

// Int64 returns v as an int64; ok is false unless v is an integral number that
// fits in an int64.
func (v Value) Int64() (n int64, ok bool) {
	if v.k != kindNum || v.r != nil { // a big value is never an int64 integer
		return 0, false
	}
	return v.n, true
}

// Sign returns -1, 0 or +1 by the sign of the number v, and 0 for booleans and
// the invalid Value.
func (v Value) Sign() int {
	switch {
	case v.k != kindNum:
		return 0
	case v.r != nil:
		return v.r.Sign()
	case v.n < 0:
		return -1
	case v.n > 0:
		return 1
	}
	return 0
}

// Cmp compares two numbers: -1 if v < w, 0 if v == w, +1 if v > w. Meant for
// numbers, it is nonetheless a total order on all Values: the invalid Value
// sorts first, then false, then true, then the numbers, then the strings (by
// bytes), then the lists (item by item, a prefix first).
func (v Value) Cmp(w Value) int {
	if v.k != kindNum || w.k != kindNum {
		a, b := v.order(), w.order()
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		switch v.k {
		case kindString:
			return strings.Compare(v.x.s, w.x.s)
		case kindList:
			for i := range min(len(v.x.items), len(w.x.items)) {
				if c := v.x.items[i].Cmp(w.x.items[i]); c != 0 {
					return c
				}
			}
			return cmpInt(len(v.x.items), len(w.x.items))
		}
		return 0
	}
	return numCmp(v, w)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v Value) order() int {
	switch v.k {
	case kindInvalid:
		return 0
	case kindBool:
		return 1 + int(v.n)
	case kindString:
		return 4
	case kindList:
		return 5
	}
	return 3
}

// Equal reports whether v and w are the same number, boolean, string or list
// (two invalid Values are equal).
func (v Value) Equal(w Value) bool {
	if v.k != w.k {
		return false
	}
	switch v.k {
	case kindNum:
		return numCmp(v, w) == 0
	case kindString, kindList:
		return v.Cmp(w) == 0
	}
	return v.n == w.n
}

func numCmp(v, w Value) int {
	if v.r == nil && w.r == nil {
		switch {
		case v.n < w.n:
			return -1
		case v.n > w.n:
			return 1
		}
		return 0
	}
	return v.rat().Cmp(w.rat())
}

// String returns the canonical text of v: "true" or "false" for booleans; an
// integer in decimal ("123", "-4"); a fraction whose denominator has no prime
// factors but 2 and 5 as its exact decimal ("0.5", "-0.125"); any other fraction
// as "p/q" ("1/3", "-2/3"); a string as its literal ('gelu'); a list as
// ['full_attention', 'sliding_attention'] with each item as String gives it. The
// invalid Value gives "<invalid>".
func (v Value) String() string {
	switch v.k {
	case kindInvalid:
		return "<invalid>"
	case kindBool:
		if v.n != 0 {
			return "true"
		}
		return "false"
	case kindString:
		return quoteString(v.x.s)
	case kindList:
		var b strings.Builder
		b.WriteByte('[')
		for i, it := range v.x.items {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(it.String())
		}
		b.WriteByte(']')
		return b.String()
	}
	if v.r == nil {
		return strconv.FormatInt(v.n, 10)
	}
	if v.r.IsInt() {
		return v.r.Num().String()
	}
	if n, k, ok := terminating(v.r); ok {
		return formatScaled(n, k)
	}
	return v.r.Num().String() + "/" + v.r.Denom().String()
}

// Decimal returns the number v rounded half away from zero to places fractional
// digits (a negative places counts as 0, one above 1<<16 as 1<<16), with
// trailing zeros and a trailing decimal point removed, and whether that text is
// exactly v. Booleans give "true" or "false" and exact true; strings and lists
// give String and false; the invalid Value gives "" and false.
func (v Value) Decimal(places int) (s string, exact bool) {
	switch {
	case v.k == kindInvalid:
		return "", false
	case v.k == kindBool:
		return v.String(), true
	case v.k != kindNum:
		return v.String(), false
	case v.IsInt():
		return v.String(), true
	}
	places = min(max(places, 0), 1<<16)
	num, den := v.r.Num(), v.r.Denom()
	n := new(big.Int).Abs(num)
	n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
	q, rem := n.QuoRem(n, den, new(big.Int))
	exact = rem.Sign() == 0
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, bigOne)
	}
	if num.Sign() < 0 {
		q.Neg(q)
	}
	s = formatScaled(q, places)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s, exact
}

var (
	bigOne  = big.NewInt(1)
	bigFive = big.NewInt(5)
	bigTen  = big.NewInt(10)
)

// terminating reports whether the fraction r (not an integer) has a finite
// decimal expansion; if so, r = n / 10^k with the smallest k.
func terminating(r *big.Rat) (n *big.Int, k int, ok bool) {
	den := r.Denom()
	twos := int(den.TrailingZeroBits())
	odd := new(big.Int).Rsh(den, uint(twos))
	fives := 0
	if odd.Cmp(bigOne) != 0 {
		if new(big.Int).Mod(odd, bigFive).Sign() != 0 {
			return nil, 0, false
		}
		// odd must be 5^fives; 5^b has floor(b·log2(5))+1 bits.
		b := int(float64(odd.BitLen()-1) / 2.321928094887362)
		found := false
		for c := max(b-1, 1); c <= b+1; c++ {
			if new(big.Int).Exp(bigFive, big.NewInt(int64(c)), nil).Cmp(odd) == 0 {
				fives, found = c, true
				break
			}
		}
		if !found {
			return nil, 0, false
		}
	}
	k = max(twos, fives)
	// n = num · 10^k / den = num · 2^(k-twos) · 5^(k-fives)
	n = new(big.Int).Lsh(r.Num(), uint(k-twos))
	if k > fives {
		n.Mul(n, new(big.Int).Exp(bigFive, big.NewInt(int64(k-fives)), nil))
	}
	return n, k, true
}

// formatScaled formats n / 10^k with exactly k fractional digits (none and no
// point when k is 0).
func formatScaled(n *big.Int, k int) string {
	s := n.String()
	if k == 0 {
		return s
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) <= k {
		s = strings.Repeat("0", k-len(s)+1) + s
	}
	s = s[:len(s)-k] + "." + s[len(s)-k:]
	if neg {
		s = "-" + s
	}
	return s
}
