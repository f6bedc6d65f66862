package expr

import "strconv"

// The lexer and a precedence-climbing parser. Both work on bytes; identifiers
// and literals are ASCII. No regular expressions, no fmt on the success path.

type tok uint8

const (
	tEOF tok = iota
	tNum
	tVar
	tIdent
	tLParen
	tRParen
	tComma
	tQuest
	tColon
	tString
	tLBracket
	tRBracket
	tNot
	// binary operators (tPlus and tMinus are also unary)
	tPlus
	tMinus
	tStar
	tSlash
	tSlashSlash
	tPercent
	tStarStar
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tAnd
	tOr
	tIn
)

// binary operator tokens: their operation and precedence (0: not binary; "**"
// is handled apart).
var tokOp = [...]op{tPlus: opAdd, tMinus: opSub, tStar: opMul, tSlash: opDiv, tSlashSlash: opFloorDiv,
	tPercent: opMod, tEq: opEq, tNe: opNe, tLt: opLt, tLe: opLe, tGt: opGt, tGe: opGe, tAnd: opAnd, tOr: opOr, tIn: opIn}

var tokPrec = [...]int{tPlus: precAdd, tMinus: precAdd, tStar: precMul, tSlash: precMul, tSlashSlash: precMul,
	tPercent: precMul, tEq: precCmp, tNe: precCmp, tLt: precCmp, tLe: precCmp, tGt: precCmp, tGe: precCmp,
	tAnd: precAnd, tOr: precOr, tIn: precCmp}

type parser struct {
	src string
	pos int // offset of the next byte to read

	tk   tok
	tpos int    // offset of the current token
	tval Value  // tNum
	name string // tVar, tIdent, tString (the string's text)

	depth int
	err   *Error
	e     *Expr
}

// Parse parses an expression. Errors are *Error, with Col the 1-based byte
// column of the problem, wrapping ErrSyntax (or ErrTooLarge for the limits).
func Parse(src string) (*Expr, error) {
	if len(src) > MaxLength {
		return nil, &Error{Col: MaxLength + 1, Err: ErrTooLarge,
			Msg: "expression is too long: " + strconv.Itoa(len(src)) + " bytes (the limit is " + strconv.Itoa(MaxLength) + ")"}
	}
	e := &Expr{src: src}
	// Size the arrays from a cheap upper-bound estimate so they are allocated once.
	nvars, nnums, nops := 0, 0, 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '{':
			nvars++
			for i+1 < len(src) && src[i+1] != '}' {
				i++
			}
		case isDigit(c):
			nnums++
			for i+1 < len(src) && (isIdentChar(src[i+1]) || src[i+1] == '.') {
				i++
			}
		case isIdentStart(c):
			nops++ // true, false or a function
			for i+1 < len(src) && isIdentChar(src[i+1]) {
				i++
			}
		case c > ' ' && c != ')' && c != '}' && c != '(' && c != ',':
			nops++
		}
	}
	if n := nvars + nnums + nops; n <= len(e.inline) {
		e.nodes = e.inline[:0:n]
	} else {
		e.nodes = make([]node, 0, n)
	}
	p := parser{src: src, e: e}
	p.next()
	if p.err != nil {
		return nil, p.err
	}
	if p.tk == tEOF {
		return nil, syntaxErr(0, "empty expression")
	}
	root := p.parseCond()
	if p.err == nil && p.tk != tEOF {
		if p.tk == tRParen {
			p.fail(p.tpos, `unmatched ")"`)
		} else {
			p.fail(p.tpos, "expected an operator, found "+p.describe())
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	e.root = root
	return e, nil
}

func (p *parser) fail(off int, msg string) {
	if p.err == nil {
		p.err = syntaxErr(off, msg)
	}
}

// enter opens a nesting level at offset off.
func (p *parser) enter(off int) bool {
	p.depth++
	if p.depth > MaxDepth {
		if p.err == nil {
			p.err = &Error{Col: off + 1, Err: ErrTooLarge,
				Msg: "expression is nested too deeply (the limit is " + strconv.Itoa(MaxDepth) + " levels)"}
		}
		return false
	}
	return true
}

func (p *parser) add(n node) int32 {
	p.e.nodes = append(p.e.nodes, n)
	return int32(len(p.e.nodes) - 1)
}

// describe names the current token for a message.
func (p *parser) describe() string {
	switch p.tk {
	case tEOF:
		return "the end of the expression"
	case tNum:
		return "number " + p.src[p.tpos:p.pos]
	case tVar:
		return "variable " + p.src[p.tpos:p.pos]
	case tIdent:
		return "name " + p.name
	case tString:
		if p.pos-p.tpos > 40 {
			return "a string"
		}
		return "the string " + p.src[p.tpos:p.pos]
	}
	return strconv.Quote(p.src[p.tpos:p.pos])
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
func isSpace(c byte) bool      { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next reads the next token.
func (p *parser) next() {
	s := p.src
	i := p.pos
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	p.tpos = i
	p.tk = tEOF // also what an error leaves behind, so that parsing stops
	if i >= len(s) {
		p.pos = i
		return
	}
	c := s[i]
	switch {
	case isDigit(c):
		end, v, err := scanNumber(s, i)
		if err != nil {
			if p.err == nil {
				p.err = err
			}
			return
		}
		if end < len(s) && (isIdentChar(s[end]) || s[end] == '.') {
			p.fail(end, "unexpected "+quoteChar(s, end)+" after the number "+s[i:end])
			return
		}
		p.tk, p.tval, p.pos = tNum, v, end
		return
	case c == '{':
		p.lexVar(i)
		return
	case isIdentStart(c):
		j := i + 1
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		p.tk, p.name, p.pos = tIdent, s[i:j], j
		if p.name == "in" {
			p.tk = tIn
		}
		return
	case c == '\'':
		end, text, at, msg := scanString(s, i)
		if msg != "" {
			p.fail(at, msg)
			return
		}
		p.tk, p.name, p.pos = tString, text, end
		return
	}
	two := byte(0)
	if i+1 < len(s) {
		two = s[i+1]
	}
	t, n := tEOF, 1
	switch c {
	case '(':
		t = tLParen
	case ')':
		t = tRParen
	case '[':
		t = tLBracket
	case ']':
		t = tRBracket
	case ',':
		t = tComma
	case '?':
		t = tQuest
	case ':':
		t = tColon
	case '+':
		t = tPlus
	case '-':
		t = tMinus
	case '%':
		t = tPercent
	case '*':
		t = tStar
		if two == '*' {
			t, n = tStarStar, 2
		}
	case '/':
		t = tSlash
		if two == '/' {
			t, n = tSlashSlash, 2
		}
	case '<':
		t = tLt
		if two == '=' {
			t, n = tLe, 2
		}
	case '>':
		t = tGt
		if two == '=' {
			t, n = tGe, 2
		}
	case '!':
		t = tNot
		if two == '=' {
			t, n = tNe, 2
		}
	case '=':
		if two != '=' {
			p.fail(i, `unexpected "=" (write "==" to compare)`)
			return
		}
		t, n = tEq, 2
	case '&':
		if two != '&' {
			p.fail(i, `unexpected "&" (write "&&" for "and")`)
			return
		}
		t, n = tAnd, 2
	case '|':
		if two != '|' {
			p.fail(i, `unexpected "|" (write "||" for "or")`)
			return
		}
		t, n = tOr, 2
	case '.':
		if isDigit(two) {
			p.fail(i, "a number must start with a digit (write 0"+s[i:i+2]+"…)")
			return
		}
		p.fail(i, `unexpected "."`)
		return
	default:
		p.fail(i, "unexpected character "+quoteChar(s, i))
		return
	}
	p.tk, p.pos = t, i+n
}

// lexVar reads "{name}" at offset i.
func (p *parser) lexVar(i int) {
	s := p.src
	j := i + 1
	if j < len(s) && isIdentStart(s[j]) {
		k := j + 1
		for k < len(s) && isIdentChar(s[k]) {
			k++
		}
		if k < len(s) && s[k] == '}' {
			p.tk, p.name, p.pos = tVar, s[j:k], k+1
			return
		}
		if k >= len(s) {
			p.fail(i, `unterminated variable: missing "}" after `+s[i:k])
		} else {
			p.fail(k, "unexpected "+quoteChar(s, k)+" in variable "+s[i:k]+"…}: a name has only letters, digits and \"_\"")
		}
		return
	}
	switch {
	case j >= len(s):
		p.fail(i, `unterminated variable: "{" at the end`)
	case s[j] == '}':
		p.fail(i, "empty variable name {}")
	case isSpace(s[j]):
		// Suggest the spelling without the spaces when there is one.
		k := j
		for k < len(s) && isSpace(s[k]) {
			k++
		}
		l := k
		for l < len(s) && isIdentChar(s[l]) {
			l++
		}
		m := l
		for m < len(s) && isSpace(s[m]) {
			m++
		}
		if l > k && isIdentStart(s[k]) && m < len(s) && s[m] == '}' {
			p.fail(j, "no spaces allowed inside {…}: write {"+s[k:l]+"}")
		} else {
			p.fail(j, "no spaces allowed inside {…}")
		}
	case isDigit(s[j]):
		p.fail(j, `a variable name must start with a letter or "_"`)
	default:
		p.fail(j, "unexpected "+quoteChar(s, j)+` after "{": expected a variable name`)
	}
}

// parseCond parses level 1: c ? a : b (right-associative).
func (p *parser) parseCond() int32 {
	c := p.parseBin(precOr)
	if p.err != nil || p.tk != tQuest {
		return c
	}
	q := p.tpos
	if !p.enter(q) {
		return -1
	}
	p.next()
	a := p.parseCond()
	if p.err != nil {
		return -1
	}
	if p.tk != tColon {
		p.fail(p.tpos, `expected ":" for the "?" at col `+strconv.Itoa(q+1)+", found "+p.describe())
		return -1
	}
	p.next()
	b := p.parseCond()
	if p.err != nil {
		return -1
	}
	p.depth--
	return p.add(node{op: opCond, col: int32(q + 1), a: c, b: a, c: b})
}

// parseBin parses the left-associative levels min..6 by precedence climbing.
func (p *parser) parseBin(min int) int32 {
	lhs := p.parseUnary()
	for p.err == nil {
		if int(p.tk) >= len(tokPrec) {
			break
		}
		prec := tokPrec[p.tk]
		if prec == 0 || prec < min {
			break
		}
		o, at := tokOp[p.tk], p.tpos
		p.next()
		rhs := p.parseBin(prec + 1)
		if p.err != nil {
			return -1
		}
		lhs = p.add(node{op: o, col: int32(at + 1), a: lhs, b: rhs})
		if prec == precCmp && int(p.tk) < len(tokPrec) && tokPrec[p.tk] == precCmp {
			p.fail(p.tpos, "comparisons cannot be chained: write (a < b) && (b < c), or use parentheses")
			return -1
		}
	}
	if p.err != nil {
		return -1
	}
	return lhs
}

// parseUnary parses level 7: - + ! applied to a unary or power expression.
func (p *parser) parseUnary() int32 {
	var o op
	switch p.tk {
	case tMinus:
		o = opNeg
	case tPlus:
		o = opPos
	case tNot:
		o = opNot
	default:
		return p.parsePow()
	}
	at := p.tpos
	if !p.enter(at) {
		return -1
	}
	p.next()
	x := p.parseUnary()
	if p.err != nil {
		return -1
	}
	p.depth--
	return p.add(node{op: o, col: int32(at + 1), a: x})
}

// parsePow parses level 8: primary ** unary (right-associative; the exponent
// may carry a sign: 2 ** -1).
func (p *parser) parsePow() int32 {
	base := p.parsePrimary()
	if p.err != nil || p.tk != tStarStar {
		return base
	}
	at := p.tpos
	if !p.enter(at) {
		return -1
	}
	p.next()
	exp := p.parseUnary()
	if p.err != nil {
		return -1
	}
	p.depth--
	return p.add(node{op: opPow, col: int32(at + 1), a: base, b: exp})
}

// parsePrimary parses level 9: an atom followed by any number of indexes
// (x[i][j]).
func (p *parser) parsePrimary() int32 {
	x := p.parseAtom()
	for p.err == nil && p.tk == tLBracket {
		at := p.tpos
		if !p.enter(at) {
			return -1
		}
		p.next()
		i := p.parseCond()
		if p.err != nil {
			return -1
		}
		if p.tk != tRBracket {
			if p.tk == tEOF {
				p.fail(at, `unclosed "["`)
			} else {
				p.fail(p.tpos, `expected "]" for the "[" at col `+strconv.Itoa(at+1)+", found "+p.describe())
			}
			return -1
		}
		p.depth--
		p.next()
		x = p.add(node{op: opIndex, col: int32(at + 1), a: x, b: i})
	}
	if p.err != nil {
		return -1
	}
	return x
}

// parseAtom parses literals, variables, parentheses, lists and calls.
func (p *parser) parseAtom() int32 {
	at := p.tpos
	switch p.tk {
	case tString:
		n := p.add(constNode(String(p.name), int32(at+1), &p.e.consts))
		p.next()
		return n
	case tLBracket:
		return p.parseList()
	case tNum:
		n := p.add(constNode(p.tval, int32(at+1), &p.e.consts))
		p.next()
		return n
	case tVar:
		p.e.nvars++
		n := p.add(node{op: opVar, col: int32(at + 1), b: int32(at + 1), c: int32(p.pos - 1)})
		p.next()
		return n
	case tLParen:
		if !p.enter(at) {
			return -1
		}
		p.next()
		x := p.parseCond()
		if p.err != nil {
			return -1
		}
		if p.tk != tRParen {
			if p.tk == tEOF {
				p.fail(at, `unclosed "("`)
			} else {
				p.fail(p.tpos, `expected ")" for the "(" at col `+strconv.Itoa(at+1)+", found "+p.describe())
			}
			return -1
		}
		p.depth--
		p.next()
		return x
	case tIdent:
		return p.parseIdent()
	case tEOF:
		p.fail(at, "unexpected end of expression: expected a number, a {variable}, \"(\" or a function call")
		return -1
	}
	p.fail(at, "expected a number, a {variable}, \"(\" or a function call, found "+p.describe())
	return -1
}

// parseList parses a list literal [a, b, …] (empty: []).
func (p *parser) parseList() int32 {
	at := p.tpos
	if !p.enter(at) {
		return -1
	}
	p.next()
	var buf [8]int32
	items := buf[:0]
	for p.tk != tRBracket {
		x := p.parseCond()
		if p.err != nil {
			return -1
		}
		items = append(items, x)
		if p.tk == tComma {
			p.next()
			if p.tk == tRBracket {
				p.fail(p.tpos, `expected an item after ",", found "]"`)
				return -1
			}
			continue
		}
		if p.tk == tRBracket {
			break
		}
		if p.tk == tEOF {
			p.fail(at, `unclosed "["`)
		} else {
			p.fail(p.tpos, `expected "," or "]" in the list at col `+strconv.Itoa(at+1)+", found "+p.describe())
		}
		return -1
	}
	if p.err != nil {
		return -1
	}
	p.depth--
	p.next()
	start := len(p.e.args)
	p.e.args = append(p.e.args, items...)
	return p.add(node{op: opList, col: int32(at + 1), a: int32(start), b: int32(len(items))})
}

func (p *parser) parseIdent() int32 {
	at, name := p.tpos, p.name
	switch name {
	case "true", "false":
		n := p.add(constNode(Bool(name == "true"), int32(at+1), nil))
		p.next()
		return n
	}
	fn := lookupFunc(name)
	p.next()
	if p.err != nil {
		return -1
	}
	if p.tk != tLParen {
		if fn >= 0 {
			p.fail(at, name+" is a function: write "+name+"(…)")
		} else {
			p.fail(at, "unknown name "+name+": write {"+name+"} for a variable")
		}
		return -1
	}
	if fn < 0 {
		p.fail(at, "unknown function "+name+" (the functions are "+knownFuncs+")")
		return -1
	}
	if !p.enter(at) {
		return -1
	}
	p.next()
	var buf [8]int32
	args := buf[:0]
	if p.tk == tRParen {
		p.fail(at, name+" needs at least one argument")
		return -1
	}
	for {
		a := p.parseCond()
		if p.err != nil {
			return -1
		}
		args = append(args, a)
		if p.tk == tComma {
			p.next()
			continue
		}
		if p.tk == tRParen {
			break
		}
		if p.tk == tEOF {
			p.fail(at, "unclosed \"(\" of "+name+"(…)")
		} else {
			p.fail(p.tpos, `expected "," or ")" in the call of `+name+", found "+p.describe())
		}
		return -1
	}
	if oneArg(uint8(fn)) && len(args) != 1 {
		p.fail(at, name+" takes exactly one argument, not "+strconv.Itoa(len(args)))
		return -1
	}
	p.depth--
	p.next()
	start := len(p.e.args)
	p.e.args = append(p.e.args, args...)
	return p.add(node{op: opCall, fn: uint8(fn), col: int32(at + 1), a: int32(start), b: int32(len(args))})
}
