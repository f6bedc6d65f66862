package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const tpl = `{"template": {"model_type": "ours", "description": "our family", "config": {}}, "layers": []}`

func TestLoadFindsUpwards(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, FileName), `{"catalogs": ["catalog/a.json"], "templates": ["templates/ours.json"], "x-owner": "us"}`)
	write(t, filepath.Join(root, "catalog/a.json"), `{"classes": []}`)
	write(t, filepath.Join(root, "templates/ours.json"), tpl)
	deep := filepath.Join(root, "models", "sub")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Load(deep)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || len(p.Catalogs) != 1 || filepath.Base(p.Catalogs[0]) != "a.json" {
		t.Fatalf("project = %+v", p)
	}
	if _, err := os.Stat(filepath.Join(deep, p.Catalogs[0])); err != nil {
		t.Errorf("catalog path not usable: %v", err)
	}
	if tt, ok := p.Templates["ours"]; !ok || tt.Description != "our family" || len(p.Order) != 1 {
		t.Errorf("templates = %+v", p.Templates)
	}
	if p.Path != filepath.Join("..", "..", FileName) {
		t.Errorf("shown as %q", p.Path)
	}
	// No project file anywhere up from a fresh directory (a temporary folder has none above).
	if p, err := Load(t.TempDir()); err != nil || p != nil && !strings.HasPrefix(p.Dir, root) {
		t.Logf("a project file above the temporary folder: %+v %v", p, err)
	}
}

func TestParseFaults(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "t1.json"), tpl)
	write(t, filepath.Join(dir, "t2.json"), tpl)
	write(t, filepath.Join(dir, "model.json"), `{"layers": []}`)
	src := `{
  "catalogs": ["nope.json", 3],
  "templates": ["t1.json", "t2.json", "model.json", "https://example.com/t.json"],
  "template": []
}`
	_, err := Parse(".modeltool.json", []byte(src), dir)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`.modeltool.json:2:16: error: nope.json: no such file (paths are relative to the project file's directory)`,
		`.modeltool.json:2:29: error: a path must be a non-empty string, not a number`,
		`.modeltool.json:3:28: error: t2.json is a second template for model_type "ours"`,
		`.modeltool.json:3:39: error: model.json: not a template: it has no template.model_type`,
		`.modeltool.json:3:53: error: https://example.com/t.json is a URL: modeltool reads only local files`,
		`.modeltool.json:4:3: error: unknown key "template" in the project file`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if _, err := Parse("p.json", []byte(`[1]`), dir); err == nil || !strings.Contains(err.Error(), "a project file is an object") {
		t.Errorf("array: %v", err)
	}
	if _, err := Parse("p.json", []byte(`{"catalogs": "a.json"}`), dir); err == nil || !strings.Contains(err.Error(), "catalogs must be an array") {
		t.Errorf("string: %v", err)
	}
}

// TestLoadRefusesWhatIsNoFile: a .modeltool.json that is there but is no regular file (a
// directory, here) is an error naming it, not skipped for a project file further up or none:
// the author meant a project file, and silently ignoring it would drop their catalogs.
func TestLoadRefusesWhatIsNoFile(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, FileName), `{"catalogs": []}`)
	sub := filepath.Join(root, "sub")
	if err := os.MkdirAll(filepath.Join(sub, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Load(sub)
	if err == nil || p != nil || !strings.Contains(err.Error(), FileName+" is a directory") {
		t.Errorf("got %+v, %v", p, err)
	}
}
