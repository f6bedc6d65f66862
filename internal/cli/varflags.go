package cli

import (
	"bytes"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/report"
)

// variableFlags are the flags that set a model's variables: --set and the shorthands for the
// standard variables. calc and tree --calc share them (bindings turns them into variables).
type variableFlags struct {
	sets        []string
	batchSize   string
	seqLen      string
	pastLen     string
	dtype       string
	weightDType string
	kvDType     string
}

// add defines the flags on cmd, with completion of the dtype names.
func (v *variableFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&v.sets, "set", nil, "set a variable: NAME=VALUE (a number, true/false, or a constant expression; repeatable)")
	f.StringVar(&v.batchSize, "batch-size", "", "sequences per batch (sets batch_size)")
	f.StringVar(&v.seqLen, "seq-len", "", "new tokens per sequence in this step (sets seq_len)")
	f.StringVar(&v.pastLen, "past-len", "", "tokens per sequence already in the KV cache (sets past_len)")
	f.StringVar(&v.dtype, "dtype", "", "activation dtype: "+strings.Join(dtype.StorageNames(), ", ")+" (sets dtype_bytes)")
	f.StringVar(&v.weightDType, "weight-dtype", "", "weight dtype (sets weight_dtype_bytes; default: as --dtype)")
	f.StringVar(&v.kvDType, "kv-dtype", "", "KV-cache dtype (sets kv_dtype_bytes; default: as --dtype)")
	for _, name := range []string{"dtype", "weight-dtype", "kv-dtype"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(dtype.StorageNames(), cobra.ShellCompDirectiveNoFileComp))
	}
}

// given names the first of the flags given, or "".
func (v *variableFlags) given() string {
	for _, f := range []struct{ name, value string }{
		{"--batch-size", v.batchSize}, {"--seq-len", v.seqLen}, {"--past-len", v.pastLen},
		{"--dtype", v.dtype}, {"--weight-dtype", v.weightDType}, {"--kv-dtype", v.kvDType},
	} {
		if f.value != "" {
			return f.name
		}
	}
	if len(v.sets) > 0 {
		return "--set"
	}
	return ""
}

// writeFigures prints calc's figures; with --number-strings the JSON document's numbers are
// strings of their exact digits.
func writeFigures(w io.Writer, opts *calcOptions, res *calc.Result, fo report.FiguresOptions) error {
	if !opts.numberStrings {
		return report.WriteFigures(w, opts.format, res, fo)
	}
	if opts.format != "json" {
		return usagef("--number-strings applies to --format json, not %s", opts.format)
	}
	var buf bytes.Buffer
	if err := report.WriteFigures(&buf, opts.format, res, fo); err != nil {
		return err
	}
	_, err := w.Write(report.QuoteNumbers(buf.Bytes()))
	return err
}
