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
	if got, want := DisplayLayer("model."+long+".q"), "model."+strings.Repeat("n", 48)+"…(10000 bytes).q"; got != want {
		t.Errorf("long name: %q", got)
	}
	ok := strings.Repeat("n", 48)
	if got := DisplayLayer(ok + "." + ok); got != ok+"."+ok {
		t.Errorf("a 48-byte name was cut: %q", got)
	}
	// A multi-byte character is never cut in half.
	if got := DisplayLayer(strings.Repeat("é", 200)); !strings.HasPrefix(got, strings.Repeat("é", 24)+"…(400 bytes)") {
		t.Errorf("multi-byte name: %q", got)
	}
	if got := DisplayLayer("a\nb.c"); got != `a\nb.c` {
		t.Errorf("control character: %q", got)
	}
}

// TestClip: one limit for every message; dotted names keep their end (issue 11, item 4).
func TestClip(t *testing.T) {
	for _, c := range []struct{ in, clip, quote string }{
		{"q_proj", "q_proj", `"q_proj"`},
		{strings.Repeat("x", 48), strings.Repeat("x", 48), `"` + strings.Repeat("x", 48) + `"`},
		// 67 bytes: cut at the front, at a dot, to at most 48.
		{"transformers.models.gpt_neox.modeling_gpt_neox.apply_rotary_pos_emb",
			"…gpt_neox.modeling_gpt_neox.apply_rotary_pos_emb", `…"gpt_neox.modeling_gpt_neox.apply_rotary_pos_emb"`},
		{strings.Repeat("n", 100), strings.Repeat("n", 48) + "…(100 bytes)", `"` + strings.Repeat("n", 48) + `"…(100 bytes)`},
		// A dotted name whose last part alone is too long is cut at the end.
		{"model." + strings.Repeat("n", 60), "model." + strings.Repeat("n", 42) + "…(66 bytes)", `"model.` + strings.Repeat("n", 42) + `"…(66 bytes)`},
		// Text with spaces is not a path, dots or not.
		{"a b." + strings.Repeat("c", 60), "a b." + strings.Repeat("c", 44) + "…(64 bytes)", `"a b.` + strings.Repeat("c", 44) + `"…(64 bytes)`},
		{"{x} * 2." + strings.Repeat("5", 60), "{x} * 2." + strings.Repeat("5", 40) + "…(68 bytes)", `"{x} * 2.` + strings.Repeat("5", 40) + `"…(68 bytes)`},
		// A decimal is a number, not a path: it keeps its integer part, cut at the end (not
		// "…25" at its dot). 60 ones, ".25": 63 bytes, the first 48 kept.
		{strings.Repeat("1", 60) + ".25", strings.Repeat("1", 48) + "…(63 bytes)", `"` + strings.Repeat("1", 48) + `"…(63 bytes)`},
		{"-" + strings.Repeat("1", 60) + ".5", "-" + strings.Repeat("1", 47) + "…(63 bytes)", `"-` + strings.Repeat("1", 47) + `"…(63 bytes)`},
	} {
		if got := Clip(c.in); got != c.clip {
			t.Errorf("Clip(%q) = %q, want %q", c.in, got, c.clip)
		}
		if got := Quote(c.in); got != c.quote {
			t.Errorf("Quote(%q) = %q, want %q", c.in, got, c.quote)
		}
	}
}
