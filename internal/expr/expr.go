package expr

import (
	"slices"
	"strings"
)

// Limits. Inputs beyond them are rejected with an *Error wrapping ErrTooLarge;
// nothing in this package panics, overflows the stack or runs for long on any
// input.
const (
	// MaxLength is the longest source text Parse accepts, in bytes.
	MaxLength = 64 << 10
	// MaxDepth is the deepest nesting Parse accepts: every parenthesis, unary
	// operator, function call, "?" and "**" opens a level.
	MaxDepth = 256
	// MaxDigits is the most digits (before any exponent) a number literal may have.
	MaxDigits = 4096
	// MaxExponent is the largest exponent (in absolute value) a number literal may
	// have: 1e4096 and 1e-4096 are the extremes.
	MaxExponent = 4096
	// MaxBits is the largest numerator, in bits, that a computation may produce.
	// "**" estimates the size of its result before computing it and fails with
	// "result too large"; other operations fail with "number too large".
	MaxBits = 1 << 20
	// MaxDenomBits is the largest denominator, in bits, that a computation may
	// produce. It is smaller than MaxBits because reducing fractions takes time
	// quadratic in their size; it still holds the denominator of every number
	// literal (at most 10^8192).
	MaxDenomBits = 1 << 15
	// MaxWork bounds the time one Eval or Partial may spend on big numbers, so
	// that no expression within the other limits can take long (an operation
	// near MaxBits takes milliseconds, and 64 KB holds thousands of them). Each
	// operation on numbers of more than 4096 bits costs units: its size in
	// 4096-bit blocks, plus, when it reduces a fraction, the size times the
	// denominators' size and the square of the latter. A unit is some tens of
	// microseconds; at most MaxWork units are spent (a definition of a Scope is
	// evaluated by an Eval of its own). Numbers of modeltool's kind cost nothing.
	MaxWork = 1 << 14
)

// op is the operation of an AST node.
type op uint8

const (
	opConst op = iota
	opVar
	opNeg
	opPos
	opNot
	opAdd
	opSub
	opMul
	opDiv
	opFloorDiv
	opMod
	opPow
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opAnd
	opOr
	opCond
	opCall
	opIndex // a[b]
	opIn    // a in b
	opList  // [items]: like opCall, the items are Expr.args[a : a+b]
)

// Precedence levels, as in DESIGN.md (lowest first).
const (
	precCond  = 1
	precOr    = 2
	precAnd   = 3
	precCmp   = 4
	precAdd   = 5
	precMul   = 6
	precUnary = 7
	precPow   = 8
	precAtom  = 9
)

var opText = [...]string{
	opNeg: "-", opPos: "+", opNot: "!",
	opAdd: "+", opSub: "-", opMul: "*", opDiv: "/", opFloorDiv: "//", opMod: "%", opPow: "**",
	opEq: "==", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">=",
	opAnd: "&&", opOr: "||", opCond: "?", opIn: "in", opIndex: "[", opList: "[",
}

var opPrec = [...]int{
	opConst: precAtom, opVar: precAtom, opCall: precAtom, opIndex: precAtom, opList: precAtom,
	opNeg: precUnary, opPos: precUnary, opNot: precUnary,
	opPow: precPow,
	opMul: precMul, opDiv: precMul, opFloorDiv: precMul, opMod: precMul,
	opAdd: precAdd, opSub: precAdd,
	opEq: precCmp, opNe: precCmp, opLt: precCmp, opLe: precCmp, opGt: precCmp, opGe: precCmp, opIn: precCmp,
	opAnd: precAnd, opOr: precOr, opCond: precCond,
}

// Functions. activation is a host function: the Env gives its meaning (see
// Caller). The functions from fnLen on are template-only and take one value
// of any kind.
const (
	fnMin uint8 = iota
	fnMax
	fnCeil
	fnFloor
	fnLen
	fnActivation
	fnIsNumber
	fnIsBoolean
	fnIsString
	fnIsList
)

var fnNames = [...]string{fnMin: "min", fnMax: "max", fnCeil: "ceil", fnFloor: "floor", fnLen: "len", fnActivation: "activation",
	fnIsNumber: "is_number", fnIsBoolean: "is_boolean", fnIsString: "is_string", fnIsList: "is_list"}

const knownFuncs = "activation, ceil, floor, is_boolean, is_list, is_number, is_string, len, max, min"

// HostFuncs are the functions whose meaning the caller supplies through a
// Caller Env: activation(NAME) maps a transformers activation name to the class
// path of its module (populate reads the catalog's table).
var HostFuncs = []string{"activation"}

func lookupFunc(name string) int {
	switch name {
	case "min":
		return int(fnMin)
	case "max":
		return int(fnMax)
	case "ceil":
		return int(fnCeil)
	case "floor":
		return int(fnFloor)
	case "len":
		return int(fnLen)
	case "activation":
		return int(fnActivation)
	case "is_number":
		return int(fnIsNumber)
	case "is_boolean":
		return int(fnIsBoolean)
	case "is_string":
		return int(fnIsString)
	case "is_list":
		return int(fnIsList)
	}
	return -1
}

// oneArg reports whether the function takes exactly one argument.
func oneArg(fn uint8) bool { return fn == fnCeil || fn == fnFloor || anyArg(fn) }

// anyArg reports whether the function takes one value of any kind (len, the
// type tests and the host functions): the template-only functions.
func anyArg(fn uint8) bool { return fn >= fnLen }

// node is one AST node. Nodes live in Expr.nodes and refer to each other by
// index; they hold no pointers, so that a parse allocates little.
type node struct {
	op  op
	fn  uint8 // opCall: the function; opConst: how the value is stored
	col int32 // 1-based column of the operator, function name, '?', '{' or literal
	// opConst: see constVal; opVar: see varName;
	// unary: a; binary: a, b; opCond: a ? b : c;
	// opCall, opList: the arguments or items are Expr.args[a : a+b];
	// opIndex: a[b]; opIn: a in b.
	a, b, c int32
}

// How an opConst node stores its value (node.fn).
const (
	constRef  uint8 = iota // Expr.consts[a]
	constInt               // the int64 a<<32 | uint32(b)
	constBool              // a != 0
)

// Expr is a parsed expression, made by Parse, MustParse, Const or Partial (the
// zero Expr is not one). It is immutable: every method may be called from
// several goroutines at once.
type Expr struct {
	src    string
	nodes  []node
	consts []Value  // constants other than int64 integers and booleans
	names  []string // variable names by node.a, for Const and Partial results
	args   []int32  // arguments of calls
	root   int32    // the root node
	nvars  int32    // the number of variable occurrences
	canon  bool     // src is the canonical text (Const and Partial results)
	// inline holds the nodes of small expressions (most parameter values), so
	// that parsing one allocates once.
	inline [8]node
}

// constVal returns the value of the opConst node n.
func (e *Expr) constVal(n *node) Value {
	switch n.fn {
	case constInt:
		return Value{k: kindNum, n: int64(n.a)<<32 | int64(uint32(n.b))}
	case constBool:
		return Bool(n.a != 0)
	}
	return e.consts[n.a]
}

// constNode makes an opConst node for v, adding to consts when needed.
func constNode(v Value, col int32, consts *[]Value) node {
	switch {
	case v.k == kindNum && v.r == nil:
		return node{op: opConst, fn: constInt, col: col, a: int32(v.n >> 32), b: int32(uint32(v.n))}
	case v.k == kindBool:
		return node{op: opConst, fn: constBool, col: col, a: int32(v.n)}
	}
	*consts = append(*consts, v)
	return node{op: opConst, fn: constRef, col: col, a: int32(len(*consts) - 1)}
}

// varName returns the name of the opVar node n: src[b:c] in a parsed
// expression, names[a] in one built by Partial.
func (e *Expr) varName(n *node) string {
	if e.names != nil {
		return e.names[n.a]
	}
	return e.src[n.b:n.c]
}

// VarRef is one occurrence of a variable in an expression's source.
type VarRef struct {
	Name string // the name between the braces
	Col  int    // 1-based byte column of the '{'
}

// MustParse is Parse for source text known to be valid, such as tests and
// static data: it panics on error.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic("expr.MustParse(" + quote(src) + "): " + err.Error())
	}
	return e
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\""
}

// Const returns an expression whose value is v. Its Source is its canonical
// text. Const panics if v is not valid.
func Const(v Value) *Expr {
	if !v.IsValid() {
		panic("expr.Const: invalid Value")
	}
	e := &Expr{canon: true}
	e.nodes = []node{constNode(v, 1, &e.consts)}
	e.src = e.print(true)
	return e
}

// Source returns the text the expression was parsed from (for Const and Partial
// results: the canonical text).
func (e *Expr) Source() string { return e.src }

// String returns the canonical text of the expression: minimal parentheses, a
// single space around binary operators, "?" and ":", none after unary operators,
// calls as "min({a}, 4096)", constants in their canonical form (integers in
// decimal, terminating fractions as exact decimals such as 0.5, other fractions
// as "1 / 3"). Parsing the canonical text gives an expression that evaluates to
// the same value, and whose canonical text is the same (when it is within
// MaxLength: a literal such as 1e4000 is written out in full).
//
// A constant too long for a number literal (more than MaxDigits digits) is
// written "<digits>e<exponent>" when that fits the literal limits, and
// otherwise, which only computed values need, as a sum of 4000-digit chunks
// "c1 * 10 ** 4000 + c0"; either parses back to the same value.
func (e *Expr) String() string {
	if e.canon {
		return e.src
	}
	return e.print(false)
}

// Vars returns every variable occurrence, in source order.
func (e *Expr) Vars() []VarRef {
	if e.nvars == 0 {
		return nil
	}
	// Variable nodes are made in the order of the text (by the parser, and by
	// Partial, which prints in the order it builds).
	vars := make([]VarRef, 0, e.nvars)
	for i := range e.nodes {
		if n := &e.nodes[i]; n.op == opVar {
			vars = append(vars, VarRef{Name: e.varName(n), Col: int(n.col)})
		}
	}
	return vars
}

// VarNames returns the distinct variable names, sorted.
func (e *Expr) VarNames() []string {
	names := make([]string, 0, e.nvars)
	for i := range e.nodes {
		if n := &e.nodes[i]; n.op == opVar {
			names = append(names, e.varName(n))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// IsConst returns the value of the expression and true when it has no variables
// and evaluates without error.
func (e *Expr) IsConst() (Value, bool) {
	if e.nvars > 0 {
		return Value{}, false
	}
	v, err := e.Eval(nil)
	return v, err == nil
}

// TemplateOnly returns the 1-based column and a description of the first (in
// node order) construct only templates may use: a string or list (literal or
// constant), an index, "in", len, a type test (is_number …) or a host function. ok is false when there is
// none, as in every expression of a model file or catalog.
func (e *Expr) TemplateOnly() (col int, what string, ok bool) {
	best := -1
	for i := range e.nodes {
		n := &e.nodes[i]
		var w string
		switch n.op {
		case opConst:
			switch v := e.constVal(n); v.k {
			case kindString:
				w = "a string"
			case kindList:
				w = "a list"
			}
		case opList:
			w = "a list"
		case opIndex:
			w = "an index [...]"
		case opIn:
			w = `"in"`
		case opCall:
			if anyArg(n.fn) {
				w = fnNames[n.fn] + "(...)"
			}
		}
		if w != "" && (best < 0 || int(n.col) < best) {
			best, what = int(n.col), w
		}
	}
	if best < 0 {
		return 0, "", false
	}
	return best, what, true
}

// Division is one floor division or remainder of an expression — a // b, a % b, or a / b
// directly inside floor or ceil — with its operands' values in some Env. OK is false when
// either operand did not evaluate to a number there (an error, or a branch of c ? a : b
// that the Env makes impossible).
type Division struct {
	Dividend, Divisor Value
	OK                bool
}

// Divisions returns the floor divisions and remainders of the expression, in node order,
// with their operands evaluated in env. The same expression gives the same number of
// Divisions in every Env, in the same order, so two Envs can be compared entry by entry: a
// divisor that stays the same while its dividend changes with some variable is a period of
// that variable in the expression (chunked attention's {kv_len} % {chunk}).
func (e *Expr) Divisions(env Env) []Division {
	var out []Division
	add := func(n *node) {
		var work int
		d := Division{}
		x, err := e.eval(n.a, env, &work)
		if err == nil && x.k == kindNum {
			y, err := e.eval(n.b, env, &work)
			if err == nil && y.k == kindNum {
				d = Division{Dividend: x, Divisor: y, OK: true}
			}
		}
		out = append(out, d)
	}
	for i := range e.nodes {
		n := &e.nodes[i]
		switch {
		case n.op == opFloorDiv || n.op == opMod:
			add(n)
		case n.op == opCall && (n.fn == fnFloor || n.fn == fnCeil) && n.b == 1:
			if a := &e.nodes[e.args[n.a]]; a.op == opDiv {
				add(a)
			}
		}
	}
	return out
}
