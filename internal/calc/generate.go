package calc

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// Generation is the time to generate Out tokens after a prompt of In, for the batch, on a
// roofline: the prefill (seq_len In, past_len 0) gives the first token; then Out−1 decode
// steps (seq_len 1) run with past_len In, In+1, …, In+Out−2. Each step's time is exactly the
// roofline bound calc gives for that step (the sum of its rows' bounds). Under pipeline
// parallelism one token passes through every stage in turn, so a step is the sum of all
// stages' bounds and the sends between them.
type Generation struct {
	In, Out int64
	// Batch is the number of sequences generated together (the batch_size bound).
	Batch expr.Value
	// TTFT is the prefill's bound: time to the first token.
	TTFT *big.Rat
	// Decode is the sum of the Out−1 decode steps; TPOT their mean (0 when Out is 1).
	Decode, TPOT *big.Rat
	// Total is TTFT + Decode; TokensPerSecond is Batch × Out / Total.
	Total, TokensPerSecond *big.Rat
	// Timeline samples the decode steps: the cached tokens before each sampled step and its
	// exact time (at most about 200 points, always the first and the last).
	Timeline []StepTime
	// Evaluations counts the steps whose layers were evaluated to sum the decode: the rest
	// were summed in closed form.
	Evaluations int
	// PeakMemory is what one device holds at the fuller of the prefill (the prompt's
	// activations) and the last decode step (the longest KV cache), against its capacity.
	PeakMemory Memory
}

// StepTime is one decode step: the tokens in the cache before it, and its time bound.
type StepTime struct {
	Past    int64
	Seconds *big.Rat
}

// maxTimelinePoints bounds the timeline's samples.
const maxTimelinePoints = 200

// Generate computes the generation of out tokens after in prompt tokens on the roofline r.
//
// A decode step's time is a sum over rows of max(FLOPs / peak, bytes / bandwidth): only the
// rows whose parameters depend on past_len (the attention core's kv_len) change from step to
// step, and their figures are polynomials in past_len between the points where a min, max or
// condition switches (a sliding window filling up, a row turning compute-bound). Generate
// evaluates the constant rows once and sums the changing ones piece by piece: on a range of
// steps where the step time agrees with one polynomial of degree at most 2 at both ends and in
// the middle (eight points), the range is summed in closed form, exactly; otherwise it is
// split, down to ranges of 8 steps evaluated one by one. So a piece is found exactly unless the
// step time leaves a polynomial and returns to the very same one between two sampled points —
// something no catalog formula does (tests compare against every step evaluated alone). A
// periodic cost (chunked attention) is summed a whole period at a time (stepper.sum), so the
// work does not grow with out.
//
// Once ctx is done (the web app's time limit per request), the decode sum stops at its next
// step and the error wraps ctx.Err().
func Generate(ctx context.Context, f *model.File, opts Options, r *Roofline, in, out int64) (*Generation, error) {
	if err := ctx.Err(); err != nil {
		return nil, stopped(err)
	}
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("generation needs at least one prompt token and one output token, not %d:%d", in, out)
	}
	pp := opts.Parallel.norm().PP
	whole := opts
	whole.Parallel.PP = 1 // every stage in turn: the pipeline's rows all together
	whole.Stage = 0

	// The prefill.
	prefill, err := Compute(f, withSet(whole, map[string]expr.Value{"seq_len": expr.Int(in), "past_len": expr.Int(0)}))
	if err != nil {
		return nil, err
	}
	send, err := pipelineSend(f, opts, pp, in, 0)
	if err != nil {
		return nil, err
	}
	g := &Generation{In: in, Out: out, Batch: prefill.Variable("batch_size")}
	g.TTFT = r.Total(prefill).Seconds
	g.TTFT.Add(g.TTFT, new(big.Rat).Mul(r.comm(send), big.NewRat(int64(pp-1), 1)))

	g.Decode = new(big.Rat)
	g.TPOT = new(big.Rat)
	if out > 1 {
		s, err := newStepper(f, whole, r, in)
		if err != nil {
			return nil, err
		}
		s.ctx = ctx
		dsend, err := pipelineSend(f, opts, pp, 1, in)
		if err != nil {
			return nil, err
		}
		s.constant.Add(s.constant, new(big.Rat).Mul(r.comm(dsend), big.NewRat(int64(pp-1), 1)))
		first, last := in, in+out-2
		if err := s.sum(first, last, g.Decode); err != nil {
			return nil, err
		}
		g.TPOT.Quo(g.Decode, big.NewRat(out-1, 1))
		g.Evaluations = s.evaluations
		g.Timeline, err = s.timeline(first, last)
		if err != nil {
			return nil, err
		}
	}
	if err := g.peakMemory(f, opts, r); err != nil {
		return nil, err
	}
	g.Total = new(big.Rat).Add(g.TTFT, g.Decode)
	g.TokensPerSecond = new(big.Rat)
	if g.Total.Sign() > 0 {
		g.TokensPerSecond.Mul(g.Batch.RatOrZero(), big.NewRat(out, 1))
		g.TokensPerSecond.Quo(g.TokensPerSecond, g.Total)
	}
	return g, nil
}

// stopped is the error of a generation whose context is done.
func stopped(err error) error {
	return fmt.Errorf("generation stopped: %w", err)
}

func withSet(opts Options, set map[string]expr.Value) Options {
	s := make(map[string]expr.Value, len(opts.Set)+len(set))
	for k, v := range opts.Set {
		s[k] = v
	}
	for k, v := range set {
		s[k] = v
	}
	opts.Set = s
	return opts
}

// pipelineSend is the bytes one stage sends the next in a step of seq tokens after past
// (0 without pipeline parallelism).
func pipelineSend(f *model.File, opts Options, pp int, seq, past int64) (*big.Rat, error) {
	if pp <= 1 {
		return new(big.Rat), nil
	}
	o := withSet(opts, map[string]expr.Value{"seq_len": expr.Int(seq), "past_len": expr.Int(past)})
	o.Stage = 1
	res, err := Compute(f, o)
	if err != nil {
		return nil, err
	}
	for _, row := range res.Rows {
		if row.Class == ClassSend {
			return new(big.Rat).Mul(row.CommBytes, new(big.Rat).SetInt(row.Count)), nil
		}
	}
	return new(big.Rat), nil
}

// stepper evaluates decode steps: the rows that do not depend on past_len once, the others at
// each step asked for.
type stepper struct {
	p        *planner
	r        *Roofline
	constant *big.Rat // the bounds of the rows that do not change
	changing []int    // plans that depend on past_len
	// evaluations counts steps evaluated.
	evaluations int
	// ctx, when set, stops the evaluation of steps once it is done.
	ctx   context.Context
	cache map[int64]*big.Rat
}

func newStepper(f *model.File, opts Options, r *Roofline, past int64) (*stepper, error) {
	p, err := newPlanner(f, withSet(opts, map[string]expr.Value{"seq_len": expr.Int(1), "past_len": expr.Int(past)}))
	if err != nil {
		return nil, err
	}
	res, err := p.compute()
	if err != nil {
		return nil, err
	}
	dep, err := p.dependsOn("past_len")
	if err != nil {
		return nil, err
	}
	s := &stepper{p: p, r: r, constant: new(big.Rat), cache: map[int64]*big.Rat{}}
	// res.Rows holds the plans' rows in plan order, each followed by its communication, with
	// the all-to-all rows around the experts. Sum every row not produced by a changing plan.
	changingPath := map[string]bool{}
	for i, d := range dep {
		if d {
			s.changing = append(s.changing, i)
			changingPath[p.plans[i].l.Path] = true
		}
	}
	for _, row := range res.Rows {
		if changingPath[row.Path] || changingPath[commOwner(row)] {
			continue
		}
		s.constant.Add(s.constant, r.Row(row).Seconds)
	}
	return s, nil
}

// commOwner is the path of the row a communication row follows ("" for others).
func commOwner(row Row) string {
	for _, suffix := range []string{"_all_reduce", "_all_gather"} {
		if len(row.Path) > len(suffix) && row.Path[len(row.Path)-len(suffix):] == suffix {
			return row.Path[:len(row.Path)-len(suffix)]
		}
	}
	return ""
}

// at is the time of the decode step with past tokens cached.
func (s *stepper) at(past int64) (*big.Rat, error) {
	if t, ok := s.cache[past]; ok {
		return t, nil
	}
	if s.ctx != nil {
		if err := s.ctx.Err(); err != nil {
			return nil, stopped(err)
		}
	}
	s.evaluations++
	t := new(big.Rat).Set(s.constant)
	if len(s.changing) > 0 {
		dense, expert := s.p.scopesAt(past)
		for _, i := range s.changing {
			pl := &s.p.plans[i]
			scope := dense
			if pl.routed != nil {
				scope = expert
			}
			row, err := s.p.evaluatePlan(pl, scope)
			if err != nil {
				return nil, err
			}
			t.Add(t, s.r.Row(row).Seconds)
			for _, c := range s.p.commAfter(pl, row) {
				t.Add(t, s.r.Row(c).Seconds)
			}
		}
	}
	s.cache[past] = t
	return t, nil
}

// sum adds the steps past = lo … hi (inclusive) to total.
//
// When the changing rows' figures have a period in past_len (chunked attention: the keys of
// a step are those of its own chunk, so every chunk's steps cost the same sequence), the
// steps are summed in blocks of whole periods: a block's sum h(q) is then a polynomial in
// the block's number q wherever the step times are one plus a periodic part (at most
// quadratic if the step times are), so the blocks are summed the way the steps are — in
// closed form where h agrees with the quadratic through its first three blocks, else split —
// and the cost no longer grows with the number of chunks. The steps before the first whole
// block and after the last are summed one range as before.
func (s *stepper) sum(lo, hi int64, total *big.Rat) error {
	if hi < lo {
		return nil
	}
	period, err := s.period(lo, hi)
	if err != nil {
		return err
	}
	if period > 1 {
		start := (lo + period - 1) / period * period // blocks begin where the periods do
		if blocks := (hi + 1 - start) / period; blocks >= minBlocks {
			if err := s.sumSteps(lo, start-1, total); err != nil {
				return err
			}
			sums := map[int64]*big.Rat{}
			block := func(q int64) (*big.Rat, error) {
				if h, ok := sums[q]; ok {
					return h, nil
				}
				h := new(big.Rat)
				first := start + q*period
				if err := s.sumSteps(first, first+period-1, h); err != nil {
					return nil, err
				}
				sums[q] = h
				return h, nil
			}
			if err := piecewiseSum(0, blocks-1, block, total); err != nil {
				return err
			}
			return s.sumSteps(start+blocks*period, hi, total)
		}
	}
	return s.sumSteps(lo, hi, total)
}

// minBlocks is the fewest whole periods summed as blocks: below it, the steps are summed
// directly.
const minBlocks = 3

// maxPeriod bounds the block length; a longer period (the least common multiple of unrelated
// divisors) is not used.
const maxPeriod = 1 << 40

// period returns the length of the blocks the steps lo … hi are summed in: the least common
// multiple of the divisors of every floor division and remainder (// and %, a / inside
// floor or ceil) of the changing rows — in their class's formulas, derived values and
// defaults, their parameters and the file's variables — whose divisor is one integer at
// both ends of the range while its dividend changes. 0 when there is none. A period found
// this way is only a block length: the sum over blocks is checked as any other (a wrong
// period costs time, never exactness).
func (s *stepper) period(lo, hi int64) (int64, error) {
	if len(s.changing) == 0 || hi-lo+1 < 2*minBlocks {
		return 0, nil
	}
	at := func(past int64) ([]expr.Division, error) {
		dense, expert := s.p.scopesAt(past)
		var ds []expr.Division
		for _, v := range s.p.f.Variables {
			if _, set := s.p.opts.Set[v.Name]; !set && v.Value.Expr != nil {
				ds = append(ds, v.Value.Expr.Divisions(dense)...)
			}
		}
		for _, i := range s.changing {
			pl := &s.p.plans[i]
			scope := dense
			if pl.routed != nil {
				scope = expert
			}
			for _, prm := range pl.l.Parameters {
				if prm.Value.Expr != nil {
					ds = append(ds, prm.Value.Expr.Divisions(scope)...)
				}
			}
			args, err := s.p.arguments(pl, scope)
			if err != nil {
				return nil, err
			}
			cs := pl.cl.Scope(args)
			for _, prm := range pl.cl.Params {
				if prm.Default != nil {
					ds = append(ds, prm.Default.Divisions(cs)...)
				}
			}
			for _, defs := range [][]layers.Definition{pl.cl.Derived, pl.cl.Formulas} {
				for _, d := range defs {
					ds = append(ds, d.Expr.Divisions(cs)...)
				}
			}
		}
		return ds, nil
	}
	a, err := at(lo)
	if err != nil {
		return 0, err
	}
	b, err := at(hi)
	if err != nil {
		return 0, err
	}
	period := big.NewInt(1)
	for k := range a {
		x, y := a[k], b[k]
		if !x.OK || !y.OK || !x.Divisor.Equal(y.Divisor) || x.Dividend.Equal(y.Dividend) {
			continue
		}
		d, ok := x.Divisor.BigInt()
		if !ok || d.Cmp(big.NewInt(1)) <= 0 {
			continue
		}
		g := new(big.Int).GCD(nil, nil, period, d)
		period.Mul(period, new(big.Int).Quo(d, g))
		if period.Cmp(big.NewInt(maxPeriod)) > 0 {
			return 0, nil
		}
	}
	return period.Int64(), nil
}

// sumSteps adds the steps past = lo … hi (inclusive) to total, piece by piece.
func (s *stepper) sumSteps(lo, hi int64, total *big.Rat) error {
	if hi < lo {
		return nil
	}
	if len(s.changing) == 0 {
		t, err := s.at(lo)
		if err != nil {
			return err
		}
		total.Add(total, new(big.Rat).Mul(t, big.NewRat(hi-lo+1, 1)))
		return nil
	}
	return piecewiseSum(lo, hi, s.at, total)
}

// piecewiseSum adds f(lo) + … + f(hi) to total, for an f that is a polynomial of degree at
// most 2 between a few breakpoints: a range where f agrees with the quadratic through its
// first three values at its middle and its last three is summed in closed form (Faulhaber,
// exact rationals), else it is halved, down to 8 values added one by one.
func piecewiseSum(lo, hi int64, f func(int64) (*big.Rat, error), total *big.Rat) error {
	if hi < lo {
		return nil
	}
	if hi-lo+1 <= 8 {
		for p := lo; p <= hi; p++ {
			t, err := f(p)
			if err != nil {
				return err
			}
			total.Add(total, t)
		}
		return nil
	}
	// The quadratic through the first three values, by forward differences.
	var v [3]*big.Rat
	for k := range v {
		t, err := f(lo + int64(k))
		if err != nil {
			return err
		}
		v[k] = t
	}
	a := v[0]
	d1 := new(big.Rat).Sub(v[1], v[0])
	d2 := new(big.Rat).Sub(new(big.Rat).Sub(v[2], v[1]), d1)
	q := func(p int64) *big.Rat {
		k := big.NewRat(p-lo, 1)
		x := new(big.Rat).Mul(d1, k)
		y := new(big.Rat).Mul(k, new(big.Rat).Sub(k, big.NewRat(1, 1)))
		y.Mul(y, d2)
		y.Quo(y, big.NewRat(2, 1))
		return x.Add(x, y).Add(x, a)
	}
	mid := lo + (hi-lo)/2
	for _, p := range []int64{mid, mid + 1, hi - 2, hi - 1, hi} {
		t, err := f(p)
		if err != nil {
			return err
		}
		if t.Cmp(q(p)) != 0 {
			if err := piecewiseSum(lo, mid, f, total); err != nil {
				return err
			}
			return piecewiseSum(mid+1, hi, f, total)
		}
	}
	// Σ_{k=0}^{n−1} a + k·d1 + k(k−1)/2·d2 = n·a + d1·n(n−1)/2 + d2·n(n−1)(n−2)/6.
	n := big.NewRat(hi-lo+1, 1)
	one := big.NewRat(1, 1)
	n1 := new(big.Rat).Sub(n, one)
	n2 := new(big.Rat).Sub(n1, one)
	sum := new(big.Rat).Mul(n, a)
	t1 := new(big.Rat).Mul(n, n1)
	t1.Mul(t1, d1).Quo(t1, big.NewRat(2, 1))
	t2 := new(big.Rat).Mul(n, n1)
	t2.Mul(t2, n2).Mul(t2, d2).Quo(t2, big.NewRat(6, 1))
	sum.Add(sum, t1).Add(sum, t2)
	total.Add(total, sum)
	return nil
}

// timeline samples the steps lo … hi evenly, the first and the last included.
func (s *stepper) timeline(lo, hi int64) ([]StepTime, error) {
	n := hi - lo + 1
	step := (n + maxTimelinePoints - 1) / maxTimelinePoints
	if step < 1 {
		step = 1
	}
	var out []StepTime
	for p := lo; p <= hi; p += step {
		t, err := s.at(p)
		if err != nil {
			return nil, err
		}
		out = append(out, StepTime{Past: p, Seconds: t})
	}
	if out[len(out)-1].Past != hi {
		t, err := s.at(hi)
		if err != nil {
			return nil, err
		}
		out = append(out, StepTime{Past: hi, Seconds: t})
	}
	return out, nil
}

// scopesAt binds past_len to past in the planner's two scopes (the batch outside and inside
// the routed experts).
func (p *planner) scopesAt(past int64) (dense, expert *expr.Scope) {
	v := expr.Int(past)
	dense = p.rebindAll(map[string]expr.Value{"past_len": v, "batch_size": p.denseBatch})
	if p.expertBatch.Equal(p.denseBatch) {
		return dense, dense
	}
	return dense, p.rebindAll(map[string]expr.Value{"past_len": v, "batch_size": p.expertBatch})
}

// rebindAll returns the file's scope with the caller's settings and set bound.
func (p *planner) rebindAll(set map[string]expr.Value) *expr.Scope {
	s := make(map[string]expr.Value, len(p.opts.Set)+len(set))
	for k, x := range p.opts.Set {
		s[k] = x
	}
	for k, x := range set {
		s[k] = x
	}
	return p.f.Scope(s)
}

// dependsOn reports, per plan, whether the layer's figures can change with the variable name:
// a parameter (or a head count of its parallel key) uses it, directly or through the
// defaults of other variables the caller did not set. A repeat that uses it is refused: the
// layers themselves would change from step to step.
func (p *planner) dependsOn(name string) ([]bool, error) {
	dep := map[string]bool{name: true}
	defs := map[string][]string{}
	for _, v := range model.StandardVariables {
		if e, err := expr.Parse(v.Default); err == nil {
			defs[v.Name] = e.VarNames()
		}
	}
	for _, v := range p.f.Variables {
		if v.Value.Expr != nil {
			defs[v.Name] = v.Value.Expr.VarNames()
		}
	}
	for changed := true; changed; {
		changed = false
		for v, uses := range defs {
			if dep[v] {
				continue
			}
			if _, set := p.opts.Set[v]; set {
				continue
			}
			for _, u := range uses {
				if dep[u] {
					dep[v], changed = true, true
					break
				}
			}
		}
	}
	uses := func(v *model.Value) bool {
		if v == nil || v.Expr == nil {
			return false
		}
		for _, n := range v.Expr.VarNames() {
			if dep[n] {
				return true
			}
		}
		return false
	}
	var repeatErr error
	model.Walk(p.f.Layers, func(l *model.Layer) bool {
		if l.Repeat != nil && uses(l.Repeat) && repeatErr == nil {
			repeatErr = &LayerError{Path: l.Path, Err: fmt.Errorf("repeat depends on %s: the layers would change from step to step", name)}
		}
		return true
	})
	if repeatErr != nil {
		return nil, repeatErr
	}
	out := make([]bool, len(p.plans))
	for i := range p.plans {
		l := p.plans[i].l
		for _, prm := range l.Parameters {
			if uses(&prm.Value) {
				out[i] = true
			}
		}
		if par := l.Parallel; par != nil && (uses(par.Heads) || uses(par.KVHeads)) {
			out[i] = true
		}
		if r := p.plans[i].routed; r != nil && (uses(r.l.Routed.TopK) || uses(r.l.Routed.HiddenSize)) {
			return nil, &LayerError{Path: r.l.Path, Err: errors.New("routed depends on past_len")}
		}
	}
	return out, nil
}

// peakMemory is the larger of the prefill's and the last decode step's memory on one device
// (the most loaded pipeline stage).
func (g *Generation) peakMemory(f *model.File, opts Options, r *Roofline) error {
	steps := [][2]int64{{g.In, 0}}
	if g.Out > 1 {
		steps = append(steps, [2]int64{1, g.In + g.Out - 2})
	}
	for i, st := range steps {
		res, err := Compute(f, withSet(opts, map[string]expr.Value{"seq_len": expr.Int(st[0]), "past_len": expr.Int(st[1])}))
		if err != nil {
			return err
		}
		m := MemoryOn(res, r.Device)
		if i == 0 || m.Total.Cmp(g.PeakMemory.Total) > 0 {
			g.PeakMemory = m
		}
	}
	return nil
}
