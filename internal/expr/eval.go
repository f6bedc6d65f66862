package expr

import (
	"errors"
	"strconv"

	"github.com/modeltool/modeltool/internal/diag"
)

// Env supplies the values of variables. Lookup must return an error wrapping
// ErrUnbound (ErrUnbound itself is best) when the name is not defined.
type Env interface {
	Lookup(name string) (Value, error)
}

// Caller is an Env that gives the meaning of the host functions (HostFuncs):
// Call returns the value of name(args...), or an error wrapping ErrUnbound when
// it cannot tell (Partial then leaves the call as it is). Evaluating a host
// function with an Env that is not a Caller is an ErrUnbound error.
type Caller interface {
	Env
	Call(name string, args []Value) (Value, error)
}

// MapEnv is an Env backed by a map.
type MapEnv map[string]Value

// Lookup returns m[name], or ErrUnbound when the name is not in the map.
func (m MapEnv) Lookup(name string) (Value, error) {
	if v, ok := m[name]; ok {
		return v, nil
	}
	return Value{}, ErrUnbound
}

// Eval evaluates the expression with the variables of env (which may be nil).
// Errors are *Error, with Col the column of the operator, function name or
// variable at fault, wrapping one of the sentinel errors (or the Env's error):
// an unknown variable gives "undefined variable {name}" wrapping ErrUnbound.
// &&, || and c ? a : b evaluate only what they need.
func (e *Expr) Eval(env Env) (Value, error) {
	var work int
	v, err := e.eval(e.root, env, &work)
	if err != nil {
		return Value{}, err
	}
	return v, nil
}

// eval evaluates node i; *w counts the work done on big numbers (see MaxWork).
func (e *Expr) eval(i int32, env Env, w *int) (Value, *Error) {
	n := &e.nodes[i]
	switch n.op {
	case opConst:
		return e.constVal(n), nil
	case opVar:
		return lookup(env, e.varName(n), int(n.col))
	case opNeg, opPos, opNot:
		x, err := e.eval(n.a, env, w)
		if err != nil {
			return Value{}, err
		}
		return unary(n, x, w)
	case opAnd, opOr:
		x, err := e.eval(n.a, env, w)
		if err != nil {
			return Value{}, err
		}
		if x.k != kindBool {
			return Value{}, typeError(n, x)
		}
		if (x.n != 0) == (n.op == opOr) {
			return x, nil
		}
		y, err := e.eval(n.b, env, w)
		if err != nil {
			return Value{}, err
		}
		if y.k != kindBool {
			return Value{}, typeError(n, y)
		}
		return y, nil
	case opCond:
		c, err := e.eval(n.a, env, w)
		if err != nil {
			return Value{}, err
		}
		if c.k != kindBool {
			return Value{}, typeError(n, c)
		}
		if c.n != 0 {
			return e.eval(n.b, env, w)
		}
		return e.eval(n.c, env, w)
	case opList:
		items := make([]Value, 0, n.b)
		for _, a := range e.args[n.a : n.a+n.b] {
			x, err := e.eval(a, env, w)
			if err != nil {
				return Value{}, err
			}
			items = append(items, x)
		}
		return makeList(n, items)
	case opCall:
		args := e.args[n.a : n.a+n.b]
		if anyArg(n.fn) {
			x, err := e.eval(args[0], env, w)
			if err != nil {
				return Value{}, err
			}
			return callOne(n, x, env)
		}
		var acc Value
		for k, a := range args {
			x, err := e.eval(a, env, w)
			if err != nil {
				return Value{}, err
			}
			if acc, err = callStep(n, k, acc, x, w); err != nil {
				return Value{}, err
			}
		}
		return callEnd(n, acc, w)
	}
	x, err := e.eval(n.a, env, w)
	if err != nil {
		return Value{}, err
	}
	y, err := e.eval(n.b, env, w)
	if err != nil {
		return Value{}, err
	}
	if n.op == opIndex {
		return index(n, x, y, e.listName(n.a))
	}
	return binary(n, x, y, w)
}

// listName names the list or string at node i for an index error:
// "{layer_types}" for a variable, "" (index says "the list" or "the string")
// otherwise.
func (e *Expr) listName(i int32) string {
	if n := &e.nodes[i]; n.op == opVar {
		return "{" + e.varName(n) + "}"
	}
	return ""
}

// makeList makes the list of a list literal's evaluated items.
func makeList(n *node, items []Value) (Value, *Error) {
	for _, it := range items {
		if !it.IsScalar() {
			return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: "a list holds numbers, booleans and strings, not " + kindName(it)}
		}
	}
	return Value{k: kindList, x: &compound{items: items}}, nil
}

// index gives x[y]: item y (an integer from 0) of the list x, or character y
// of the string x (a string of one Unicode code point, as Python indexes), named
// what in messages.
func index(n *node, x, y Value, what string) (Value, *Error) {
	if x.k != kindList && x.k != kindString {
		return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: `"[…]" indexes a list or a string, not ` + kindName(x)}
	}
	if y.k != kindNum || !y.IsInt() {
		return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: "an index is an integer, not " + describeValue(y)}
	}
	size, unit := len(x.x.items), " items"
	if what == "" {
		what = "the list"
	}
	if x.k == kindString {
		size, unit = x.x.chars(), " characters"
		if what == "the list" {
			what = "the string"
		}
	}
	i, ok := y.Int64()
	if !ok || i < 0 || i >= int64(size) {
		return Value{}, &Error{Col: int(n.col), Err: ErrIndex,
			Msg: "index " + diag.Clip(y.String()) + " is out of range: " + what + " has " + strconv.Itoa(size) + unit + " (indexes 0 to " + strconv.Itoa(size-1) + ")"}
	}
	if x.k == kindString {
		return String(x.x.char(int(i))), nil
	}
	return x.x.items[i], nil
}

// member gives x in y.
func member(n *node, x, y Value, w *int) (Value, *Error) {
	if y.k != kindList {
		return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: `"in" looks in a list, not ` + kindName(y)}
	}
	if !x.IsScalar() {
		return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: `"in" looks for a number, boolean or string, not ` + kindName(x)}
	}
	for _, it := range y.x.items {
		if it.k != x.k {
			continue
		}
		if x.k == kindNum {
			if err := charge(w, n, opCost(x, it, Value{}, false)); err != nil {
				return Value{}, err
			}
		}
		if it.Equal(x) {
			return Bool(true), nil
		}
	}
	return Bool(false), nil
}

// callOne evaluates len(x), the type tests and the host functions.
func callOne(n *node, x Value, env Env) (Value, *Error) {
	switch n.fn {
	case fnLen:
		switch x.k {
		case kindList:
			return Int(int64(len(x.x.items))), nil
		case kindString:
			return Int(int64(x.x.chars())), nil
		}
		return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: "len needs a list or a string, not " + kindName(x)}
	case fnIsNumber:
		return Bool(x.k == kindNum), nil
	case fnIsBoolean:
		return Bool(x.k == kindBool), nil
	case fnIsString:
		return Bool(x.k == kindString), nil
	case fnIsList:
		return Bool(x.k == kindList), nil
	}
	c, ok := env.(Caller)
	if !ok {
		return Value{}, &Error{Col: int(n.col), Err: ErrUnbound, Msg: unavailable(fnNames[n.fn]).Msg}
	}
	v, err := c.Call(fnNames[n.fn], []Value{x})
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			return Value{}, &Error{Col: int(n.col), Err: err, Msg: ee.Msg}
		}
		return Value{}, &Error{Col: int(n.col), Err: err, Msg: fnNames[n.fn] + "(" + diag.Clip(x.String()) + "): " + err.Error()}
	}
	if !v.IsValid() {
		return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: fnNames[n.fn] + "(" + diag.Clip(x.String()) + ") gave an invalid value"}
	}
	return v, nil
}

// unavailable is the error of a host function that the Env does not provide.
func unavailable(name string) *Error {
	return &Error{Err: ErrUnbound, Msg: name + "(…) is only known to populate, which maps it through the catalog"}
}

// describeValue is kindName with the value when it is short.
func describeValue(v Value) string {
	if v.k == kindNum || v.k == kindBool || v.k == kindString && len(v.x.s) <= diag.MaxQuoted {
		return diag.Clip(v.String())
	}
	return kindName(v)
}

// callStep takes argument k (x) of the call n into acc, the result so far.
func callStep(n *node, k int, acc, x Value, w *int) (Value, *Error) {
	if x.k != kindNum {
		return Value{}, typeError(n, x)
	}
	if k == 0 {
		return x, nil
	}
	c := numCmp(x, acc)
	if err := charge(w, n, opCost(x, acc, Value{}, false)); err != nil {
		return Value{}, err
	}
	if n.fn == fnMin && c < 0 || n.fn == fnMax && c > 0 {
		return x, nil
	}
	return acc, nil
}

// callEnd gives the result of the call n from acc.
func callEnd(n *node, acc Value, w *int) (Value, *Error) {
	var v Value
	switch n.fn {
	case fnCeil:
		v = numCeil(acc)
	case fnFloor:
		v = numFloor(acc)
	default:
		return acc, nil
	}
	if err := charge(w, n, opCost(acc, Value{}, v, true)); err != nil {
		return Value{}, err
	}
	return v, nil
}

// unary applies a unary operator to an evaluated operand.
func unary(n *node, x Value, w *int) (Value, *Error) {
	if n.op == opNot {
		if x.k != kindBool {
			return Value{}, typeError(n, x)
		}
		return Bool(x.n == 0), nil
	}
	if x.k != kindNum {
		return Value{}, typeError(n, x)
	}
	if n.op == opNeg {
		v := numNeg(x)
		if err := charge(w, n, opCost(x, Value{}, v, false)); err != nil {
			return Value{}, err
		}
		return v, nil
	}
	return x, nil
}

// binary applies an arithmetic or comparison operator to evaluated operands.
func binary(n *node, x, y Value, w *int) (Value, *Error) {
	if n.op == opIn {
		return member(n, x, y, w)
	}
	if n.op == opEq || n.op == opNe {
		if x.k != y.k || x.k == kindInvalid || x.k == kindList {
			msg := `"` + opText[n.op] + `" compares two numbers, two booleans or two strings, not ` + kindName(x) + " and " + kindName(y)
			if x.k != y.k && x.k != kindInvalid && y.k != kindInvalid {
				msg += " (a config key of several types is tested with is_number, is_boolean, is_string or is_list first)"
			}
			return Value{}, &Error{Col: int(n.col), Err: ErrType, Msg: msg}
		}
		v := Bool(x.Equal(y) == (n.op == opEq))
		if x.k == kindNum {
			if err := charge(w, n, opCost(x, y, Value{}, false)); err != nil {
				return Value{}, err
			}
		}
		return v, nil
	}
	if x.k != kindNum {
		return Value{}, typeError(n, x)
	}
	if y.k != kindNum {
		return Value{}, typeError(n, y)
	}
	var v Value
	var f fault
	divides := false
	switch n.op {
	case opAdd:
		v, f = numAdd(x, y)
	case opSub:
		v, f = numSub(x, y)
	case opMul:
		v, f = numMul(x, y)
	case opDiv:
		v, f = numDiv(x, y)
		divides = true
	case opFloorDiv:
		v, f = numFloorDiv(x, y)
		divides = true
	case opMod:
		v, f = numMod(x, y)
		divides = true
	case opPow:
		v, f = numPow(x, y)
	default: // comparisons
		c := numCmp(x, y)
		v = Bool(n.op == opLt && c < 0 || n.op == opLe && c <= 0 || n.op == opGt && c > 0 || n.op == opGe && c >= 0)
	}
	if f != noFault {
		return Value{}, faultError(n, f, y)
	}
	if err := charge(w, n, opCost(x, y, v, divides)); err != nil {
		return Value{}, err
	}
	return v, nil
}

// opCost estimates the work of an operation on x and y that gave v, in units
// that each stand for about as much time as one operation on 4096-bit numbers:
// the size of the largest numerator in 4096-bit blocks, plus, for the greatest
// common divisor that reducing a fraction takes, its size times the size of the
// denominators and their square. Operations on numbers below 4096 bits are free.
// divides says that the operation divides by y (so num(y) joins the
// denominators).
func opCost(x, y, v Value, divides bool) int {
	if x.r == nil && y.r == nil && v.r == nil {
		return 0
	}
	xn, xd := ratBits(x)
	yn, yd := ratBits(y)
	vn, vd := ratBits(v)
	d := xd + yd + vd
	if divides {
		d += yn
	}
	// The limits keep every denominator that is reduced below 2·MaxDenomBits+1
	// bits (larger quotients are only computed when exact, without reducing).
	n, d := max(xn, yn, vn)>>12, min(d, 2*MaxDenomBits+1)>>12
	return n + n*d + d*d
}

// ratBits returns the sizes of the numerator and the denominator of a big x.
func ratBits(x Value) (num, den int) {
	if x.r == nil {
		return 0, 0
	}
	if x.r.IsInt() {
		return x.r.Num().BitLen(), 0
	}
	return x.r.Num().BitLen(), x.r.Denom().BitLen()
}

// charge adds units of work to *w, failing at node n beyond MaxWork.
func charge(w *int, n *node, units int) *Error {
	if units == 0 {
		return nil
	}
	*w += units
	if *w > MaxWork {
		return &Error{Col: int(n.col), Err: ErrTooLarge,
			Msg: "too much work on very large numbers (the limit is MaxWork = " + strconv.Itoa(MaxWork) + " units)"}
	}
	return nil
}

func kindName(v Value) string {
	switch v.k {
	case kindBool:
		return "a boolean"
	case kindNum:
		return "a number"
	case kindString:
		return "a string"
	case kindList:
		return "a list"
	}
	return "an invalid value"
}

// typeError reports operand x of the wrong type for node n.
func typeError(n *node, x Value) *Error {
	var msg string
	switch n.op {
	case opCond:
		msg = `the condition of "?" must be a boolean, not ` + kindName(x)
	case opCall:
		msg = fnNames[n.fn] + " needs numbers, not " + kindName(x)
	case opNot:
		msg = `"!" needs a boolean, not ` + kindName(x)
	case opAnd, opOr:
		msg = `"` + opText[n.op] + `" needs booleans, not ` + kindName(x)
	case opNeg, opPos:
		msg = `"` + opText[n.op] + `" needs a number, not ` + kindName(x)
	default:
		msg = `"` + opText[n.op] + `" needs numbers, not ` + kindName(x)
	}
	return &Error{Col: int(n.col), Msg: msg, Err: ErrType}
}

func faultError(n *node, f fault, y Value) *Error {
	col := int(n.col)
	switch f {
	case faultDivZero:
		return &Error{Col: col, Msg: "division by zero", Err: ErrDivByZero}
	case faultNotInteger:
		s := y.String()
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return &Error{Col: col, Msg: "exponent must be an integer, not " + s, Err: ErrNotInteger}
	case faultPowTooLarge:
		return &Error{Col: col, Err: ErrTooLarge,
			Msg: "result too large (more than " + strconv.Itoa(MaxBits) + " bits, or a denominator of more than " + strconv.Itoa(MaxDenomBits) + " bits)"}
	case faultDenomLarge:
		return &Error{Col: col, Err: ErrTooLarge,
			Msg: "number too large (a denominator of more than " + strconv.Itoa(MaxDenomBits) + " bits)"}
	}
	return &Error{Col: col, Err: ErrTooLarge, Msg: "number too large (more than " + strconv.Itoa(MaxBits) + " bits)"}
}

// lookup evaluates a variable.
func lookup(env Env, name string, col int) (Value, *Error) {
	if env == nil {
		return Value{}, &Error{Col: col, Msg: "undefined variable {" + name + "}", Err: ErrUnbound}
	}
	v, err := env.Lookup(name)
	if err != nil {
		return Value{}, lookupError(name, col, err)
	}
	if !v.IsValid() {
		return Value{}, &Error{Col: col, Msg: "variable {" + name + "} has an invalid value", Err: ErrType}
	}
	return v, nil
}

func lookupError(name string, col int, err error) *Error {
	if err == ErrUnbound {
		return &Error{Col: col, Msg: "undefined variable {" + name + "}", Err: ErrUnbound}
	}
	switch err.(type) {
	case *defError, *cycleError:
		// Scope errors name the definition already.
		return &Error{Col: col, Msg: err.Error(), Err: err}
	}
	if errors.Is(err, ErrUnbound) {
		return &Error{Col: col, Msg: "undefined variable {" + name + "}", Err: err}
	}
	return &Error{Col: col, Msg: "{" + name + "}: " + err.Error(), Err: err}
}
