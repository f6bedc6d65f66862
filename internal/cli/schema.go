package cli

import (
	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/schema"
)

func newSchemaCmd(s *Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the model file",
		Long: `Print the JSON Schema (draft 2020-12) of the model file. Point your editor at it to get
completion and a description of every key while you write a model file.`,
		Example: "  modeltool schema > model.schema.json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := s.Out.Write(schema.ModelJSON())
			return err
		},
	}
}
