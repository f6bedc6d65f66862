package expr

import "strings"

// String literals: 'text' in single quotes. Inside, \' is a quote and \\ a
// backslash; every other byte (newlines and any UTF-8 included) stands for
// itself, and a backslash before anything else is an error, so that every
// string has exactly one canonical literal.

// quoteString returns the canonical literal of s.
func quoteString(s string) string {
	if !strings.ContainsAny(s, `'\`) {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\'' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// scanString reads the literal that starts with the quote at s[i]. It returns
// the offset after the closing quote and the string, or the offset and message
// of the fault.
func scanString(s string, i int) (end int, text string, errAt int, msg string) {
	var b []byte // only when the literal has escapes
	start := i + 1
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '\'':
			if b == nil {
				return j + 1, s[start:j], 0, ""
			}
			return j + 1, string(b), 0, ""
		case '\\':
			if j+1 >= len(s) || (s[j+1] != '\'' && s[j+1] != '\\') {
				return 0, "", j, `a backslash in a string is written \\ (and a quote \'); nothing else is escaped`
			}
			if b == nil {
				b = append(make([]byte, 0, len(s)-start), s[start:j]...)
			}
			b = append(b, s[j+1])
			j++
		default:
			if b != nil {
				b = append(b, s[j])
			}
		}
	}
	return 0, "", i, "unterminated string: missing the closing '"
}
