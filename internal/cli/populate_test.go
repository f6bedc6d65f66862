package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPopulateKeepsLineEndings: a fill that changes values rewrites the file in modeltool's
// layout, but with the file's own line endings — CRLF stays CRLF — and its final newline or
// its lack of one; a file with LF endings stays LF.
func TestPopulateKeepsLineEndings(t *testing.T) {
	lf, err := os.ReadFile("../../models/llama-2-7b-hf.json")
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile("../../models/llama-2-7b-hf.config.json")
	if err != nil {
		t.Fatal(err)
	}
	// The config now has 30 layers: --update rewrites the decoder layers' repeat 32 → 30.
	changed := bytes.Replace(config, []byte(`"num_hidden_layers": 32`), []byte(`"num_hidden_layers": 30`), 1)
	if bytes.Equal(changed, config) {
		t.Fatal("the config has no num_hidden_layers 32")
	}
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	for _, c := range []struct {
		name string
		file []byte
		eol  string
		last bool // ends with a newline
	}{
		{"crlf", crlf, "\r\n", true},
		{"crlf without a final newline", bytes.TrimSuffix(crlf, []byte("\r\n")), "\r\n", false},
		{"lf", lf, "\n", true},
		{"lf without a final newline", bytes.TrimSuffix(lf, []byte("\n")), "\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.json")
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "m.config.json"), changed, 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := run(t, "populate", "--update", path)
			if code != 0 || !strings.Contains(stderr, "repeat 32 → 30") {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(got, []byte(`"repeat": 30,`)) {
				t.Errorf("no repeat 30 in the file")
			}
			lines := bytes.Count(got, []byte("\n"))
			if n := bytes.Count(got, []byte(c.eol)); n != lines || lines < 100 {
				t.Errorf("%d of %d line breaks are %q", n, lines, c.eol)
			}
			if ends := bytes.HasSuffix(got, []byte("\n")); ends != c.last {
				t.Errorf("ends with a newline: %v, want %v", ends, c.last)
			}
		})
	}
}
