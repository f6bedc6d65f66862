package cli

import (
	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/schema"
)

type schemaOptions struct {
	catalogs []string
}

func newSchemaCmd(s *Streams) *cobra.Command {
	opts := &schemaOptions{}
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the model file, with the catalog's classes",
		Long: `Print the JSON Schema (draft 2020-12) of the model file for editors and JSON Schema
validators. Besides every key of the file, it knows the catalog: the class of a basic layer must
be a catalog class or alias (each with its description, so an editor completes and explains
it), and its parameters are the class's (described and typed; the required ones required,
unknown ones refused except x- keys). --catalog adds your own classes. Point your editor at it
to get completion and errors as you type; nothing in it is ever fetched.`,
		Example: `  modeltool schema > schema/model.schema.json
  modeltool schema --catalog my-catalog.json > model.schema.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := loadCatalog(opts.catalogs, noFiles)
			if err != nil {
				return err
			}
			doc, err := schema.Editor(cat)
			if err != nil {
				return err
			}
			_, err = s.Out.Write(doc)
			return err
		},
	}
	cmd.Flags().StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	return cmd
}
