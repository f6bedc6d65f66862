package cli

import "testing"

// TestUseColor: --color always and never win; auto colours a terminal unless NO_COLOR is set
// (to anything), and never colours a pipe or file.
func TestUseColor(t *testing.T) {
	cases := []struct {
		mode     string
		noColor  string
		terminal bool
		want     bool
	}{
		{"auto", "", true, true},
		{"auto", "1", true, false},
		{"auto", "", false, false},
		{"", "", true, true},
		{"always", "", false, true},
		{"always", "1", false, true},
		{"never", "", true, false},
	}
	for _, c := range cases {
		s := &Streams{Getenv: func(k string) string {
			if k == "NO_COLOR" {
				return c.noColor
			}
			return ""
		}}
		got, err := useColor(c.mode, s, c.terminal)
		if err != nil || got != c.want {
			t.Errorf("useColor(%q, NO_COLOR=%q, terminal %v) = %v, %v; want %v", c.mode, c.noColor, c.terminal, got, err, c.want)
		}
	}
	if _, err := useColor("sometimes", &Streams{}, true); err == nil {
		t.Error("--color sometimes accepted")
	}
}
