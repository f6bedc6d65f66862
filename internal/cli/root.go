// Package cli is the modeltool command line: one file per command, each an options struct, a
// newXCmd(streams) and a runX(streams, opts) error, and Main, which runs a command line and maps
// its outcome to an exit code. cmd/modeltool is only Run; tests run Main in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/gcpace"
)

// Run is the modeltool program: Main on the process's arguments and standard streams, with the
// garbage collector paced for a short run (gcpace). Writing to
// a closed pipe (modeltool calc … | head -1) returns EPIPE instead of killing the process, and
// Main exits quietly; an interrupt removes the temporary files of a write in progress.
func Run() int {
	gcpace.Start()
	signal.Ignore(syscall.SIGPIPE)
	fsutil.OnFirstWrite(removeTempFilesOnSignal)
	return Main(os.Args[1:], SystemStreams())
}

// Main runs modeltool with args and returns the exit code. Nothing below it exits; a panic (a
// bug) is reported as an internal error with exit code 2 instead of a stack trace.
func Main(args []string, s *Streams) (code int) {
	return MainContext(context.Background(), args, s)
}

// MainContext is Main stopped by ctx: a long computation (calc --generate's decode sum) ends
// with an error once ctx is done. The web app runs calc this way, with its time limit.
func MainContext(ctx context.Context, args []string, s *Streams) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(s.Err, "modeltool: internal error: %v\nPlease report this with the command line and input that caused it.\n", r)
			code = exitUsage
		}
	}()
	out := &watchedWriter{w: s.Out}
	run := *s
	run.Out = out
	root := newRootCmd(&run)
	started := false
	root.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	path := "modeltool"
	x := &exiter{streams: &run, format: "text", color: "auto", outUsed: func() bool { return out.used }}
	if cmd != nil {
		path = cmd.CommandPath()
		if f := cmd.Flags().Lookup("format"); f != nil {
			x.format = faultFormat(f.Value.String())
		}
		if f := cmd.Flags().Lookup("color"); f != nil {
			x.color = f.Value.String()
		}
	}
	var ue *usageError
	if err != nil && !started && !errors.As(err, &ue) {
		// cobra refused the command line before any command ran (an unknown command, the
		// arguments of its own help and completion commands): a usage error.
		err = &usageError{err: err}
	}
	return x.exitCode(err, path)
}

// watchedWriter records whether anything was written through it.
type watchedWriter struct {
	w    io.Writer
	used bool
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	w.used = w.used || len(p) > 0
	return w.w.Write(p)
}

func newRootCmd(s *Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "modeltool",
		Short: "Validate, fill and cost the JSON files that describe LLMs layer by layer",
		Long: `modeltool works on model files: the HuggingFace module tree of a model as JSON, where every
basic layer carries the parameters its class needs. It validates them (fast, silent on
success, file:line:col on failure), fills them from a config.json, and computes exact
parameters, FLOPs, bytes and KV-cache bytes per layer for any batch, sequence and dtype.`,
		Example: `  modeltool validate models/
  modeltool populate --config config.json -o model.json
  modeltool calc --seq-len 4096 --dtype bf16 models/llama-2-7b-hf.json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetVersionTemplate("modeltool {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err: err} })
	root.AddCommand(
		newVersionCmd(s),
		newSchemaCmd(s),
		newValidateCmd(s),
		newCalcCmd(s),
		newFitCmd(s),
		newPopulateCmd(s),
		newLayersCmd(s),
		newTreeCmd(s),
		newImportCmd(s),
		newServeCmd(s),
		newTemplatesCmd(s),
	)
	registerFileCompletion(root)
	return root
}

// version reports the module version from the build info: a tagged version when installed
// with go install, "(devel)" plus the VCS revision when built from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" && v == "(devel)" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + dirty
	}
	return v + " " + info.GoVersion
}

func newVersionCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of modeltool",
		Example: "  modeltool version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(s.Out, "modeltool %s\n", version())
			return err
		},
	}
}
