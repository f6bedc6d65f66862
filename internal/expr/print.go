package expr

import "strconv"

// Canonical printing. Parentheses appear only where precedence and
// associativity need them, so that parsing the text gives back the same tree.

// print returns the canonical text. With setCols it also records every node's
// column in that text (for expressions built by Const and Partial, whose source
// is their canonical text).
func (e *Expr) print(setCols bool) string {
	pr := printer{e: e, set: setCols, buf: make([]byte, 0, 2*len(e.src)+16)}
	pr.node(e.root)
	return string(pr.buf)
}

type printer struct {
	e     *Expr
	set   bool
	buf   []byte
	texts []constForm // by index in e.consts, computed once each
}

type constForm struct {
	s    string
	prec int
}

// constText returns the text and precedence of the opConst node n.
func (pr *printer) constText(n *node) (string, int) {
	if n.fn != constRef {
		return constText(pr.e.constVal(n))
	}
	if pr.texts == nil {
		pr.texts = make([]constForm, len(pr.e.consts))
	}
	f := &pr.texts[n.a]
	if f.s == "" {
		f.s, f.prec = constText(pr.e.consts[n.a])
	}
	return f.s, f.prec
}

// prec is the precedence level of node i as printed.
func (pr *printer) prec(i int32) int {
	n := &pr.e.nodes[i]
	if n.op != opConst {
		return opPrec[n.op]
	}
	switch {
	case n.fn == constBool, n.fn == constInt && n.a >= 0:
		return precAtom
	case n.fn == constInt:
		return precUnary
	}
	_, p := pr.constText(n)
	return p
}

// sub prints node i, in parentheses when paren is true.
func (pr *printer) sub(i int32, paren bool) {
	if paren {
		pr.buf = append(pr.buf, '(')
		pr.node(i)
		pr.buf = append(pr.buf, ')')
		return
	}
	pr.node(i)
}

func (pr *printer) mark(i int32) {
	if pr.set {
		pr.e.nodes[i].col = int32(len(pr.buf) + 1)
	}
}

func (pr *printer) node(i int32) {
	e := pr.e
	n := &e.nodes[i]
	switch n.op {
	case opConst:
		pr.mark(i)
		if n.fn == constInt {
			pr.buf = strconv.AppendInt(pr.buf, e.constVal(n).n, 10)
			return
		}
		s, _ := pr.constText(n)
		pr.buf = append(pr.buf, s...)
	case opVar:
		pr.mark(i)
		pr.buf = append(pr.buf, '{')
		pr.buf = append(pr.buf, e.varName(n)...)
		pr.buf = append(pr.buf, '}')
	case opNeg, opPos, opNot:
		pr.mark(i)
		pr.buf = append(pr.buf, opText[n.op]...)
		pr.sub(n.a, pr.prec(n.a) < precUnary)
	case opPow:
		pr.sub(n.a, pr.prec(n.a) <= precPow)
		pr.buf = append(pr.buf, ' ')
		pr.mark(i)
		pr.buf = append(pr.buf, "** "...)
		pr.sub(n.b, pr.prec(n.b) < precUnary)
	case opCond:
		pr.sub(n.a, pr.prec(n.a) <= precCond)
		pr.buf = append(pr.buf, ' ')
		pr.mark(i)
		pr.buf = append(pr.buf, "? "...)
		pr.node(n.b)
		pr.buf = append(pr.buf, " : "...)
		pr.node(n.c)
	case opIndex:
		pr.sub(n.a, pr.prec(n.a) < precAtom)
		pr.mark(i)
		pr.buf = append(pr.buf, '[')
		pr.node(n.b)
		pr.buf = append(pr.buf, ']')
	case opList:
		pr.mark(i)
		pr.buf = append(pr.buf, '[')
		for k, a := range e.args[n.a : n.a+n.b] {
			if k > 0 {
				pr.buf = append(pr.buf, ", "...)
			}
			pr.node(a)
		}
		pr.buf = append(pr.buf, ']')
	case opCall:
		pr.mark(i)
		pr.buf = append(pr.buf, fnNames[n.fn]...)
		pr.buf = append(pr.buf, '(')
		for k, a := range e.args[n.a : n.a+n.b] {
			if k > 0 {
				pr.buf = append(pr.buf, ", "...)
			}
			pr.node(a)
		}
		pr.buf = append(pr.buf, ')')
	default: // left-associative binary operators; comparisons do not chain
		p := opPrec[n.op]
		if p == precCmp {
			pr.sub(n.a, pr.prec(n.a) <= p)
		} else {
			pr.sub(n.a, pr.prec(n.a) < p)
		}
		pr.buf = append(pr.buf, ' ')
		pr.mark(i)
		pr.buf = append(pr.buf, opText[n.op]...)
		pr.buf = append(pr.buf, ' ')
		pr.sub(n.b, pr.prec(n.b) <= p)
	}
}
