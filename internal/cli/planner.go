package cli

import (
	"context"
	"errors"
	"fmt"
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
	for _, d := range []struct {
		v          *int
		name, help string
	}{
		{&p.tp, "tp", "tensor parallelism: split each layer over N devices (Megatron-LM: column/row-parallel, heads and vocabulary split)"},
		{&p.pp, "pp", "pipeline parallelism: deal the decoder layers out to N stages; the figures are the most loaded stage's"},
		{&p.ep, "ep", "expert parallelism: spread the routed experts over N devices (attention data-parallel across them)"},
		{&p.dp, "dp", "data parallelism: split the batch over N replicas"},
	} {
		*d.v = 1
		f.Var((*degree)(d.v), d.name, d.help)
	}
}

// maxDevices bounds each parallel degree (the web app's too).
const maxDevices = 1 << 20

// degree is a parallel degree flag: an integer, at most maxDevices (below 1 is refused with
// the flag's name by parallelism). pflag's own int says "strconv.ParseInt: … value out of
// range" for a number too large.
type degree int

func (d *degree) String() string { return strconv.Itoa(int(*d)) }
func (d *degree) Type() string   { return "int" }
func (d *degree) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(s), "-"), err == nil && n > maxDevices:
		return fmt.Errorf("too large: at most %d", maxDevices)
	case errors.Is(err, strconv.ErrRange):
		return errors.New("must be at least 1")
	case err != nil:
		return errors.New("not an integer")
	}
	*d = degree(n)
	return nil
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

// maxGenerate bounds IN and OUT of --generate: the cache of the last step, IN + OUT − 2
// tokens, stays an int64.
const maxGenerate = 1_000_000_000_000_000_000

// generation reads --generate IN:OUT; out is 0 without it.
func (o *calcOptions) generation() (in, out int64, err error) {
	if o.generate == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(o.generate, ":")
	if !ok {
		return 0, 0, usagef("--generate %q: expected IN:OUT, the prompt's tokens and the tokens to generate, both at least 1 (e.g. 1024:256)", o.generate)
	}
	length := func(what, s string) (int64, error) {
		s = strings.TrimSpace(s)
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-"), err == nil && n > maxGenerate:
			return 0, usagef("--generate %q: %s is too large: at most 10^18", o.generate, what)
		case errors.Is(err, strconv.ErrRange), err == nil && n < 1:
			return 0, usagef("--generate %q: %s must be at least 1", o.generate, what)
		case err != nil:
			return 0, usagef("--generate %q: expected IN:OUT, the prompt's tokens and the tokens to generate, both at least 1 (e.g. 1024:256)", o.generate)
		}
		return n, nil
	}
	if in, err = length("IN, the prompt's tokens,", a); err != nil {
		return 0, 0, err
	}
	if out, err = length("OUT, the tokens to generate,", b); err != nil {
		return 0, 0, err
	}
	return in, out, nil
}

// generate computes the generation timeline; a split the model refuses is a usage error, as
// in calc.
func generate(ctx context.Context, in *calcInput, roof *calc.Roofline, prompt, out int64) (*calc.Generation, error) {
	g, err := calc.Generate(ctx, in.file, in.opts, roof, prompt, out)
	if err != nil && ctx.Err() != nil {
		return nil, err // stopped (the web app's time limit): not a finding in the model file
	}
	if err != nil {
		return nil, calcError(err)
	}
	return g, nil
}
