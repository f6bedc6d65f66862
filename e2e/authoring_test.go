package e2e

import (
	"bufio"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	st "github.com/modeltool/modeltool/internal/safetensors/safetensorstest"
)

// TestAuthoringGuide runs docs/authoring.md: every code block with file=NAME is written to a
// fresh folder, every console block's "$ modeltool …" line is run there by the real program
// and its output (standard output and error, in order) compared word by word with the lines the
// guide shows below it, "…" standing for any lines; "# exit N" after a command is the exit status it must
// have (0 otherwise). A go block is parsed and must name only helpers the family tests have.
// An HTML comment "<!-- safetensors NAME" … "-->" writes a checkpoint of the tensors it lists
// (NAME DTYPE DIM…), real headers and a hole for the data. So the guide cannot rot.
func TestAuthoringGuide(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "authoring.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := modeltool(t)
	blocks := guideBlocks(string(data))
	if len(blocks) < 10 {
		t.Fatalf("only %d blocks in the guide", len(blocks))
	}
	for _, b := range blocks {
		switch {
		case b.file != "":
			path := filepath.Join(dir, filepath.FromSlash(b.file))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.text), 0o644); err != nil {
				t.Fatal(err)
			}
		case b.checkpoint != "":
			path := filepath.Join(dir, filepath.FromSlash(b.checkpoint))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := st.Write(path, checkpointSpec(t, b.text), nil); err != nil {
				t.Fatal(err)
			}
		case b.lang == "console":
			runConsole(t, bin, dir, b)
		case b.lang == "go":
			checkGoSnippet(t, b)
		}
	}
}

type guideBlock struct {
	lang, file, checkpoint, text string
	line                         int
}

var fenceRE = regexp.MustCompile("^```([a-z]*)(?: file=(\\S+))?\\s*$")

// guideBlocks returns the fenced blocks and checkpoint comments of a markdown text, in order.
func guideBlocks(md string) []guideBlock {
	var out []guideBlock
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if m := fenceRE.FindStringSubmatch(lines[i]); m != nil {
			b := guideBlock{lang: m[1], file: m[2], line: i + 1}
			var body []string
			for i++; i < len(lines) && lines[i] != "```"; i++ {
				body = append(body, lines[i])
			}
			b.text = strings.Join(body, "\n") + "\n"
			out = append(out, b)
			continue
		}
		if name, ok := strings.CutPrefix(lines[i], "<!-- safetensors "); ok {
			b := guideBlock{checkpoint: strings.TrimSpace(name), line: i + 1}
			var body []string
			for i++; i < len(lines) && lines[i] != "-->"; i++ {
				body = append(body, lines[i])
			}
			b.text = strings.Join(body, "\n")
			out = append(out, b)
		}
	}
	return out
}

func checkpointSpec(t *testing.T, text string) []st.T {
	t.Helper()
	var ts []st.T
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		x := st.Of(f[0], f[1])
		for _, d := range f[2:] {
			n, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				t.Fatalf("checkpoint line %q: %v", line, err)
			}
			x.Shape = append(x.Shape, n)
		}
		ts = append(ts, x)
	}
	return ts
}

// runConsole runs each command of a console block and compares its output.
func runConsole(t *testing.T, bin, dir string, b guideBlock) {
	t.Helper()
	type step struct {
		args []string
		exit int
		want []string
		line int
	}
	var steps []*step
	sc := bufio.NewScanner(strings.NewReader(b.text))
	n := b.line
	for sc.Scan() {
		n++
		line := sc.Text()
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			s := &step{line: n}
			if c, code, ok := strings.Cut(cmd, "# exit "); ok {
				cmd = c
				s.exit, _ = strconv.Atoi(strings.TrimSpace(code))
			} else if c, _, ok := strings.Cut(cmd, "  #"); ok {
				cmd = c // a comment for the reader
			}
			s.args = strings.Fields(cmd)
			steps = append(steps, s)
			continue
		}
		if len(steps) == 0 {
			t.Fatalf("docs/authoring.md:%d: console output before any command", n)
		}
		steps[len(steps)-1].want = append(steps[len(steps)-1].want, line)
	}
	for _, s := range steps {
		if len(s.args) == 0 || s.args[0] != "modeltool" {
			t.Errorf("docs/authoring.md:%d: a console command must run modeltool: %q", s.line, s.args)
			continue
		}
		cmd := exec.Command(bin, s.args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != s.exit {
			t.Errorf("docs/authoring.md:%d: %s exited %d, the guide says %d:\n%s", s.line, strings.Join(s.args, " "), code, s.exit, out)
			continue
		}
		got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		if len(out) == 0 {
			got = nil
		}
		want := s.want
		for len(want) > 0 && want[len(want)-1] == "" {
			want = want[:len(want)-1]
		}
		if !matchLines(got, want) {
			t.Errorf("docs/authoring.md:%d: %s printed:\n%s\nthe guide shows:\n%s", s.line, strings.Join(s.args, " "), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// matchLines compares output lines with the guide's, "…" matching any number of lines.
func matchLines(got, want []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "…" {
		for i := 0; i <= len(got); i++ {
			if matchLines(got[i:], want[1:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && sameWords(got[0], want[0]) && matchLines(got[1:], want[1:])
}

// sameWords compares two lines word by word, so a table's column widths may change with its
// other rows.
func sameWords(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// checkGoSnippet parses a go block as the body of a test file of package models_test, and
// requires the helpers it calls to exist in models/helpers_test.go.
func checkGoSnippet(t *testing.T, b guideBlock) {
	t.Helper()
	src := "package models_test\n\n" + b.text
	if _, err := parser.ParseFile(token.NewFileSet(), "snippet.go", src, 0); err != nil {
		t.Errorf("docs/authoring.md:%d: the go block does not parse: %v", b.line, err)
	}
	helpers, err := os.ReadFile(filepath.Join(repoRoot, "models", "helpers_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\b(checkCheckpoints|checkpoint|buildConfig|params|computeStep|wantFigure)\b`).FindAllString(b.text, -1) {
		if !strings.Contains(string(helpers), "func "+m+"(") && !strings.Contains(string(helpers), "type "+m+" ") {
			t.Errorf("docs/authoring.md:%d: the go block uses %s, which models/helpers_test.go does not define", b.line, m)
		}
	}
}
