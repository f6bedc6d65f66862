package main

import (
	"errors"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/report"
	"github.com/modeltool/modeltool/internal/validate"
)

type validateOptions struct {
	format   string
	color    string
	strict   bool
	catalogs []string
	paths    []string
}

func newValidateCmd(s *Streams) *cobra.Command {
	opts := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate [flags] PATH...",
		Short: "Check model files against the schema, the layer catalog and the placeholder language",
		Long: `Check model files and templates: JSON syntax, duplicate keys, the schema, every basic
layer's class and required parameters, placeholder expressions and declared variables, and
structural rules. Each finding is printed as FILE:LINE:COL: error|warning: LAYER: MESSAGE.

Silent on success. PATH may be a file, a directory (its *.json files, HuggingFace config
files skipped) or - for standard input.

Exit status: 0 no errors (warnings allowed unless --strict), 1 findings, 2 usage errors or
unreadable input.`,
		Example: `  # check every model file under models/
  modeltool validate models/

  # in CI: annotations on the pull request
  modeltool validate --format github models/*.json

  # from a pipe, failing on warnings too
  cat model.json | modeltool validate --strict -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("validate needs at least one PATH: a model file, a directory of them, or - for standard input")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return runValidate(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.format, "format", "text", "output format: text, json or github (workflow annotations)")
	colorFlag(cmd, &opts.color)
	f.BoolVar(&opts.strict, "strict", false, "fail (exit 1) on warnings too")
	f.StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.DiagnosticFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runValidate(s *Streams, opts *validateOptions) error {
	if err := checkFormat(opts.format, report.DiagnosticFormats); err != nil {
		return err
	}
	colored, err := useColor(opts.color, s, s.OutTerminal)
	if err != nil {
		return err
	}
	cat, err := loadCatalog(opts.catalogs)
	if err != nil {
		return err
	}
	names, err := fsutil.ExpandPaths(opts.paths)
	if err != nil {
		return err
	}
	var all []diag.Diagnostic
	for _, name := range names {
		display, data, err := readInput(s, name)
		if err != nil {
			return err
		}
		res := validate.Source(display, data, validate.Options{Catalog: cat})
		all = append(all, res.Diagnostics...)
	}
	diag.Sort(all)
	errs, warns := diag.Count(all)
	if len(all) > 0 || opts.format == "json" {
		// A reader that went away (validate … | head) does not change the verdict.
		if err := report.WriteDiagnostics(s.Out, opts.format, all, len(names), colored); err != nil && !errors.Is(err, syscall.EPIPE) {
			return err
		}
	}
	if errs > 0 || (opts.strict && warns > 0) {
		return findings("", nil)
	}
	return nil
}
