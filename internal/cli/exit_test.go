package cli

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
)

// runWithStdin calls Main in-process with captured streams and the given standard input.
func runWithStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, "", 0, "modeltool ", ""},
		{[]string{"--bogus"}, "", 2, "", "unknown flag: --bogus\nRun 'modeltool --help' for usage."},
		{[]string{"nope"}, "", 2, "", "unknown command \"nope\" for \"modeltool\"\nRun 'modeltool --help' for usage."},
		{[]string{"calc"}, "", 2, "", "modeltool calc takes one MODEL.json (or - for standard input), not 0 arguments\nRun 'modeltool calc --help' for usage."},
		{[]string{"tree", "a.json", "b.json"}, "", 2, "", "modeltool tree takes one MODEL.json (or - for standard input), not 2 arguments\nRun"},
		{[]string{"layers", "a", "b"}, "", 2, "", "modeltool layers takes at most one CLASS, not 2 arguments\nRun"},
		{[]string{"schema", "x"}, "", 2, "", `modeltool schema takes no arguments, not "x"`},
		{[]string{"completion", "bash", "extra"}, "", 2, "", "Run 'modeltool completion bash --help' for usage."},
		{[]string{"populate", "--format", "yaml"}, "", 2, "", `--format must be one of text, json, github, not "yaml"`},
		{[]string{"tree", "--format", "yaml", "-"}, "", 2, "", `--format must be one of text, json, github, not "yaml"`},
		{[]string{"validate"}, "", 2, "", "validate needs at least one PATH"},
		{[]string{"validate", "--format", "xml", "-"}, "{}", 2, "", `--format must be one of text, json, github, not "xml"`},
		{[]string{"validate", "-"}, `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.ReLU"}]}`, 1, "<stdin>:1:22: error: a: missing parameter", ""},
		{[]string{"validate", "-"}, `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": 4, "dtype_bytes": 2}}]}`, 0, "", ""},
		{[]string{"calc", "-"}, `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": 4, "dtype_bytes": 2}}]}`, 0, "total", ""},
		{[]string{"calc", "--set", "nope=1", "-"}, `{"layers": [{"name": "a", "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": 4, "dtype_bytes": 2}}]}`, 2, "", "variable nope: not a variable of this model"},
		{[]string{"layers", "NoSuchClass"}, "", 2, "", `no basic class "NoSuchClass" in the catalog`},
		{[]string{"populate"}, "", 2, "", "give --config CONFIG.json"},
		{[]string{"validate", "https://example.com/m.json"}, "", 2, "", "is a URL; modeltool never fetches anything"},
	} {
		code, stdout, stderr := runWithStdin(t, c.stdin, c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
				c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

func TestCalcBindings(t *testing.T) {
	opts := &calcOptions{variableFlags: variableFlags{sets: []string{"seq_len=2 * 1024", "flag=true"}, pastLen: "0", dtype: "bf16", weightDType: "int4", kvDType: "FP8"}}
	set, compute, err := opts.bindings()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]expr.Value{
		"seq_len": expr.Int(2048), "flag": expr.Bool(true), "past_len": expr.Int(0),
		"dtype_bytes": expr.Int(2), "weight_dtype_bytes": expr.Rat(big.NewRat(1, 2)), "kv_dtype_bytes": expr.Int(1),
	}
	if len(set) != len(want) || compute != "bf16" {
		t.Fatalf("bindings %v, compute dtype %q", set, compute)
	}
	for k, v := range want {
		if !set[k].Equal(v) {
			t.Errorf("%s = %s, want %s", k, set[k], v)
		}
	}
	for _, bad := range []*variableFlags{
		{sets: []string{"seq_len"}},
		{sets: []string{"=3"}},
		{sets: []string{"seq_len={past_len}"}},
		{sets: []string{"seq_len=1 +"}},
		{seqLen: "0"},
		{batchSize: "-2"},
		{pastLen: "x"},
		{dtype: "fp7"},
	} {
		if _, _, err := bad.bindings(); err == nil {
			t.Errorf("%+v: no error", bad)
		} else if _, ok := err.(*usageError); !ok {
			t.Errorf("%+v: %T, want a usage error (exit 2)", bad, err)
		}
	}
}

func TestEveryCommandHasAnExample(t *testing.T) {
	root := newRootCmd(&Streams{Getenv: func(string) string { return "" }})
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("modeltool %s has no example in its --help", c.Name())
		}
	}
}

// TestErrorsAreNotJudgedByTheirText: only a usageError gets the hint to --help; an error that
// merely reads like cobra's (EINVAL's text is "invalid argument") is exit 2 without it.
func TestErrorsAreNotJudgedByTheirText(t *testing.T) {
	for _, msg := range []string{"read m.json: invalid argument", "unknown flag: --x", "accepts 1 arg(s)"} {
		var errb bytes.Buffer
		x := &exiter{streams: &Streams{Err: &errb, Getenv: func(string) string { return "" }}, format: "text", color: "never", outUsed: func() bool { return false }}
		if code := x.exitCode(errors.New(msg), "modeltool validate"); code != exitUsage || errb.String() != "modeltool: "+msg+"\n" {
			t.Errorf("%q: exit %d, %q", msg, code, errb.String())
		}
	}
}

// TestFaultsAfterOutput: diagnostics in json follow the command's own output on standard
// error, never into it.
func TestFaultsAfterOutput(t *testing.T) {
	var out, errb bytes.Buffer
	x := &exiter{streams: &Streams{Out: &out, Err: &errb, Getenv: func(string) string { return "" }}, format: "json", color: "never", outUsed: func() bool { return true }}
	err := findings("m.json still has 1 validation error(s)", diag.New(diag.Diagnostic{File: "m.json", Line: 1, Column: 1, Code: "c", Message: "m"}))
	if code := x.exitCode(err, "modeltool populate"); code != exitFindings || out.Len() != 0 || !strings.HasPrefix(errb.String(), "{\n  \"files\": 1,") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
