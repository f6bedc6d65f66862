package e2e

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeStopsOnInterrupt runs modeltool serve as a program on a directory of model files
// (any free loopback port), asks it for a calculation equal to calc's, and stops it with
// SIGINT: it says so and exits 0, and the port is closed.
func TestServeStopsOnInterrupt(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"llama-2-7b-hf.json", "llama-2-7b-hf.config.json", "gpt2.json"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "models", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(modeltool(t), "serve", "--addr", "127.0.0.1:0", dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base string
	select {
	case l := <-lines:
		m := regexp.MustCompile(`serving 2 model\(s\) \(gpt2, llama-2-7b-hf\) at (http://127\.0\.0\.1:[0-9]+/)`).FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("first line %q does not say where it serves", l)
		}
		base = m[1]
	case <-time.After(30 * time.Second):
		t.Fatal("serve said nothing in 30 s")
	}
	res, err := http.Get(base + "api/calc?model=gpt2&batch_size=4&seq_len=512")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want, err := exec.Command(modeltool(t), "calc", "--format", "json", "--batch-size", "4", "--seq-len", "512", filepath.Join(dir, "gpt2.json")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !bytes.Equal(got, want) {
		t.Errorf("the API answered %d with %d bytes, not calc's %d", res.StatusCode, len(got), len(want))
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v (want exit 0)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGINT")
	}
	if !slices.Contains(rest, "modeltool: stopped") {
		t.Errorf("after SIGINT it said %q", strings.Join(rest, "\n"))
	}
	if _, err := http.Get(base); err == nil {
		t.Errorf("%s still answers after serve stopped", base)
	}
}
