package importer

import (
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/expr"
)

// args is a parsed extra_repr: positional values and keyword values, as printed.
type args struct {
	pos []string
	kw  map[string]string
}

// parseArgs splits an extra_repr at its top-level commas ("(2048,), eps=1e-05,
// elementwise_affine=True" → pos ["(2048,)"], kw eps, elementwise_affine).
func parseArgs(s string) args {
	a := args{kw: map[string]string{}}
	emit := func(part string) {
		part = strings.TrimSpace(part)
		if part == "" {
			return
		}
		if i := strings.IndexByte(part, '='); i > 0 && expr.IsName(part[:i]) {
			a.kw[part[:i]] = strings.TrimSpace(part[i+1:])
			return
		}
		a.pos = append(a.pos, part)
	}
	start := 0
	scanBrackets(s, 0, func(i int, c byte, depth int) bool {
		if c == ',' && depth == 0 {
			emit(s[start:i])
			start = i + 1
		}
		return false
	})
	emit(s[start:])
	return a
}

// scanBrackets walks s from the bracket depth given, skipping quoted strings (with their
// backslash escapes), and calls visit with every other byte and the depth of (), [] and {}
// after it; it stops when visit returns true. The one bracket rule of the parser and of
// parseArgs.
func scanBrackets(s string, depth int, visit func(i int, c byte, depth int) (stop bool)) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		}
		if visit(i, c, depth) {
			return
		}
	}
}

// intOf reads a printed integer; a one-element tuple "(2048,)" counts as its element.
func intOf(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		inner := strings.TrimSuffix(strings.TrimSpace(s[1:len(s)-1]), ",")
		if strings.Contains(inner, ",") {
			return 0, false
		}
		s = strings.TrimSpace(inner)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// tupleOf reads a printed tuple of integers "(4, 2)"; a single integer is a tuple of one.
func tupleOf(s string) ([]int64, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "(") {
		n, ok := intOf(s)
		return []int64{n}, ok
	}
	var out []int64
	for _, part := range strings.Split(strings.Trim(s, "()"), ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		n, ok := intOf(part)
		if !ok {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

// boolOf reads True or False.
func boolOf(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "True":
		return true, true
	case "False":
		return false, true
	}
	return false, false
}
