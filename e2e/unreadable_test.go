//go:build unix

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestValidateUnreadableDirectory: a directory that cannot be listed is an unreadable input:
// exit 2, the reason on stderr, nothing on stdout. Root reads every directory, so under root
// modeltool runs as nobody (uid 65534); that needs the program and the work directory to be
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
	code, stdout, stderr := runAsNobody(t, work, "validate", "models")
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	if want := "modeltool: models: permission denied\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// TestUnreadableProjectFile: a .modeltool.json that cannot be read stops the command (exit 2,
// named), as a broken one does: it is never taken for no project file.
func TestUnreadableProjectFile(t *testing.T) {
	work, err := os.MkdirTemp("", "modeltool-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, ".modeltool.json"), []byte(`{"catalogs": []}`), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "a.json"), []byte(`{"layers": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runAsNobody(t, work, "validate", "a.json")
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "modeltool: project file ") || !strings.HasSuffix(stderr, ".modeltool.json: permission denied\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// runAsNobody runs modeltool with args in dir and returns its exit code and output. Root reads
// every file, so under root modeltool runs as nobody (uid 65534); that needs the program and
// dir to be reachable by nobody, which the caller arranges for dir.
func runAsNobody(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin := modeltool(t)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if os.Geteuid() == 0 {
		// nobody must reach the program: its directory and the one holding that.
		for _, d := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin))} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		// Under go test -cover nobody cannot write counters into the test's directory: give this
		// run a directory of its own (its counts are not merged).
		if os.Getenv("GOCOVERDIR") != "" {
			cover, err := os.MkdirTemp("", "modeltool-cover-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(cover) })
			if err := os.Chmod(cover, 0o777); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(os.Environ(), "GOCOVERDIR="+cover)
		}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		if os.Geteuid() == 0 {
			t.Skipf("cannot run modeltool as nobody here: %v", err)
		}
		t.Fatalf("run: %v", err)
	}
	if ee != nil {
		code = ee.ExitCode()
	}
	return code, out.String(), errb.String()
}
