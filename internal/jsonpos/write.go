package jsonpos

import (
	"bytes"
	"unicode/utf8"
)

// Marshal returns the canonical JSON text of n: two-space indentation, one member or element
// per line, members in their stored order, numbers as their literals, and a final newline.
// Marshalling the same tree twice gives the same bytes, so rewritten files diff cleanly.
func Marshal(n *Node) []byte {
	var buf bytes.Buffer
	buf.Grow(marshalSize(n, 0) + 1) // one allocation: a populated model file is 0.3 MB
	writeNode(&buf, n, 0)
	buf.WriteByte('\n')
	return buf.Bytes()
}

// MarshalCompact returns the JSON text of n without any whitespace: members in their stored
// order, numbers as their literals, strings escaped as Marshal escapes them.
func MarshalCompact(n *Node) []byte {
	var buf bytes.Buffer
	buf.Grow(compactSize(n))
	writeCompact(&buf, n)
	return buf.Bytes()
}

func writeCompact(buf *bytes.Buffer, n *Node) {
	switch n.Kind {
	case Object:
		buf.WriteByte('{')
		for i, m := range n.Members {
			if i > 0 {
				buf.WriteByte(',')
			}
			WriteString(buf, m.Key)
			buf.WriteByte(':')
			writeCompact(buf, m.Value)
		}
		buf.WriteByte('}')
	case Array:
		buf.WriteByte('[')
		for i, it := range n.Items {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeCompact(buf, it)
		}
		buf.WriteByte(']')
	case String:
		WriteString(buf, n.Text)
	default:
		buf.WriteString(n.Text)
	}
}

// WriteCompact writes n as MarshalCompact does: for writing a large document a part at a time.
func WriteCompact(buf *bytes.Buffer, n *Node) { writeCompact(buf, n) }

// WriteIndented writes n as Marshal does, as a value nested depth levels deep (its inner lines
// indented by depth+1 levels), without a final newline: for writing a large document a part at
// a time.
func WriteIndented(buf *bytes.Buffer, n *Node, depth int) { writeNode(buf, n, depth) }

// newlineIndents is a newline and the indentation of every depth up to 63.
const newlineIndents = "\n" + "                                                                " + "                                                              "

func indent(buf *bytes.Buffer, depth int) {
	if n := 1 + 2*depth; n <= len(newlineIndents) {
		buf.WriteString(newlineIndents[:n])
		return
	}
	buf.WriteByte('\n')
	for i := 0; i < depth; i++ {
		buf.WriteString("  ")
	}
}

func writeNode(buf *bytes.Buffer, n *Node, depth int) {
	switch n.Kind {
	case Object:
		if len(n.Members) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteByte('{')
		for i, m := range n.Members {
			if i > 0 {
				buf.WriteByte(',')
			}
			indent(buf, depth+1)
			WriteString(buf, m.Key)
			buf.WriteString(": ")
			writeNode(buf, m.Value, depth+1)
		}
		indent(buf, depth)
		buf.WriteByte('}')
	case Array:
		if len(n.Items) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteByte('[')
		for i, it := range n.Items {
			if i > 0 {
				buf.WriteByte(',')
			}
			indent(buf, depth+1)
			writeNode(buf, it, depth+1)
		}
		indent(buf, depth)
		buf.WriteByte(']')
	case String:
		WriteString(buf, n.Text)
	default:
		buf.WriteString(n.Text)
	}
}

// marshalSize is the length of writeNode's text of n at depth.
func marshalSize(n *Node, depth int) int {
	switch n.Kind {
	case Object:
		if len(n.Members) == 0 {
			return 2
		}
		// "{", and per member a newline, the indentation, the key, ": " and the value, a comma
		// between members, then a newline, the indentation and "}".
		size := 1 + len(n.Members)*(1+2*(depth+1)+2) + len(n.Members) - 1 + 1 + 2*depth + 1
		for _, m := range n.Members {
			size += stringSize(m.Key) + marshalSize(m.Value, depth+1)
		}
		return size
	case Array:
		if len(n.Items) == 0 {
			return 2
		}
		size := 1 + len(n.Items)*(1+2*(depth+1)) + len(n.Items) - 1 + 1 + 2*depth + 1
		for _, it := range n.Items {
			size += marshalSize(it, depth+1)
		}
		return size
	case String:
		return stringSize(n.Text)
	}
	return len(n.Text)
}

// compactSize is the length of writeCompact's text of n.
func compactSize(n *Node) int {
	switch n.Kind {
	case Object:
		size := 2 + max(len(n.Members)-1, 0) + len(n.Members) // braces, commas, colons
		for _, m := range n.Members {
			size += stringSize(m.Key) + compactSize(m.Value)
		}
		return size
	case Array:
		size := 2 + max(len(n.Items)-1, 0)
		for _, it := range n.Items {
			size += compactSize(it)
		}
		return size
	case String:
		return stringSize(n.Text)
	}
	return len(n.Text)
}

// stringSize is the length of WriteString's literal of s.
func stringSize(s string) int {
	size := 2
	for i := 0; ; {
		j, esc := nextEscape(s, i)
		size += j - i
		if j == len(s) {
			return size
		}
		size += len(esc)
		i = j + 1
	}
}

// WriteString writes s as a JSON string literal, escaping only what JSON requires (quotes,
// backslashes, control characters) and invalid UTF-8 (as U+FFFD).
func WriteString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for i := 0; ; {
		j, esc := nextEscape(s, i)
		buf.WriteString(s[i:j])
		if j == len(s) {
			break
		}
		buf.WriteString(esc)
		i = j + 1
	}
	buf.WriteByte('"')
}

// byteEscapes are the escapes of the ASCII bytes a JSON string cannot hold as they are: the
// control characters (the short forms where JSON has them), the quote and the backslash.
var byteEscapes = func() (t [utf8.RuneSelf]string) {
	const hexDigits = "0123456789abcdef"
	for c := range 0x20 {
		t[c] = `\u00` + string(hexDigits[c>>4]) + string(hexDigits[c&0xf])
	}
	t['\n'], t['\r'], t['\t'], t['\b'], t['\f'] = `\n`, `\r`, `\t`, `\b`, `\f`
	t['"'], t['\\'] = `\"`, `\\`
	return t
}()

// nextEscape is the one rule of WriteString and stringSize: j is the index of the first byte
// of s at or after i that cannot stand in a JSON string as it is (len(s) if none), and esc
// what replaces that one byte — its escape, or \ufffd for a byte of invalid UTF-8.
func nextEscape(s string, i int) (j int, esc string) {
	for j = i; j < len(s); {
		c := s[j]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			j++
			continue
		}
		if c < utf8.RuneSelf {
			return j, byteEscapes[c]
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		if r == utf8.RuneError && size == 1 {
			return j, `\ufffd`
		}
		j += size
	}
	return len(s), ""
}
