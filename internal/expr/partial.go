package expr

import "errors"

// Partial substitutes the variables env knows (env may be nil) and folds
// constants: every operation whose operands are all constant is replaced by its
// value; false && x is false, true || x is true, true && x and false || x are x
// (when x is known to give a boolean; otherwise the check that it does stays);
// c ? a : b with a constant c is the chosen branch. Names env does not know
// (Lookup fails with ErrUnbound) stay symbolic.
//
// The result's Source is its canonical text, and errors from evaluating it
// point into that text. For every env B,
// e.Partial(A).Eval(B) gives what e.Eval would give with the variables of A and
// then those of B: the same value, or an error (MaxWork aside: the work is then
// split between two evaluations).
//
// Errors found while folding (division by zero, type errors, limits, an Env
// error other than ErrUnbound) are returned when the operation is certain to be
// evaluated; inside a branch that may not be taken (c ? a : b with an unknown c,
// the right operand of && and || with an unknown left) the operation is left
// unfolded instead, so that it fails only if it is ever evaluated. The columns
// of errors returned by Partial are columns of e's source.
func (e *Expr) Partial(env Env) (*Expr, error) {
	out := &Expr{
		canon: true,
		nodes: make([]node, 0, len(e.nodes)),
		names: make([]string, 0, e.nvars),
	}
	b := builder{in: e, env: env, out: out}
	r, err := b.walk(e.root, true)
	if err != nil {
		return nil, err
	}
	out.root = b.emit(r)
	if b.err != nil {
		return nil, b.err
	}
	out.src = out.print(true)
	return out, nil
}

type builder struct {
	in   *Expr
	env  Env
	out  *Expr
	work int    // see MaxWork
	err  *Error // from emit
}

// pval is the result of partially evaluating a node: a constant that is not in
// the output yet, or an output node.
type pval struct {
	v       Value
	node    int32
	isConst bool
	col     int32 // of the input node that gave the constant
}

func constVal(v Value, col int32) pval { return pval{v: v, isConst: true, col: col} }

func (b *builder) add(n node) pval {
	b.out.nodes = append(b.out.nodes, n)
	return pval{node: int32(len(b.out.nodes) - 1)}
}

// emit puts r into the output and returns its node. Printing a very large
// constant takes time too, so it is charged (quadratically: converting to
// decimal is superlinear).
func (b *builder) emit(r pval) int32 {
	if !r.isConst {
		return r.node
	}
	if b.err == nil {
		b.err = charge(&b.work, &node{col: r.col}, printCost(r.v))
	}
	return b.add(constNode(r.v, 0, &b.out.consts)).node
}

// printCost is the work of printing the constant v (converting a large number
// to decimal is superlinear).
func printCost(v Value) int {
	switch {
	case v.k == kindList:
		c := 0
		for _, it := range v.x.items {
			c += printCost(it)
		}
		return c
	case v.r == nil:
		return 0
	}
	num, den := ratBits(v)
	n, d := num>>12, den>>12
	return (n*n + d*d) / 32
}

// boolTyped reports whether output node i is sure to give a boolean (or fail).
func (b *builder) boolTyped(i int32) bool {
	n := &b.out.nodes[i]
	switch n.op {
	case opNot, opAnd, opOr, opEq, opNe, opLt, opLe, opGt, opGe, opIn:
		return true
	case opConst:
		return b.out.constVal(n).k == kindBool
	case opCond:
		return b.boolTyped(n.b) && b.boolTyped(n.c)
	}
	return false
}

// walk partially evaluates input node i. strict says whether i is certain to be
// evaluated whenever the whole expression is; only then are errors returned.
func (b *builder) walk(i int32, strict bool) (pval, *Error) {
	n := &b.in.nodes[i]
	switch n.op {
	case opConst:
		return constVal(b.in.constVal(n), n.col), nil
	case opVar:
		name := b.in.varName(n)
		if b.env != nil {
			v, err := b.env.Lookup(name)
			switch {
			case err == nil && v.IsValid():
				return constVal(v, n.col), nil
			case err == ErrUnbound || err != nil && errors.Is(err, ErrUnbound):
				// unknown: stays symbolic
			case strict:
				if err != nil {
					return pval{}, lookupError(name, int(n.col), err)
				}
				return pval{}, &Error{Col: int(n.col), Msg: "variable {" + name + "} has an invalid value", Err: ErrType}
			}
		}
		b.out.names = append(b.out.names, name)
		b.out.nvars++
		return b.add(node{op: opVar, a: int32(len(b.out.names) - 1)}), nil
	case opNeg, opPos, opNot:
		x, err := b.walk(n.a, strict)
		if err != nil {
			return pval{}, err
		}
		if x.isConst {
			v, err := unary(n, x.v, &b.work)
			if err == nil {
				return constVal(v, n.col), nil
			}
			if strict {
				return pval{}, err
			}
		}
		return b.add(node{op: n.op, a: b.emit(x)}), nil
	case opAnd, opOr:
		return b.walkLogic(n, strict)
	case opCond:
		return b.walkCond(n, strict)
	case opCall:
		if anyArg(n.fn) {
			return b.walkCallOne(n, strict)
		}
		return b.walkCall(n, strict)
	case opList:
		return b.walkList(n, strict)
	}
	x, err := b.walk(n.a, strict)
	if err != nil {
		return pval{}, err
	}
	y, err := b.walk(n.b, strict)
	if err != nil {
		return pval{}, err
	}
	if x.isConst && y.isConst {
		var v Value
		var err *Error
		if n.op == opIndex {
			v, err = index(n, x.v, y.v, b.in.listName(n.a))
		} else {
			v, err = binary(n, x.v, y.v, &b.work)
		}
		if err == nil {
			return constVal(v, n.col), nil
		}
		if strict {
			return pval{}, err
		}
	}
	return b.add(node{op: n.op, a: b.emit(x), b: b.emit(y)}), nil
}

func (b *builder) walkLogic(n *node, strict bool) (pval, *Error) {
	x, err := b.walk(n.a, strict)
	if err != nil {
		return pval{}, err
	}
	if x.isConst && x.v.k == kindBool {
		if (x.v.n != 0) == (n.op == opOr) {
			return x, nil // false && y, true || y: y is never evaluated
		}
		y, err := b.walk(n.b, strict)
		if err != nil {
			return pval{}, err
		}
		switch {
		case y.isConst && y.v.k == kindBool:
			return y, nil
		case y.isConst && strict:
			return pval{}, typeError(n, y.v)
		case !y.isConst && b.boolTyped(y.node):
			return y, nil
		}
		// y may give a number: keep the operator, which checks it.
		return b.add(node{op: n.op, a: b.emit(x), b: b.emit(y)}), nil
	}
	if x.isConst && strict {
		return pval{}, typeError(n, x.v)
	}
	y, err := b.walk(n.b, false)
	if err != nil {
		return pval{}, err
	}
	return b.add(node{op: n.op, a: b.emit(x), b: b.emit(y)}), nil
}

func (b *builder) walkCond(n *node, strict bool) (pval, *Error) {
	c, err := b.walk(n.a, strict)
	if err != nil {
		return pval{}, err
	}
	if c.isConst {
		if c.v.k == kindBool {
			if c.v.n != 0 {
				return b.walk(n.b, strict)
			}
			return b.walk(n.c, strict)
		}
		if strict {
			return pval{}, typeError(n, c.v)
		}
	}
	x, err := b.walk(n.b, false)
	if err != nil {
		return pval{}, err
	}
	y, err := b.walk(n.c, false)
	if err != nil {
		return pval{}, err
	}
	return b.add(node{op: opCond, a: b.emit(c), b: b.emit(x), c: b.emit(y)}), nil
}

func (b *builder) walkList(n *node, strict bool) (pval, *Error) {
	ps := make([]pval, 0, n.b)
	allConst := true
	for _, a := range b.in.args[n.a : n.a+n.b] {
		p, err := b.walk(a, strict)
		if err != nil {
			return pval{}, err
		}
		ps = append(ps, p)
		allConst = allConst && p.isConst
	}
	if allConst {
		items := make([]Value, len(ps))
		for i, p := range ps {
			items[i] = p.v
		}
		v, err := makeList(n, items)
		if err == nil {
			return constVal(v, n.col), nil
		}
		if strict {
			return pval{}, err
		}
	}
	start := len(b.out.args)
	for _, p := range ps {
		b.out.args = append(b.out.args, b.emit(p))
	}
	return b.add(node{op: opList, a: int32(start), b: int32(len(ps))}), nil
}

// walkCallOne partially evaluates len(x), the type tests and the host functions; a host
// function the Env cannot evaluate (ErrUnbound) stays a call.
func (b *builder) walkCallOne(n *node, strict bool) (pval, *Error) {
	p, err := b.walk(b.in.args[n.a], strict)
	if err != nil {
		return pval{}, err
	}
	if p.isConst {
		v, err := callOne(n, p.v, b.env)
		switch {
		case err == nil:
			return constVal(v, n.col), nil
		case errors.Is(err, ErrUnbound) && n.fn == fnActivation:
			// unknown here: stays a call
		case strict:
			return pval{}, err
		}
	}
	start := len(b.out.args)
	b.out.args = append(b.out.args, b.emit(p))
	return b.add(node{op: opCall, fn: n.fn, a: int32(start), b: 1}), nil
}

func (b *builder) walkCall(n *node, strict bool) (pval, *Error) {
	var buf [8]pval
	ps := buf[:0]
	allConst := true
	for _, a := range b.in.args[n.a : n.a+n.b] {
		p, err := b.walk(a, strict)
		if err != nil {
			return pval{}, err
		}
		ps = append(ps, p)
		allConst = allConst && p.isConst
	}
	if allConst {
		var acc Value
		var err *Error
		for k, p := range ps {
			if acc, err = callStep(n, k, acc, p.v, &b.work); err != nil {
				break
			}
		}
		if err == nil {
			acc, err = callEnd(n, acc, &b.work)
		}
		if err == nil {
			return constVal(acc, n.col), nil
		}
		if strict {
			return pval{}, err
		}
	}
	start := len(b.out.args)
	for _, p := range ps {
		b.out.args = append(b.out.args, b.emit(p))
	}
	return b.add(node{op: opCall, fn: n.fn, a: int32(start), b: int32(len(ps))}), nil
}
