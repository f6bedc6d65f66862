package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/layers"
)

// colorFlag registers --color on cmd.
func colorFlag(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "color", "auto", "colour output: auto (when writing to a terminal and NO_COLOR is unset), always, never")
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

// loadCatalog returns the builtin catalog extended by the user's --catalog files.
func loadCatalog(files []string) (*layers.Catalog, error) {
	cat := layers.Builtin()
	for _, f := range files {
		data, err := fsutil.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("catalog %w", err)
		}
		cat, err = cat.Extend(f, data)
		if err != nil {
			return nil, fmt.Errorf("catalog %s is not valid:\n%s", f, catalogProblems(err))
		}
	}
	return cat, nil
}

// catalogProblems lists a catalog's problems one per line, FILE:LINE:COL: error: MESSAGE like
// validate's findings, so editors and CI problem matchers read both.
func catalogProblems(err error) string {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var le *layers.Error
		if errors.As(err, &le) {
			lines = append(lines, fmt.Sprintf("%s:%d:%d: error: %s", le.File, le.Line, le.Col, le.Msg))
			return
		}
		lines = append(lines, err.Error())
	}
	walk(err)
	return strings.Join(lines, "\n")
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
