package main

import (
	"bytes"
	"strings"
	"testing"
)

// run runs modeltool in-process and returns its exit code, standard output and error.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := &Streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	code := Main(args, s)
	return code, out.String(), errb.String()
}

// TestTreeCalcVariablesAndTemplates: tree --calc binds variables as calc does, so a bad --set
// is a usage error (exit 2, architecture §6) in both, and both refuse a template the same way.
func TestTreeCalcVariablesAndTemplates(t *testing.T) {
	const llama = "../../models/llama-2-7b-hf.json"
	const tpl = "../../models/templates/llama.json"
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"calc", "--set", "nope=3", llama}, 2, "modeltool: variable nope: not a variable of this model"},
		{[]string{"tree", "--calc", "--set", "nope=3", llama}, 2, "modeltool: variable nope: not a variable of this model"},
		{[]string{"calc", "--set", "seq_len=0", llama}, 2, "modeltool: variable seq_len: must be a positive integer, got 0"},
		{[]string{"tree", "--calc", "--set", "seq_len=0", llama}, 2, "modeltool: variable seq_len: must be a positive integer, got 0"},
		{[]string{"tree", "--calc", "--set", "seq_len", llama}, 2, `modeltool: --set "seq_len": expected NAME=VALUE`},
		{[]string{"calc", tpl}, 2, "modeltool: " + tpl + " is a template; run modeltool populate"},
		{[]string{"tree", "--calc", tpl}, 2, "modeltool: " + tpl + " is a template; run modeltool populate"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != c.code || !strings.HasPrefix(stderr, c.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d, stderr starting %q", strings.Join(c.args, " "), code, stderr, c.code, c.stderr)
		}
	}
	// Without --calc a template is a tree like any other.
	if code, out, _ := run(t, "tree", tpl); code != 0 || !strings.Contains(out, "decoder_layer ×{num_hidden_layers}") {
		t.Errorf("tree of a template: exit %d\n%s", code, out)
	}
}
