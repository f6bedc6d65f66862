package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/gcpace"
	"github.com/modeltool/modeltool/internal/hardware"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/report"
	"github.com/modeltool/modeltool/internal/validate"
)

type calcOptions struct {
	variableFlags
	format        string
	hardware      string
	hardwareFile  string
	catalogs      []string
	exact         bool
	numberStrings bool
	color         string
	input         string
	split         splitFlags
	generate      string
}

func newCalcCmd(s *Streams) *cobra.Command {
	opts := &calcOptions{}
	cmd := &cobra.Command{
		Use:   "calc [flags] MODEL.json|-",
		Short: "Compute exact parameters, FLOPs, bytes and KV cache per layer and in total",
		Long: `Compute, for every basic layer of a model file and in total, its parameters, FLOPs,
bytes read and written and KV-cache bytes, for the batch, sequence lengths and dtypes you
choose. Figures are exact: integers of any size and exact fractions, never floats.

Variables take the file's defaults, then --set NAME=VALUE, then the shorthand flags.
A prefill of N tokens is --seq-len N; one decode step after N tokens is
--seq-len 1 --past-len N. Templates also declare logits_len, the positions lm_head computes
logits for: seq_len by default (a forward pass over the prompt), 1 for generation
(--set logits_len=1).

--tp, --pp, --ep and --dp make the rows and totals those of one device (Megatron-LM style;
docs/planning.md), with the communication between devices as rows of their own.

The table shows readable units (--exact for every digit); --format json and csv give one
instance per layer with its count, exactly. --format html writes one self-contained page to
open in a browser: totals, a sortable layer table, where FLOPs and bytes go, and with
--hardware a roofline plot. --hardware adds a roofline bound per layer.`,
		Example: `  # prefill of 2048 tokens, batch 1 (the defaults)
  modeltool calc models/llama-2-7b-hf.json

  # one decode step with 4096 tokens in the cache, batch 8, on an H100
  modeltool calc --batch-size 8 --seq-len 1 --past-len 4096 --hardware H100-SXM models/llama-2-7b-hf.json

  # a report page with a roofline, to open in a browser
  modeltool calc --format html --hardware H100-SXM models/llama-2-7b-hf.json > llama-2-7b.html

  # int4 weights, bf16 activations, fp8 KV cache, as JSON
  modeltool calc --dtype bf16 --weight-dtype int4 --kv-dtype fp8 --format json models/mistral-7b-v0.1.json`,
		Args: exactArgs(1, "one MODEL.json (or - for standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.input = args[0]
			return runCalc(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	opts.variableFlags.add(cmd)
	f.StringVar(&opts.format, "format", "table", "output format: "+strings.Join(report.FigureFormats, ", ")+" (with json, problems in the model file are a JSON diagnostics document)")
	f.StringVar(&opts.hardware, "hardware", "", "add a roofline time bound on this device (see docs/hardware.md)")
	f.StringVar(&opts.hardwareFile, "hardware-file", "", "a JSON file describing your own device(s)")
	f.StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	f.BoolVar(&opts.exact, "exact", false, "print every digit in the table instead of readable units")
	opts.split.add(f)
	f.BoolVar(&opts.numberStrings, "number-strings", false, "with --format json, write every number as a string of its exact digits, for readers that round integers beyond 2^53 (JavaScript, jq 1.6)")
	f.StringVar(&opts.generate, "generate", "", "IN:OUT: with --hardware, the time to generate OUT tokens after a prompt of IN (time to first token, per output token, tokens/s)")
	colorFlag(cmd, &opts.color)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.FigureFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("hardware", completeHardware)
	return cmd
}

// completeHardware completes --hardware with the presets' names.
func completeHardware(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var names []string
	for _, d := range hardware.Presets() {
		names = append(names, d.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// parseSet reads one NAME=VALUE.
func parseSet(arg string) (string, expr.Value, error) {
	name, val, ok := strings.Cut(arg, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", expr.Value{}, usagef("--set %q: expected NAME=VALUE", arg)
	}
	v, err := constant(val)
	if err != nil {
		return "", expr.Value{}, usagef("--set %s: %v", name, err)
	}
	return name, v, nil
}

// constant evaluates a command-line value: a number, a boolean or a constant expression.
func constant(s string) (expr.Value, error) {
	e, err := expr.Parse(strings.TrimSpace(s))
	if err != nil {
		return expr.Value{}, fmt.Errorf("%q: %v", s, err)
	}
	if len(e.Vars()) > 0 {
		return expr.Value{}, fmt.Errorf("%q: a value cannot refer to variables", s)
	}
	return e.Eval(expr.MapEnv{})
}

// parseSets reads the --set NAME=VALUE flags; a later one wins.
func parseSets(sets []string) (map[string]expr.Value, error) {
	set := map[string]expr.Value{}
	for _, a := range sets {
		name, v, err := parseSet(a)
		if err != nil {
			return nil, err
		}
		set[name] = v
	}
	return set, nil
}

// bindings turns the variable flags into variables, and names the compute dtype that --dtype
// chose ("" when not given).
func (o *variableFlags) bindings() (map[string]expr.Value, string, error) {
	set, err := parseSets(o.sets)
	if err != nil {
		return nil, "", err
	}
	for _, fl := range []struct{ flag, value, variable string }{
		{"--batch-size", o.batchSize, "batch_size"},
		{"--seq-len", o.seqLen, "seq_len"},
		{"--past-len", o.pastLen, "past_len"},
	} {
		if fl.value == "" {
			continue
		}
		n, err := expr.ParseNumber(strings.TrimSpace(fl.value))
		if err != nil {
			n = expr.Value{} // fits no type: the message says what the flag takes
		}
		if need := model.StandardVariableNeeds(fl.variable, n); need != "" {
			return nil, "", usagef("%s must be %s, not %q", fl.flag, need, fl.value)
		}
		set[fl.variable] = n
	}
	computeDType := ""
	for _, fl := range []struct{ flag, value, variable string }{
		{"--dtype", o.dtype, "dtype_bytes"},
		{"--weight-dtype", o.weightDType, "weight_dtype_bytes"},
		{"--kv-dtype", o.kvDType, "kv_dtype_bytes"},
	} {
		if fl.value == "" {
			continue
		}
		d, err := storageDType(fl.value)
		if err != nil {
			return nil, "", usagef("%s %v", fl.flag, err)
		}
		set[fl.variable] = expr.Rat(d.Bytes)
		if fl.variable == "dtype_bytes" {
			computeDType = d.Name
		}
	}
	return set, computeDType, nil
}

func runCalc(ctx context.Context, s *Streams, opts *calcOptions) error {
	if err := checkFormat(opts.format, report.FigureFormats); err != nil {
		return err
	}
	colored, err := useColor(opts.color, s, s.OutTerminal)
	if err != nil {
		return err
	}
	in, out, err := opts.generation()
	if err != nil {
		return err
	}
	if opts.format == "html" {
		// The page's template is made ready on the other core while this one reads, checks
		// and computes the file.
		go report.PrepareHTML()
	}
	input, err := opts.load(s)
	if err != nil {
		return err
	}
	result, err := compute(input.name, input.file, input.opts)
	if err != nil {
		return err
	}
	roof, err := input.roofline(result)
	if err != nil {
		return err
	}
	var gen *calc.Generation
	if out > 0 {
		if roof == nil {
			return usagef("--generate needs --hardware: the time of each step is its roofline bound on a device")
		}
		if gen, err = generate(ctx, input, roof, in, out); err != nil {
			return err
		}
	}
	input.release()
	return writeFigures(s.Out, opts, result, report.FiguresOptions{Exact: opts.exact, Roofline: roof, Color: colored, Generation: gen})
}

// calcInput is a validated model file with what calc's flags chose.
type calcInput struct {
	name         string
	file         *model.File
	opts         calc.Options
	computeDType string
	device       *hardware.Device
}

// release lets the model file go once its figures are computed. For a large file the tree is
// collected at once: writing the figures makes garbage of its own, and the collector would
// otherwise let the heap grow to twice the tree before it looked (a 50 MB file's peak memory
// was 4.5 times the file, instead of 2.5).
func (in *calcInput) release() {
	size := len(in.file.Doc.Source)
	in.file = nil
	if size > gcpace.Threshold {
		runtime.GC()
	}
}

// load reads and validates the model file and binds the flags: variables, parallelism, the
// device and catalogs. Warnings go to standard error; errors stop it.
func (opts *calcOptions) load(s *Streams) (*calcInput, error) {
	set, computeDType, err := opts.bindings()
	if err != nil {
		return nil, err
	}
	par, err := opts.split.parallelism()
	if err != nil {
		return nil, err
	}
	device, err := opts.device()
	if err != nil {
		return nil, err
	}
	cat, err := loadCatalog(opts.catalogs, modelFiles)
	if err != nil {
		return nil, err
	}
	name, data, err := readInput(s, opts.input)
	if err != nil {
		return nil, err
	}
	res := validate.Source(name, data, validate.Options{Catalog: cat})
	if n, _ := diag.Count(res.Diagnostics); n > 0 {
		return nil, findings(fmt.Sprintf("%s has %d error(s); fix them (or run modeltool populate) before calc", name, n), diag.New(res.Diagnostics...))
	}
	warnings := append(res.Diagnostics, unusedSets(res.File, opts.sets)...)
	if len(warnings) > 0 {
		// Warnings do not stop calc; they go to standard error as text, beside the figures.
		errColor, _ := useColor(opts.color, s, s.ErrTerminal)
		if err := report.WriteDiagnostics(s.Err, "text", warnings, 1, errColor); err != nil {
			return nil, err
		}
	}
	if opts.weightDType != "" {
		// --weight-dtype is every weight's dtype, a quantized checkpoint's too.
		for k, v := range calc.WeightOverride(res.File, set["weight_dtype_bytes"]) {
			set[k] = v
		}
	}
	return &calcInput{name: name, file: res.File, opts: calc.Options{Catalog: cat, Set: set, Parallel: par}, computeDType: computeDType, device: device}, nil
}

// unusedSets warns of each --set NAME=VALUE whose variable the file declares but no layer
// uses, directly or through other variables: the setting changes nothing (GLM-4.5-Air built
// from a config without num_nextn_predict_layers declares mtp_layers and has no MTP layer).
// The warning is at the variable's declaration when the file has one. Names the file does
// not declare are Bind's error.
func unusedSets(f *model.File, sets []string) []diag.Diagnostic {
	if len(sets) == 0 || f == nil || f.Template != nil {
		return nil
	}
	declared := f.DeclaredVariables()
	used := f.UsedVariables()
	var out []diag.Diagnostic
	seen := map[string]bool{}
	for _, a := range sets {
		name, _, _ := strings.Cut(a, "=")
		name = strings.TrimSpace(name)
		if seen[name] || !declared[name] || used[name] {
			continue
		}
		seen[name] = true
		msg := fmt.Sprintf("--set %s changes nothing: no layer of this file uses %s, directly or through another variable", strings.TrimSpace(a), name)
		d := diag.Diagnostic{File: f.Doc.Name, Severity: diag.Warning, Code: "unused-variable", Message: msg}
		for _, v := range f.Variables {
			if v.Name == name {
				d = f.Doc.Diagnostic(v.KeyOffset, "unused-variable", msg)
				d.Severity = diag.Warning
			}
		}
		out = append(out, d)
	}
	return out
}

// roofline prepares the device's roofline for a result (nil without a device): the peak of
// the chosen compute dtype, else of the result's activation bytes.
func (in *calcInput) roofline(result *calc.Result) (*calc.Roofline, error) {
	if in.device == nil {
		return nil, nil
	}
	computeDType := in.computeDType
	chosen := computeDType != ""
	if !chosen {
		computeDType = calc.DefaultComputeDType(result)
	}
	roof, err := calc.NewRoofline(*in.device, computeDType)
	if err != nil && !chosen {
		return nil, usagef("--hardware %s: %v; %s is the dtype of dtype_bytes %s: choose the compute dtype with --dtype", in.device.Name, err, computeDType, result.Variable("dtype_bytes"))
	}
	if err != nil {
		return nil, usagef("--hardware %s: %v", in.device.Name, err)
	}
	if err := needsLink(result, roof); err != nil {
		return nil, err
	}
	return roof, nil
}

// compute runs the calculator on a validated file for calc and tree --calc: a template is
// refused (it needs a config first), a bad variable is a usage error (exit 2) and anything
// else that stops the calculation is a finding (exit 1).
func compute(name string, f *model.File, opts calc.Options) (*calc.Result, error) {
	if f.Template != nil {
		return nil, usagef("%s is a template; run modeltool populate --config config.json --template %s to make a model file", name, name)
	}
	res, err := calc.Compute(f, opts)
	if err != nil {
		return nil, calcError(err)
	}
	return res, nil
}

// calcError maps a calculation's failure to the exit code: a bad variable or a split the
// model does not allow is a usage error (exit 2), anything else a finding (exit 1).
func calcError(err error) error {
	var ve *calc.VariableError
	if errors.As(err, &ve) {
		return usagef("variable %s", err)
	}
	var se *calc.SplitError
	if errors.As(err, &se) {
		return usagef("%v", err)
	}
	return findings("", err)
}

// storageDType is the dtype a --dtype, --weight-dtype or --kv-dtype value names (serve checks
// its settings with it too).
func storageDType(name string) (dtype.DType, error) {
	d, ok := dtype.Lookup(name)
	if !ok || !d.Storage {
		return dtype.DType{}, fmt.Errorf("%q is not a dtype modeltool knows (%s)", name, strings.Join(dtype.StorageNames(), ", "))
	}
	return d, nil
}

func (o *calcOptions) device() (*hardware.Device, error) {
	if o.hardwareFile != "" {
		data, err := fsutil.ReadFile(o.hardwareFile)
		if err != nil {
			return nil, fmt.Errorf("--hardware-file: %w", err)
		}
		devs, err := hardware.ParseFile(data, o.hardwareFile)
		if err != nil {
			return nil, brokenInput(fmt.Sprintf("hardware file %s is not valid", o.hardwareFile), err)
		}
		if o.hardware == "" && len(devs) == 1 {
			return &devs[0], nil
		}
		names := make([]string, len(devs))
		for i, d := range devs {
			names[i] = d.Name
		}
		sort.Strings(names)
		if o.hardware == "" {
			return nil, usagef("%s describes %d devices; choose one with --hardware (%s)", o.hardwareFile, len(devs), strings.Join(names, ", "))
		}
		if d, ok := hardware.Find(devs, o.hardware); ok {
			return &d, nil
		}
		return nil, usagef("%s has no device named %q (it has %s)", o.hardwareFile, o.hardware, strings.Join(names, ", "))
	}
	if o.hardware == "" {
		return nil, nil
	}
	d, err := hardware.Lookup(o.hardware)
	if err != nil {
		return nil, usagef("--hardware: %v", err)
	}
	return &d, nil
}
