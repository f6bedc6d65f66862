package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// complete runs the shell-completion request of a command line (what the completion scripts
// ask modeltool) and returns the candidates and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, stderr := run(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// TestCompletion: short class names for layers, --color's values, .json files and folders for
// model-file arguments and file flags (the shell filters by extension: directive 8).
func TestCompletion(t *testing.T) {
	got, _ := complete(t, "layers", "Lin")
	if len(got) == 0 || !strings.HasPrefix(got[0], "Linear\t") {
		t.Errorf("layers Lin completes %q, want Linear first", got)
	}
	for _, c := range got {
		if !strings.HasPrefix(strings.ToLower(c), "lin") {
			t.Errorf("layers Lin offers %q", c)
		}
	}
	got, _ = complete(t, "layers", "torch.nn.modules.linear.")
	if len(got) != 1 || !strings.HasPrefix(got[0], "torch.nn.modules.linear.Linear\t") {
		t.Errorf("a class path completes to %q", got)
	}
	got, _ = complete(t, "validate", "--color", "")
	if strings.Join(got, " ") != "auto always never" {
		t.Errorf("--color completes %q", got)
	}
	for _, args := range [][]string{{"calc", ""}, {"validate", ""}, {"tree", ""}, {"serve", ""}, {"populate", "--config", ""}, {"calc", "--catalog", ""}, {"validate", "--weights", ""}} {
		got, directive := complete(t, args...)
		if strings.Join(got, " ") != "json" || directive != ":8" {
			t.Errorf("%s completes %q %s, want the .json filter (:8)", strings.Join(args, " "), got, directive)
		}
	}
}

// TestTreeTakesCalcShorthands: tree --calc takes calc's shorthand flags with calc's meaning
// and checks; without --calc they are a usage error.
func TestTreeTakesCalcShorthands(t *testing.T) {
	const llama = "../../models/llama-2-7b-hf.json"
	code, short, stderr := run(t, "tree", "--calc", "--seq-len", "1", "--past-len", "4096", "--batch-size", "8", "--dtype", "fp8", llama)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, long, _ := run(t, "tree", "--calc", "--set", "seq_len=1", "--set", "past_len=4096", "--set", "batch_size=8", "--set", "dtype_bytes=1", llama)
	if code != 0 || short != long {
		t.Errorf("the shorthands and --set differ:\n%s\n%s", short, long)
	}
	code, plain, _ := run(t, "tree", "--calc", llama)
	if code != 0 || plain == short {
		t.Errorf("the shorthands changed nothing")
	}
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"tree", "--calc", "--seq-len", "0", llama}, "--seq-len must be a positive integer"},
		{[]string{"tree", "--calc", "--kv-dtype", "fp7", llama}, `--kv-dtype "fp7" is not a dtype`},
		{[]string{"tree", "--seq-len", "8", llama}, "--seq-len sets a variable for --calc; add --calc"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", strings.Join(c.args, " "), code, stderr, c.stderr)
		}
	}
}

// TestSchemaKnowsProjectCatalogs: modeltool schema writes in the classes of the catalogs the
// project file (.modeltool.json) names and those of --catalog, as validate would use them.
func TestSchemaKnowsProjectCatalogs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	class := func(name string) string {
		return `{"classes": [{"class": "` + name + `", "category": "other", "description": "a mixer",
			"parameters": [{"name": "d_state", "type": "size", "meaning": "state width"}], "formulas": {"params": "{d_state}"}}]}`
	}
	write(".modeltool.json", `{"catalogs": ["catalog/acme.json"]}`)
	write("catalog/acme.json", class("acme.Mixer"))
	write("extra.json", class("acme.Extra"))
	t.Chdir(dir)
	code, out, stderr := run(t, "schema", "--catalog", "extra.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"const": "acme.Mixer"`, `"params acme.Mixer"`, `"const": "acme.Extra"`, `"const": "torch.nn.modules.linear.Linear"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the schema lacks %s", want)
		}
	}
}
