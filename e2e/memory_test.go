package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modeltool/modeltool/internal/bigmodel"
)

// TestMemoryOnLargeFiles runs modeltool as a process of its own on large generated files and
// bounds its peak memory (the child's rusage) by a multiple of the file's size:
//
//   - DeepSeek-V3 with every repeat expanded (bigmodel.Expand: 50 MB, 75,696 basic layers, the
//     shape of a file exported layer by layer): validate and calc in every --format within
//     5 × the file;
//   - a compact file of 430,000 layers (bigmodel.Wide: 62 MB, 145 bytes a layer, near the
//     64 MiB input limit) and one of a quarter of that: within 64 MiB + 12 × the file, so
//     memory grows linearly with the file (about 9 × at the limit: a compact layer costs
//     more than its bytes in any tree).
//
// It writes 110 MB and takes about ten seconds, so it runs when MODELTOOL_MEMORY_TEST=1, as
// .ci/run sets it. Figures: docs/performance.md.
func TestMemoryOnLargeFiles(t *testing.T) {
	if os.Getenv("MODELTOOL_MEMORY_TEST") != "1" {
		t.Skip("writes 110 MB and runs modeltool on it; set MODELTOOL_MEMORY_TEST=1 to run it")
	}
	dir := t.TempDir()
	files := []struct {
		name        string
		make        func() ([]byte, error)
		base, times float64 // the limit: base bytes + times × the file
		size        int64
	}{
		{"deepseek-v3-expanded.json", func() ([]byte, error) {
			src, err := bigmodel.Shipped("deepseek-v3")
			if err != nil {
				return nil, err
			}
			return bigmodel.Expand(src)
		}, 0, 5, 0},
		{"wide-107500.json", func() ([]byte, error) { return bigmodel.Wide(107500), nil }, 64 << 20, 12, 0},
		{"wide-430000.json", func() ([]byte, error) { return bigmodel.Wide(430000), nil }, 64 << 20, 12, 0},
	}
	// A child starts as a copy of this process (vfork) and its peak RSS counts this process's
	// peak: the files are written by another run of this test, so this one stays small.
	if out := os.Getenv("MODELTOOL_MEMORY_TEST_WRITE"); out != "" {
		for _, f := range files {
			data, err := f.make()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, f.name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	writer := exec.Command(os.Args[0], "-test.run=^TestMemoryOnLargeFiles$")
	writer.Env = append(os.Environ(), "MODELTOOL_MEMORY_TEST_WRITE="+dir)
	if out, err := writer.CombinedOutput(); err != nil {
		t.Fatalf("writing the files: %v\n%s", err, out)
	}
	for i := range files {
		st, err := os.Stat(filepath.Join(dir, files[i].name))
		if err != nil {
			t.Fatal(err)
		}
		files[i].size = st.Size()
	}
	commands := [][]string{
		{"validate"},
		{"calc", "--format", "json"},
		{"calc", "--format", "table"},
		{"calc", "--format", "csv"},
		{"calc", "--format", "html", "--hardware", "H100-SXM"},
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		limit := int64(f.base + f.times*float64(f.size))
		for _, args := range commands {
			t.Run(fmt.Sprintf("%s/%s", f.name, args), func(t *testing.T) {
				out, err := os.Create(filepath.Join(dir, "out"))
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				cmd := exec.Command(modeltool(t), append(args, path)...)
				cmd.Stdout = out
				errOut, _ := os.CreateTemp(dir, "stderr")
				defer errOut.Close()
				cmd.Stderr = errOut
				start := time.Now()
				if err := cmd.Run(); err != nil {
					msg, _ := os.ReadFile(errOut.Name())
					t.Fatalf("%v: %s", err, msg)
				}
				rss, ok := peakRSS(cmd.ProcessState)
				if !ok {
					t.Skip("peak RSS is not measured on this system")
				}
				t.Logf("%d bytes: peak RSS %.1f MiB (%.2f × the file) in %v", f.size, float64(rss)/(1<<20), float64(rss)/float64(f.size), time.Since(start).Round(time.Millisecond))
				if rss > limit {
					t.Errorf("peak RSS %.1f MiB, more than %g MiB + %g × the file (%.1f MiB)", float64(rss)/(1<<20), f.base/(1<<20), f.times, float64(limit)/(1<<20))
				}
			})
		}
	}
}
