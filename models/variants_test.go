package models_test

import (
	"strings"
	"testing"
)

// variant is a real config with some keys replaced (a nil value writes null) or removed, and
// the parameter count derived by hand for the model it describes.
type variant struct {
	name   string
	config string // relative to the repository root
	set    map[string]any
	remove []string
	params string // exact, as an integer literal
}

// checkVariants populates each variant, a subtest each, and compares the parameter count of
// the model file it builds (which must validate cleanly) with the hand-derived one.
func checkVariants(t *testing.T, cases []variant) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFigure(t, "params", params(t, c.config, buildConfig(t, c.config, c.set, c.remove...)), c.params)
		})
	}
}

// refusal is a config variant populate must refuse, and a part of the message it must give.
type refusal struct {
	set  map[string]any
	want string
}

// checkRefusals populates each variant of the config and requires an error containing the
// refusal's text.
func checkRefusals(t *testing.T, config string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		if _, err := configVariant(t, config, c.set); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: populate error %v, want one containing %q", c.set, err, c.want)
		}
	}
}
