package jsonpos

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/modeltool/modeltool/internal/diag"
)

// DefaultMaxDepth is the nesting depth (objects and arrays) Parse accepts unless Options say
// otherwise. A model file is a dozen levels deep; a deeper document is an error, never a stack
// overflow.
const DefaultMaxDepth = 1000

// Options tune Parse.
type Options struct {
	// MaxDepth limits the nesting of objects and arrays; 0 means DefaultMaxDepth.
	MaxDepth int
	// Share makes an object that is an array item and has a "name" string (without escapes),
	// and that is equal byte for byte to an earlier one apart from the text of that name (of
	// the same length), one node standing for the earlier: the copies of an unrolled model
	// file cost a node each, not a tree each.
	// Node.Shared tells such a node and how far its offsets are from its own bytes. A shared
	// tree is for reading: it must not be edited.
	Share bool
}

// Position is a place in a source file: 1-based line and 1-based byte column.
type Position struct {
	Offset int
	Line   int
	Col    int
}

// Document is a parsed JSON file.
type Document struct {
	// Name is the file name used in messages.
	Name string
	// Source is the text that was parsed.
	Source []byte
	// Root is the top-level value.
	Root *Node
	// Duplicates lists every object key that occurs more than once in its object.
	Duplicates []Duplicate

	// lineStarts holds the offset of every line's first byte, made when the first position is
	// asked for: a file without findings never needs it.
	lineOnce   sync.Once
	lineStarts []int32
}

// Duplicate is a key repeated in one object: the later occurrence silently wins in most JSON
// readers, which loses whatever the earlier one said.
type Duplicate struct {
	Key string
	// Pointer is the JSON pointer of the object holding the key.
	Pointer string
	// First and Again are the byte offsets of the first and the repeated key.
	First, Again int
}

// Parse parses src as one JSON document. A malformed document gives a *diag.Faults holding one
// diagnostic: code "syntax" for broken grammar ("invalid JSON: …"), "too-deep" for a document
// nested deeper than Options.MaxDepth. Anything else (duplicate keys) is recorded in the
// Document for the caller to judge. The document refers to src (its strings are not copied
// out of it): the caller must not change src afterwards.
func Parse(name string, src []byte, opts Options) (*Document, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	p := &parser{src: src, maxDepth: opts.MaxDepth, doc: &Document{Name: name, Source: src}}
	if opts.Share {
		p.share = newSharer()
	}
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		return nil, p.errAt(0, "file starts with a UTF-8 byte order mark (JSON forbids it; save the file as UTF-8 without BOM)")
	}
	p.skipSpace()
	if p.pos >= len(src) {
		if len(src) == 0 {
			return nil, p.errAt(0, "empty file: expected a JSON object")
		}
		return nil, p.errAt(p.pos, "file holds only whitespace: expected a JSON object")
	}
	root, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(src) {
		return nil, p.errAt(p.pos, "unexpected "+p.describe(p.pos)+" after the end of the JSON document")
	}
	p.doc.Root = root
	return p.doc, nil
}

// Position converts a byte offset into a line and column.
func (d *Document) Position(offset int) Position {
	if offset < 0 {
		return Position{Offset: offset}
	}
	d.lineOnce.Do(func() { d.lineStarts = lineStarts(d.Source) })
	line := sort.Search(len(d.lineStarts), func(i int) bool { return int(d.lineStarts[i]) > offset }) - 1
	if line < 0 {
		line = 0
	}
	return Position{Offset: offset, Line: line + 1, Col: offset - int(d.lineStarts[line]) + 1}
}

// Diagnostic is an error diagnostic at offset in d (its file, line, column and JSON pointer
// filled in, as PointerAt; a negative offset gives a diagnostic about the whole file).
func (d *Document) Diagnostic(offset int, code, msg string) diag.Diagnostic {
	pos := d.Position(offset)
	return diag.Diagnostic{File: d.Name, Line: pos.Line, Column: pos.Col, Pointer: d.PointerAt(offset), Severity: diag.Error, Code: code, Message: msg}
}

// PointerAt returns the JSON pointer (RFC 6901) of the value at source offset: the innermost
// value that starts at or holds offset, where a member's key stands for its value (so an
// unknown key's pointer names the member). It is "" for the root, and for a negative offset
// or a document not parsed whole (a syntax error). Values keep no end offsets, so an offset
// between two values (a comma, a closing bracket) is taken to be in the one before it;
// diagnostics point at keys, values and the inside of strings, where the answer is exact.
func (d *Document) PointerAt(offset int) string {
	if offset < 0 || d.Root == nil {
		return ""
	}
	var b strings.Builder
	n := d.Root
	for n.Offset <= offset && offset != n.Offset {
		// The child holding offset is the last one that starts at or before it (children are
		// in source order; a member starts at its key).
		switch n.Kind {
		case Object:
			i := sort.Search(len(n.Members), func(i int) bool { return n.Members[i].KeyOffset > offset }) - 1
			if i < 0 || n.Members[i].KeyOffset < 0 {
				return b.String()
			}
			b.WriteByte('/')
			b.WriteString(EscapePointerToken(n.Members[i].Key))
			if n.Members[i].Value.Offset > offset { // at the key or before the colon
				return b.String()
			}
			n = n.Members[i].Value
		case Array:
			i := sort.Search(len(n.Items), func(i int) bool { return n.Items[i].Offset > offset }) - 1
			if i < 0 || n.Items[i].Offset < 0 {
				return b.String()
			}
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(i))
			n = n.Items[i]
		default: // inside a string (an expression's position) or a number
			return b.String()
		}
	}
	return b.String()
}

// StringPosition returns the position of the byte at decodedOffset inside the decoded text of
// string node n (0 is the first character after the opening quote), accounting for escapes.
func (d *Document) StringPosition(n *Node, decodedOffset int) Position {
	return d.Position(d.StringOffset(n, decodedOffset))
}

// StringOffset returns the source offset of the byte at decodedOffset inside the decoded text
// of string node n, as StringPosition does; -1 for a node that is not a string from the source.
func (d *Document) StringOffset(n *Node, decodedOffset int) int {
	if n == nil || n.Offset < 0 || n.Kind != String {
		return -1
	}
	start := n.Offset + 1
	if !n.escaped {
		return start + decodedOffset
	}
	raw, dec := start, 0
	for raw < len(d.Source) && d.Source[raw] != '"' && dec < decodedOffset {
		if d.Source[raw] != '\\' {
			raw++
			dec++
			continue
		}
		// An escape: measure its source length and its decoded length.
		if raw+1 < len(d.Source) && d.Source[raw+1] == 'u' {
			r, size := decodeUnicodeEscape(d.Source, raw)
			raw += size
			dec += utf8.RuneLen(r)
			continue
		}
		raw += 2
		dec++
	}
	return raw
}

// lineStarts returns the offset of every line's first byte. Sources are far below 2 GiB (the
// command reads at most 64 MiB), so an offset fits in 32 bits.
func lineStarts(src []byte) []int32 {
	starts := make([]int32, 1, 1+bytes.Count(src, []byte{'\n'}))
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			return starts
		}
		i += j + 1
		starts = append(starts, int32(i))
	}
}

type parser struct {
	// path holds the unescaped reference tokens of the value being parsed.
	path     []string
	src      []byte
	pos      int
	maxDepth int
	doc      *Document
	a        arena
	// members and items hold the members and items of the objects and arrays being parsed, the
	// innermost last; each is copied to the arena, at its exact length, when it closes.
	members []Member
	items   []*Node
	share   *sharer
}

// pointer returns the JSON pointer of the value being parsed.
func (p *parser) pointer() string {
	var b strings.Builder
	for _, tok := range p.path {
		b.WriteByte('/')
		b.WriteString(EscapePointerToken(tok))
	}
	return b.String()
}

func (p *parser) errAt(offset int, msg string) error {
	return diag.New(p.doc.Diagnostic(offset, "syntax", "invalid JSON: "+msg))
}

func (p *parser) tooDeep(offset int) error {
	return diag.New(p.doc.Diagnostic(offset, "too-deep", fmt.Sprintf("objects and arrays nest deeper than %d levels, the most modeltool reads (a model file needs a few dozen)", p.maxDepth)))
}

// describe names the byte at offset for an error message.
func (p *parser) describe(offset int) string {
	if offset >= len(p.src) {
		return "end of file"
	}
	c := p.src[offset]
	switch {
	case c == '\'':
		return "single quote"
	case c >= 0x20 && c < 0x7f:
		return "character " + strconv.QuoteRune(rune(c))
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character %U", rune(c))
	}
	r, _ := utf8.DecodeRune(p.src[offset:])
	if r == utf8.RuneError {
		return fmt.Sprintf("invalid UTF-8 byte 0x%02x", c)
	}
	return "character " + strconv.QuoteRune(r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (*Node, error) {
	if p.pos >= len(p.src) {
		return nil, p.errAt(p.pos, "unexpected end of file: expected a value")
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '{':
		if depth >= p.maxDepth {
			return nil, p.tooDeep(start)
		}
		return p.object(depth + 1)
	case c == '[':
		if depth >= p.maxDepth {
			return nil, p.tooDeep(start)
		}
		return p.array(depth + 1)
	case c == '"':
		s, escaped, err := p.str()
		if err != nil {
			return nil, err
		}
		n := p.a.node()
		*n = Node{Kind: String, Offset: start, Text: s, escaped: escaped}
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		lit, err := p.number()
		if err != nil {
			return nil, err
		}
		n := p.a.node()
		*n = Node{Kind: Number, Offset: start, Text: lit}
		return n, nil
	case c == 't':
		return p.literal("true", Bool)
	case c == 'f':
		return p.literal("false", Bool)
	case c == 'n':
		return p.literal("null", Null)
	default:
		word := p.word()
		switch word {
		case "NaN", "Infinity":
			return nil, p.errAt(start, word+" is not a JSON number")
		case "":
			if c == '\'' {
				return nil, p.errAt(start, "unexpected single quote: JSON strings need double quotes")
			}
			return nil, p.errAt(start, "unexpected "+p.describe(start)+": expected a value")
		}
		return nil, p.errAt(start, fmt.Sprintf("unexpected %q: expected a value (strings need double quotes)", word))
	}
}

// word returns the identifier-like run at the current position, for error messages.
func (p *parser) word() string {
	end := p.pos
	for end < len(p.src) && end-p.pos < 40 {
		c := p.src[end]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			break
		}
		end++
	}
	return string(p.src[p.pos:end])
}

func (p *parser) literal(text string, kind Kind) (*Node, error) {
	start := p.pos
	if len(p.src)-p.pos >= len(text) && string(p.src[p.pos:p.pos+len(text)]) == text {
		p.pos += len(text)
		if p.pos < len(p.src) && isWordByte(p.src[p.pos]) {
			return nil, p.errAt(start, fmt.Sprintf("unexpected %q: expected a value", p.wordAt(start)))
		}
		n := p.a.node()
		*n = Node{Kind: kind, Offset: start, Text: text}
		return n, nil
	}
	w := p.word()
	if w == "" {
		w = string(p.src[p.pos])
	}
	if len(p.src)-p.pos < len(text) && text[:len(p.src)-p.pos] == string(p.src[p.pos:]) {
		return nil, p.errAt(len(p.src), "unexpected end of file inside "+text)
	}
	return nil, p.errAt(start, fmt.Sprintf("unexpected %q: expected a value (strings need double quotes)", w))
}

func (p *parser) wordAt(offset int) string {
	save := p.pos
	p.pos = offset
	w := p.word()
	p.pos = save
	return w
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) object(depth int) (*Node, error) {
	open := p.pos
	p.pos++ // '{'
	n := p.a.node()
	*n = Node{Kind: Object, Offset: open, Text: "object"}
	var seen map[string]int
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	base := len(p.members)
	defer func() { p.members = p.members[:base] }()
	for {
		own := p.members[base:]
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unclosed(open, "object")
		}
		if p.src[p.pos] != '"' {
			if p.src[p.pos] == '}' && len(own) > 0 {
				return nil, p.errAt(p.pos, "trailing comma before '}'")
			}
			return nil, p.errAt(p.pos, "unexpected "+p.describe(p.pos)+": expected a double-quoted key")
		}
		keyAt := p.pos
		key, _, err := p.str()
		if err != nil {
			return nil, err
		}
		if len(own) >= 8 {
			if seen == nil {
				seen = make(map[string]int, 16)
				for _, m := range own {
					if _, dup := seen[m.Key]; !dup {
						seen[m.Key] = m.KeyOffset
					}
				}
			}
			if first, dup := seen[key]; dup {
				p.doc.Duplicates = append(p.doc.Duplicates, Duplicate{Key: key, Pointer: p.pointer(), First: first, Again: keyAt})
			} else {
				seen[key] = keyAt
			}
		} else {
			for _, m := range own {
				if m.Key == key {
					p.doc.Duplicates = append(p.doc.Duplicates, Duplicate{Key: key, Pointer: p.pointer(), First: m.KeyOffset, Again: keyAt})
					break
				}
			}
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unclosed(open, "object")
		}
		if p.src[p.pos] != ':' {
			return nil, p.errAt(p.pos, "unexpected "+p.describe(p.pos)+" after object key: expected ':'")
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unclosed(open, "object")
		}
		p.path = append(p.path, key)
		v, err := p.value(depth)
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return nil, err
		}
		p.members = append(p.members, Member{Key: key, KeyOffset: keyAt, Value: v})
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unclosed(open, "object")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			n.Members = p.a.memberSlice(p.members[base:])
			return n, nil
		default:
			return nil, p.errAt(p.pos, "unexpected "+p.describe(p.pos)+" after object member: expected ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (*Node, error) {
	open := p.pos
	p.pos++ // '['
	n := p.a.node()
	*n = Node{Kind: Array, Offset: open, Text: "array"}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	base := len(p.items)
	defer func() { p.items = p.items[:base] }()
	prevShare := -1 // the entry the previous item matched or became
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unclosed(open, "array")
		}
		if p.src[p.pos] == ']' && len(p.items) > base {
			return nil, p.errAt(p.pos, "trailing comma before ']'")
		}
		p.path = append(p.path, strconv.Itoa(len(p.items)-base))
		var v *Node
		var err error
		if p.share != nil && p.src[p.pos] == '{' {
			v, prevShare, err = p.sharedItem(depth, prevShare)
		} else {
			v, err = p.value(depth)
		}
		p.path = p.path[:len(p.path)-1]
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unclosed(open, "array")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			n.Items = p.a.itemSlice(p.items[base:])
			return n, nil
		default:
			return nil, p.errAt(p.pos, "unexpected "+p.describe(p.pos)+" after array element: expected ',' or ']'")
		}
	}
}

func (p *parser) unclosed(open int, what string) error {
	at := p.doc.Position(open)
	return p.errAt(len(p.src), fmt.Sprintf("unexpected end of file: the %s opened at %d:%d is not closed", what, at.Line, at.Col))
}

// str reads a string starting at the opening quote and returns its decoded text.
func (p *parser) str() (string, bool, error) {
	open := p.pos
	p.pos++
	start := p.pos
	// Fast path: no escapes, all ASCII or valid UTF-8.
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '"' {
			s := sourceString(p.src, start, p.pos)
			p.pos++
			return s, false, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", false, p.controlInString(open)
		}
		if c < utf8.RuneSelf {
			p.pos++
			continue
		}
		r, size := utf8.DecodeRune(p.src[p.pos:])
		if r == utf8.RuneError && size == 1 {
			return "", false, p.errAt(p.pos, fmt.Sprintf("invalid UTF-8 byte 0x%02x in string", c))
		}
		p.pos += size
	}
	if p.pos >= len(p.src) {
		return "", false, p.unterminated(open)
	}
	// Slow path: escapes.
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, p.src[start:p.pos]...)
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), true, nil
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return "", false, p.unterminated(open)
			}
			e := p.src[p.pos+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				if !validUnicodeEscape(p.src, p.pos) {
					return "", false, p.errAt(p.pos, `invalid \u escape: expected four hex digits`)
				}
				r, size := decodeUnicodeEscape(p.src, p.pos)
				buf = utf8.AppendRune(buf, r)
				p.pos += size
				continue
			default:
				return "", false, p.badEscape()
			}
			p.pos += 2
		case c < 0x20:
			return "", false, p.controlInString(open)
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.src[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", false, p.errAt(p.pos, fmt.Sprintf("invalid UTF-8 byte 0x%02x in string", c))
			}
			buf = append(buf, p.src[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
	return "", false, p.unterminated(open)
}

// badEscape reports the backslash at p.pos, which starts no JSON escape.
func (p *parser) badEscape() error {
	const valid = `(JSON has \" \\ \/ \b \f \n \r \t and \uXXXX)`
	if c := p.src[p.pos+1]; c > 0x20 && c < 0x7f {
		return p.errAt(p.pos, fmt.Sprintf("invalid escape \\%c in a string %s", c, valid))
	}
	return p.errAt(p.pos, fmt.Sprintf("invalid escape: a backslash followed by %s in a string %s", p.describe(p.pos+1), valid))
}

func (p *parser) controlInString(open int) error {
	if p.src[p.pos] == '\n' {
		at := p.doc.Position(open)
		return p.errAt(p.pos, fmt.Sprintf("line break inside the string opened at %d:%d (missing closing quote?)", at.Line, at.Col))
	}
	return p.errAt(p.pos, fmt.Sprintf("%s inside a string (write it as an escape)", p.describe(p.pos)))
}

func (p *parser) unterminated(open int) error {
	at := p.doc.Position(open)
	return p.errAt(len(p.src), fmt.Sprintf("unexpected end of file: the string opened at %d:%d is not closed", at.Line, at.Col))
}

func hexVal(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

func validUnicodeEscape(src []byte, at int) bool {
	if at+6 > len(src) {
		return false
	}
	for _, c := range src[at+2 : at+6] {
		if _, ok := hexVal(c); !ok {
			return false
		}
	}
	return true
}

func hex4(src []byte, at int) rune {
	var r rune
	for _, c := range src[at+2 : at+6] {
		v, _ := hexVal(c)
		r = r<<4 | v
	}
	return r
}

// decodeUnicodeEscape decodes the \uXXXX escape at src[at] (joining a surrogate pair) and
// returns the rune and the number of source bytes it took. Lone surrogates become U+FFFD, as in
// encoding/json.
func decodeUnicodeEscape(src []byte, at int) (rune, int) {
	if !validUnicodeEscape(src, at) {
		return utf8.RuneError, 2
	}
	r := hex4(src, at)
	if utf16.IsSurrogate(r) {
		if at+12 <= len(src) && src[at+6] == '\\' && src[at+7] == 'u' && validUnicodeEscape(src, at+6) {
			if pair := utf16.DecodeRune(r, hex4(src, at+6)); pair != utf8.RuneError {
				return pair, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// number reads a JSON number literal (RFC 8259 grammar) and returns it as written.
func (p *parser) number() (string, error) {
	start := p.pos
	if p.src[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(p.src) || !isDigit(p.src[p.pos]) {
		if p.pos < len(p.src) && p.wordAt(p.pos) == "Infinity" {
			return "", p.errAt(start, "-Infinity is not a JSON number")
		}
		return "", p.errAt(p.pos, "invalid number: expected a digit after '-'")
	}
	if p.src[p.pos] == '0' {
		p.pos++
		if p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			return "", p.errAt(start, "invalid number: leading zeros are not allowed")
		}
	} else {
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		if p.pos >= len(p.src) || !isDigit(p.src[p.pos]) {
			return "", p.errAt(p.pos, "invalid number: expected a digit after '.'")
		}
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(p.src) || !isDigit(p.src[p.pos]) {
			return "", p.errAt(p.pos, "invalid number: expected a digit in the exponent")
		}
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.src) && isWordByte(p.src[p.pos]) {
		return "", p.errAt(start, fmt.Sprintf("invalid number %q", string(p.src[start:p.pos])+p.wordAt(p.pos)))
	}
	return sourceString(p.src, start, p.pos), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
