package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/modeltool/modeltool/internal/calc"
)

// splitFlags are the parallelism flags of calc and fit.
type splitFlags struct {
	tp, pp, ep, dp int
}

func (p *splitFlags) add(f *pflag.FlagSet) {
	f.IntVar(&p.tp, "tp", 1, "tensor parallelism: split each layer over N devices (Megatron-LM: column/row-parallel, heads and vocabulary split)")
	f.IntVar(&p.pp, "pp", 1, "pipeline parallelism: deal the decoder layers out to N stages; the figures are the most loaded stage's")
	f.IntVar(&p.ep, "ep", 1, "expert parallelism: spread the routed experts over N devices (attention data-parallel across them)")
	f.IntVar(&p.dp, "dp", 1, "data parallelism: split the batch over N replicas")
}

// parallelism checks the degrees: each at least 1.
func (p *splitFlags) parallelism() (calc.Parallelism, error) {
	for _, d := range []struct {
		flag string
		v    int
	}{{"--tp", p.tp}, {"--pp", p.pp}, {"--ep", p.ep}, {"--dp", p.dp}} {
		if d.v < 1 {
			return calc.Parallelism{}, usagef("%s must be at least 1, not %d", d.flag, d.v)
		}
	}
	return calc.Parallelism{TP: p.tp, PP: p.pp, EP: p.ep, DP: p.dp}, nil
}

// needsLink refuses a device without an interconnect figure for a result that sends data
// between devices: its communication rows would have no time.
func needsLink(res *calc.Result, roof *calc.Roofline) error {
	if roof == nil || roof.Link != nil || res.Totals.CommBytes.Sign() == 0 {
		return nil
	}
	return usagef("--hardware %s gives no interconnect_bandwidth, which the communication rows' time needs: add it to the hardware file (docs/hardware.md)", roof.Device.Name)
}

// generation reads --generate IN:OUT; out is 0 without it.
func (o *calcOptions) generation() (in, out int64, err error) {
	if o.generate == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(o.generate, ":")
	in, errIn := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	out, errOut := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if !ok || errIn != nil || errOut != nil || in < 1 || out < 1 {
		return 0, 0, usagef("--generate %q: expected IN:OUT, the prompt's tokens and the tokens to generate, both at least 1 (e.g. 1024:256)", o.generate)
	}
	return in, out, nil
}

// generate computes the generation timeline; a split the model refuses is a usage error, as
// in calc.
func generate(ctx context.Context, in *calcInput, roof *calc.Roofline, prompt, out int64) (*calc.Generation, error) {
	g, err := calc.GenerateContext(ctx, in.file, in.opts, roof, prompt, out)
	if err != nil && ctx.Err() != nil {
		return nil, err // stopped (the web app's time limit): not a finding in the model file
	}
	if err != nil {
		return nil, calcError(err)
	}
	return g, nil
}
