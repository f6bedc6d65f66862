package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpExamplesRun runs every example of every command's --help, as a newcomer would type
// it in a model repository laid out as this one (models/NAME.json beside
// models/NAME.config.json), and requires exit 0. An example that names a file such a
// repository does not have (config.json, my-catalog.json, a checkpoint) is left out, and so is
// serve, which does not return; a redirection's target is dropped (the output is discarded).
func TestHelpExamplesRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, err := filepath.Glob("../../models/*.json")
	if err != nil || len(shipped) == 0 {
		t.Fatalf("no shipped models: %v", err)
	}
	for _, f := range shipped {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "models", filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)

	root := newRootCmd(&Streams{})
	ran := 0
	for _, cmd := range append(root.Commands(), root) {
		for line := range strings.SplitSeq(cmd.Example, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "modeltool ") {
				continue
			}
			line, _, _ = strings.Cut(line, ">") // the output is read here, not written
			args, ok := exampleArgs(strings.Fields(line)[1:])
			if !ok || args[0] == "serve" {
				continue
			}
			t.Run(line, func(t *testing.T) {
				if code, _, stderr := run(t, args...); code != 0 {
					t.Errorf("exit %d:\n%s", code, stderr)
				}
			})
			ran++
		}
	}
	if ran < 15 {
		t.Errorf("only %d examples ran; the filter leaves out too many", ran)
	}
}

// exampleArgs expands the glob patterns of an example's arguments as a shell would, and
// reports whether every file it names exists here.
func exampleArgs(fields []string) ([]string, bool) {
	var args []string
	for _, a := range fields {
		switch {
		case strings.ContainsAny(a, "*?["):
			m, _ := filepath.Glob(a)
			if len(m) == 0 {
				return nil, false
			}
			args = append(args, m...)
			continue
		case strings.HasPrefix(a, "~"):
			return nil, false
		case !strings.HasPrefix(a, "-") && (strings.HasSuffix(a, ".json") || strings.HasSuffix(a, ".txt") || strings.HasSuffix(a, "/")):
			if _, err := os.Stat(a); err != nil {
				return nil, false
			}
		}
		args = append(args, a)
	}
	return args, len(args) > 0
}
