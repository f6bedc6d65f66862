package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outsideRefs are spellings of places outside the repository: the workplace's shared folder and
// the founders' design brief. A reader of a clone has neither.
var outsideRefs = []string{"../shared/", "/work/shared", "/work/main", "architecture §", "architecture.md"}

// TestNoReferencesOutsideTheRepository: code, tests, scripts and documentation cite only what a
// clone holds. The research notes (docs/research) are exempt: they record where each finding
// came from, sources outside the repository included.
func TestNoReferencesOutsideTheRepository(t *testing.T) {
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		if d.IsDir() {
			if rel == ".git" || rel == filepath.Join("docs", "research") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".txtar", ".md", ".yaml", ".tmpl", ".js", ".css":
		default:
			if !strings.HasPrefix(rel, "scripts"+string(filepath.Separator)) && rel != filepath.Join(".ci", "run") {
				return nil
			}
		}
		if path == thisFile() {
			return nil // the list above
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, ref := range outsideRefs {
				if strings.Contains(line, ref) {
					t.Errorf("%s:%d refers to %q, outside the repository: %s", rel, i+1, ref, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func thisFile() string { return filepath.Join(repoRoot, "e2e", "repo_test.go") }

// requires reads the required modules of a go.mod file, path → version, from its require
// lines, one-line and in blocks, with or without "// indirect".
func requires(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimSpace(strings.TrimPrefix(line, "require "))
		case !inBlock:
			continue
		}
		if f := strings.Fields(line); len(f) == 2 {
			out[f[0]] = f[1]
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s requires nothing: not read right", path)
	}
	return out
}

// TestNestedModulesBuildTheSameProduct: a module nested in the repository (the browser tests,
// e2e/browser) builds modeltool itself through its replace directive, so each module both
// require must be at the main module's version there; otherwise its tests run a different
// product (pflag v1.1.0 prints boolean flags as --flag[=true|false], which DESIGN pins against).
func TestNestedModulesBuildTheSameProduct(t *testing.T) {
	main := requires(t, filepath.Join(repoRoot, "go.mod"))
	nested, err := filepath.Glob(filepath.Join(repoRoot, "*", "*", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(repoRoot, "*", "go.mod"))
	nested = append(nested, more...)
	if len(nested) == 0 {
		t.Fatal("no nested go.mod found (e2e/browser/go.mod was expected)")
	}
	for _, f := range nested {
		for mod, v := range requires(t, f) {
			if want, ok := main[mod]; ok && v != want {
				rel, _ := filepath.Rel(repoRoot, f)
				t.Errorf("%s requires %s %s; the main module %s", rel, mod, v, want)
			}
		}
	}
}
