package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitHooks runs the real pre-commit (Debian's package) against this repository with
// `pre-commit try-repo`, in a fresh git repository holding model files: a bad file fails the
// hook with file:line:col findings, good files pass; an out-of-sync model fails
// modeltool-populate-check. pre-commit builds modeltool itself (`go install ./...`), as users'
// machines will.
//
// It takes about a minute (pre-commit builds modeltool in a fresh environment), so it runs only
// when MODELTOOL_PRECOMMIT_TEST=1 (.ci/run sets it); then a missing pre-commit fails it.
func TestPreCommitHooks(t *testing.T) {
	if os.Getenv("MODELTOOL_PRECOMMIT_TEST") != "1" {
		t.Skip("runs the real pre-commit (about a minute); set MODELTOOL_PRECOMMIT_TEST=1 to run it")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Fatal("pre-commit is not installed (apt-get install pre-commit), and MODELTOOL_PRECOMMIT_TEST=1")
	}
	work := t.TempDir()
	home := t.TempDir()
	env := append(os.Environ(), "PRE_COMMIT_HOME="+filepath.Join(home, "pre-commit"), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "NO_COLOR=1")
	run := func(want bool, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = work
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if (err == nil) != want {
			t.Fatalf("%s %s: err=%v (want success %v)\n%s", name, strings.Join(args, " "), err, want, out)
		}
		return string(out)
	}
	copyFile := func(from, to string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(repoRoot, from))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(work, to)), 0o755)
		if err := os.WriteFile(filepath.Join(work, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(true, "git", "init", "-q")
	copyFile("models/llama-2-7b-hf.json", "models/llama.json")
	copyFile("models/llama-2-7b-hf.config.json", "models/llama.config.json")
	copyFile("models/gpt2.json", "models/gpt2.json")
	copyFile("models/gpt2.config.json", "models/gpt2.config.json")
	run(true, "git", "add", ".")

	// Good files pass both hooks.
	out := run(true, "pre-commit", "try-repo", repoRoot, "modeltool-validate", "--all-files")
	if !strings.Contains(out, "Passed") {
		t.Errorf("validate on good files:\n%s", out)
	}
	out = run(true, "pre-commit", "try-repo", repoRoot, "modeltool-populate-check", "--all-files")
	if !strings.Contains(out, "Passed") {
		t.Errorf("populate-check on good files:\n%s", out)
	}

	// A skeleton without parameters fails validation with positioned findings.
	copyFile("testdata/skeleton/llama-2-7b-hf.json", "models/skeleton.json")
	run(true, "git", "add", ".")
	out = run(false, "pre-commit", "try-repo", repoRoot, "modeltool-validate", "--all-files")
	for _, want := range []string{"Failed", "models/skeleton.json:9:19: error: model.embed_tokens: missing parameter num_indices of Embedding"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate on the skeleton lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "models/llama.json:") || strings.Contains(out, "config.json:") {
		t.Errorf("good files or configs reported:\n%s", out)
	}

	// A model file out of sync with the config beside it fails populate-check.
	copyFile("testdata/skeleton/llama-2-7b-hf.json", "models/stale.json")
	copyFile("models/llama-2-7b-hf.config.json", "models/stale.config.json")
	run(true, "git", "add", ".")
	out = run(false, "pre-commit", "try-repo", repoRoot, "modeltool-populate-check", "--files", "models/stale.json", "models/llama.json")
	if !strings.Contains(out, "models/stale.json is out of sync with models/stale.config.json") {
		t.Errorf("populate-check on a stale file:\n%s", out)
	}
}

// TestPreCommitModelRepository runs the README's .pre-commit-config.yaml as written — only the
// repository URL points at a copy of this working tree, and `pre-commit autoupdate` sets rev, as
// the README says — in a model repository that also holds package.json, tsconfig.json (JSON
// with comments) and a HuggingFace checkpoint folder. Both hooks pass; a commit that changes
// only a config, or one value of a model file, fails modeltool-populate-check with the stale
// value at its line.
func TestPreCommitModelRepository(t *testing.T) {
	if os.Getenv("MODELTOOL_PRECOMMIT_TEST") != "1" {
		t.Skip("runs the real pre-commit (about a minute); set MODELTOOL_PRECOMMIT_TEST=1 to run it")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		t.Fatal("pre-commit is not installed (apt-get install pre-commit), and MODELTOOL_PRECOMMIT_TEST=1")
	}
	home := t.TempDir()
	env := append(os.Environ(), "PRE_COMMIT_HOME="+filepath.Join(home, "pre-commit"), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "NO_COLOR=1", "GIT_CONFIG_NOSYSTEM=1", "HOME="+home)
	run := func(dir string, want bool, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if (err == nil) != want {
			t.Fatalf("%s %s: err=%v (want success %v)\n%s", name, strings.Join(args, " "), err, want, out)
		}
		return string(out)
	}
	write := func(path string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(path string) []byte {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	// modeltool as it is in this working tree, committed in a repository of its own.
	upstream := filepath.Join(t.TempDir(), "modeltool")
	files := run(repoRoot, true, "git", "ls-files", "--cached", "--others", "--exclude-standard")
	for _, f := range strings.Fields(files) {
		data, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			continue // deleted in the working tree
		}
		write(filepath.Join(upstream, f), data)
	}
	run(upstream, true, "git", "init", "-q")
	run(upstream, true, "git", "add", ".")
	run(upstream, true, "git", "commit", "-qm", "modeltool")
	head := strings.TrimSpace(run(upstream, true, "git", "rev-parse", "HEAD"))

	// The README's configuration.
	readme := string(read(filepath.Join(repoRoot, "README.md")))
	_, section, ok := strings.Cut(readme, "### pre-commit\n")
	_, block, ok2 := strings.Cut(section, "```yaml\n")
	config, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 || !strings.Contains(config, "https://github.com/modeltool/modeltool") {
		t.Fatal("README.md has no pre-commit example naming https://github.com/modeltool/modeltool")
	}
	config = strings.Replace(config, "https://github.com/modeltool/modeltool", upstream, 1)

	work := t.TempDir()
	write(filepath.Join(work, ".pre-commit-config.yaml"), []byte(config))
	write(filepath.Join(work, "models/llama.json"), read(filepath.Join(repoRoot, "models/llama-2-7b-hf.json")))
	write(filepath.Join(work, "models/llama.config.json"), read(filepath.Join(repoRoot, "models/llama-2-7b-hf.config.json")))
	write(filepath.Join(work, "models/gpt2.json"), read(filepath.Join(repoRoot, "models/gpt2.json")))
	write(filepath.Join(work, "models/gpt2.config.json"), read(filepath.Join(repoRoot, "models/gpt2.config.json")))
	write(filepath.Join(work, "package.json"), []byte(`{"name": "model-zoo", "version": "1.0.0", "private": true, "devDependencies": {"typescript": "^5.6.0"}}`+"\n"))
	write(filepath.Join(work, "tsconfig.json"), []byte("{\n  // JSON with comments, as TypeScript reads it\n  \"compilerOptions\": {\"strict\": true, \"target\": \"es2022\"},\n}\n"))
	ckpt := filepath.Join(work, "checkpoints/llama-2-7b-hf")
	write(filepath.Join(ckpt, "config.json"), read(filepath.Join(repoRoot, "models/llama-2-7b-hf.config.json")))
	write(filepath.Join(ckpt, "generation_config.json"), []byte(`{"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.31.0.dev0"}`+"\n"))
	write(filepath.Join(ckpt, "tokenizer_config.json"), []byte(`{"add_bos_token": true, "add_eos_token": false, "bos_token": "<s>", "eos_token": "</s>", "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "LlamaTokenizer"}`+"\n"))
	write(filepath.Join(ckpt, "special_tokens_map.json"), []byte(`{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}`+"\n"))
	write(filepath.Join(ckpt, "model.safetensors.index.json"), []byte(`{"metadata": {"total_size": 13476839424}, "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors", "model.embed_tokens.weight": "model-00001-of-00002.safetensors"}}`+"\n"))
	run(work, true, "git", "init", "-q")
	run(work, true, "git", "add", ".")

	// "pre-commit autoupdate replaces it with the newest commit."
	run(work, true, "pre-commit", "autoupdate")
	if got := string(read(filepath.Join(work, ".pre-commit-config.yaml"))); !strings.Contains(got, "rev: "+head) {
		t.Fatalf("autoupdate did not set rev to %s:\n%s", head, got)
	}
	run(work, true, "git", "add", ".")

	out := run(work, true, "pre-commit", "run", "--all-files")
	if strings.Count(out, "Passed") != 2 {
		t.Errorf("both hooks should pass:\n%s", out)
	}

	// A commit that changes only the config: the model file beside it is stale at its repeat.
	llamaConfig := filepath.Join(work, "models/llama.config.json")
	original := read(llamaConfig)
	write(llamaConfig, []byte(strings.Replace(string(original), `"num_hidden_layers": 32`, `"num_hidden_layers": 30`, 1)))
	run(work, true, "git", "add", ".")
	out = run(work, false, "pre-commit", "run", "--files", "models/llama.config.json")
	want := fmt.Sprintf("models/llama.json:%s: error: model.decoder_layer: repeat is 32, the config gives 30", valuePosition(t, read(filepath.Join(work, "models/llama.json")), `"repeat": `))
	if !strings.Contains(out, want) {
		t.Errorf("a config-only change: want %q in\n%s", want, out)
	}
	write(llamaConfig, original)

	// A commit that changes one value of a model file.
	gpt2 := filepath.Join(work, "models/gpt2.json")
	data := read(gpt2)
	at := valuePosition(t, data, `"nf": `)
	write(gpt2, []byte(strings.Replace(string(data), `"nf": 2304`, `"nf": 2305`, 1)))
	run(work, true, "git", "add", ".")
	out = run(work, false, "pre-commit", "run", "--files", "models/gpt2.json")
	if want := "models/gpt2.json:" + at + ": error: "; !strings.Contains(out, want) || !strings.Contains(out, "nf is 2305, the config gives 2304") {
		t.Errorf("a hand-edited value: want %q and the values in\n%s", want, out)
	}
}

// valuePosition is "LINE:COL" of the value after the first occurrence of key in data.
func valuePosition(t *testing.T, data []byte, key string) string {
	t.Helper()
	i := strings.Index(string(data), key)
	if i < 0 {
		t.Fatalf("no %s in the file", key)
	}
	i += len(key)
	line := strings.Count(string(data[:i]), "\n") + 1
	col := i - strings.LastIndex(string(data[:i]), "\n")
	return fmt.Sprintf("%d:%d", line, col)
}
