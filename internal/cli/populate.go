package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/report"
	"github.com/modeltool/modeltool/internal/validate"
	"github.com/modeltool/modeltool/models"
)

type populateOptions struct {
	format     string
	models     []string
	paired     bool
	config     string
	template   string
	output     string
	check      bool
	addMissing bool
	catalogs   []string
	modelID    string
}

func newPopulateCmd(s *Streams) *cobra.Command {
	opts := &populateOptions{}
	cmd := &cobra.Command{
		Use:   "populate [--config CONFIG.json] [flags] [MODEL.json...]",
		Short: "Build or fill a model file from a HuggingFace config.json",
		Long: `Build a model file from a HuggingFace config.json through the architecture template of its
model_type (modeltool populate --help lists them), or fill an existing model file in place.

Static values come from the config (hidden_size 4096 becomes 4096); what is chosen when calc
runs stays a placeholder ("{batch_size} * {seq_len}").

Given MODEL.json, populate fills only the parameters it lacks, matching layers by name path
(older layouts included: …SdpaAttention classes, rotary_emb inside each attention), keeps
every value, key and layer the author wrote, and reports what it filled and what it could
not. --add-missing also inserts the template's layers the file lacks, such as the attention
core. The output is canonical JSON, so a second run changes nothing.

Without --config, each MODEL.json is paired with the config beside it: NAME.config.json for
NAME.json, else config.json in the same directory. With --check several files may be
given (--paired skips those without a config beside them), which is what the pre-commit
hook modeltool-populate-check runs.

Writes are atomic: on any error every file is left as it was.

Templates: ` + strings.Join(models.TemplateNames(), ", ") + `.`,
		Example: `  # a new model file from a config
  modeltool populate --config config.json -o models/llama-2-7b-hf.json

  # fill a hand-written skeleton in place, adding the attention core and other hidden layers
  modeltool populate --config config.json --add-missing models/my-llama.json

  # in CI: fail if a model file is out of sync with the config beside it
  modeltool populate --check models/llama-2-7b-hf.json
  modeltool populate --check --paired models/*.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.models = args
			return runPopulate(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.config, "config", "", "the HuggingFace config.json (default: the config beside MODEL.json)")
	f.BoolVar(&opts.paired, "paired", false, "with several MODEL.json, skip those without a config beside them")
	f.StringVar(&opts.template, "template", "", "a template name (model_type) or template file, instead of the config's model_type")
	f.StringVarP(&opts.output, "output", "o", "", "write here instead of standard output (or instead of MODEL.json in place)")
	f.BoolVar(&opts.check, "check", false, "write nothing; exit 1 if the output would differ from the file")
	f.BoolVar(&opts.addMissing, "add-missing", false, "also insert the template's layers the file lacks")
	f.StringVar(&opts.modelID, "model-id", "", "the model_id to write (default: the config's _name_or_path, else its file name)")
	f.StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	formatFlag(cmd, &opts.format)
	_ = cmd.RegisterFlagCompletionFunc("template", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return models.TemplateNames(), cobra.ShellCompDirectiveDefault
	})
	_ = cmd.MarkFlagFilename("config", "json")
	return cmd
}

func runPopulate(s *Streams, opts *populateOptions) error {
	if err := checkFormat(opts.format, report.DiagnosticFormats); err != nil {
		return err
	}
	switch {
	case len(opts.models) == 0 && opts.config == "":
		return usagef("give --config CONFIG.json, or MODEL.json files with their configs beside them")
	case len(opts.models) > 1 && !opts.check:
		return usagef("several model files can only be checked (--check); fill them one at a time")
	case opts.check && opts.output != "":
		return usagef("--check writes nothing; drop -o")
	case opts.check && len(opts.models) == 0:
		return usagef("--check compares with a file: give MODEL.json")
	case slices.Contains(opts.models, "-"):
		return usagef("populate writes the model file it fills; give a path, not -")
	}
	cat, err := loadCatalog(opts.catalogs)
	if err != nil {
		return err
	}
	if len(opts.models) == 0 {
		return populateOne(s, opts, cat, opts.config, "")
	}
	var (
		stale  []string
		faults []error
	)
	for _, m := range opts.models {
		config := opts.config
		if config == "" {
			config = configBeside(m)
			if config == "" {
				if opts.paired {
					continue
				}
				return usagef("no config beside %s (looked for %s and config.json); give --config", m, strings.TrimSuffix(m, ".json")+".config.json")
			}
		}
		err := populateOne(s, opts, cat, config, m)
		var fe *faultError
		if opts.check && errors.As(err, &fe) && fe.code == exitFindings && len(opts.models) > 1 {
			if fe.msg != "" {
				fmt.Fprintln(s.Err, fe.msg)
			}
			faults = append(faults, fe.err)
			stale = append(stale, m)
			continue
		}
		if err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		return findings(fmt.Sprintf("%d of %d model files are out of sync with their configs", len(stale), len(opts.models)), errors.Join(faults...))
	}
	return nil
}

// configBeside finds the config of a model file: NAME.config.json beside NAME.json, else
// config.json in the same directory; "" when there is none (or the file is itself a config).
func configBeside(modelPath string) string {
	if fsutil.IsHuggingFaceConfig(modelPath) {
		return ""
	}
	for _, c := range []string{strings.TrimSuffix(modelPath, ".json") + ".config.json", filepath.Join(filepath.Dir(modelPath), "config.json")} {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

// populateOne builds (modelPath "") or fills one model file.
func populateOne(s *Streams, opts *populateOptions, cat *layers.Catalog, config, modelPath string) error {
	cfgName, cfgData, err := readInput(s, config)
	if err != nil {
		return err
	}
	cfg, err := populate.ReadConfig(cfgName, cfgData)
	if err != nil {
		return findings("", err)
	}
	tplName, tplData, err := chooseTemplate(opts.template, cfg)
	if err != nil {
		return err
	}
	tpl, err := populate.LoadTemplate(tplName, tplData, cat)
	if err != nil {
		if errors.Is(err, populate.ErrNotATemplate) {
			return fmt.Errorf("%w; to fill it: modeltool populate --config %s %s", err, config, tplName)
		}
		// Like a broken --catalog: exit 2, its problems as validate prints findings.
		return brokenInput(fmt.Sprintf("template %s is not valid", tplName), err)
	}
	req := populate.Request{Config: cfg, Template: tpl, TemplateName: tplName, AddMissing: opts.addMissing, Catalog: cat, ModelID: opts.modelID}
	var original []byte
	if modelPath != "" {
		name, data, err := readInput(s, modelPath)
		if err != nil {
			return err
		}
		original = data
		existing, err := model.Parse(name, data)
		if err != nil {
			d := validate.Syntax(name, err)
			d.Message += " (fix the JSON before populate fills it)"
			return findings("", diag.New(d))
		}
		req.Existing = existing
	}
	res, err := populate.Run(req)
	if err != nil {
		return findings("", err)
	}
	if !opts.check || !bytes.Equal(original, res.Output) {
		if err := report.WritePopulate(s.Err, res); err != nil {
			return err
		}
	}
	switch {
	case opts.check:
		if !bytes.Equal(original, res.Output) {
			return findings(fmt.Sprintf("%s is out of sync with %s: run modeltool populate --config %s %s", modelPath, cfgName, config, modelPath), nil)
		}
		return nil
	case opts.output == "-" || (opts.output == "" && modelPath == ""):
		_, err := s.Out.Write(res.Output)
		return err
	case opts.output != "":
		if err := fsutil.WriteFileAtomic(opts.output, res.Output); err != nil {
			return err
		}
	default:
		if !bytes.Equal(original, res.Output) {
			if err := fsutil.WriteFileAtomic(modelPath, res.Output); err != nil {
				return err
			}
		}
	}
	// The fill is written; errors that remain (the author's own values) still fail the run.
	if n, _ := diag.Count(res.Diagnostics); n > 0 {
		return findings(fmt.Sprintf("%s still has %d validation error(s)", modelPath, n), diag.New(res.Diagnostics...))
	}
	return nil
}

// chooseTemplate finds the template: --template as a file if one exists at that path, else as
// a model_type name; without --template, the config's model_type.
func chooseTemplate(flag string, cfg *populate.Config) (string, []byte, error) {
	if flag != "" {
		if st, err := os.Stat(flag); err == nil && !st.IsDir() {
			data, err := fsutil.ReadFile(flag)
			return flag, data, err
		}
		if data, ok := models.Template(flag); ok {
			return flag, data, nil
		}
		return "", nil, usagef("--template %q is neither a file nor a template name (templates: %s)", flag, strings.Join(models.TemplateNames(), ", "))
	}
	if cfg.ModelType == "" {
		return "", nil, findings("", diag.New(diag.Diagnostic{File: cfg.Name, Severity: diag.Error, Code: "config",
			Message: fmt.Sprintf("no model_type; choose a template with --template (templates: %s)", strings.Join(models.TemplateNames(), ", "))}))
	}
	data, ok := models.Template(cfg.ModelType)
	if !ok {
		d := cfg.Doc.Diagnostic(cfg.Doc.Root.Get("model_type").Offset, "config",
			fmt.Sprintf("model_type %q has no template (supported: %s); write one and pass it with --template FILE", cfg.ModelType, strings.Join(models.TemplateNames(), ", ")))
		d.Pointer = "/model_type"
		return "", nil, findings("", diag.New(d))
	}
	return cfg.ModelType, data, nil
}
