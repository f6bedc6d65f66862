package report

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
)

// Exact prints r exactly when it can: an integer in full, a terminating fraction as its exact
// decimal; anything else as a decimal rounded to 9 places.
func Exact(r *big.Rat) string {
	if r == nil {
		return "0"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	s, _ := expr.Rat(r).Decimal(9)
	return s
}

// IsExact reports whether Exact(r) is exact.
func IsExact(r *big.Rat) bool {
	if r == nil || r.IsInt() {
		return true
	}
	_, exact := expr.Rat(r).Decimal(9)
	return exact
}

// Grouped prints an exact figure with thousands separators: 6,738,415,616.
func Grouped(r *big.Rat) string { return groupDigits(Exact(r)) }

// groupDigits puts thousands separators into the decimal s.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

type prefix struct {
	scale  float64
	suffix string
}

var siPrefixes = []prefix{{1e18, "E"}, {1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}
var countPrefixes = []prefix{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}}

// Human prints r with two decimals and an SI prefix followed by unit: "27.06 T", "13.48 GB".
func Human(r *big.Rat, unit string) string {
	return human(r, unit, siPrefixes)
}

// HumanCount prints a count of parameters the way the field does: "6.74 B", "131.07 M".
func HumanCount(r *big.Rat) string {
	return human(r, "", countPrefixes)
}

// humanInt is human of the integer x, when it can be printed without big arithmetic.
func humanInt(x int64, unit string, prefixes []prefix) (string, bool) {
	if x == 0 {
		return "0", true
	}
	f := float64(x)
	abs := math.Abs(f)
	if abs >= 1000*prefixes[0].scale {
		return "", false
	}
	for _, p := range prefixes {
		if abs >= p.scale {
			b := strconv.AppendFloat(make([]byte, 0, 16), f/p.scale, 'f', 2, 64)
			return string(append(append(append(b, ' '), p.suffix...), unit...)), true
		}
	}
	return strings.TrimSpace(strconv.FormatInt(x, 10) + " " + unit), true
}

func human(r *big.Rat, unit string, prefixes []prefix) string {
	if r == nil || r.Sign() == 0 {
		return "0"
	}
	f, _ := r.Float64()
	abs := math.Abs(f)
	if abs >= 1000*prefixes[0].scale {
		return scientific(r, unit)
	}
	for _, p := range prefixes {
		if abs >= p.scale {
			return fmt.Sprintf("%.2f %s%s", f/p.scale, p.suffix, unit)
		}
	}
	if r.IsInt() {
		return strings.TrimSpace(r.Num().String() + " " + unit)
	}
	return strings.TrimSpace(fmt.Sprintf("%.2f %s", f, unit))
}

// Seconds prints a duration in the unit that suits it: "1.25 ms", "310.20 µs", "2.41 s".
func Seconds(r *big.Rat) string {
	if r == nil || r.Sign() == 0 {
		return "0"
	}
	f, _ := r.Float64()
	switch {
	case math.Abs(f) >= 1e6:
		return scientific(r, "s")
	case f >= 1:
		return fmt.Sprintf("%.2f s", f)
	case f >= 1e-3:
		return fmt.Sprintf("%.2f ms", f*1e3)
	case f >= 1e-6:
		return fmt.Sprintf("%.2f µs", f*1e6)
	}
	return fmt.Sprintf("%.2f ns", f*1e9)
}

// scientific prints r with three significant digits in e-notation ("1.60e+401 B"), for
// figures beyond 1000 of the largest prefix; exact figures may exceed float64 (a layer repeated
// 10^400 times), so it rounds through big.Float.
func scientific(r *big.Rat, unit string) string {
	return strings.TrimSpace(new(big.Float).SetRat(r).Text('e', 2) + " " + unit)
}
