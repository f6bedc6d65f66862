package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/importer"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/report"
)

type importOptions struct {
	format    string
	config    string
	modelType string
	output    string
	force     bool
	modelID   string
	catalogs  []string
	tree      string
}

func newImportCmd(s *Streams) *cobra.Command {
	opts := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import [--config CONFIG.json] [--model-type TYPE] [-o OUT] TREE.txt|-",
		Short: "Build a model file from the text print(model) prints",
		Long: `Build a model file from what print(model) prints for a HuggingFace model (any transformers
version from 4.40 on; paste it from a notebook: prompts, CRLF and trailing text are ignored).

Composite modules become composite layers with their full class paths, ModuleList ranges
("(0-31): 32 x LlamaDecoderLayer") become repeats, lists whose entries differ become
consecutive runs sharing the list's name as their alias, and basic modules get the parameters
their repr shows. The layers a repr cannot show — the attention core, rotary application,
act·up products, residual adds, MoE routing — are inserted for the module patterns whose
forward is known (docs/authoring.md lists them); every other composite is reported.

--config gives what the tree hides: attention heads, sliding windows, the experts per token,
whether lm_head is tied to the embedding, modules whose parameters print(model) does not show
(DeepSeek's router, gpt-oss's experts), and the dtype. Without it, the model type comes from
--model-type or the root class, and each assumption is reported.

Warnings go to standard error; the model file to standard output, or to -o OUT, which must
not exist (--force replaces an existing model file, never a config, a template, other JSON or
the tree read). Exit status: 0
written (warnings allowed), 1 a tree that cannot be read (with its line), 2 usage errors and
unreadable inputs.`,
		Example: `  # in Python: open("tree.txt", "w").write(str(model))
  modeltool import --config config.json -o models/my-model.json tree.txt

  # from a pipe, the family named
  pbpaste | modeltool import --model-type qwen2 -`,
		Args: exactArgs(1, "one TREE.txt (or - for standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.tree = args[0]
			return runImport(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.config, "config", "", "the model's config.json: heads, windows, ties and hidden parameters")
	f.StringVar(&opts.modelType, "model-type", "", "the model's family (its config's model_type, e.g. llama), when there is no config")
	f.StringVarP(&opts.output, "output", "o", "", "write the model file to this new file instead of standard output")
	f.BoolVar(&opts.force, "force", false, "let -o overwrite an existing model file (never a config, a template or other JSON)")
	f.StringVar(&opts.modelID, "model-id", "", "the model_id to write (default: the config's _name_or_path, else its file name)")
	f.StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	formatFlag(cmd, &opts.format)
	_ = cmd.MarkFlagFilename("config", "json")
	_ = cmd.RegisterFlagCompletionFunc("model-type", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return templateNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func runImport(s *Streams, opts *importOptions) error {
	if err := checkFormat(opts.format, report.DiagnosticFormats); err != nil {
		return err
	}
	if opts.force && (opts.output == "" || opts.output == "-") {
		return usagef("--force lets -o overwrite an existing model file; give -o FILE")
	}
	if opts.output != "" && opts.output != "-" {
		if _, err := checkNewTarget("import", opts.output, opts.force, "", opts.tree, opts.config); err != nil {
			return err
		}
	}
	cat, err := loadCatalog(opts.catalogs, templateFiles)
	if err != nil {
		return err
	}
	name, data, err := readInput(s, opts.tree)
	if err != nil {
		return err
	}
	req := importer.Options{Name: name, ModelType: opts.modelType, Catalog: cat, ModelID: opts.modelID}
	if opts.config != "" {
		cfgName, cfgData, err := readInput(s, opts.config)
		if err != nil {
			return err
		}
		cfg, err := populate.ReadConfig(cfgName, cfgData)
		if err != nil {
			return findings("", err)
		}
		req.Config = cfg.Doc
		if req.ModelID == "" {
			req.ModelID = cfg.ModelID
		}
		if req.ModelType == "" {
			req.ModelType = cfg.ModelType
		}
	}
	if req.ModelID == "" && opts.tree != "-" {
		req.ModelID = strings.TrimSuffix(filepath.Base(opts.tree), filepath.Ext(opts.tree))
	}
	tpl, hasTemplate, err := lookupTemplate(req.ModelType)
	if err != nil {
		return err
	}
	if hasTemplate {
		req.TieDefault = importer.TieDefault(tpl.data)
	}
	res, err := importer.Import(string(data), req)
	if errors.Is(err, importer.ErrNoModelType) {
		return usagef("%v", err)
	}
	if err != nil {
		var faults *diag.Faults
		if errors.As(err, &faults) && faults.Diagnostics[0].File == name {
			return findings(fmt.Sprintf("%s is not print(model) output modeltool can read", name), err)
		}
		return err
	}
	if len(res.Diagnostics) > 0 {
		colored, _ := useColor("auto", s, s.ErrTerminal)
		if err := report.WriteDiagnostics(s.Err, "text", res.Diagnostics, 1, colored); err != nil {
			return err
		}
	}
	if t, ok, _ := lookupTemplate(res.ModelType); ok && opts.config != "" && t.name != "" {
		fmt.Fprintf(s.Err, "modeltool: %s has a template: modeltool populate --config %s builds it with its family's whole forward pass\n", res.ModelType, opts.config)
	}
	if opts.output == "" || opts.output == "-" {
		_, err := s.Out.Write(res.Output)
		return err
	}
	return writeNewModelFile("import", opts.output, res.Output, opts.force, "", opts.tree, opts.config)
}
