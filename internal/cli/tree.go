package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/report"
	"github.com/modeltool/modeltool/internal/validate"
)

type treeOptions struct {
	variableFlags
	format   string
	calc     bool
	catalogs []string
}

func newTreeCmd(s *Streams) *cobra.Command {
	opts := &treeOptions{}
	cmd := &cobra.Command{
		Use:   "tree [flags] MODEL.json|-",
		Short: "Print the layer hierarchy with repeat counts, like print(model)",
		Long: `Print the layer hierarchy of a model file with repeat counts and classes, like
print(model) in PyTorch. With --calc, each layer shows its subtree's parameters and FLOPs
(over all instances, with the file's default variables or those given by --set and calc's
shorthands: --batch-size, --seq-len, --past-len, --dtype, --weight-dtype, --kv-dtype).`,
		Example: `  modeltool tree models/llama-2-7b-hf.json
  modeltool tree --calc --seq-len 1 --past-len 4096 models/mixtral-8x7b-v0.1.json`,
		Args:              exactArgs(1, "one MODEL.json (or - for standard input)"),
		ValidArgsFunction: completeModelPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTree(s, opts, args[0])
		},
	}
	cmd.Flags().BoolVar(&opts.calc, "calc", false, "show each subtree's parameters and FLOPs")
	opts.variableFlags.add(cmd)
	cmd.Flags().StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	formatFlag(cmd, &opts.format)
	return cmd
}

func runTree(s *Streams, opts *treeOptions, input string) error {
	if err := checkFormat(opts.format, report.DiagnosticFormats); err != nil {
		return err
	}
	if flag := opts.given(); flag != "" && !opts.calc {
		return usagef("%s sets a variable for --calc; add --calc", flag)
	}
	cat, err := loadCatalog(opts.catalogs, modelFiles)
	if err != nil {
		return err
	}
	name, data, err := readInput(s, input)
	if err != nil {
		return err
	}
	f, err := model.Parse(name, data)
	if err != nil {
		return findings("", err)
	}
	var sums map[string]*calc.Sum
	if opts.calc {
		res := validate.File(f, validate.Options{Catalog: cat})
		if n, _ := diag.Count(res); n > 0 {
			return findings(fmt.Sprintf("%s has %d error(s); --calc needs a valid file", name, n), diag.New(res...))
		}
		set, _, err := opts.bindings()
		if err != nil {
			return err
		}
		out, err := compute(name, f, calc.Options{Catalog: cat, Set: set})
		if err != nil {
			return err
		}
		sums = out.Subtotals()
		if ws := unusedSets(f, opts.sets); len(ws) > 0 {
			if err := report.WriteDiagnostics(s.Err, "text", ws, 1, false); err != nil {
				return err
			}
		}
	}
	return report.WriteTree(s.Out, f, sums)
}
