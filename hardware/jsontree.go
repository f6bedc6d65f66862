package hardware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// This file reads a JSON document into a small tree that keeps the byte
// offset of every value, keeps object members in order, reports duplicate
// keys, and keeps number literals as written (so they can be read exactly
// with big.Rat, never through float64).

type jkind int

const (
	jObject jkind = iota
	jArray
	jString
	jNumber
	jBool
	jNull
)

// String names a JSON kind the way error messages speak of it.
func (k jkind) String() string {
	switch k {
	case jObject:
		return "object"
	case jArray:
		return "array"
	case jString:
		return "string"
	case jNumber:
		return "number"
	case jBool:
		return "boolean"
	default:
		return "null"
	}
}

type jmember struct {
	key    string
	keyOff int64
	val    *jvalue
}

type jvalue struct {
	kind    jkind
	off     int64 // offset of the value's first byte
	members []jmember
	elems   []*jvalue
	str     string // jString
	num     string // jNumber: the literal exactly as written
	b       bool
}

// maxDepth bounds nesting; a hardware file is at most four levels deep.
const maxDepth = 32

// posError is an error at a byte offset of a named input.
type posError struct {
	file      string
	line, col int
	msg       string
}

func (e *posError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, e.msg)
}

// lineCol converts a byte offset into a 1-based line and byte column.
func lineCol(data []byte, off int64) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

type jparser struct {
	file string
	data []byte
	dec  *json.Decoder
}

func (p *jparser) errAt(off int64, format string, args ...any) error {
	line, col := lineCol(p.data, off)
	return &posError{file: p.file, line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

// start skips the whitespace, commas and colons that the decoder has not
// consumed yet, so the offset names the first byte of the next token.
func (p *jparser) start() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\n', '\r', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jparser) token() (json.Token, int64, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, off, p.syntaxError(err, off)
	}
	return tok, off, nil
}

func (p *jparser) syntaxError(err error, off int64) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes read including the offending one.
		at := se.Offset - 1
		if at < off {
			at = off
		}
		return p.errAt(at, "invalid JSON: %s", trimJSONPrefix(se.Error()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errAt(int64(len(p.data)), "invalid JSON: unexpected end of input")
	default:
		return p.errAt(off, "invalid JSON: %s", trimJSONPrefix(err.Error()))
	}
}

func trimJSONPrefix(s string) string {
	const prefix = "json: "
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

// parseTree reads exactly one JSON value from data.
func parseTree(file string, data []byte) (*jvalue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &jparser{file: file, data: data, dec: dec}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	off := p.start()
	if off < int64(len(p.data)) {
		return nil, p.errAt(off, "invalid JSON: unexpected data after the top-level value")
	}
	return v, nil
}

func (p *jparser) value(depth int) (*jvalue, error) {
	tok, off, err := p.token()
	if err != nil {
		return nil, err
	}
	if depth > maxDepth {
		return nil, p.errAt(off, "JSON nested deeper than %d levels", maxDepth)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jvalue{kind: jObject, off: off}
			seen := map[string]bool{}
			for p.dec.More() {
				ktok, koff, err := p.token()
				if err != nil {
					return nil, err
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, p.errAt(koff, "invalid JSON: object key must be a string")
				}
				if seen[key] {
					return nil, p.errAt(koff, "duplicate key %q", key)
				}
				seen[key] = true
				val, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.members = append(v.members, jmember{key: key, keyOff: koff, val: val})
			}
			if _, _, err := p.token(); err != nil { // '}'
				return nil, err
			}
			return v, nil
		case '[':
			v := &jvalue{kind: jArray, off: off}
			for p.dec.More() {
				el, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, el)
			}
			if _, _, err := p.token(); err != nil { // ']'
				return nil, err
			}
			return v, nil
		default:
			return nil, p.errAt(off, "invalid JSON: unexpected %q", rune(t))
		}
	case string:
		return &jvalue{kind: jString, off: off, str: t}, nil
	case json.Number:
		return &jvalue{kind: jNumber, off: off, num: string(t)}, nil
	case bool:
		return &jvalue{kind: jBool, off: off, b: t}, nil
	case nil:
		return &jvalue{kind: jNull, off: off}, nil
	default:
		return nil, p.errAt(off, "invalid JSON: unexpected token %v", tok)
	}
}
