package cli

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/fsutil"
	"github.com/modeltool/modeltool/internal/report"
)

// fitFormats are the outputs of fit.
var fitFormats = []string{"text", "json"}

func newFitCmd(s *Streams) *cobra.Command {
	opts := &calcOptions{format: "text"}
	cmd := &cobra.Command{
		Use:   "fit [flags] MODEL.json|- --hardware H (--seq-len C | --batch-size B)",
		Short: "The largest batch (at a context) or context (at a batch) whose memory fits a device",
		Long: `Find how much fits on one device: with --seq-len C the largest batch of C-token sequences
(max_batch_size), with --batch-size B the longest sequence for B of them (max_context). The
memory is calc's own — weights, KV cache and the peak of live activations of a pass with those
variables (a prefill of C tokens; --past-len P counts a cache of P more) — so the answer is
exact: calc with the answer fits, and with one more it does not. --tp, --pp, --ep and --dp
spread the model as in calc; the batch is then a multiple of ep × dp.

When nothing fits (not even the smallest batch or a context of one token), fit prints 0 with
the memory at the smallest and exits 1, as a finding.`,
		Example: `  # how many 4096-token sequences fit on an H100
  modeltool fit --hardware H100-SXM --seq-len 4096 models/llama-2-7b-hf.json

  # the longest context for one sequence, over 8 GPUs with tensor parallelism, as JSON
  modeltool fit --hardware H100-SXM --tp 8 --batch-size 1 --format json models/mixtral-8x7b-v0.1.json`,
		Args: exactArgs(1, "one MODEL.json (or - for standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.input = args[0]
			return runFit(s, opts)
		},
	}
	f := cmd.Flags()
	// calc's variable flags; two of them ask fit's question.
	opts.variableFlags.add(cmd)
	f.Lookup("batch-size").Usage = "sequences per batch: find the longest context (max_context)"
	f.Lookup("seq-len").Usage = "tokens per sequence: find the largest batch (max_batch_size)"
	f.Lookup("past-len").Usage = "tokens per sequence already in the KV cache besides seq_len (sets past_len)"
	f.StringVar(&opts.format, "format", "text", "output format: "+strings.Join(fitFormats, ", "))
	f.StringVar(&opts.hardware, "hardware", "", "the device (see docs/hardware.md); required, or --hardware-file")
	f.StringVar(&opts.hardwareFile, "hardware-file", "", "a JSON file describing your own device(s)")
	f.StringArrayVar(&opts.catalogs, "catalog", nil, "a catalog file that adds or changes basic classes (repeatable)")
	opts.split.add(f)
	colorFlag(cmd, &opts.color)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(fitFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("hardware", completeHardware)
	return cmd
}

func runFit(s *Streams, opts *calcOptions) error {
	if err := checkFormat(opts.format, fitFormats); err != nil {
		return err
	}
	if (opts.seqLen == "") == (opts.batchSize == "") {
		return usagef("give one of --seq-len (to find the largest batch) or --batch-size (to find the longest context)")
	}
	if opts.hardware == "" && opts.hardwareFile == "" {
		return usagef("fit needs --hardware (or --hardware-file): the device whose memory to fill")
	}
	input, err := opts.load(s)
	if err != nil {
		return err
	}
	if input.device.MemoryBytes == nil {
		return usagef("--hardware %s gives no memory_bytes: fit needs the device's capacity", input.device.Name)
	}
	variable, step, answer := "batch_size", int64(input.opts.Parallel.EP*input.opts.Parallel.DP), "max_batch_size"
	if opts.batchSize != "" {
		variable, step, answer = "seq_len", 1, "max_context"
	}
	if step < 1 {
		step = 1
	}
	if input.file.Template != nil {
		return usagef("%s is a template; run modeltool populate --config config.json --template %s to make a model file", input.name, input.name)
	}
	fit, err := calc.FitLargest(input.file, input.opts, *input.device, variable, step)
	if err != nil {
		return calcError(err)
	}
	if err := report.WriteFit(s.Out, opts.format, fit, answer, input.device.Name, trainedContext(input.name, fit.Result)); err != nil {
		return err
	}
	if fit.Max.Sign() == 0 {
		// The answer is printed (0, and the memory at the smallest); the exit code says it is
		// a finding, as "does not fit" is (README "Exit codes").
		smallest := fmt.Sprintf("a batch of %d", step)
		if step > 1 {
			smallest += " (ep × dp)"
		}
		if variable == "seq_len" {
			smallest = "a context of 1 token"
		}
		on := "one " + input.device.Name
		if n := fit.Devices; n != nil && n.IsInt64() && n.Int64() > 1 {
			on = fmt.Sprintf("%s × %s", n, input.device.Name)
		}
		return findings(fmt.Sprintf("nothing fits on %s, not even %s", on, smallest), nil)
	}
	return nil
}

// positionKeys are the config keys that give the longest sequence a model was trained for, in
// the order they are looked for: most architectures' max_position_embeddings, GPT-2's
// n_positions, and max_sequence_length.
var positionKeys = []string{"max_position_embeddings", "n_positions", "max_sequence_length"}

// trainedContext is the longest context the model of the file at path was trained for: a
// variable of the file named like a positionKeys key, else that key in the config beside the
// file (configBeside); nil when neither says. A config that cannot be read or has no positive
// integer there is passed over: the note is a courtesy, not a check.
func trainedContext(path string, res *calc.Result) *report.TrainedContext {
	if res == nil {
		return nil
	}
	for _, k := range positionKeys {
		if n, ok := res.Variable(k).BigInt(); ok && n.Sign() > 0 {
			return &report.TrainedContext{Positions: n, Source: "the variable " + k}
		}
	}
	if path == "-" {
		return nil
	}
	config := configBeside(path)
	if config == "" {
		return nil
	}
	data, err := fsutil.ReadFile(config)
	if err != nil {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return nil
	}
	for _, k := range positionKeys {
		n, ok := new(big.Int).SetString(strings.TrimSpace(string(fields[k])), 10)
		if ok && n.Sign() > 0 {
			return &report.TrainedContext{Positions: n, Source: k + " in " + config}
		}
	}
	return nil
}
