//go:build unix

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestValidateUnreadableDirectory: a directory that cannot be listed is an unreadable input:
// exit 2, the reason on stderr, nothing on stdout. Root reads every directory, so under root the
// binary runs as nobody (uid 65534); that needs the binary and the work directory to be
// reachable by nobody, which the test arranges in a fresh temporary directory.
func TestValidateUnreadableDirectory(t *testing.T) {
	work, err := os.MkdirTemp("", "modeltool-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	unr := filepath.Join(work, "models")
	t.Cleanup(func() {
		os.Chmod(unr, 0o755)
		os.RemoveAll(work)
	})
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(unr, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unr, "a.json"), []byte(`{"layers": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(unr, 0); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(modeltool(t), "validate", "models")
	cmd.Dir = work
	if os.Geteuid() == 0 {
		if err := os.Chmod(binDir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if os.Geteuid() == 0 {
			t.Skipf("cannot run the binary as nobody here: %v", err)
		}
		t.Fatalf("run: %v", err)
	}
	if ee.ExitCode() != 2 {
		t.Errorf("exit status %d, want 2", ee.ExitCode())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
	if want := "modeltool: models: permission denied\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
