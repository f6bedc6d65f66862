package importer

import (
	"strconv"
	"strings"
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
	depth := 0
	var quote byte
	start := 0
	emit := func(part string) {
		part = strings.TrimSpace(part)
		if part == "" {
			return
		}
		if i := strings.IndexByte(part, '='); i > 0 && isIdent(part[:i]) {
			a.kw[part[:i]] = strings.TrimSpace(part[i+1:])
			return
		}
		a.pos = append(a.pos, part)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			emit(s[start:i])
			start = i + 1
		}
	}
	emit(s[start:])
	return a
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
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
