package model

import (
	"testing"
)

// TestDuplicateKeysLastWins: of a duplicated parameter or variable the last value counts, as in
// every JSON reader and in calc, and it is listed once.
func TestDuplicateKeysLastWins(t *testing.T) {
	src := `{"variables": {"v": 1, "w": 5, "v": 2},
	"layers": [{"name": "a", "class": "torch.add", "parameters": {"n": 1, "m": 2, "n": "{v}", "n": 3}}]}`
	f, err := Parse("t.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Variables) != 2 || f.Variables[0].Name != "w" || f.Variables[1].Name != "v" || f.Variables[1].Value.Node.Text != "2" {
		t.Errorf("variables: %+v", f.Variables)
	}
	if v := f.Variable("v"); v == nil || v.Value.Node.Text != "2" {
		t.Errorf("Variable(v) = %+v", v)
	}
	l := f.Layers[0]
	if len(l.Parameters) != 2 || l.Parameters[0].Name != "m" || l.Parameters[1].Name != "n" {
		t.Errorf("parameters: %+v", l.Parameters)
	}
	if p := l.Param("n"); p == nil || p.Value.Node.Text != "3" {
		t.Errorf("Param(n) = %+v", p)
	}
	// Many members (the map path) behave the same.
	many := `{"layers": [{"name": "a", "class": "x.Y", "parameters": {"p0": 0, "p1": 1, "p2": 2, "p3": 3, "p4": 4, "p5": 5, "p6": 6, "p7": 7, "p8": 8, "p9": 9, "p10": 10, "p11": 11, "p12": 12, "p13": 13, "p14": 14, "p15": 15, "p16": 16, "p0": "last"}}]}`
	f, err = Parse("t.json", []byte(many))
	if err != nil {
		t.Fatal(err)
	}
	ps := f.Layers[0].Parameters
	if len(ps) != 17 || ps[0].Name != "p1" || ps[16].Name != "p0" || ps[16].Value.Node.Text != "last" {
		t.Errorf("17 parameters with a duplicate: got %d, first %s, last %s", len(ps), ps[0].Name, ps[len(ps)-1].Name)
	}
}
