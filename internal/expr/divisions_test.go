package expr

import "testing"

func TestDivisions(t *testing.T) {
	e := MustParse("{n} // {c} * 3 + {n} % 7 + ceil({n} / 16) + floor(({n} + 1) / {c}) + {n} / 5 + ({c} > 0 ? 1 : {n} // 0)")
	got := e.Divisions(MapEnv{"n": Int(100), "c": Int(8)})
	want := []struct {
		ok       bool
		dividend int64
		divisor  int64
	}{{true, 100, 8}, {true, 100, 7}, {true, 100, 16}, {true, 101, 8}, {true, 100, 0}}
	if len(got) != len(want) {
		t.Fatalf("%d divisions, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.OK != w.ok || !g.Dividend.Equal(Int(w.dividend)) || !g.Divisor.Equal(Int(w.divisor)) {
			t.Errorf("division %d: %v %v %v, want %v %d %d", i, g.OK, g.Dividend, g.Divisor, w.ok, w.dividend, w.divisor)
		}
	}
	// The plain quotient {n} / 5 is not a division of this kind; an operand that does not
	// evaluate leaves the entry in place, not OK, so two Envs compare entry by entry.
	got = e.Divisions(MapEnv{"c": Int(8)})
	if len(got) != len(want) {
		t.Fatalf("%d divisions without n, want %d", len(got), len(want))
	}
	for i, g := range got {
		if g.OK {
			t.Errorf("division %d is OK without n: %v", i, g)
		}
	}
}
