package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/jsonpos"
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
	update     bool
	force      bool
	strict     bool
	verbose    bool
	addMissing bool
	catalogs   []string
	modelID    string
}

func newPopulateCmd(s *Streams) *cobra.Command {
	opts := &populateOptions{}
	cmd := &cobra.Command{
		Use:   "populate [--config CONFIG.json] [flags] [MODEL.json...]",
		Short: "Build, fill, update or check a model file from a HuggingFace config.json",
		Long: `Build a model file from a HuggingFace config.json through the architecture template of its
model_type, fill or update an existing model file in place, or check that model files are in
sync with their configs.

Static values come from the config (hidden_size 4096 becomes 4096); what is chosen when calc
runs stays a placeholder ("{batch_size} * {seq_len}").

What is written, and where:
  populate --config C               the new model file, on standard output
  populate --config C -o OUT        the new model file, to OUT, which must not exist
                                    (--force replaces a model file there; never a config,
                                    a template or other JSON)
  populate [--config C] MODEL       MODEL, filled in place: only what it lacks is added
                                    (parameters, class, repeat, tied_to, model_id, variables;
                                    --add-missing also inserts the template's layers it lacks,
                                    such as the attention core). Every value, key and layer
                                    the author wrote stays, also a value the config gives
                                    otherwise (reported as "kept").
  populate --update [--config C] MODEL
                                    MODEL follows its config: every value the template derives
                                    that differs is rewritten and reported ("updated LAYER:
                                    in_features 4096 → 5120"), missing layers are inserted,
                                    a tied_to or a layer the config no longer gives is
                                    removed. What the template does not derive stays: x- keys,
                                    the file's own variables and layers, calc-time choices
                                    such as seq_len; in a layer --update removes, they go to
                                    the layer that takes its place (a run renamed), else
                                    --update refuses and names them.
  populate … -o OUT MODEL           the filled or updated MODEL to OUT instead (a new file,
                                    as above); -o - writes to standard output
  populate --check [MODEL|NAME.config.json|DIR]...
                                    nothing. Reports, at its line, every derived value that
                                    differs ("LAYER: in_features is 4097, the config gives
                                    4096"; a layer's class too) or is missing, and every
                                    error validate finds, and exits 1 if there is any.

Nothing else is ever written. MODEL is written only when its content changes, and only if the
result validates: a fill that would leave validation errors writes nothing and lists them.
A target that is not a model file (a HuggingFace config, a template, other JSON) is refused.
If MODEL changed on disk while populate ran (an editor saved it), nothing is written and the
run fails (exit 2), keeping that edit. The write is atomic and keeps the file's mode, owner,
group and hard links; an interrupt (Ctrl-C, SIGTERM, SIGHUP) leaves no temporary file. On any
failure every file is left byte for byte as it was.

Pairing: without --config, MODEL is paired with the config beside it, NAME.config.json for
NAME.json, else config.json in the same directory. --check also takes the config: given
NAME.config.json or config.json it checks the model file(s) it pairs with, so a commit that
changes only the config is checked. --paired skips files without a pair and files that are
not model files (what the pre-commit hook modeltool-populate-check runs).

--template NAME|FILE builds with another template than the config's model_type; when the two
differ, a warning names both and the config keys that template ignores (an error with
--strict, and nothing is written).

Templates: ` + strings.Join(models.TemplateNames(), ", ") + `.`,
		Example: `  # a new model file from a config
  modeltool populate --config config.json -o models/llama-2-7b-hf.json

  # fill a hand-written skeleton in place, adding the attention core and other hidden layers
  modeltool populate --config config.json --add-missing models/my-llama.json

  # the config changed: make the model file follow it
  modeltool populate --update models/llama-2-7b-hf.json

  # in CI: fail if a model file is out of sync with the config beside it
  modeltool populate --check models/llama-2-7b-hf.json
  modeltool populate --check --paired models/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.models = args
			return runPopulate(s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.config, "config", "", "the HuggingFace config.json (default: the config beside MODEL.json)")
	f.BoolVar(&opts.paired, "paired", false, "with --check, skip files that are not model files or have no config beside them")
	f.StringVar(&opts.template, "template", "", "a template name (model_type) or template file, instead of the config's model_type")
	f.StringVarP(&opts.output, "output", "o", "", "write to this new file instead of standard output (or instead of MODEL.json in place); - is standard output")
	f.BoolVar(&opts.force, "force", false, "let -o overwrite an existing model file (never a config, a template or other JSON)")
	f.BoolVar(&opts.check, "check", false, "write nothing; report every value that differs from the config, exit 1 if any")
	f.BoolVar(&opts.update, "update", false, "rewrite the values of MODEL.json that differ from the config (default: keep the author's)")
	f.BoolVar(&opts.addMissing, "add-missing", false, "also insert the template's layers the file lacks")
	f.BoolVar(&opts.strict, "strict", false, "a --template for another model_type than the config's is an error, not a warning")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "with --check, list the files skipped, and why, on standard error")
	f.StringVar(&opts.modelID, "model-id", "", "the model_id to write (default: the config's _name_or_path, else its file name)")
	f.StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	formatFlag(cmd, &opts.format)
	_ = cmd.RegisterFlagCompletionFunc("template", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return templateNames(), cobra.ShellCompDirectiveDefault
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
	case opts.check && opts.output != "":
		return usagef("--check writes nothing; drop -o")
	case opts.check && (opts.update || opts.addMissing):
		return usagef("--check writes nothing; drop --update and --add-missing")
	case opts.check && len(opts.models) == 0:
		return usagef("--check compares with a file: give MODEL.json or NAME.config.json")
	case len(opts.models) > 1 && !opts.check:
		return usagef("several model files can only be checked (--check); fill them one at a time")
	case opts.update && len(opts.models) == 0:
		return usagef("--update rewrites an existing model file: give MODEL.json (a new file is written with -o)")
	case opts.force && (opts.output == "" || opts.output == "-"):
		return usagef("--force lets -o overwrite an existing file; give -o FILE")
	case slices.Contains(opts.models, "-"):
		return usagef("populate writes the model file it fills; give a path, not -")
	}
	cat, err := loadCatalog(opts.catalogs, templateFiles)
	if err != nil {
		return err
	}
	if opts.check {
		return runCheck(s, opts, cat)
	}
	if len(opts.models) == 0 {
		return populateOne(s, opts, cat, opts.config, "")
	}
	m := opts.models[0]
	config := opts.config
	if config == "" {
		if config = configBeside(m); config == "" {
			return usagef("no config beside %s (looked for %s and config.json); give --config", m, strings.TrimSuffix(m, ".json")+".config.json")
		}
	}
	return populateOne(s, opts, cat, config, m)
}

// checkPair is a model file and the config it is checked against.
type checkPair struct{ model, config string }

// runCheck checks model files against their configs; several may be given, and configs or
// directories in their place.
func runCheck(s *Streams, opts *populateOptions, cat *layers.Catalog) error {
	pairs, skipped, err := checkPairs(opts)
	if err != nil {
		return err
	}
	if opts.verbose {
		writeSkips(s.Err, skipped)
	}
	var (
		stale    []string
		faults   []error
		warnings []diag.Diagnostic
		warned   = map[string]bool{}
	)
	for _, p := range pairs {
		ws, err := populatePair(s, opts, cat, p.config, p.model)
		for _, w := range ws {
			if !warned[w.String()] {
				warned[w.String()] = true
				warnings = append(warnings, w)
			}
		}
		var fe *faultError
		if errors.As(err, &fe) && fe.code == exitFindings {
			if len(pairs) == 1 {
				return withWarnings(err, warnings)
			}
			if fe.msg != "" {
				faults = append(faults, errors.New(fe.msg))
			}
			faults = append(faults, fe.err)
			stale = append(stale, p.model)
			continue
		}
		if err != nil {
			return withWarnings(err, warnings)
		}
	}
	if len(stale) > 0 {
		return withWarnings(findings(fmt.Sprintf("%d of %d model files are out of sync with their configs", len(stale), len(pairs)), errors.Join(faults...)), warnings)
	}
	return withWarnings(nil, warnings)
}

// checkPairs turns --check's arguments into model files and their configs. A model file is
// paired with --config, else with the config beside it; a config (NAME.config.json,
// config.json) with the model files beside it that it is the config of; a directory gives the
// model files in it. Each model file is checked once. With --paired, files that are not model
// files and files without a pair are skipped (and listed with --verbose); without it they are
// usage errors.
func checkPairs(opts *populateOptions) ([]checkPair, []fsutil.Skip, error) {
	found, skipped, err := fsutil.ExpandPaths(opts.models)
	if err != nil {
		return nil, nil, err
	}
	var pairs []checkPair
	seen := map[string]bool{}
	add := func(m, c string) {
		if key := filepath.Clean(m); !seen[key] {
			seen[key] = true
			pairs = append(pairs, checkPair{m, c})
		}
	}
	skip := func(path, reason string) { skipped = append(skipped, fsutil.Skip{Path: path, Reason: reason}) }
	for _, f := range found {
		lenient := opts.paired || f.Dir != ""
		if opts.config == "" && fsutil.IsHuggingFaceConfig(f.Path) {
			ms := modelsBeside(f.Path)
			if len(ms) == 0 {
				if !lenient {
					return nil, nil, usagef("no model file beside %s (looked for %s); give the model file", f.Path, modelNameFor(f.Path))
				}
				skip(f.Path, "a config without a model file beside it")
			}
			for _, m := range ms {
				add(m, f.Path)
			}
			continue
		}
		if lenient {
			data, err := fsutil.ReadFile(f.Path)
			if err != nil {
				return nil, nil, err
			}
			if kind, why := model.Classify(data, nil); kind != model.ModelFile {
				if why == "" {
					why = "an architecture template"
				}
				skip(f.Path, why)
				continue
			}
		}
		config := opts.config
		if config == "" {
			if config = configBeside(f.Path); config == "" {
				if !lenient {
					return nil, nil, usagef("no config beside %s (looked for %s and config.json); give --config", f.Path, strings.TrimSuffix(f.Path, ".json")+".config.json")
				}
				skip(f.Path, "no config beside it")
				continue
			}
		}
		add(f.Path, config)
	}
	return pairs, skipped, nil
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

// modelNameFor is the model file that NAME.config.json is the config of (NAME.json); for a
// config.json, any model file in its directory.
func modelNameFor(config string) string {
	if filepath.Base(config) == "config.json" {
		return "model files in " + filepath.Dir(config)
	}
	return strings.TrimSuffix(config, ".config.json") + ".json"
}

// modelsBeside returns the model files whose config (by configBeside) is config: NAME.json for
// NAME.config.json; for a config.json, the model files of its directory that have no
// NAME.config.json of their own.
func modelsBeside(config string) []string {
	if filepath.Base(config) != "config.json" {
		m := modelNameFor(config)
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
			return []string{m}
		}
		return nil
	}
	dir := filepath.Dir(config)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || fsutil.IsHuggingFaceConfig(name) || !e.Type().IsRegular() {
			continue
		}
		m := filepath.Join(dir, name)
		if filepath.Clean(configBeside(m)) != filepath.Clean(config) {
			continue
		}
		if data, err := fsutil.ReadFile(m); err == nil {
			if kind, _ := model.Classify(data, nil); kind == model.ModelFile {
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out
}

// withWarnings adds warnings to the error a command ends with; with no error they are still
// printed, through the same printer, and the exit code is 0.
func withWarnings(err error, warnings []diag.Diagnostic) error {
	if len(warnings) == 0 {
		return err
	}
	if err == nil {
		return &faultError{code: exitOK, err: diag.New(warnings...)}
	}
	var fe *faultError
	if errors.As(err, &fe) {
		return &faultError{code: fe.code, msg: fe.msg, err: errors.Join(diag.New(warnings...), fe.err)}
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	return &faultError{code: exitUsage, err: errors.Join(diag.New(warnings...), err)}
}

// populateOne builds (modelPath "") or fills, updates or checks one model file, and prints
// the warnings of the run.
func populateOne(s *Streams, opts *populateOptions, cat *layers.Catalog, config, modelPath string) error {
	warnings, err := populatePair(s, opts, cat, config, modelPath)
	return withWarnings(err, warnings)
}

// populatePair does populateOne's work and returns its warnings apart.
func populatePair(s *Streams, opts *populateOptions, cat *layers.Catalog, config, modelPath string) ([]diag.Diagnostic, error) {
	cfgName, cfgData, err := readInput(s, config)
	if err != nil {
		return nil, err
	}
	cfg, err := populate.ReadConfig(cfgName, cfgData)
	if err != nil {
		return nil, findings("", err)
	}
	tplName, tplData, err := chooseTemplate(opts.template, cfg)
	if err != nil {
		return nil, err
	}
	tpl, err := populate.LoadTemplate(tplName, tplData, cat)
	if err != nil {
		if errors.Is(err, populate.ErrNotATemplate) {
			return nil, fmt.Errorf("%w; to fill it: modeltool populate --config %s %s", err, config, tplName)
		}
		// Like a broken --catalog: exit 2, its problems as validate prints findings.
		return nil, brokenInput(fmt.Sprintf("template %s is not valid", tplName), err)
	}
	var warnings []diag.Diagnostic
	if w, ok := populate.TemplateMismatch(cfg, tpl, tplName, templateFor); ok {
		if opts.strict {
			w.Severity = diag.Error
			return nil, findings("nothing written: --strict makes a template for another model_type an error", diag.New(w))
		}
		warnings = append(warnings, w)
	}
	mode := populate.Fill
	switch {
	case opts.check:
		mode = populate.Check
	case opts.update:
		mode = populate.Update
	}
	req := populate.Request{Config: cfg, Template: tpl, TemplateName: tplName, Mode: mode, AddMissing: opts.addMissing, Catalog: cat, ModelID: opts.modelID}
	var original []byte
	if modelPath != "" {
		name, data, err := readInput(s, modelPath)
		if err != nil {
			return warnings, err
		}
		original = data
		existing, err := model.Parse(name, data)
		if err != nil {
			d := validate.Syntax(name, err)
			d.Message += " (fix the JSON before populate fills it)"
			return warnings, findings("", diag.New(d))
		}
		req.Existing = existing
	}
	if opts.output != "" && opts.output != "-" && sameFile(opts.output, config) {
		return warnings, fmt.Errorf("-o %s is the config populate reads; write the model file elsewhere", opts.output)
	}
	res, err := populate.Run(req)
	if err != nil {
		return warnings, findings("", err)
	}
	if w, ok := populate.DTypeDefault(cfg, tpl, tplName); ok && !opts.check {
		// Said when a file is built or filled from the config; --check compares, and a file
		// already made from this config holds the same dtype.
		warnings = append(warnings, w)
	}
	if opts.check {
		invalid := diag.Errors(res.Diagnostics)
		var msgs []string
		if len(res.Drift) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s is out of sync with %s: run modeltool populate --update %s to follow the config%s", modelPath, cfgName, modelPath, configFlag(opts, config, modelPath)))
		}
		if len(invalid) > 0 {
			msgs = append(msgs, fmt.Sprintf("%s has %d validation error(s) (modeltool validate %s)", modelPath, len(invalid), modelPath))
		}
		if len(msgs) > 0 {
			all := append(slices.Clip(res.Drift), invalid...)
			diag.Sort(all)
			return warnings, findings(strings.Join(msgs, "; "), diag.New(all...))
		}
		return warnings, nil
	}
	if errs := diag.Errors(res.Diagnostics); len(errs) > 0 {
		// Never write a file that would not validate: the author fixes it first. The report
		// says what a fill would do, for nothing is written.
		if err := report.WritePopulate(s.Err, res, false); err != nil {
			return warnings, err
		}
		hint := ""
		if len(res.Report.Kept) > 0 {
			hint = " (values kept from the file are listed above; --update takes the config's instead)"
		}
		return warnings, findings(fmt.Sprintf("nothing written: %s would still have %d validation error(s); fix them in %s%s", modelPath, len(errs), modelPath, hint), diag.New(errs...))
	}
	var unchanged bool
	if req.Existing != nil {
		// The author's file in modeltool's own layout: equal to the output when populate found
		// nothing to add or change, however the file itself is laid out.
		unchanged = bytes.Equal(jsonpos.Marshal(req.Existing.Doc.Root), res.Output)
	}
	if err := writePopulated(s, opts, modelPath, original, res.Output, unchanged); err != nil {
		// Nothing was written (a read-only file, an existing -o, an edit on disk meanwhile):
		// the refusal alone, no report of values "filled" that are not in any file.
		return warnings, err
	}
	return warnings, report.WritePopulate(s.Err, res, true)
}

// configFlag is " --config C" when the config is not the one populate finds beside the model.
func configFlag(opts *populateOptions, config, modelPath string) string {
	if opts.config == "" || sameFile(configBeside(modelPath), config) {
		return ""
	}
	return " --config " + config
}

// writePopulated writes populate's output where the options say: standard output, a new -o
// file (an existing one only with --force), or the model file in place, if it changed and is
// still what populate read. A file whose values populate left as they were (unchanged) is not
// rewritten in place, so its own layout — indentation, line endings, one line — stays.
func writePopulated(s *Streams, opts *populateOptions, modelPath string, original, out []byte, unchanged bool) error {
	switch {
	case opts.output == "-" || (opts.output == "" && modelPath == ""):
		_, err := s.Out.Write(out)
		return err
	case opts.output != "" && !(modelPath != "" && sameFile(opts.output, modelPath)):
		return writeNewModelFile("populate", opts.output, out, opts.force, fmt.Sprintf(" (to fill it in place: modeltool populate --config CONFIG %s)", opts.output), opts.config)
	}
	if unchanged {
		return nil
	}
	out = withLineEndingsOf(original, out)
	if bytes.Equal(original, out) {
		return nil
	}
	return fsutil.ReplaceFile(modelPath, out, original)
}

// withLineEndingsOf returns out (modeltool's layout: LF, a final newline) with the line
// endings of original: CRLF when original's first line ends so, and no final newline when
// original has none. A file rewritten in place keeps its style, so an editor or a
// .gitattributes that wants CRLF sees no change of every line. JSON text holds a line break
// only between tokens (never inside a string), so every "\n" of out is one.
func withLineEndingsOf(original, out []byte) []byte {
	if i := bytes.IndexByte(original, '\n'); i > 0 && original[i-1] == '\r' {
		out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
	}
	if len(original) > 0 && !bytes.HasSuffix(original, []byte("\n")) {
		out = bytes.TrimRight(out, "\r\n")
	}
	return out
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// templateFor returns the template of a model_type: the project file's, else the builtin one.
func templateFor(modelType string) (*model.File, bool) {
	t, ok, err := lookupTemplate(modelType)
	if !ok || err != nil {
		return nil, false
	}
	f, err := model.Parse(modelType, t.data)
	return f, err == nil && f.Template != nil
}

// chooseTemplate finds the template: --template as a file if one exists at that path, else as
// a model_type name; without --template, the config's model_type.
func chooseTemplate(flag string, cfg *populate.Config) (string, []byte, error) {
	if flag != "" {
		if st, err := os.Stat(flag); err == nil && !st.IsDir() {
			data, err := fsutil.ReadFile(flag)
			return flag, data, err
		}
		if t, ok, err := lookupTemplate(flag); err != nil || ok {
			return flag, t.data, err
		}
		return "", nil, usagef("--template %q is neither a file nor a template name (templates: %s)", flag, strings.Join(templateNames(), ", "))
	}
	if cfg.ModelType == "" {
		return "", nil, findings("", diag.New(diag.Diagnostic{File: cfg.Name, Severity: diag.Error, Code: "config",
			Message: "no model_type: choose a template with --template NAME " + noTemplateHint()}))
	}
	t, ok, err := lookupTemplate(cfg.ModelType)
	if err != nil {
		return "", nil, err
	}
	data := t.data
	if !ok {
		d := cfg.Doc.Diagnostic(cfg.Doc.Root.Get("model_type").Offset, "config",
			fmt.Sprintf("model_type %q has no template %s", cfg.ModelType, noTemplateHint()))
		d.Pointer = "/model_type"
		return "", nil, findings("", diag.New(d))
	}
	return cfg.ModelType, data, nil
}

// noTemplateHint says what to do when no builtin template fits a config: the one place that
// names the templates and the way to write one.
func noTemplateHint() string {
	return fmt.Sprintf("(templates: %s); for another architecture write one, starting from modeltool templates show NAME of the nearest or from modeltool import on the model's print(model) output (docs/authoring.md), and pass it with --template FILE",
		strings.Join(templateNames(), ", "))
}
