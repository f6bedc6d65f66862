package calc_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/model"
)

// BenchmarkComputeRepeat shows that the cost of calc depends on the distinct layers of a file,
// not on its repeat counts: 32 and 32,000 decoder layers take the same time.
func BenchmarkComputeRepeat(b *testing.B) {
	src, err := os.ReadFile(llamaPath)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, repeat string }{{"repeat=32", "32"}, {"repeat=32000", "32000"}} {
		data := bytes.Replace(src, []byte(`"repeat": 32,`), []byte(`"repeat": `+c.repeat+`,`), 1)
		f, err := model.Parse("bench.json", data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Compute(f, calc.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkComputeUnrolled computes a file of 50,014 distinct basic layers (the Llama-2-7b
// decoder layer unrolled 3,334 times by testdata/gen/unrolled.go).
func BenchmarkComputeUnrolled(b *testing.B) {
	cmd := exec.Command("go", "run", "testdata/gen/unrolled.go", "-copies", "3334")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	f, err := model.Parse("unrolled.json", out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.Compute(f, calc.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
