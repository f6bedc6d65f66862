package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateFilesSideBySide validates many files at once (they are checked side by side):
// the output is that of validating them one by one, in order, whatever finishes first; and an
// unreadable file stops the command as it did.
func TestValidateFilesSideBySide(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "models", "llama-2-7b-hf.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), `"{batch_size} * {seq_len}"`, `"{batch_size} * {sq_len}"`, 1)
	var paths []string
	var want strings.Builder
	for i := range 12 {
		p := filepath.Join(dir, "m"+string(rune('a'+i))+".json")
		data := string(good)
		if i%3 == 1 {
			data = bad
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		_, out, _ := run(t, "validate", p)
		want.WriteString(out)
	}
	code, out, errOut := run(t, append([]string{"validate"}, paths...)...)
	if code != 1 || out != want.String() {
		t.Errorf("exit %d, stdout\n%s\nwant\n%s\nstderr %s", code, out, want.String(), errOut)
	}
	if code, _, errOut := run(t, "validate", paths[0], filepath.Join(dir, "missing.json"), paths[1]); code != 2 || !strings.Contains(errOut, "missing.json") {
		t.Errorf("an unreadable file: exit %d, %s", code, errOut)
	}
}
