package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"sub_layers", "sublayers", 1}, {"héllo", "hello", 1}, {"seq_len", "seq_len", 0}} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestNearest(t *testing.T) {
	vars := []string{"batch_size", "seq_len", "past_len", "dtype_bytes"}
	for _, c := range []struct{ name, want string }{
		{"seq_length", "seq_len"}, // three edits, and a third of 10 letters is 3
		{"seqlen", "seq_len"},     // one edit
		{"Batch_Size", "batch_size"},
		{"nope", ""},
		{"seq_len", ""}, // the name itself is never suggested
		{string(make([]byte, 300)), ""},
	} {
		if got := Nearest(c.name, vars); got != c.want {
			t.Errorf("Nearest(%q) = %q, want %q", c.name, Nearest(c.name, vars), c.want)
		}
	}
	if got := Nearest("ab", []string{"ad", "ac"}); got != "ac" {
		t.Errorf("tie: %q, want the first alphabetically", got)
	}
}
