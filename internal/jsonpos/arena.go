package jsonpos

import "unsafe"

// arena hands out the nodes, members and item slices of one parse from large blocks, so a
// document of a million values is a few hundred allocations rather than millions, and nothing
// is rounded up to an allocator size class. Every slice it hands out has its capacity equal to
// its length, so appending to a parsed node's Members or Items (as editing does) copies it out
// of the block instead of writing over a neighbour. Blocks grow from small (a config file costs
// little) to blockMax entries.
type arena struct {
	nodes   []Node
	members []Member
	items   []*Node
}

const (
	blockMin = 16
	blockMax = 4096
)

func grow(used int) int { return min(max(2*used, blockMin), blockMax) }

func (a *arena) node() *Node {
	if len(a.nodes) == cap(a.nodes) {
		a.nodes = make([]Node, 0, grow(cap(a.nodes)))
	}
	a.nodes = a.nodes[:len(a.nodes)+1]
	return &a.nodes[len(a.nodes)-1]
}

// memberSlice returns a copy of ms in the arena.
func (a *arena) memberSlice(ms []Member) []Member {
	if len(ms) == 0 {
		return nil
	}
	if len(ms) > blockMax/4 {
		return append([]Member(nil), ms...)
	}
	if cap(a.members)-len(a.members) < len(ms) {
		a.members = make([]Member, 0, max(grow(cap(a.members)), len(ms)))
	}
	start := len(a.members)
	a.members = append(a.members, ms...)
	return a.members[start:len(a.members):len(a.members)]
}

// itemSlice returns a copy of items in the arena.
func (a *arena) itemSlice(items []*Node) []*Node {
	if len(items) == 0 {
		return nil
	}
	if len(items) > blockMax/4 {
		return append([]*Node(nil), items...)
	}
	if cap(a.items)-len(a.items) < len(items) {
		a.items = make([]*Node, 0, max(grow(cap(a.items)), len(items)))
	}
	start := len(a.items)
	a.items = append(a.items, items...)
	return a.items[start:len(a.items):len(a.items)]
}

// mark is a point in the arena to roll back to.
type mark struct {
	nodes   []Node
	members []Member
	items   []*Node
}

func (a *arena) mark() mark { return mark{a.nodes, a.members, a.items} }

// rollback gives back what was handed out since m: the caller guarantees nothing refers to it.
// Entries of a block that was started since m are left to the garbage collector; those of the
// block m was in are handed out again (and overwritten whole when they are).
func (a *arena) rollback(m mark) {
	a.nodes, a.members, a.items = m.nodes, m.members, m.items
}

// sourceString returns src[start:end] as a string that shares src's memory: a parsed document
// refers to its source (Document.Source) and does not copy every key and value out of it. The
// caller of Parse promises not to change src afterwards.
func sourceString(src []byte, start, end int) string {
	if end <= start {
		return ""
	}
	return unsafe.String(&src[start], end-start)
}
