package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOnFirstWrite: the function runs once, before the first write has created anything, and
// not again for later writes.
func TestOnFirstWrite(t *testing.T) {
	defer func(saved *firstWrite) { beforeWrites = saved }(beforeWrites)
	beforeWrites = &firstWrite{}
	dir := t.TempDir()
	calls := 0
	OnFirstWrite(func() {
		calls++
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("ran after the write created %s", entries[0].Name())
		}
	})
	for _, name := range []string{"a.json", "b.json"} {
		if err := CreateFile(filepath.Join(dir, name), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := ReplaceFile(filepath.Join(dir, "a.json"), []byte("[]"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("ran %d times, want once", calls)
	}
}
