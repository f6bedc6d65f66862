package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/report"
)

type layersOptions struct {
	catalogs []string
	format   string
}

func newLayersCmd(s *Streams) *cobra.Command {
	opts := &layersOptions{}
	cmd := &cobra.Command{
		Use:   "layers [CLASS]",
		Short: "Show the catalog of basic classes: required parameters and formulas",
		Long: `Without CLASS, list every basic class the catalog knows. With CLASS (a full class path, an
alias, or a short name such as Linear), show its parameters — what each means, which are
required — and the formulas for its parameters, FLOPs, bytes and KV cache.`,
		Example: `  modeltool layers
  modeltool layers Linear
  modeltool layers torch.nn.functional.scaled_dot_product_attention
  modeltool layers --catalog my-catalog.json --format json`,
		Args:              maxArgs(1, "one CLASS"),
		ValidArgsFunction: completeClasses,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := loadCatalog(opts.catalogs, noFiles)
			if err != nil {
				return err
			}
			if err := checkFormat(opts.format, []string{"text", "json"}); err != nil {
				return err
			}
			if len(args) == 0 {
				return report.WriteCatalog(s.Out, opts.format, cat.Classes())
			}
			cl, err := findClass(cat, args[0])
			if err != nil {
				return err
			}
			return report.WriteCatalog(s.Out, opts.format, []*layers.Class{cl})
		},
	}
	cmd.Flags().StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	cmd.Flags().StringVar(&opts.format, "format", "text", "output format: text or json (a broken --catalog then prints its problems as a JSON diagnostics document)")
	return cmd
}

// findClass looks a class up by path, alias or unique short name; not found or ambiguous is a
// usage error.
func findClass(cat *layers.Catalog, name string) (*layers.Class, error) {
	cl, matches := cat.Find(name)
	switch {
	case cl != nil:
		return cl, nil
	case len(matches) == 0:
		msg := fmt.Sprintf("no basic class %q in the catalog", name)
		if s := cat.Suggest(name); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, usagef("%s; modeltool layers lists them", msg)
	}
	var names []string
	for _, m := range matches {
		names = append(names, m.Name)
	}
	return nil, usagef("%q is ambiguous: %s", name, strings.Join(names, ", "))
}
