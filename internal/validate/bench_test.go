package validate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modeltool/modeltool/internal/validate"
)

// BenchmarkValidate validates the shipped Llama-2-7b-hf model file and a file of 50,014
// basic layers (the same model with its decoder layer unrolled into 3,334 distinct copies,
// written by testdata/gen/unrolled.go). Figures: docs/performance.md.
func BenchmarkValidate(b *testing.B) {
	llama, err := os.ReadFile("../../models/llama-2-7b-hf.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("llama-2-7b", func(b *testing.B) {
		b.SetBytes(int64(len(llama)))
		b.ReportAllocs()
		for b.Loop() {
			if res := validate.Source("m.json", llama, validate.Options{}); len(res.Diagnostics) > 0 {
				b.Fatal(res.Diagnostics[0].Message)
			}
		}
	})
	large := filepath.Join(b.TempDir(), "unrolled.json")
	cmd := exec.Command("go", "run", "testdata/gen/unrolled.go", "-copies", "3334")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(large, out, 0o644)
	b.Run("50k-basic-layers", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		b.ReportAllocs()
		for b.Loop() {
			if res := validate.Source("m.json", out, validate.Options{}); len(res.Diagnostics) > 0 {
				b.Fatal(res.Diagnostics[0].Message)
			}
		}
	})
}
