package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClosedPipe runs modeltool with a reader that goes away after one line, as in
// `modeltool calc … | head -1`: it must exit quietly, not with a broken-pipe message or a
// signal; validate keeps its verdict (exit 1 for findings).
func TestClosedPipe(t *testing.T) {
	bin := modeltool(t)
	// Outputs far larger than a pipe's buffer (64 KiB), so the writer really meets the closed pipe.
	dir := t.TempDir()
	var full, empty strings.Builder
	full.WriteString(`{"layers": [`)
	empty.WriteString(`{"layers": [`)
	for i := 0; i < 3000; i++ {
		if i > 0 {
			full.WriteString(",")
			empty.WriteString(",")
		}
		fmt.Fprintf(&full, `{"name": "l%d", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 8, "in_features": 64, "out_features": 64, "bias": false, "dtype_bytes": 2}}`, i)
		fmt.Fprintf(&empty, `{"name": "l%d", "class": "torch.nn.modules.linear.Linear"}`, i)
	}
	full.WriteString("]}")
	empty.WriteString("]}")
	big := filepath.Join(dir, "big.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(big, []byte(full.String()), 0o644)
	os.WriteFile(bad, []byte(empty.String()), 0o644)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"calc", big}, 0},
		{[]string{"calc", "--format", "csv", big}, 0},
		{[]string{"validate", bad}, 1},
	} {
		cmd := exec.Command(bin, c.args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		out.Close()
		err = cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode() // -1 when killed by a signal
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || stderr.Len() > 0 {
			t.Errorf("%v: exit %d (want %d), stderr %q", c.args, code, c.code, stderr.String())
		}
	}
}
