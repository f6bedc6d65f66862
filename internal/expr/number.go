package expr

import (
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseNumber reads a number literal exactly, in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ("1e400" is the integer
// 10^400, "0.1" is 1/10, "-0" is 0). Leading zeros ("01"), a bare point (".5",
// "5.") and anything else outside the grammar are rejected, and so are literals
// with more than MaxDigits digits before the exponent or an exponent beyond
// ±MaxExponent. Errors are *Error, with Col the 1-based byte column inside lit.
func ParseNumber(lit string) (Value, error) {
	i := 0
	if i < len(lit) && lit[i] == '-' {
		i++
	}
	if len(lit) == 0 {
		return Value{}, syntaxErr(0, "empty number")
	}
	end, v, err := scanNumber(lit, i)
	if err != nil {
		return Value{}, err
	}
	if end < len(lit) {
		return Value{}, syntaxErr(end, "unexpected "+quoteChar(lit, end)+" in number")
	}
	if i == 1 {
		v = numNeg(v)
	}
	return v, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber reads the unsigned number literal at s[i:] and returns the offset
// just after it. Errors give columns inside s.
func scanNumber(s string, i int) (int, Value, *Error) {
	start := i
	if i >= len(s) || !isDigit(s[i]) {
		return 0, Value{}, syntaxErr(i, "expected a digit")
	}
	if s[i] == '0' {
		i++
		if i < len(s) && isDigit(s[i]) {
			return 0, Value{}, syntaxErr(start, "leading zeros are not allowed in numbers")
		}
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return 0, Value{}, syntaxErr(i, `expected a digit after the decimal point`)
		}
		fracStart = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracEnd = i
	}
	exp := 0
	hasExp := false
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		hasExp = true
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return 0, Value{}, syntaxErr(i, "expected a digit in the exponent")
		}
		for i < len(s) && isDigit(s[i]) {
			if exp <= MaxExponent { // saturate: anything above is rejected below
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if neg {
			exp = -exp
		}
	}
	end := i
	digits := (intEnd - start) + (fracEnd - fracStart)
	if digits > MaxDigits {
		return 0, Value{}, &Error{Col: start + 1, Err: ErrTooLarge,
			Msg: "number literal has " + strconv.Itoa(digits) + " digits; the limit is " + strconv.Itoa(MaxDigits)}
	}
	if exp > MaxExponent || exp < -MaxExponent {
		return 0, Value{}, &Error{Col: start + 1, Err: ErrTooLarge,
			Msg: "number literal's exponent is out of range (the limit is ±" + strconv.Itoa(MaxExponent) + ")"}
	}
	if !hasExp && fracEnd == fracStart && digits <= 18 {
		var n int64
		for _, c := range []byte(s[start:intEnd]) {
			n = n*10 + int64(c-'0')
		}
		return end, Int(n), nil
	}
	scale := exp - (fracEnd - fracStart)
	if digits <= 18 && scale > -19 && scale <= 0 {
		var n int64
		for _, c := range []byte(s[start:intEnd]) {
			n = n*10 + int64(c-'0')
		}
		for _, c := range []byte(s[fracStart:fracEnd]) {
			n = n*10 + int64(c-'0')
		}
		if scale == 0 {
			return end, Int(n), nil
		}
		return end, ratValue(new(big.Rat).SetFrac64(n, pow10s[-scale])), nil
	}
	m, _ := new(big.Int).SetString(s[start:intEnd]+s[fracStart:fracEnd], 10)
	if scale >= 0 {
		m.Mul(m, pow10(scale))
		return end, BigInt(m), nil
	}
	return end, ratValue(new(big.Rat).SetFrac(m, pow10(-scale))), nil
}

var pow10s = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// Canonical text of constants inside expressions.
//
// A constant prints as a number literal when one within the literal limits can
// write it: the plain decimal when it has at most MaxDigits digits, otherwise
// "<m>e<k>" / "<m>e-<k>". Other fractions print as "p / q". Integers too long
// for a literal (possible only for computed values) print as a sum of chunks,
// "c2 * 10 ** 8000 + c1 * 10 ** 4000 + c0", which parses back to the same value.

// chunkDigits is the chunk size of that last form.
const chunkDigits = 4000

// constText returns the canonical text of v inside an expression and the
// precedence level of that text (9 for an atom, 7 for a negation, 6 for a
// product or quotient, 5 for a sum).
func constText(v Value) (string, int) {
	switch {
	case v.k == kindBool, v.k == kindString:
		return v.String(), precAtom
	case v.k == kindList:
		var b strings.Builder
		b.WriteByte('[')
		for i, it := range v.x.items {
			if i > 0 {
				b.WriteString(", ")
			}
			s, _ := constText(it)
			b.WriteString(s)
		}
		b.WriteByte(']')
		return b.String(), precAtom
	case v.r == nil:
		if v.n < 0 {
			return strconv.FormatInt(v.n, 10), precUnary
		}
		return strconv.FormatInt(v.n, 10), precAtom
	case v.r.IsInt():
		return intText(v.r.Num())
	}
	if n, k, ok := terminating(v.r); ok {
		abs := new(big.Int).Abs(n)
		s := abs.String()
		sign := ""
		p := precAtom
		if n.Sign() < 0 {
			sign, p = "-", precUnary
		}
		intDigits := max(len(s)-k, 1)
		if intDigits+k <= MaxDigits {
			return sign + formatScaled(abs, k), p
		}
		if len(s) <= MaxDigits && k <= MaxExponent {
			return sign + s + "e-" + strconv.Itoa(k), p
		}
	}
	num, np := intText(v.r.Num())
	den, dp := intText(v.r.Denom())
	if np < precMul {
		num = "(" + num + ")"
	}
	if dp <= precMul {
		den = "(" + den + ")"
	}
	return num + " / " + den, precMul
}

// intText is constText for an integer.
func intText(n *big.Int) (string, int) {
	s := n.String()
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	p := precAtom
	if sign != "" {
		p = precUnary
	}
	if len(s) <= MaxDigits {
		return sign + s, p
	}
	t := strings.TrimRight(s, "0")
	if z := len(s) - len(t); len(t) <= MaxDigits && z <= MaxExponent {
		return sign + t + "e" + strconv.Itoa(z), p
	}
	var b strings.Builder
	terms := 0
	for hi := len(s) % chunkDigits; hi <= len(s); hi += chunkDigits {
		lo := max(hi-chunkDigits, 0)
		c := strings.TrimLeft(s[lo:hi], "0")
		if c == "" {
			continue
		}
		if terms > 0 {
			b.WriteString(" + ")
		}
		terms++
		b.WriteString(c)
		if e := len(s) - hi; e > 0 {
			b.WriteString(" * 10 ** ")
			b.WriteString(strconv.Itoa(e))
		}
	}
	p = precAdd
	if terms == 1 {
		p = precMul
	}
	if sign != "" {
		return "-(" + b.String() + ")", precUnary
	}
	return b.String(), p
}

// quoteChar quotes the character (UTF-8 sequence) at s[i:] for a message.
func quoteChar(s string, i int) string {
	if i >= len(s) {
		return "end of expression"
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return strconv.Quote(s[i : i+size])
}
