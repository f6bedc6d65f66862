package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/report"
	"github.com/modeltool/modeltool/internal/schema"
)

// colorFlag registers --color on cmd.
func colorFlag(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "color", "auto", "colour output: auto (when writing to a terminal and NO_COLOR is unset), always, never")
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
}

// useColor decides whether to colour output written to a stream that is (or is not) a terminal.
func useColor(mode string, s *Streams, terminal bool) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		return terminal && s.Getenv("NO_COLOR") == "", nil
	}
	return false, usagef("--color must be auto, always or never, not %q", mode)
}

// schemaUse says which schema a command checks files with after loading the catalog.
type schemaUse int

const (
	// noFiles: the command checks no file (layers, schema).
	noFiles schemaUse = iota
	// modelFiles: model files only (validate, calc, tree).
	modelFiles
	// templateFiles: templates, and the model files built from them (populate, import).
	templateFiles
)

// loadCatalog returns the builtin catalog extended by the project file's catalogs and the
// user's --catalog files. A broken catalog is exit 2, its problems printed as diagnostics.
// The schema the command will check files with compiles on another core meanwhile (it is
// needed only once a file is parsed).
func loadCatalog(files []string, use schemaUse) (*layers.Catalog, error) {
	if use != noFiles {
		go schema.Prepare(use == templateFiles)
	}
	// The project file's catalogs come first, so a --catalog given on the command line can
	// change what they define.
	proj, err := currentProject()
	if err != nil {
		return nil, err
	}
	if proj != nil {
		files = append(append([]string(nil), proj.Catalogs...), files...)
	}
	cat := layers.Builtin()
	for _, f := range files {
		data, err := fsutil.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("catalog %w", err)
		}
		cat, err = cat.Extend(f, data)
		if err != nil {
			return nil, brokenInput(fmt.Sprintf("catalog %s is not valid", f), err)
		}
	}
	return cat, nil
}

// noArgs, maxArgs and exactArgs check a command's positional arguments; a mismatch is a usage
// error. what describes the arguments for the message ("MODEL.json (or - for standard input)").
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, not %q", cmd.CommandPath(), args[0])
	}
	return nil
}

func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s takes at most %s, not %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s, not %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// formatFlag registers --format for a command whose output is only its diagnostics.
func formatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVar(format, "format", "text", "format of the problems found: text, json (one document on standard output) or github (workflow annotations)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.DiagnosticFormats, cobra.ShellCompDirectiveNoFileComp))
}

// checkFormat refuses a --format that is not one of formats.
func checkFormat(format string, formats []string) error {
	if !slices.Contains(formats, format) {
		return usagef("--format must be one of %s, not %q", strings.Join(formats, ", "), format)
	}
	return nil
}

// readInput reads a named input: a file, or standard input for "-".
func readInput(s *Streams, name string) (display string, data []byte, err error) {
	if name == "-" {
		data, err = fsutil.ReadLimited(s.In, "standard input", fsutil.MaxInputBytes)
		return "<stdin>", data, err
	}
	data, err = fsutil.ReadFile(name)
	return name, data, err
}

// writeNewModelFile writes a model file a command built (populate's, import's) to the file -o
// named, after checkNewTarget.
func writeNewModelFile(cmd, path string, data []byte, force bool, hint string, inputs ...string) error {
	old, err := checkNewTarget(cmd, path, force, hint, inputs...)
	if err != nil {
		return err
	}
	if old != nil {
		return fsutil.ReplaceFile(path, data, old)
	}
	err = fsutil.CreateFile(path, data)
	var ee *fsutil.ExistsError
	if errors.As(err, &ee) {
		return existsError(cmd, path, hint)
	}
	return err
}

// checkNewTarget says whether -o may write a model file at path. The file must not exist,
// unless force is given; even then only a model file is replaced — never a HuggingFace config,
// a template or other JSON, which -o onto the wrong name would lose — and only if it still
// holds what was read (old, returned for the replacement to compare). inputs are the files
// the command (cmd: "populate", "import") reads: none of them is ever a target. hint ends the
// message for a file that exists. Commands call it before their work, so a refusal comes
// first, and again when they write.
func checkNewTarget(cmd, path string, force bool, hint string, inputs ...string) (old []byte, err error) {
	for _, in := range inputs {
		if in != "" && in != "-" && sameFile(path, in) {
			return nil, fmt.Errorf("-o %s is a file %s reads; write the model file elsewhere", path, cmd)
		}
	}
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return nil, existsError(cmd, path, hint)
		}
		return nil, nil
	}
	old, err = fsutil.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if kind, why := model.Classify(old, nil); kind != model.ModelFile {
		return nil, fmt.Errorf("-o %s is %s: --force replaces model files only (remove it first if it is to go)", path, notModelFile(kind, why))
	}
	return old, nil
}

func existsError(cmd, path, hint string) error {
	return fmt.Errorf("%s already exists: %s does not overwrite it unless --force is given%s", path, cmd, hint)
}

// notModelFile says what a file that is not a model file is, for a message.
func notModelFile(kind model.Kind, why string) string {
	switch kind {
	case model.HFConfig:
		return "a HuggingFace config, not a model file"
	case model.TemplateFile:
		return "an architecture template, not a model file"
	}
	return "not a model file (" + why + ")"
}
