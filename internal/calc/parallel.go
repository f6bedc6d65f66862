package calc

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// Parallelism is how a calculation is spread over devices, Megatron-LM style. A degree of 0
// or 1 is no split. Devices = TP × PP × EP × DP.
//
//   - TP splits layers inside: column-parallel layers their output features, row-parallel
//     layers their input features (an all-reduce follows), the vocabulary-parallel embedding
//     and lm_head their vocabulary, attention their heads (key/value heads are replicated when
//     there are fewer than TP).
//   - PP deals the pipeline units (the decoder layers) out to PP stages in order; the
//     embedding goes with the first, the final norm and lm_head with the last. The result is
//     the most loaded stage.
//   - EP spreads the routed experts over EP devices. The EP group splits the batch for every
//     layer outside the routed experts (attention is data-parallel across it, as DeepSeek-V3
//     is served), and each device's experts receive the routed tokens of the whole group
//     through an all-to-all.
//   - DP splits the batch.
type Parallelism struct {
	TP, PP, EP, DP int
}

func (p Parallelism) norm() Parallelism {
	for _, d := range []*int{&p.TP, &p.PP, &p.EP, &p.DP} {
		if *d < 1 {
			*d = 1
		}
	}
	return p
}

// IsNone reports whether p splits nothing.
func (p Parallelism) IsNone() bool {
	q := p.norm()
	return q.TP == 1 && q.PP == 1 && q.EP == 1 && q.DP == 1
}

// Devices is TP × PP × EP × DP.
func (p Parallelism) Devices() *big.Int {
	q := p.norm()
	return mul64(int64(q.TP), int64(q.PP), int64(q.EP), int64(q.DP))
}

func mul64(xs ...int64) *big.Int {
	r := big.NewInt(1)
	for _, x := range xs {
		r.Mul(r, big.NewInt(x))
	}
	return r
}

// ParallelInfo describes the device a parallel result is for.
type ParallelInfo struct {
	Parallelism
	// Stage is the pipeline stage shown (0-based), the most loaded one; Stages is PP.
	Stage, Stages int
	// Units is the number of pipeline units (decoder layers) in the model; each stage holds
	// Units / PP of them.
	Units *big.Int
	// BatchSize is the batch each device computes outside the routed experts (batch / (EP ×
	// DP)); ExpertBatchSize the batch whose routed tokens its experts receive (batch / DP).
	BatchSize, ExpertBatchSize expr.Value
}

// SplitError is a split the model does not allow: a dimension that does not divide over the
// devices, or a file that does not say how its layers split.
type SplitError struct {
	Path string
	Msg  string
}

func (e *SplitError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Classes of the communication rows.
const (
	ClassAllReduce = "torch.distributed.all_reduce"
	ClassAllGather = "torch.distributed.all_gather_into_tensor"
	ClassAllToAll  = "torch.distributed.all_to_all_single"
	ClassSend      = "torch.distributed.send"
	// CategoryCommunication is the category of the rows that move data between devices.
	CategoryCommunication = "communication"
)

// plan is a basic layer with everything a calculation needs besides its figures.
type plan struct {
	l     *model.Layer
	cl    *layers.Class
	count *big.Int // instances in the whole model
	role  string   // tensor-parallel role, resolved
	// routed is the routed-experts layer above (or at) l; nil outside.
	routed *routedPlan
	// unit is the pipeline-unit layer above (or at) l; nil outside units. anchor is the global
	// index of the last unit instance before l, -1 when there is none (for rows outside units).
	unit   *unitPlan
	anchor *big.Int
}

type routedPlan struct {
	l       *model.Layer
	experts *big.Int // the routed layer's repeat: E
	count   *big.Int // instances of the routed layer in the whole model (MoE layers × E)
	topK    expr.Value
	share   *big.Rat // topK / E
	first   int      // index of its first and last plan
	last    int
}

type unitPlan struct {
	l     *model.Layer
	count *big.Int // instances in the whole model
	start *big.Int // global index of its first instance among all units
}

// planner walks a file once and records, for every basic layer, its count, role, routed
// experts and pipeline unit.
type planner struct {
	f     *model.File
	opts  Options
	par   Parallelism
	cat   *layers.Catalog
	vars  []Variable
	scope *expr.Scope // the global binding
	// dense and expert evaluate the layers outside and inside the routed experts (batch split
	// over EP × DP and over DP).
	dense, expert *expr.Scope
	denseBatch    expr.Value
	expertBatch   expr.Value
	plans         []plan
	routed        []*routedPlan
	units         []*unitPlan
	unitTotal     *big.Int
	explicitTP    bool
	// figures holds the figures of each layer content evaluated (evaluatePlan).
	figures map[figuresKey]layers.Figures
	// strings holds the result's own copies of the file's strings (own).
	strings map[string]string
}

func newPlanner(f *model.File, opts Options) (*planner, error) {
	cat := opts.Catalog
	if cat == nil {
		cat = layers.Builtin()
	}
	scope, vars, err := Bind(f, opts.Set)
	if err != nil {
		return nil, err
	}
	p := &planner{f: f, opts: opts, par: opts.Parallel.norm(), cat: cat, vars: vars, scope: scope, dense: scope, expert: scope, unitTotal: new(big.Int)}
	if err := p.batches(); err != nil {
		return nil, err
	}
	if err := p.walk(); err != nil {
		return nil, err
	}
	return p, nil
}

// batches binds the per-device batches: batch / (EP × DP) outside the routed experts, batch /
// DP inside.
func (p *planner) batches() error {
	b, err := p.scope.Lookup("batch_size")
	if err != nil {
		return &VariableError{Name: "batch_size", Msg: err.Error()}
	}
	p.denseBatch, p.expertBatch = b, b
	if p.par.EP == 1 && p.par.DP == 1 {
		return nil
	}
	split := func(by int) (expr.Value, error) {
		r := new(big.Rat).Quo(b.Rat(), big.NewRat(int64(by), 1))
		if !r.IsInt() {
			return expr.Value{}, &SplitError{Msg: fmt.Sprintf("batch_size %s does not divide over %d data-parallel ranks (%s): choose a batch that is a multiple of %d", b, by, p.batchRanks(), by)}
		}
		return expr.Rat(r), nil
	}
	if p.denseBatch, err = split(p.par.EP * p.par.DP); err != nil {
		return err
	}
	if p.expertBatch, err = split(p.par.DP); err != nil {
		return err
	}
	p.dense = p.rebind("batch_size", p.denseBatch)
	p.expert = p.rebind("batch_size", p.expertBatch)
	return nil
}

func (p *planner) batchRanks() string {
	switch {
	case p.par.EP > 1 && p.par.DP > 1:
		return fmt.Sprintf("--ep %d × --dp %d", p.par.EP, p.par.DP)
	case p.par.EP > 1:
		return fmt.Sprintf("--ep %d: attention is data-parallel across the expert-parallel group", p.par.EP)
	}
	return fmt.Sprintf("--dp %d", p.par.DP)
}

// rebind returns the file's scope with the caller's settings and name bound to v.
func (p *planner) rebind(name string, v expr.Value) *expr.Scope {
	set := make(map[string]expr.Value, len(p.opts.Set)+1)
	for k, x := range p.opts.Set {
		set[k] = x
	}
	set[name] = v
	return p.f.Scope(set)
}

// walk records a plan for every basic layer, with its routed experts and pipeline unit.
func (p *planner) walk() error {
	explicitUnits := false
	model.Walk(p.f.Layers, func(l *model.Layer) bool {
		if l.Parallel != nil && l.Parallel.PP == model.PPUnit {
			explicitUnits = true
		}
		return !explicitUnits
	})
	routedOf := map[*model.Layer]*routedPlan{}
	unitOf := map[*model.Layer]*unitPlan{}
	var walkErr error
	fail := func(err error) bool {
		if walkErr == nil {
			walkErr = err
		}
		return false
	}
	basic := 0
	model.Walk(p.f.Layers, func(l *model.Layer) bool {
		if !l.Composite {
			basic++
		}
		return true
	})
	p.plans = make([]plan, 0, basic)
	lastUnitEnd := big.NewInt(-1) // global index of the last unit instance seen
	err := model.WalkCounts(p.f.Layers, p.scope, func(l *model.Layer, count *big.Int) bool {
		if walkErr != nil {
			return false
		}
		var up *unitPlan
		var rp *routedPlan
		if l.Parent != nil {
			up, rp = unitOf[l.Parent], routedOf[l.Parent]
		}
		if up == nil && p.isUnit(l, explicitUnits) {
			for a := l.Parent; a != nil; a = a.Parent {
				if a.Repeat != nil {
					if n, err := a.Repeats(p.scope); err == nil && n.Cmp(big.NewInt(1)) > 0 {
						return fail(&SplitError{Path: l.Path, Msg: fmt.Sprintf("a pipeline unit inside the repeated layer %s: mark the outer layer as the unit", a.Path)})
					}
				}
			}
			up = &unitPlan{l: l, count: count, start: new(big.Int).Set(p.unitTotal)}
			p.unitTotal.Add(p.unitTotal, count)
			p.units = append(p.units, up)
			lastUnitEnd = new(big.Int).Sub(p.unitTotal, big.NewInt(1))
		}
		if l.Routed != nil && rp == nil {
			r, err := p.routedPlan(l, count)
			if err != nil {
				return fail(err)
			}
			rp = r
			p.routed = append(p.routed, rp)
		}
		if up != nil || rp != nil { // absent means neither: most layers of most files
			unitOf[l], routedOf[l] = up, rp
		}
		if l.Composite {
			return true
		}
		cl := p.cat.Lookup(l.Class)
		if cl == nil {
			return fail(&LayerError{Path: l.Path, Err: fmt.Errorf("unknown basic class %s", l.Class)})
		}
		role := model.TPReplicated
		if l.Parallel != nil && l.Parallel.TP != "" {
			role = l.Parallel.TP
			if role != model.TPReplicated {
				p.explicitTP = true
			}
		} else if model.HasHeads(func(n string) bool { return cl.Param(n) != nil }) {
			role = model.TPHeads
		}
		pl := plan{l: l, cl: cl, count: count, role: role, routed: rp, unit: up}
		if l.Parallel != nil && l.Parallel.SplitRepeat && p.par.TP > 1 {
			c, err := p.splitRepeat(l, count)
			if err != nil {
				return fail(err)
			}
			// Each device holds its heads' instances whole.
			pl.count, pl.role = c, model.TPReplicated
		}
		if up == nil {
			pl.anchor = lastUnitEnd
		}
		if rp != nil {
			if rp.first < 0 {
				rp.first = len(p.plans)
			}
			rp.last = len(p.plans)
		}
		p.plans = append(p.plans, pl)
		return true
	})
	var re *model.RepeatError
	if errors.As(err, &re) {
		return &LayerError{Path: re.Layer.Path, Err: fmt.Errorf("repeat: %w", re.Err)}
	}
	return walkErr
}

// splitRepeat is the count of a "split": "repeat" layer's instances on one device: a layer with
// one instance per query head (tp column) keeps repeat/TP of them, one per key/value head (tp
// kv) as many as the device has key/value heads (kvPerDevice).
func (p *planner) splitRepeat(l *model.Layer, count *big.Int) (*big.Int, error) {
	n := int64(p.par.TP)
	refuse := func(format string, a ...any) error {
		return &SplitError{Path: l.Path, Msg: fmt.Sprintf(format, a...) + fmt.Sprintf(" over --tp %d", n)}
	}
	r, err := l.Repeats(p.scope)
	if err != nil {
		return nil, &LayerError{Path: l.Path, Err: fmt.Errorf("repeat: %w", err)}
	}
	if r.Sign() == 0 {
		return new(big.Int), nil
	}
	var keep *big.Int
	switch l.Parallel.TP {
	case model.TPColumn:
		if new(big.Int).Mod(r, big.NewInt(n)).Sign() != 0 {
			return nil, refuse("its %s instances (one per head) do not divide", r)
		}
		keep = new(big.Int).Quo(r, big.NewInt(n))
	case model.TPKV:
		if kv, err := kvPerDevice(r, n); err == nil {
			keep = kv
		} else {
			return nil, refuse("its %s instances (one per key/value head) neither divide nor are replicated evenly", r)
		}
	default:
		return nil, &SplitError{Path: l.Path, Msg: fmt.Sprintf("split repeat goes with tp column or kv, not %q", l.Parallel.TP)}
	}
	// count is the instances above × r; the device keeps keep of every r.
	c := new(big.Int).Quo(count, r)
	return c.Mul(c, keep), nil
}

// isUnit reports whether l is a pipeline unit: marked "pp": "unit", or, in a file that marks
// none, a repeated composite layer with no repeated layer above it (the decoder layers).
func (p *planner) isUnit(l *model.Layer, explicit bool) bool {
	if explicit {
		return l.Parallel != nil && l.Parallel.PP == model.PPUnit
	}
	if !l.Composite || l.Repeat == nil {
		return false
	}
	for a := l.Parent; a != nil; a = a.Parent {
		if a.Repeat != nil {
			return false
		}
	}
	n, err := l.Repeats(p.scope)
	return err == nil && n.Cmp(big.NewInt(1)) > 0
}

func (p *planner) routedPlan(l *model.Layer, count *big.Int) (*routedPlan, error) {
	e, err := l.Repeats(p.scope)
	if err != nil {
		return nil, err
	}
	if l.Routed.TopK == nil || l.Routed.TopK.Expr == nil {
		return nil, &LayerError{Path: l.Path, Err: errors.New("routed: top_k is missing or unusable")}
	}
	k, err := l.Routed.TopK.Expr.Eval(p.scope)
	if err != nil {
		return nil, &LayerError{Path: l.Path, Err: fmt.Errorf("routed.top_k: %w", err)}
	}
	if !layers.FitsType("size", k) {
		return nil, &LayerError{Path: l.Path, Err: fmt.Errorf("routed.top_k must be an integer ≥ 1, got %s", k)}
	}
	share := new(big.Rat).SetFrac(new(big.Int).Set(k.Rat().Num()), e)
	if share.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, &LayerError{Path: l.Path, Err: fmt.Errorf("routed.top_k %s is more than the %s experts the layer repeats", k, e)}
	}
	return &routedPlan{l: l, experts: e, count: count, topK: k, share: share, first: -1}, nil
}

// check refuses a parallelism the model does not allow, with the reason.
func (p *planner) check() error {
	if p.par.TP > 1 && !p.explicitTP {
		return &SplitError{Msg: fmt.Sprintf("--tp %d: this file does not say how its layers split (no layer has a \"parallel\": {\"tp\": …} role); populate it again from its template, or add the roles (README, The model file: parallel)", p.par.TP)}
	}
	if p.par.EP > 1 {
		if len(p.routed) == 0 {
			return &SplitError{Msg: fmt.Sprintf("--ep %d: this model has no routed experts (no layer is marked \"routed\")", p.par.EP)}
		}
		for _, r := range p.routed {
			if new(big.Int).Mod(r.experts, big.NewInt(int64(p.par.EP))).Sign() != 0 {
				return &SplitError{Path: r.l.Path, Msg: fmt.Sprintf("%s routed experts do not divide over --ep %d", r.experts, p.par.EP)}
			}
			if r.l.Routed.HiddenSize == nil {
				return &SplitError{Path: r.l.Path, Msg: fmt.Sprintf("--ep %d: routed.hidden_size is needed for the all-to-all that sends tokens to the experts", p.par.EP)}
			}
		}
	}
	if p.par.PP > 1 {
		if len(p.units) == 0 {
			return &SplitError{Msg: fmt.Sprintf("--pp %d: this model has no pipeline units (no repeated decoder layers, no layer marked \"parallel\": {\"pp\": \"unit\"})", p.par.PP)}
		}
		if new(big.Int).Mod(p.unitTotal, big.NewInt(int64(p.par.PP))).Sign() != 0 {
			return &SplitError{Msg: fmt.Sprintf("%s pipeline units (%s) do not divide over --pp %d stages", p.unitTotal, unitNames(p.units), p.par.PP)}
		}
	}
	return nil
}

func unitNames(us []*unitPlan) string {
	var names []string
	for _, u := range us {
		names = append(names, fmt.Sprintf("%s × %s", u.l.Path, u.count))
	}
	return strings.Join(names, ", ")
}

// figuresKey is what a layer's figures depend on: its content (model.Layer.Content: class,
// parameters, parallel keys), the scope of its batch and its tensor-parallel role.
type figuresKey struct {
	content *jsonpos.Node
	scope   *expr.Scope
	role    string
}

// evaluatePlan computes one instance of the layer on a device: its parameters in the scope of
// its batch, split by its tensor-parallel role. Layers with the same content are evaluated
// once: the copies of an unrolled model cost a row each, not an evaluation.
func (p *planner) evaluatePlan(pl *plan, scope *expr.Scope) (Row, error) {
	l, cl := pl.l, pl.cl
	key := figuresKey{l.Content(), scope, pl.role}
	fig, ok := p.figures[key]
	if !ok {
		var err error
		if fig, err = p.evaluateFigures(pl, scope); err != nil {
			return Row{}, err
		}
		if p.figures == nil {
			p.figures = map[figuresKey]layers.Figures{}
		}
		p.figures[key] = fig
	}
	count := pl.count
	if pl.routed != nil && p.par.EP > 1 {
		count = new(big.Int).Quo(count, big.NewInt(int64(p.par.EP)))
	}
	row := Row{Path: l.Path, Class: p.own(l.Class), Category: cl.Category, Count: count, TiedTo: p.own(l.TiedTo), Figures: fig}
	if pl.routed != nil {
		row.Share = pl.routed.share
	}
	return row, nil
}

// own returns s as a string of the result's own: a model file's strings share the memory of
// its source (jsonpos), and a result that held on to them would keep the whole file alive after
// the file is gone (the rows of 75,000 layers name a few dozen classes).
func (p *planner) own(s string) string {
	if s == "" {
		return s
	}
	if c, ok := p.strings[s]; ok {
		return c
	}
	if p.strings == nil {
		p.strings = map[string]string{}
	}
	c := strings.Clone(s)
	p.strings[c] = c
	return c
}

// evaluateFigures evaluates one instance of the layer of pl in scope.
func (p *planner) evaluateFigures(pl *plan, scope *expr.Scope) (layers.Figures, error) {
	l, cl := pl.l, pl.cl
	args, err := p.arguments(pl, scope)
	if err != nil {
		return layers.Figures{}, err
	}
	fig, err := cl.Evaluate(args)
	if err != nil {
		var pe *layers.ParamError
		if errors.As(err, &pe) {
			err = &paramError{class: cl.Name, pe: pe}
		}
		return layers.Figures{}, &LayerError{Path: l.Path, Err: err}
	}
	return fig, nil
}

// arguments are the class parameters of the layer of pl evaluated in scope, split by its
// tensor-parallel role: what the class's formulas are evaluated with.
func (p *planner) arguments(pl *plan, scope *expr.Scope) (map[string]expr.Value, error) {
	l, cl := pl.l, pl.cl
	args := make(map[string]expr.Value, len(l.Parameters))
	for _, prm := range l.Parameters {
		if cl.Param(prm.Name) == nil {
			continue // an unknown parameter: the validator warns, the formulas cannot use it
		}
		if prm.Value.Err != nil {
			return nil, &LayerError{Path: l.Path, Err: fmt.Errorf("parameter %s: %w", prm.Name, prm.Value.Err)}
		}
		v, err := prm.Value.Expr.Eval(scope)
		if err != nil {
			return nil, &LayerError{Path: l.Path, Err: fmt.Errorf("parameter %s: %w", prm.Name, err)}
		}
		args[prm.Name] = v
	}
	if p.par.TP > 1 {
		if err := p.splitTP(pl, args, scope); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// splitTP divides the layer's parameters as its tensor-parallel role says.
func (p *planner) splitTP(pl *plan, args map[string]expr.Value, scope *expr.Scope) error {
	n := int64(p.par.TP)
	l := pl.l
	refuse := func(format string, a ...any) error {
		return &SplitError{Path: l.Path, Msg: fmt.Sprintf(format, a...) + fmt.Sprintf(" over --tp %d", n)}
	}
	count := func(v *model.Value, what string) (*big.Int, error) {
		if v == nil || v.Expr == nil {
			return nil, &SplitError{Path: l.Path, Msg: fmt.Sprintf("tp %s needs parallel.%s", pl.role, what)}
		}
		x, err := v.Expr.Eval(scope)
		if err != nil || !layers.FitsType("size", x) {
			return nil, &SplitError{Path: l.Path, Msg: fmt.Sprintf("parallel.%s must be an integer ≥ 1 (%v)", what, x)}
		}
		r := x.Rat()
		return new(big.Int).Set(r.Num()), nil
	}
	var factor *big.Rat
	switch pl.role {
	case model.TPReplicated, "":
		return nil
	case model.TPColumn, model.TPRow, model.TPVocab:
		factor = big.NewRat(1, n)
	case model.TPKV:
		kv, err := count(l.Parallel.KVHeads, "kv_heads")
		if err != nil {
			return err
		}
		dev, err := kvPerDevice(kv, n)
		if err != nil {
			return refuse("%s key/value heads (parallel.kv_heads) do not split or replicate evenly", kv)
		}
		factor = new(big.Rat).SetFrac(dev, kv)
	case model.TPQKV:
		h, err := count(l.Parallel.Heads, "heads")
		if err != nil {
			return err
		}
		kv, err := count(l.Parallel.KVHeads, "kv_heads")
		if err != nil {
			return err
		}
		if new(big.Int).Mod(h, big.NewInt(n)).Sign() != 0 {
			return refuse("%s attention heads (parallel.heads) do not divide", h)
		}
		dev, err := kvPerDevice(kv, n)
		if err != nil {
			return refuse("%s key/value heads (parallel.kv_heads) do not split or replicate evenly", kv)
		}
		// (H/N + 2·kv_dev) / (H + 2·KV) of the fused output stays on each device.
		num := new(big.Int).Add(new(big.Int).Quo(h, big.NewInt(n)), new(big.Int).Lsh(dev, 1))
		den := new(big.Int).Add(h, new(big.Int).Lsh(kv, 1))
		factor = new(big.Rat).SetFrac(num, den)
	case model.TPHeads:
		return p.splitHeads(pl, args, n, refuse)
	default:
		return &SplitError{Path: l.Path, Msg: fmt.Sprintf("unknown tensor-parallel role %q", pl.role)}
	}
	split := false
	for _, name := range model.TPSplitParams(pl.role) {
		v, ok := args[name]
		if !ok || !v.IsNumber() {
			continue
		}
		r := new(big.Rat).Mul(v.Rat(), factor)
		if spec := pl.cl.Param(name); spec != nil && (spec.Type == "size" || spec.Type == "count") && !r.IsInt() {
			return refuse("%s %s does not divide", name, v)
		}
		args[name] = expr.Rat(r)
		split = true
	}
	if !split {
		return &SplitError{Path: l.Path, Msg: fmt.Sprintf("tp %s splits %s, none of which this layer gives", pl.role, strings.Join(model.TPSplitParams(pl.role), ", "))}
	}
	return nil
}

// splitHeads divides num_heads by N and num_kv_heads as kvPerDevice says. A parameter the file
// writes out that equals its class default (a cache of all K and V heads) is recomputed from
// the split heads; one that differs (MLA's compressed latent) is replicated as written.
func (p *planner) splitHeads(pl *plan, args map[string]expr.Value, n int64, refuse func(string, ...any) error) error {
	h, okH := args["num_heads"]
	kv, okKV := args["num_kv_heads"]
	if !okH || !okKV || !h.IsInt() || !kv.IsInt() {
		return &SplitError{Path: pl.l.Path, Msg: "tp heads needs num_heads and num_kv_heads"}
	}
	defaults := map[string]expr.Value{}
	for _, spec := range pl.cl.Params {
		v, given := args[spec.Name]
		if !given || spec.Default == nil || spec.Name == "num_heads" || spec.Name == "num_kv_heads" {
			continue
		}
		rest := make(map[string]expr.Value, len(args))
		for k, x := range args {
			if k != spec.Name {
				rest[k] = x
			}
		}
		if d, err := spec.Default.Eval(pl.cl.Scope(rest)); err == nil && d.Equal(v) {
			defaults[spec.Name] = v
		}
	}
	hn, _ := h.BigInt()
	kvn, _ := kv.BigInt()
	if new(big.Int).Mod(hn, big.NewInt(n)).Sign() != 0 {
		return refuse("num_heads %s does not divide", hn)
	}
	dev, err := kvPerDevice(kvn, n)
	if err != nil {
		return refuse("num_kv_heads %s neither divides nor is replicated evenly", kvn)
	}
	args["num_heads"] = expr.BigInt(new(big.Int).Quo(hn, big.NewInt(n)))
	args["num_kv_heads"] = expr.BigInt(dev)
	for name := range defaults {
		delete(args, name)
	}
	return nil
}

// kvPerDevice is the number of key/value heads each of n devices holds: KV/n when n divides
// KV, else one (a head replicated over n/KV devices) when KV divides n.
func kvPerDevice(kv *big.Int, n int64) (*big.Int, error) {
	bn := big.NewInt(n)
	if new(big.Int).Mod(kv, bn).Sign() == 0 {
		return new(big.Int).Quo(kv, bn), nil
	}
	if new(big.Int).Mod(bn, kv).Sign() == 0 {
		return big.NewInt(1), nil
	}
	return nil, errors.New("uneven")
}

// commAfter returns the communication that follows a row under tensor parallelism: the
// all-reduce after a row-parallel layer and the vocabulary-parallel embedding, the all-gather
// of the vocabulary-parallel logits. A ring all-reduce sends 2·(N−1)/N of the buffer from each
// device, an all-gather (N−1)/N of the gathered result.
func (p *planner) commAfter(pl *plan, row Row) []Row {
	if p.par.TP == 1 {
		return nil
	}
	n := int64(p.par.TP)
	out := row.Figures.BytesWritten.RatOrZero()
	switch {
	case pl.role == model.TPRow || pl.role == model.TPVocab && pl.cl.Param("num_embeddings") != nil:
		sent := new(big.Rat).Mul(out, big.NewRat(2*(n-1), n))
		return []Row{commRow(row.Path+"_all_reduce", ClassAllReduce, row.Count, sent)}
	case pl.role == model.TPVocab:
		// Each device holds 1/N of the logits; the gathered tensor is N times that.
		sent := new(big.Rat).Mul(out, big.NewRat(n-1, 1))
		return []Row{commRow(row.Path+"_all_gather", ClassAllGather, row.Count, sent)}
	}
	return nil
}

func commRow(path, class string, count *big.Int, sent *big.Rat) Row {
	zero := expr.Int(0)
	return Row{Path: path, Class: class, Category: CategoryCommunication, Count: count,
		Figures:   layers.Figures{Params: zero, WeightBytes: zero, FLOPs: zero, BytesRead: zero, BytesWritten: zero, KVCacheBytes: zero},
		CommBytes: sent}
}

// allToAll returns the dispatch and combine rows of a routed-experts layer under expert
// parallelism: each device sends its tokens' hidden states to the k experts they are routed
// to, (EP−1)/EP of them on other devices, and receives the results back the same way.
func (p *planner) allToAll(r *routedPlan) ([2]Row, error) {
	var rows [2]Row
	hidden, err := r.l.Routed.HiddenSize.Expr.Eval(p.dense)
	if err != nil {
		return rows, &LayerError{Path: r.l.Path, Err: fmt.Errorf("routed.hidden_size: %w", err)}
	}
	var vals [3]*big.Rat
	for i, name := range []string{"batch_size", "seq_len", "dtype_bytes"} {
		v, err := p.dense.Lookup(name)
		if err != nil {
			return rows, &VariableError{Name: name, Msg: err.Error()}
		}
		vals[i] = v.Rat()
	}
	ep := int64(p.par.EP)
	sent := new(big.Rat).Mul(vals[0], vals[1])
	sent.Mul(sent, r.topK.Rat())
	sent.Mul(sent, hidden.Rat())
	sent.Mul(sent, vals[2])
	sent.Mul(sent, big.NewRat(ep-1, ep))
	layersCount := new(big.Int).Quo(r.count, r.experts)
	parent := r.l.Path
	if i := strings.LastIndexByte(parent, '.'); i >= 0 {
		parent = parent[:i+1]
	} else {
		parent = ""
	}
	rows[0] = commRow(parent+r.l.Name+"_dispatch", ClassAllToAll, layersCount, sent)
	rows[1] = commRow(parent+r.l.Name+"_combine", ClassAllToAll, layersCount, new(big.Rat).Set(sent))
	return rows, nil
}

// stageCounts returns, for each stage, the count of a plan's row on a device of that stage
// (nil when it has no instances there).
func (p *planner) stageCount(pl *plan, count *big.Int, stage int) *big.Int {
	if p.par.PP == 1 {
		return count
	}
	per := new(big.Int).Quo(p.unitTotal, big.NewInt(int64(p.par.PP)))
	lo := new(big.Int).Mul(per, big.NewInt(int64(stage)))
	hi := new(big.Int).Add(lo, per) // exclusive
	if pl.unit == nil {
		// Outside the units: with the stage of the last unit instance before it (the first
		// stage when none comes before).
		s := 0
		if pl.anchor.Sign() >= 0 {
			s = int(new(big.Int).Quo(pl.anchor, per).Int64())
		}
		if s == stage {
			return count
		}
		return nil
	}
	u := pl.unit
	from := maxInt(u.start, lo)
	to := minInt(new(big.Int).Add(u.start, u.count), hi)
	in := new(big.Int).Sub(to, from)
	if in.Sign() <= 0 {
		return nil
	}
	// count is this row's instances over all of the unit's instances.
	c := new(big.Int).Mul(count, in)
	return c.Quo(c, u.count)
}

func maxInt(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

func minInt(a, b *big.Int) *big.Int {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

// compute evaluates every plan once and assembles the result: on one device of the most
// loaded pipeline stage under parallelism.
func (p *planner) compute() (*Result, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	rows := make([]Row, len(p.plans))
	comms := make([][]Row, len(p.plans))
	for i := range p.plans {
		pl := &p.plans[i]
		scope := p.dense
		if pl.routed != nil {
			scope = p.expert
		}
		row, err := p.evaluatePlan(pl, scope)
		if err != nil {
			return nil, err
		}
		rows[i] = row
		comms[i] = p.commAfter(pl, row)
	}
	var a2a map[*model.Layer]*exchange
	if p.par.EP > 1 {
		// One dispatch and one combine per MoE block, however many routed layers it holds
		// (GraniteMoE's input_linear and output_linear are both routed).
		a2a = map[*model.Layer]*exchange{}
		for _, r := range p.routed {
			if x := a2a[r.l.Parent]; x != nil {
				x.first, x.last = min(x.first, r.first), max(x.last, r.last)
				continue
			}
			rr, err := p.allToAll(r)
			if err != nil {
				return nil, err
			}
			a2a[r.l.Parent] = &exchange{rows: rr, first: r.first, last: r.last}
		}
	}
	if s := p.opts.Stage; s > 0 {
		if s > p.par.PP {
			return nil, &SplitError{Msg: fmt.Sprintf("stage %d of %d pipeline stages", s, p.par.PP)}
		}
		return p.stage(s-1, rows, comms, a2a), nil
	}
	var best *Result
	for stage := 0; stage < p.par.PP; stage++ {
		res := p.stage(stage, rows, comms, a2a)
		if best == nil || heavier(res, best) {
			best = res
		}
	}
	return best, nil
}

// exchange is the all-to-all of one MoE block: dispatch before its first routed row, combine
// after its last.
type exchange struct {
	rows        [2]Row
	first, last int
}

// stage assembles the rows of one pipeline stage (the whole model without PP).
func (p *planner) stage(stage int, rows []Row, comms [][]Row, a2a map[*model.Layer]*exchange) *Result {
	res := &Result{ModelID: strings.Clone(p.f.ModelID), Variables: p.vars}
	if p.par.IsNone() {
		// One device, one stage: the rows are the plans' rows as they are.
		res.Rows = rows
		res.finish(true)
		return res
	}
	extra := 2*len(a2a) + 1
	for _, c := range comms {
		extra += len(c)
	}
	res.Rows = make([]Row, 0, len(rows)+extra)
	var lastUnitRow = -1
	for i := range p.plans {
		pl := &p.plans[i]
		c := p.stageCount(pl, rows[i].Count, stage)
		if c == nil || c.Sign() == 0 {
			continue
		}
		scale := func(r Row) Row { return scaleAll(r, c, rows[i].Count) }
		var x *exchange
		if pl.routed != nil && a2a != nil {
			x = a2a[pl.routed.l.Parent]
		}
		if x != nil && x.first == i {
			res.Rows = append(res.Rows, scaleAll(x.rows[0], c, rows[i].Count))
		}
		res.Rows = append(res.Rows, scale(rows[i]))
		for _, cr := range comms[i] {
			res.Rows = append(res.Rows, scale(cr))
		}
		if x != nil && x.last == i {
			res.Rows = append(res.Rows, scaleAll(x.rows[1], c, rows[i].Count))
		}
		if pl.unit != nil {
			lastUnitRow = len(res.Rows) - 1
		}
	}
	if p.par.PP > 1 {
		// A stage without the layer a row is tied to holds its own copy of the weights
		// (Megatron-LM keeps the tied embedding on the first and on the last stage).
		here := make(map[string]bool, len(res.Rows))
		for _, r := range res.Rows {
			here[r.Path] = true
		}
		for i := range res.Rows {
			if t := res.Rows[i].TiedTo; t != "" && !here[t] {
				res.Rows[i].TiedTo = ""
			}
		}
	}
	if p.par.PP > 1 && stage < p.par.PP-1 && lastUnitRow >= 0 {
		// The stage hands its last layer's output (the hidden states) to the next.
		last := res.Rows[lastUnitRow]
		send := commRow(pipelinePath(last.Path, p.units), ClassSend, big.NewInt(1), last.Figures.BytesWritten.RatOrZero())
		res.Rows = slices.Insert(res.Rows, lastUnitRow+1, send)
	}
	res.finish(p.par.IsNone())
	if !p.par.IsNone() {
		res.Parallel = &ParallelInfo{Parallelism: p.par, Stage: stage, Stages: p.par.PP, Units: new(big.Int).Set(p.unitTotal),
			BatchSize: p.denseBatch, ExpertBatchSize: p.expertBatch}
	}
	return res
}

// scaleAll scales a row that belongs to a whole routed layer the way its first or last plan's
// row was scaled for the stage (c of total instances).
func scaleAll(r Row, c, total *big.Int) Row {
	if c.Cmp(total) != 0 {
		n := new(big.Int).Mul(r.Count, c)
		r.Count = n.Quo(n, total)
	}
	return r
}

// pipelinePath names the send row: beside the pipeline unit the row belongs to.
func pipelinePath(rowPath string, units []*unitPlan) string {
	for _, u := range units {
		if strings.HasPrefix(rowPath, u.l.Path+".") {
			if i := strings.LastIndexByte(u.l.Path, '.'); i >= 0 {
				return u.l.Path[:i+1] + "pipeline_send"
			}
			return "pipeline_send"
		}
	}
	return "pipeline_send"
}

// heavier reports whether stage result a is more loaded than b: more memory (weights, KV
// cache and activations), then more FLOPs; the earlier stage wins a tie.
func heavier(a, b *Result) bool {
	ma, mb := a.MemoryBytes(), b.MemoryBytes()
	if c := ma.Cmp(mb); c != 0 {
		return c > 0
	}
	return a.Totals.FLOPs.Cmp(b.Totals.FLOPs) > 0
}
