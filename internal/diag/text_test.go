package diag

import (
	"strings"
	"testing"
)

func TestPrintable(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"é and QKᵀ stay", "é and QKᵀ stay"},
		{"tab\there", `tab\there`},
		{"line\nbreak", `line\nbreak`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"nul\x00", `nul\x00`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"replacement \uFFFD kept", "replacement \uFFFD kept"},
	}
	for _, c := range cases {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDisplayLayer(t *testing.T) {
	long := strings.Repeat("n", 10000)
	if got, want := DisplayLayer("model."+long+".q"), "model."+strings.Repeat("n", 60)+"…(10000 bytes).q"; got != want {
		t.Errorf("long name: %q", got)
	}
	ok := strings.Repeat("n", 256)
	if got := DisplayLayer(ok); got != ok {
		t.Errorf("a 256-byte name was cut: %q", got)
	}
	// A multi-byte character is never cut in half.
	if got := DisplayLayer(strings.Repeat("é", 200)); !strings.HasPrefix(got, strings.Repeat("é", 30)+"…(400 bytes)") {
		t.Errorf("multi-byte name: %q", got)
	}
	if got := DisplayLayer("a\nb.c"); got != `a\nb.c` {
		t.Errorf("control character: %q", got)
	}
}
