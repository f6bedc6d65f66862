package layers

import (
	"strings"
	"testing"
)

func TestBuiltinParses(t *testing.T) {
	if _, err := parseBuiltin(); err != nil {
		t.Fatal(err)
	}
}

// TestParseErrorsInFileOrder: every problem of a broken catalog is reported, in the order of the
// file, whatever order the checks run in.
func TestParseErrorsInFileOrder(t *testing.T) {
	src := `{"classes":[{"class":"my.Op","category":"elementwise","parameters":[{"name":"n","type":"sizes"}],
 "formulas":{"flops":"{m} +"}}],
 "extra": 1}`
	_, err := Builtin().Extend("cat.json", []byte(src))
	if err == nil {
		t.Fatal("broken catalog accepted")
	}
	want := []string{
		`cat.json:1:69: error: parameter n of my.Op needs a one-line "meaning"`,
		`cat.json:1:88: error: unknown parameter type "sizes" (known: amount, boolean, bytes, count, number, size)`,
		`cat.json:2:28: error: formula flops of my.Op: unexpected end of expression: expected a number, a {variable}, "(" or a function call`,
		`cat.json:3:2: error: unknown key "extra" in the catalog (expected "classes" or "aliases")`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
}
