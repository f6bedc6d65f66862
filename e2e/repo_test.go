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
