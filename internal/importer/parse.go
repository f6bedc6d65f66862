// Package importer turns the text print(model) shows for a HuggingFace model into a model
// file: composite modules become composite layers with their full class paths, ModuleList
// ranges become repeats, basic modules get the parameters their repr shows, and the
// functional layers a repr cannot show (the attention core, rotary application, act·up,
// residual adds, MoE routing) are inserted for the module patterns whose forward is known
// (patterns.go documents them).
package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/diag"
)

// Module is one module of a printed tree.
type Module struct {
	// Name is the attribute name ("q_proj"); for a ModuleList entry, its index or range
	// ("0", "0-31"); "" for the root.
	Name string
	// Class is the class name as printed ("LlamaAttention").
	Class string
	// Args is what the module's extra_repr printed ("in_features=4096, out_features=4096,
	// bias=False"); lines of a multi-line extra_repr are joined with ", ".
	Args string
	// Children are the child modules in printed (construction) order.
	Children []*Module
	// Lo and Hi are a ModuleList entry's index range (Lo == Hi for one entry); Entry is set
	// for entries.
	Lo, Hi int64
	Entry  bool
	// Line and Col locate the module in the text (1-based; Col in bytes).
	Line, Col int
}

// Count is the number of modules an entry stands for (1 for a plain module).
func (m *Module) Count() int64 {
	if !m.Entry {
		return 1
	}
	return m.Hi - m.Lo + 1
}

// IsList reports whether the module is a container of indexed entries (ModuleList,
// Sequential).
func (m *Module) IsList() bool {
	return len(m.Children) > 0 && m.Children[0].Entry
}

// Leaf reports whether the module printed no children.
func (m *Module) Leaf() bool { return len(m.Children) == 0 }

// ParseError is a tree that cannot be read, at a line of the text.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// MaxDepth bounds the nesting of a tree: a real model is about a dozen levels deep.
const MaxDepth = 200

// treePatterns are the patterns of print(model) lines, compiled on first use (not at every
// start of the program).
type treePatterns struct {
	// opener finds the first module of the text: a class name and an open parenthesis ending a
	// line ("LlamaForCausalLM(", also after a notebook's "Out[3]: "), or a whole one-line module.
	opener, childLine, counted, rng *regexp.Regexp
}

var patterns = sync.OnceValue(func() *treePatterns {
	return &treePatterns{
		opener:    regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.]*)\((.*)$`),
		childLine: regexp.MustCompile(`^\(([^()]*)\): (.*)$`),
		counted:   regexp.MustCompile(`^([0-9]+) x (.*)$`),
		rng:       regexp.MustCompile(`^([0-9]+)(?:-([0-9]+))?$`),
	}
})

type parser struct {
	lines []string
	i     int
}

// Parse reads the text print(model) printed. Text before the first module (a prompt, a
// notebook's "Out[3]:") and after the root's closing parenthesis is ignored; CRLF line ends,
// tabs and trailing spaces are tolerated.
func Parse(text string) (*Module, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	p := &parser{lines: strings.Split(text, "\n")}
	for p.i < len(p.lines) {
		line := strings.TrimRight(p.lines[p.i], " \t")
		if loc := patterns().opener.FindStringSubmatchIndex(line); loc != nil && startsModule(line, loc) {
			p.i++
			return p.module("", line[loc[0]:], p.i, loc[0]+1, 0)
		}
		p.i++
	}
	return nil, &ParseError{Line: 1, Col: 1, Msg: "no module found: print(model) output begins with a class name and an open parenthesis, such as LlamaForCausalLM("}
}

// startsModule tells a module's first line from prose that happens to contain a parenthesis:
// the class name must be the first word, or follow a notebook's "Out[N]:" or a prompt.
func startsModule(line string, loc []int) bool {
	before := strings.TrimSpace(line[:loc[0]])
	rest := line[loc[4]:loc[5]]
	if c := line[loc[2]]; c < 'A' || c > 'Z' {
		return false // module classes are capitalised; print(model) is not one
	}
	if rest != "" && !strings.HasSuffix(rest, ")") {
		return false
	}
	return before == "" || strings.HasSuffix(before, ":") || before == ">>>" || before == "$"
}

// module parses a module whose printed text (from its class name on) is s, found on line (1-based)
// at col; the lines after it are p.lines[p.i:].
func (p *parser) module(name, s string, line, col, depth int) (*Module, error) {
	if depth > MaxDepth {
		return nil, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("modules nested deeper than %d levels", MaxDepth)}
	}
	m := &Module{Name: name, Line: line, Col: col}
	open := strings.IndexByte(s, '(')
	if open <= 0 {
		return nil, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("expected a module such as Linear(...), got %s", diag.Quote(s))}
	}
	m.Class = s[:open]
	if !validClass(m.Class) {
		return nil, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("%q is not a class name", diag.Quote(m.Class))}
	}
	rest := s[open+1:]
	if rest != "" {
		// One line: Class(args).
		end := matchingParen(rest)
		if end < 0 {
			return nil, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("%s( is not closed on its line", diag.Clip(m.Class))}
		}
		if strings.TrimSpace(rest[end+1:]) != "" {
			return nil, &ParseError{Line: line, Col: col + open + 2 + end, Msg: fmt.Sprintf("unexpected %s after %s(…)", diag.Quote(rest[end+1:]), diag.Clip(m.Class))}
		}
		m.Args = strings.TrimSpace(rest[:end])
		return m, nil
	}
	// A block: extra_repr lines and "(name): child" lines, then ")".
	var args []string
	for p.i < len(p.lines) {
		raw := p.lines[p.i]
		ln := p.i + 1
		p.i++
		t := strings.TrimSpace(raw)
		c := len(raw) - len(strings.TrimLeft(raw, " \t")) + 1
		switch {
		case t == "":
			continue
		case t == ")":
			m.Args = strings.Join(args, ", ")
			return m, p.checkEntries(m)
		}
		sub := patterns().childLine.FindStringSubmatch(t)
		if sub == nil {
			if len(m.Children) > 0 {
				return nil, &ParseError{Line: ln, Col: c, Msg: fmt.Sprintf("expected a child module \"(name): Class(…)\" or the %s's closing parenthesis, got %q", diag.Clip(m.Class), diag.Quote(t))}
			}
			args = append(args, t)
			continue
		}
		cname, body := sub[1], sub[2]
		child := &Module{}
		if r := patterns().rng.FindStringSubmatch(cname); r != nil {
			lo, err1 := strconv.ParseInt(r[1], 10, 64)
			hi := lo
			var err2 error
			if r[2] != "" {
				hi, err2 = strconv.ParseInt(r[2], 10, 64)
			}
			if err1 != nil || err2 != nil || hi < lo {
				return nil, &ParseError{Line: ln, Col: c, Msg: fmt.Sprintf("bad index range (%s)", diag.Clip(cname))}
			}
			count := int64(1)
			if cm := patterns().counted.FindStringSubmatch(body); cm != nil {
				n, err := strconv.ParseInt(cm[1], 10, 64)
				if err != nil {
					return nil, &ParseError{Line: ln, Col: c, Msg: fmt.Sprintf("bad count %q", cm[1])}
				}
				count, body = n, cm[2]
			}
			if count != hi-lo+1 {
				return nil, &ParseError{Line: ln, Col: c, Msg: fmt.Sprintf("(%s) is %d entries, not %d", diag.Clip(cname), hi-lo+1, count)}
			}
			child.Entry, child.Lo, child.Hi = true, lo, hi
		}
		bodyCol := c + len(t) - len(body)
		parsed, err := p.module(cname, body, ln, bodyCol, depth+1)
		if err != nil {
			return nil, err
		}
		parsed.Entry, parsed.Lo, parsed.Hi = child.Entry, child.Lo, child.Hi
		m.Children = append(m.Children, parsed)
	}
	return nil, &ParseError{Line: line, Col: col, Msg: fmt.Sprintf("the text ends before %s( on this line is closed: the output was cut off", diag.Clip(m.Class))}
}

// checkEntries requires a list's entries to be all indexed and to count up from 0 without a gap.
func (p *parser) checkEntries(m *Module) error {
	if len(m.Children) == 0 || !m.Children[0].Entry {
		for _, c := range m.Children {
			if c.Entry {
				return &ParseError{Line: c.Line, Col: c.Col, Msg: fmt.Sprintf("indexed entry (%s) among named children of %s", diag.Clip(c.Name), diag.Clip(m.Class))}
			}
		}
		return nil
	}
	next := int64(0)
	for _, c := range m.Children {
		if !c.Entry {
			return &ParseError{Line: c.Line, Col: c.Col, Msg: fmt.Sprintf("named child (%s) among the entries of %s", diag.Clip(c.Name), diag.Clip(m.Class))}
		}
		if c.Lo != next {
			return &ParseError{Line: c.Line, Col: c.Col, Msg: fmt.Sprintf("entry (%s) of %s: expected index %d next", diag.Clip(c.Name), diag.Clip(m.Class), next)}
		}
		next = c.Hi + 1
	}
	return nil
}

func validClass(s string) bool {
	for i, r := range s {
		ok := r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return s != ""
}

// matchingParen returns the index in s of the parenthesis closing the one just before s, or
// -1. Quoted strings are skipped.
func matchingParen(s string) int {
	at := -1
	scanBrackets(s, 1, func(i int, c byte, depth int) bool {
		if depth == 0 {
			at = i
			return true
		}
		return false
	})
	return at
}
