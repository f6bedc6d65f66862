package expr

import (
	"math"
	"math/big"
	"math/bits"
)

// Exact arithmetic on numbers. Small integers (int64) take a fast path without
// allocation; everything else goes through big.Rat. Every result is checked
// against MaxBits (numerator) and MaxDenomBits (denominator), and operands are
// checked before any costly step, so no operation runs for long.

// fault says why an arithmetic operation failed; the caller adds the position.
type fault uint8

const (
	noFault          fault = iota
	faultDivZero           // division by zero
	faultTooLarge          // a numerator beyond MaxBits
	faultDenomLarge        // a denominator beyond MaxDenomBits
	faultPowTooLarge       // ** whose result would exceed the limits
	faultNotInteger        // ** with a fractional exponent
)

func bitLen64(n int64) int {
	u := uint64(n)
	if n < 0 {
		u = -u
	}
	return bits.Len64(u)
}

// numBits is the bit length of the numerator of x.
func numBits(x Value) int {
	if x.r == nil {
		return bitLen64(x.n)
	}
	return x.r.Num().BitLen()
}

// check reports whether the big operand x is beyond the limits; such a value
// can only come from an Env or a constructor, never from arithmetic.
func check(x Value) fault {
	if x.r == nil {
		return noFault
	}
	if x.r.Num().BitLen() > MaxBits {
		return faultTooLarge
	}
	if !x.r.IsInt() && x.r.Denom().BitLen() > MaxDenomBits {
		return faultDenomLarge
	}
	return noFault
}

func check2(x, y Value) fault {
	if f := check(x); f != noFault {
		return f
	}
	return check(y)
}

// result makes a Value of r after checking the limits.
func result(r *big.Rat) (Value, fault) {
	if r.Num().BitLen() > MaxBits {
		return Value{}, faultTooLarge
	}
	if !r.IsInt() && r.Denom().BitLen() > MaxDenomBits {
		return Value{}, faultDenomLarge
	}
	return ratValue(r), noFault
}

func intResult(n *big.Int) (Value, fault) {
	if n.BitLen() > MaxBits {
		return Value{}, faultTooLarge
	}
	return BigInt(n), noFault
}

func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if (c < 0) != ((a < 0) != (b < 0)) || c/b != a {
		return 0, false
	}
	return c, true
}

func numNeg(x Value) Value {
	if x.r == nil {
		if x.n != math.MinInt64 {
			return Int(-x.n)
		}
		return ratValue(new(big.Rat).Neg(x.rat()))
	}
	return ratValue(new(big.Rat).Neg(x.r))
}

func numAdd(x, y Value) (Value, fault) {
	if x.r == nil && y.r == nil {
		if s := x.n + y.n; (s >= x.n) == (y.n >= 0) {
			return Int(s), noFault
		}
	}
	if f := check2(x, y); f != noFault {
		return Value{}, f
	}
	return result(new(big.Rat).Add(x.rat(), y.rat()))
}

func numSub(x, y Value) (Value, fault) {
	if x.r == nil && y.r == nil {
		if s := x.n - y.n; (s <= x.n) == (y.n >= 0) {
			return Int(s), noFault
		}
	}
	if f := check2(x, y); f != noFault {
		return Value{}, f
	}
	return result(new(big.Rat).Sub(x.rat(), y.rat()))
}

func numMul(x, y Value) (Value, fault) {
	if x.r == nil && y.r == nil {
		if p, ok := mul64(x.n, y.n); ok {
			return Int(p), noFault
		}
	}
	if x.Sign() == 0 || y.Sign() == 0 {
		return Int(0), noFault
	}
	if f := check2(x, y); f != noFault {
		return Value{}, f
	}
	// A product of integers has at least bx+by-1 bits: refuse before computing.
	if x.IsInt() && y.IsInt() && numBits(x)+numBits(y)-1 > MaxBits {
		return Value{}, faultTooLarge
	}
	return result(new(big.Rat).Mul(x.rat(), y.rat()))
}

func numDiv(x, y Value) (Value, fault) {
	if y.Sign() == 0 {
		return Value{}, faultDivZero
	}
	if x.r == nil && y.r == nil {
		if x.n%y.n == 0 && (x.n != math.MinInt64 || y.n != -1) {
			return Int(x.n / y.n), noFault
		}
		return ratValue(new(big.Rat).SetFrac64(x.n, y.n)), noFault
	}
	if f := check2(x, y); f != noFault {
		return Value{}, f
	}
	xr, yr := x.rat(), y.rat()
	// The quotient's unreduced denominator is den(x)·num(y); reducing it costs
	// time quadratic in its size, so a large one is only accepted when the
	// division is exact.
	if xr.Denom().BitLen()+yr.Num().BitLen() <= 2*MaxDenomBits+1 {
		return result(new(big.Rat).Quo(xr, yr))
	}
	n := new(big.Int).Mul(xr.Num(), yr.Denom())
	d := new(big.Int).Mul(xr.Denom(), yr.Num())
	q, r := n.QuoRem(n, d, new(big.Int))
	if r.Sign() != 0 {
		return Value{}, faultDenomLarge
	}
	return intResult(q)
}

// floorQuoRem returns floor(x/y) and x - y·floor(x/y) for numbers with y != 0
// and no fast path; the remainder is only computed when wantRem is set.
func floorQuoRem(x, y Value, wantRem bool) (q, m Value, f fault) {
	if f := check2(x, y); f != noFault {
		return Value{}, Value{}, f
	}
	xr, yr := x.rat(), y.rat()
	// x/y = n/d with n = num(x)·den(y), d = den(x)·num(y)
	n := new(big.Int).Mul(xr.Num(), yr.Denom())
	d := new(big.Int).Mul(xr.Denom(), yr.Num())
	qi, ri := new(big.Int).QuoRem(n, d, new(big.Int))
	if ri.Sign() != 0 && ri.Sign() != d.Sign() {
		qi.Sub(qi, bigOne)
		ri.Add(ri, d)
	}
	if !wantRem {
		q, f = intResult(qi)
		return q, Value{}, f
	}
	// x - y·q = (n - d·q) / (den(x)·den(y)) = ri / (den(x)·den(y))
	dd := new(big.Int).Mul(xr.Denom(), yr.Denom())
	m, f = result(new(big.Rat).SetFrac(ri, dd))
	return Value{}, m, f
}

func numFloorDiv(x, y Value) (Value, fault) {
	if y.Sign() == 0 {
		return Value{}, faultDivZero
	}
	if x.r == nil && y.r == nil && (x.n != math.MinInt64 || y.n != -1) {
		q := x.n / y.n
		if x.n%y.n != 0 && (x.n < 0) != (y.n < 0) {
			q--
		}
		return Int(q), noFault
	}
	q, _, f := floorQuoRem(x, y, false)
	return q, f
}

func numMod(x, y Value) (Value, fault) {
	if y.Sign() == 0 {
		return Value{}, faultDivZero
	}
	if x.r == nil && y.r == nil {
		m := x.n % y.n // MinInt64 % -1 is 0 in Go
		if m != 0 && (m < 0) != (y.n < 0) {
			m += y.n
		}
		return Int(m), noFault
	}
	_, m, f := floorQuoRem(x, y, true)
	return m, f
}

func powSmall(b, e int64) (int64, bool) {
	r := int64(1)
	ok := true
	for e > 0 {
		if e&1 == 1 {
			if r, ok = mul64(r, b); !ok {
				return 0, false
			}
		}
		e >>= 1
		if e > 0 {
			if b, ok = mul64(b, b); !ok {
				return 0, false
			}
		}
	}
	return r, true
}

func numPow(x, y Value) (Value, fault) {
	if !y.IsInt() {
		return Value{}, faultNotInteger
	}
	ys := y.Sign()
	if x.r == nil {
		switch x.n {
		case 0:
			switch {
			case ys > 0:
				return Int(0), noFault
			case ys == 0:
				return Int(1), noFault
			}
			return Value{}, faultDivZero
		case 1:
			return Int(1), noFault
		case -1:
			odd := y.n&1 != 0
			if y.r != nil {
				odd = y.r.Num().Bit(0) != 0
			}
			if odd {
				return Int(-1), noFault
			}
			return Int(1), noFault
		}
	}
	if f := check(x); f != noFault {
		return Value{}, f
	}
	e, ok := y.Int64()
	if !ok || e > MaxBits || e < -MaxBits {
		return Value{}, faultPowTooLarge
	}
	if e == 0 {
		return Int(1), noFault
	}
	if x.r == nil && e > 0 {
		if p, ok := powSmall(x.n, e); ok {
			return Int(p), noFault
		}
	}
	xr := x.rat()
	num := new(big.Int).Abs(xr.Num())
	den := xr.Denom()
	if e < 0 {
		e = -e
		num, den = den, num
	}
	negative := xr.Sign() < 0 && e&1 == 1
	// |a| ≥ 2 has at least (bits-1)·e+1 bits when raised to e: refuse early.
	if nb := num.BitLen(); nb > 1 && int64(nb-1)*e+1 > MaxBits {
		return Value{}, faultPowTooLarge
	}
	if db := den.BitLen(); db > 1 && int64(db-1)*e+1 > MaxDenomBits {
		return Value{}, faultPowTooLarge
	}
	be := big.NewInt(e)
	pn := new(big.Int).Exp(num, be, nil)
	if negative {
		pn.Neg(pn)
	}
	if pn.BitLen() > MaxBits {
		return Value{}, faultPowTooLarge
	}
	if den.BitLen() == 1 {
		return BigInt(pn), noFault
	}
	pd := new(big.Int).Exp(den, be, nil)
	if pd.BitLen() > MaxDenomBits {
		return Value{}, faultPowTooLarge
	}
	return ratValue(new(big.Rat).SetFrac(pn, pd)), noFault
}

func numFloor(x Value) Value {
	if x.IsInt() {
		return x
	}
	return BigInt(new(big.Int).Div(x.r.Num(), x.r.Denom())) // Euclidean: floor, as den > 0
}

func numCeil(x Value) Value {
	if x.IsInt() {
		return x
	}
	q := new(big.Int).Div(x.r.Num(), x.r.Denom())
	return BigInt(q.Add(q, bigOne))
}
