package report

import (
	"math/big"
	"testing"
)

// TestReadableNumbers: the table's units, from ordinary figures to those of a layer repeated
// 10^400 times (repeat counts have no limit, and the figures stay exact; their readable form
// must not turn into +Inf, nor into hundreds of digits before a prefix).
func TestReadableNumbers(t *testing.T) {
	pow10 := func(n int64) *big.Rat {
		return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil))
	}
	times := func(a int64, r *big.Rat) *big.Rat { return new(big.Rat).Mul(big.NewRat(a, 1), r) }
	for _, c := range []struct{ got, want string }{
		{Human(big.NewRat(0, 1), "B"), "0"},
		{Human(big.NewRat(512, 1), "B"), "512 B"},
		{Human(big.NewRat(27_060_000_000_000, 1), ""), "27.06 T"},
		{Human(big.NewRat(13_480_000_000, 1), "B"), "13.48 GB"},
		{Human(big.NewRat(1, 2), "B"), "0.50 B"},
		{HumanCount(big.NewRat(6_738_415_616, 1)), "6.74 B"},
		{Human(times(999, pow10(18)), "B"), "999.00 EB"},
		{Human(pow10(21), "B"), "1.00e+21 B"},
		{Human(times(16, pow10(400)), ""), "1.60e+401"},
		{Human(times(-16, pow10(400)), "B"), "-1.60e+401 B"},
		{HumanCount(times(16, pow10(400))), "1.60e+401"},
		{HumanCount(pow10(15)), "1.00e+15"},
		{Seconds(big.NewRat(5, 4)), "1.25 s"},
		{Seconds(big.NewRat(3102, 10_000_000)), "310.20 µs"},
		{Seconds(times(3, pow10(7))), "3.00e+07 s"},
		{Seconds(times(16, pow10(400))), "1.60e+401 s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
