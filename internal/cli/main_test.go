package cli

import (
	"bytes"
	"fmt"
	"os"
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
// is a usage error (exit 2, README "Exit codes") in both, and both refuse a template the same way.
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

// TestCalcHardwareFile: --hardware picks a device of --hardware-file by any of its names, as
// it picks a preset.
func TestCalcHardwareFile(t *testing.T) {
	hw := t.TempDir() + "/hw.json"
	if err := os.WriteFile(hw, []byte(`[
		{"name": "My-GPU", "aliases": ["mine"], "memory_bandwidth": 1e12, "peak_flops": {"bf16": 1e14}},
		{"name": "Other", "memory_bandwidth": 1e12, "peak_flops": {"bf16": 1e14}}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"My-GPU", "my gpu", "mine"} {
		code, out, stderr := run(t, "calc", "--hardware-file", hw, "--hardware", name, "../../models/llama-2-7b-hf.json")
		if code != 0 || !strings.Contains(out, "on My-GPU: 100.00 T FLOP/s bf16") {
			t.Errorf("--hardware %q: exit %d, %s%s", name, code, stderr, out)
		}
	}
	code, _, stderr := run(t, "calc", "--hardware-file", hw, "--hardware", "theirs", "../../models/llama-2-7b-hf.json")
	if want := `modeltool: ` + hw + ` has no device named "theirs" (it has My-GPU, Other)`; code != 2 || !strings.HasPrefix(stderr, want) {
		t.Errorf("unknown device: exit %d, %q; want 2, %q", code, stderr, want)
	}
}

// TestCalcHardwareWithoutTheDType: a device without a peak for the dtype calc took from
// dtype_bytes says where that dtype came from and how to choose another.
func TestCalcHardwareWithoutTheDType(t *testing.T) {
	hw := t.TempDir() + "/hw.json"
	if err := os.WriteFile(hw, []byte(`{"name": "Half", "memory_bandwidth": 1e12, "peak_flops": {"fp16": 1e14}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "calc", "--hardware-file", hw, "../../models/llama-2-7b-hf.json")
	want := "modeltool: --hardware Half: Half has no peak figure for bf16 (it has: fp16); bf16 is the dtype of dtype_bytes 2: choose the compute dtype with --dtype\n"
	if code != 2 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, %q; want 2, %q", code, stderr, want)
	}
	if code, out, stderr := run(t, "calc", "--hardware-file", hw, "--dtype", "fp16", "../../models/llama-2-7b-hf.json"); code != 0 || !strings.Contains(out, "on Half: 100.00 T FLOP/s fp16") {
		t.Errorf("--dtype fp16: exit %d %s", code, stderr)
	}
}

// TestMalformedJSONIsAFinding: tree and populate report a file that is not JSON as validate
// does, FILE:LINE:COL: error: invalid JSON: …, and exit 1.
func TestMalformedJSONIsAFinding(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.json"
	if err := os.WriteFile(bad, []byte("{\n  \"layers\": [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := bad + ":3:1: error: invalid JSON: unexpected end of file: the array opened at 2:13 is not closed"
	for _, args := range [][]string{
		{"validate", bad},
		{"tree", bad},
		{"tree", "--calc", bad},
		{"populate", "--config", "../../models/llama-2-7b-hf.config.json", bad},
	} {
		code, out, stderr := run(t, args...)
		if got := strings.TrimSpace(out + stderr); code != 1 || !strings.HasPrefix(got, want) {
			t.Errorf("%s: exit %d\n%s\nwant exit 1 and\n%s", strings.Join(args, " "), code, got, want)
		}
	}
}

// TestPopulateBadTemplateFile: the problems of a --template FILE are listed as validate lists
// findings (FILE:LINE:COL: error: LAYER: MESSAGE), like those of a --catalog file; exit 2.
func TestPopulateBadTemplateFile(t *testing.T) {
	src, err := os.ReadFile("../../models/templates/llama.json")
	if err != nil {
		t.Fatal(err)
	}
	tpl := t.TempDir() + "/tpl.json"
	if err := os.WriteFile(tpl, bytes.Replace(src, []byte(`"repeat": "{num_hidden_layers}"`), []byte(`"repeat": "{num_hidden_layer}"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "populate", "--config", "../../models/llama-2-7b-hf.config.json", "--template", tpl)
	// The finding is at the repeat's value: its line in the template, column 22 (after 10
	// spaces of indentation and `"repeat": `).
	line := bytes.Count(src[:bytes.Index(src, []byte(`"repeat": "{num_hidden_layers}"`))], []byte("\n")) + 1
	want := tpl + fmt.Sprintf(":%d:22: error: model.decoder_layer: repeat: {num_hidden_layer} is not a declared variable (did you mean {num_hidden_layers}?)\n", line) +
		"modeltool: template " + tpl + " is not valid\n"
	if code != 2 || stderr != want {
		t.Errorf("exit %d\n%s\nwant exit 2 and\n%s", code, stderr, want)
	}
}

// TestPopulateTemplateIsAModelFile: --template naming a model file (unfilled, so full of
// findings, or complete) says so in one line and shows the command that fills it.
func TestPopulateTemplateIsAModelFile(t *testing.T) {
	const config = "../../models/llama-2-7b-hf.config.json"
	for _, file := range []string{"../../testdata/skeleton/llama-2-7b-hf.json", "../../models/llama-2-7b-hf.json"} {
		code, _, stderr := run(t, "populate", "--config", config, "--template", file)
		want := "modeltool: " + file + ` is a model file, not a template (it has no "template" section); to fill it: modeltool populate --config ` + config + " " + file + "\n"
		if code != 2 || stderr != want {
			t.Errorf("exit %d\n%s\nwant exit 2 and\n%s", code, stderr, want)
		}
	}
}

// TestLayersUnknownClass: a CLASS argument the catalog does not know is a mistake in the
// command line, like an unknown --hardware or --template: exit 2, with the near miss.
func TestLayersUnknownClass(t *testing.T) {
	code, _, stderr := run(t, "layers", "Lnear")
	if want := `modeltool: no basic class "Lnear" in the catalog (did you mean torch.nn.modules.linear.Linear?)`; code != 2 || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, %q; want exit 2 and %q…", code, stderr, want)
	}
	if code, out, _ := run(t, "layers", "linear"); code != 0 || !strings.HasPrefix(out, "torch.nn.modules.linear.Linear\n") {
		t.Errorf("layers linear: exit %d\n%s", code, out)
	}
}

// TestCalcLengthFlags: --batch-size, --seq-len and --past-len take any integer of their
// variable's type (exact, like --set), and say which that is.
func TestCalcLengthFlags(t *testing.T) {
	const llama = "../../models/llama-2-7b-hf.json"
	for _, c := range []struct {
		args   []string
		code   int
		output string
	}{
		{[]string{"--past-len", "0"}, 0, "past_len=0 "},
		{[]string{"--seq-len", "99999999999999999999"}, 0, "seq_len=99999999999999999999 "},
		{[]string{"--past-len", "-1"}, 2, `modeltool: --past-len must be a non-negative integer, not "-1"`},
		{[]string{"--past-len", "x"}, 2, `modeltool: --past-len must be a non-negative integer, not "x"`},
		{[]string{"--seq-len", "0"}, 2, `modeltool: --seq-len must be a positive integer, not "0"`},
		{[]string{"--batch-size", "1.5"}, 2, `modeltool: --batch-size must be a positive integer, not "1.5"`},
	} {
		code, out, stderr := run(t, append(append([]string{"calc"}, c.args...), llama)...)
		if code != c.code || !strings.Contains(out+stderr, c.output) {
			t.Errorf("%s: exit %d, %s; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.output)
		}
	}
}
