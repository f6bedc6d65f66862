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
			runConsole(t, bin, dir, "docs/authoring.md", b, nil)
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

// runConsole runs each command of a console block and compares its output. doc names the
// file in messages; skip, when not nil, leaves out the commands it returns true for (and makes
// the shown output an excerpt: lines may follow it, and "…" inside a line stands for any
// words).
func runConsole(t *testing.T, bin, dir, doc string, b guideBlock, skip func(args []string, want []string) bool) {
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
			t.Fatalf("%s:%d: console output before any command", doc, n)
		}
		steps[len(steps)-1].want = append(steps[len(steps)-1].want, line)
	}
	for _, s := range steps {
		if skip != nil && skip(s.args, s.want) {
			continue
		}
		if len(s.args) == 0 || s.args[0] != "modeltool" {
			t.Errorf("%s:%d: a console command must run modeltool: %q", doc, s.line, s.args)
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
			t.Errorf("%s:%d: %s exited %d, the guide says %d:\n%s", doc, s.line, strings.Join(s.args, " "), code, s.exit, out)
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
		match := matchLines(got, want, sameWords)
		if skip != nil {
			match = matchLines(got, append(want, "…"), sameWordsExcerpt)
		}
		if !match {
			t.Errorf("%s:%d: %s printed:\n%s\nthe guide shows:\n%s", doc, s.line, strings.Join(s.args, " "), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestReadmeExamples runs the console examples of the README and of the docs it links to
// that work on the shipped models (every file they name is models/NAME.json) and show what
// they print, in a folder holding a copy of models/, and compares the output as
// TestAuthoringGuide does: the figures a newcomer reads first cannot go stale. Examples on
// files of the reader's own (config.json, tree.txt, a checkpoint) are illustrations and are
// left out; docs/populate.md's --check example shows a drifted file, and
// testdata/script/populate_drift.txtar pins those lines.
func TestReadmeExamples(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, _ := filepath.Glob(filepath.Join(repoRoot, "models", "*.json"))
	for _, f := range shipped {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "models", filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := modeltool(t)
	ran := 0
	skip := func(args, want []string) bool {
		if len(want) == 0 || len(args) < 2 || args[1] == "serve" {
			return true // a list of commands, or one that does not return
		}
		named := false
		for _, a := range args[1:] {
			if strings.HasSuffix(a, ".json") || strings.HasSuffix(a, "/") || a == "." {
				if !strings.HasPrefix(a, "models/") {
					return true
				}
				if _, err := os.Stat(filepath.Join(dir, a)); err != nil {
					return true
				}
				named = true
			}
		}
		if named {
			ran++
		}
		return !named
	}
	for _, doc := range []string{"README.md", "docs/planning.md", "docs/output.md", "docs/serve.md", "docs/editor.md"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(doc)))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range guideBlocks(string(data)) {
			if b.lang == "console" {
				runConsole(t, bin, dir, doc, b, skip)
			}
		}
	}
	if ran < 4 {
		t.Errorf("only %d examples ran", ran)
	}
}

// matchLines compares output lines with the guide's, "…" matching any number of lines, and
// each line with same.
func matchLines(got, want []string, same func(got, want string) bool) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "…" {
		for i := 0; i <= len(got); i++ {
			if matchLines(got[i:], want[1:], same) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && same(got[0], want[0]) && matchLines(got[1:], want[1:], same)
}

// sameWordsExcerpt is sameWords where "…" in the shown line stands for any words: the parts
// around it appear in order, the first at the start and the last at the end.
func sameWordsExcerpt(a, b string) bool {
	got := strings.Join(strings.Fields(a), " ")
	parts := strings.Split(b, "…")
	for i, p := range parts {
		p = strings.Join(strings.Fields(p), " ")
		switch {
		case p == "":
		case i == 0:
			if !strings.HasPrefix(got, p) {
				return false
			}
			got = got[len(p):]
		case i == len(parts)-1:
			return strings.HasSuffix(got, p)
		default:
			at := strings.Index(got, p)
			if at < 0 {
				return false
			}
			got = got[at+len(p):]
		}
	}
	return len(parts) > 1 || got == ""
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
