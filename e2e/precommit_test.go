package e2e

import (
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
