// Package jsonpos parses JSON into a tree that remembers where every value came from.
//
// Model files are edited by hand and checked in pre-commit hooks, so every diagnostic must point
// at a line and column. The tree keeps object members in source order (so files can be rewritten
// without reordering an author's keys), keeps number literals as written (so 1e400 or 0.1 stay
// exact), and records duplicate keys instead of letting the last one silently win.
package jsonpos

import (
	"strconv"
	"strings"
)

// Kind is the JSON type of a node.
type Kind uint8

// The JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String returns the JSON name of the kind ("null", "boolean", "number", "string", "array", "object").
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// WithArticle names the kind for a message, with its article: "an object", "an array", "a
// string", "a number", "a boolean", "null".
func (k Kind) WithArticle() string {
	switch k {
	case Null:
		return "null"
	case Array, Object:
		return "an " + k.String()
	}
	return "a " + k.String()
}

// Node is one JSON value.
type Node struct {
	Kind Kind
	// escaped records that a String's source contained escape sequences, so decoded offsets
	// differ from source offsets.
	escaped bool
	// Offset is the byte offset of the value's first byte in the source, or -1 for a node built
	// in memory. Below an object that Shared reports, offsets are those of the object it stands
	// for.
	Offset int
	// Text holds the decoded string of a String, the literal of a Number (as written), and
	// "true"/"false"/"null" for the others.
	Text string
	// Members holds an Object's members in source order, duplicates included.
	Members []Member
	// Items holds an Array's elements.
	Items []*Node
	// share is set on an object that stands for an equal earlier one (Options.Share).
	share *shareInfo
}

// Member is one "key": value pair of an object.
type Member struct {
	Key string
	// KeyOffset is the byte offset of the key's opening quote, or -1 for a member built in memory.
	KeyOffset int
	Value     *Node
}

// Get returns the value of the last member named key, or nil. For non-objects it returns nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := len(n.Members) - 1; i >= 0; i-- {
		if n.Members[i].Key == key {
			return n.Members[i].Value
		}
	}
	return nil
}

// Member returns the last member named key, or nil.
func (n *Node) Member(key string) *Member {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := len(n.Members) - 1; i >= 0; i-- {
		if n.Members[i].Key == key {
			return &n.Members[i]
		}
	}
	return nil
}

// Set replaces the value of the last member named key, or appends a new member at the end.
func (n *Node) Set(key string, v *Node) {
	if m := n.Member(key); m != nil {
		m.Value = v
		return
	}
	n.Members = append(n.Members, Member{Key: key, KeyOffset: -1, Value: v})
}

// Insert adds a member at index i (0 is first; past the end appends).
func (n *Node) Insert(i int, key string, v *Node) {
	if i < 0 {
		i = 0
	}
	if i > len(n.Members) {
		i = len(n.Members)
	}
	n.Members = append(n.Members, Member{})
	copy(n.Members[i+1:], n.Members[i:])
	n.Members[i] = Member{Key: key, KeyOffset: -1, Value: v}
}

// Index returns the index of the last member named key, or -1.
func (n *Node) Index(key string) int {
	for i := len(n.Members) - 1; i >= 0; i-- {
		if n.Members[i].Key == key {
			return i
		}
	}
	return -1
}

// Delete removes every member named key and reports whether one existed.
func (n *Node) Delete(key string) bool {
	found := false
	kept := n.Members[:0]
	for _, m := range n.Members {
		if m.Key == key {
			found = true
			continue
		}
		kept = append(kept, m)
	}
	n.Members = kept
	return found
}

// NewObject returns an empty object node built in memory.
func NewObject() *Node { return &Node{Kind: Object, Offset: -1, Text: "object"} }

// NewArray returns an array node built in memory holding items.
func NewArray(items ...*Node) *Node {
	return &Node{Kind: Array, Offset: -1, Items: items, Text: "array"}
}

// NewString returns a string node built in memory.
func NewString(s string) *Node { return &Node{Kind: String, Offset: -1, Text: s} }

// NewNumber returns a number node built in memory from a JSON number literal. The caller is
// responsible for the literal being valid JSON.
func NewNumber(literal string) *Node { return &Node{Kind: Number, Offset: -1, Text: literal} }

// NewBool returns a boolean node built in memory.
func NewBool(b bool) *Node {
	if b {
		return &Node{Kind: Bool, Offset: -1, Text: "true"}
	}
	return &Node{Kind: Bool, Offset: -1, Text: "false"}
}

// NewNull returns a null node built in memory.
func NewNull() *Node { return &Node{Kind: Null, Offset: -1, Text: "null"} }

// BoolValue reports the value of a Bool node.
func (n *Node) BoolValue() bool { return n.Kind == Bool && n.Text == "true" }

// Clone returns a deep copy of n that keeps source offsets.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Members != nil {
		c.Members = make([]Member, len(n.Members))
		for i, m := range n.Members {
			c.Members[i] = Member{Key: m.Key, KeyOffset: m.KeyOffset, Value: m.Value.Clone()}
		}
	}
	if n.Items != nil {
		c.Items = make([]*Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = it.Clone()
		}
	}
	return &c
}

// Equal reports whether a and b are the same JSON value, member order and number spelling
// included (so "1.0" and "1" differ: they are written differently).
func Equal(a, b *Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Text != b.Text || len(a.Members) != len(b.Members) || len(a.Items) != len(b.Items) {
		return false
	}
	for i := range a.Members {
		if a.Members[i].Key != b.Members[i].Key || !Equal(a.Members[i].Value, b.Members[i].Value) {
			return false
		}
	}
	for i := range a.Items {
		if !Equal(a.Items[i], b.Items[i]) {
			return false
		}
	}
	return true
}

// EscapePointerToken escapes one reference token of a JSON pointer (RFC 6901).
func EscapePointerToken(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// UnescapePointerToken reverses EscapePointerToken.
func UnescapePointerToken(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// Find follows a JSON pointer (RFC 6901, "" is the root) from n and returns the node it names,
// or nil.
func (n *Node) Find(pointer string) *Node {
	if pointer == "" {
		return n
	}
	if pointer[0] != '/' {
		return nil
	}
	return n.FindTokens(strings.Split(pointer[1:], "/"), true)
}

// FindTokens follows reference tokens from n. When escaped is true the tokens are in their
// RFC 6901 escaped form.
func (n *Node) FindTokens(tokens []string, escaped bool) *Node {
	cur := n
	for _, tok := range tokens {
		if escaped {
			tok = UnescapePointerToken(tok)
		}
		switch {
		case cur == nil:
			return nil
		case cur.Kind == Object:
			cur = cur.Get(tok)
		case cur.Kind == Array:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(cur.Items) || strconv.Itoa(i) != tok {
				return nil
			}
			cur = cur.Items[i]
		default:
			return nil
		}
	}
	return cur
}
