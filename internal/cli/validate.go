package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/report"
	"github.com/modeltool/modeltool/internal/safetensors"
	"github.com/modeltool/modeltool/internal/validate"
)

type validateOptions struct {
	format   string
	color    string
	strict   bool
	catalogs []string
	paths    []string
	// modelFilesOnly skips named files that are not model files, as walks do (the hook's flag).
	modelFilesOnly bool
	verbose        bool
	weights        string
}

func newValidateCmd(s *Streams) *cobra.Command {
	opts := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate [flags] PATH...",
		Short: "Check model files against the schema, the layer catalog and the placeholder language",
		Long: `Check model files and templates: JSON syntax, duplicate keys, the schema, every basic
layer's class and required parameters, placeholder expressions and declared variables, and
structural rules. Each finding is printed as FILE:LINE:COL: error|warning: LAYER: MESSAGE.

Silent on success. PATH may be a file, a directory or - for standard input. In a directory,
only model files and templates are read: *.json files whose top level is an object with
"layers", "model_id", "variables" or "template" (or a "$schema" naming modeltool's), and files
that are not JSON but mention "layers", so a broken model file is still reported. Other JSON
(package.json, tsconfig.json, a HuggingFace config.json, generation_config.json,
tokenizer_config.json, model.safetensors.index.json), hidden directories and anything that is
not a regular file (named pipes, sockets, devices) are skipped; --verbose lists them with the
reason. A file named on the command line is always checked, unless --model-files-only (what
the pre-commit hook passes) applies the same rule to it.

With --weights CHECKPOINT (a .safetensors file, a model.safetensors.index.json or a folder,
of which what transformers loads is read: the index, else model.safetensors, else its
model-NNNNN-of-NNNNN shards; other .safetensors files there are named on stderr and not read),
each model file that validates is also compared with the checkpoint, reading only its headers:
every tensor mapped to its layer (decoder_layer runs aliased "layers" are model.layers.N),
shapes compared with the layers' parameters, tensors missing on either side and the parameter
totals reported at the layers' positions. Quantized checkpoints (GPTQ, AWQ, fp8, NVFP4, MXFP4)
are understood.

Exit status: 0 no errors (warnings allowed unless --strict), 1 findings, 2 usage errors or
unreadable input (a checkpoint too).`,
		Example: `  # check every model file under models/
  modeltool validate models/

  # in CI: annotations on the pull request
  modeltool validate --format github models/

  # from a pipe, failing on warnings too
  cat model.json | modeltool validate --strict -

  # against the checkpoint's tensors
  modeltool validate --weights ~/models/Llama-2-7b-hf models/llama-2-7b-hf.json`,
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
	f.BoolVar(&opts.modelFilesOnly, "model-files-only", false, "skip named files that are not model files or templates, as directory walks do")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "list the files skipped, and why, on standard error")
	f.StringVar(&opts.weights, "weights", "", "also compare each model file with a checkpoint: a .safetensors file, a model.safetensors.index.json or a folder (only headers are read)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.DiagnosticFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validated is what validating one file gave: its findings, the reason it was skipped, or an
// error that stops the command.
type validated struct {
	diags []diag.Diagnostic
	skip  string
	err   error
}

// validateOne reads and validates one file found on the command line or in a directory.
func validateOne(s *Streams, f fsutil.Found, opts *validateOptions, cat *layers.Catalog, ck *safetensors.Checkpoint) validated {
	display, data, err := readInput(s, f.Path)
	if err != nil {
		return validated{err: err}
	}
	doc, perr := jsonpos.Parse(display, data, jsonpos.Options{Share: true})
	if f.Dir != "" || opts.modelFilesOnly && f.Path != "-" {
		var parsed *jsonpos.Document
		if perr == nil {
			parsed = doc
		}
		if kind, why := model.Classify(data, parsed); kind == model.NotModel || kind == model.HFConfig {
			return validated{skip: why}
		}
	}
	if perr != nil {
		return validated{diags: []diag.Diagnostic{validate.Syntax(display, perr)}}
	}
	res := validate.Document(doc, validate.Options{Catalog: cat})
	return validated{diags: append(res.Diagnostics, checkWeights(ck, res, cat)...)}
}

// forEach calls fn(0) … fn(n−1) on at most workers goroutines at once.
func forEach(n, workers int, fn func(i int)) {
	workers = max(1, min(workers, n))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func runValidate(s *Streams, opts *validateOptions) error {
	if err := checkFormat(opts.format, report.DiagnosticFormats); err != nil {
		return err
	}
	colored, err := useColor(opts.color, s, s.OutTerminal)
	if err != nil {
		return err
	}
	cat, err := loadCatalog(opts.catalogs, modelFiles)
	if err != nil {
		return err
	}
	found, skipped, err := fsutil.ExpandPaths(opts.paths)
	if err != nil {
		return err
	}
	ck, err := openWeights(s, opts.weights)
	if err != nil {
		return err
	}
	// The files are read and checked side by side, one per core (one at a time against a
	// checkpoint); what they found is gathered in order.
	results := make([]validated, len(found))
	workers := runtime.GOMAXPROCS(0)
	if ck != nil {
		workers = 1
	}
	forEach(len(found), workers, func(i int) {
		results[i] = validateOne(s, found[i], opts, cat, ck)
	})
	var all []diag.Diagnostic
	files := 0
	perDir := map[string]int{}
	for i, r := range results {
		if r.err != nil {
			return r.err
		}
		if r.skip != "" {
			skipped = append(skipped, fsutil.Skip{Path: found[i].Path, Reason: r.skip})
			continue
		}
		files++
		perDir[found[i].Dir]++
		all = append(all, r.diags...)
	}
	if opts.verbose {
		writeSkips(s.Err, skipped)
	}
	for _, p := range opts.paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() && perDir[p] == 0 {
			return fmt.Errorf("%s holds no model files (--verbose lists what was skipped and why)", p)
		}
	}
	diag.Sort(all)
	errs, warns := diag.Count(all)
	if len(all) > 0 || opts.format == "json" {
		// A reader that went away (validate … | head) does not change the verdict.
		if err := report.WriteDiagnostics(s.Out, opts.format, all, files, colored); err != nil && !errors.Is(err, syscall.EPIPE) {
			return err
		}
	}
	if errs > 0 || (opts.strict && warns > 0) {
		return findings("", nil)
	}
	return nil
}

// writeSkips lists the files a command passed over, sorted by path, with the reason for each
// (--verbose of validate and populate --check).
func writeSkips(w io.Writer, skipped []fsutil.Skip) {
	slices.SortStableFunc(skipped, func(a, b fsutil.Skip) int { return strings.Compare(a.Path, b.Path) })
	for _, sk := range skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", sk.Path, sk.Reason)
	}
}
