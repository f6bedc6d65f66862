package e2e

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/modeltool/modeltool/internal/cli"
	"github.com/modeltool/modeltool/internal/fsutil"
)

var update = flag.Bool("update", false, "rewrite the golden output in testdata/script/*.txtar with what modeltool prints now")

// repoRoot is the repository's top directory.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

// TestMain makes this test binary modeltool too: testscript.Main puts a copy of it on PATH under
// the name modeltool, and run as modeltool it is cli.Run, the program itself. Scripts and the
// tests that need a process of their own (peak memory, a closed pipe, another user) run that
// copy, so the code they reach counts in go test -coverpkg=./... and the go command's test
// cache sees every source it depends on.
//
// modeltool-hooked is modeltool with a hook in its file writes (fsutil.SetTestHook), for the
// tests that must act at one precise moment of a write:
//
//	MODELTOOL_TESTHOOK_BEFORE_REPLACE  a shell command run when the new content is complete on
//	                                   disk, just before the target is checked and replaced
//	                                   (MODELTOOL_TESTHOOK_PATH names the target)
//	MODELTOOL_TESTHOOK_WAIT=SECONDS    then wait that long (for a signal the command sent)
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"modeltool": func() { os.Exit(cli.Run()) },
		"modeltool-hooked": func() {
			fsutil.SetTestHook(hookFromEnv())
			os.Exit(cli.Run())
		},
	})
}

// hookFromEnv is modeltool-hooked's write hook.
func hookFromEnv() func(stage, path string) {
	command := os.Getenv("MODELTOOL_TESTHOOK_BEFORE_REPLACE")
	wait, _ := strconv.Atoi(os.Getenv("MODELTOOL_TESTHOOK_WAIT"))
	return func(stage, path string) {
		if stage != "before-replace" || command == "" {
			return
		}
		c := exec.Command("sh", "-c", command)
		c.Env = append(os.Environ(), "MODELTOOL_TESTHOOK_PATH="+path)
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "test hook: %v\n", err)
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}

// modeltool returns the path of the modeltool program the scripts run.
func modeltool(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("modeltool")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// setup tells scripts where the repository is ($REPO), so they can copy the shipped models and
// fixtures into their work directory.
func setup(env *testscript.Env) error {
	env.Setenv("REPO", repoRoot)
	env.Setenv("NO_COLOR", "")
	return nil
}

// TestScripts runs every script in testdata/script: modeltool on real files, its whole
// output compared with the golden sections of the script. Refresh the goldens with
// `go test ./e2e -run TestScripts -update` and review the diff like code.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "testdata", "script"),
		Setup:               setup,
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"exits": cmdExits, "sameshape": cmdSameShape,
			"safetensors": cmdSafetensors, "headerlength": cmdHeaderLength, "subst": cmdSubst},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// cmdExits is the script command "exits CODE PROGRAM [ARGS...]": it runs PROGRAM like exec
// and fails unless it exits with exactly CODE, where "! exec" accepts any failure and
// modeltool's exit codes (0, 1 findings, 2 usage or unreadable input) are part of its contract.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits (give the exit code)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// cmdSubst is the script command "subst FILE OLD NEW": it replaces the first occurrence of
// OLD in FILE by NEW (an edit by hand), and fails if FILE does not contain OLD.
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: subst FILE OLD NEW")
	}
	data := ts.ReadFile(args[0])
	if !strings.Contains(data, args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	data = strings.Replace(data, args[1], args[2], 1)
	if err := os.WriteFile(ts.MkAbs(args[0]), []byte(data), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

// cmdSameShape is the script command "sameshape A B": A and B are diagnostics documents (--format
// json) with the same members, whose diagnostics all have the same members too, so a script
// reading one command's faults reads every command's.
func cmdSameShape(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sameshape A B")
	}
	var shapes [2]string
	for i, name := range args {
		data := ts.ReadFile(name)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal([]byte(data), &doc); err != nil {
			ts.Fatalf("%s: %v", name, err)
		}
		var ds []map[string]any
		if err := json.Unmarshal(doc["diagnostics"], &ds); err != nil || len(ds) == 0 {
			ts.Fatalf("%s: no diagnostics (%v)", name, err)
		}
		shape := strings.Join(slices.Sorted(maps.Keys(doc)), ",")
		for _, d := range ds {
			var members []string
			for k, v := range d {
				members = append(members, fmt.Sprintf("%s:%T", k, v))
			}
			slices.Sort(members)
			shape += " {" + strings.Join(members, ",") + "}"
		}
		shapes[i] = shape
	}
	first := strings.SplitN(shapes[0], " ", 3)
	second := strings.SplitN(shapes[1], " ", 3)
	if first[0] != second[0] || first[1] != second[1] {
		ts.Fatalf("different shapes:\n%s: %s\n%s: %s", args[0], shapes[0], args[1], shapes[1])
	}
}
