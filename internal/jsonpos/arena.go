package jsonpos

import "unsafe"

// arena hands out the nodes, members and item slices of one parse from large blocks, so a
// document of a million values is a few hundred allocations rather than millions, and nothing
// is rounded up to an allocator size class. Every slice it hands out has its capacity equal to
// its length, so appending to a parsed node's Members or Items (as editing does) copies it out
// of the block instead of writing over a neighbour. Blocks grow from small (a config file costs
// little) to blockMax entries.
type arena struct {
	nodes   block[Node]
	members block[Member]
	items   block[*Node]
	shares  block[shareInfo]
}

const (
	blockMin = 16
	blockMax = 4096
)

// block hands out the entries of one kind.
type block[T any] struct {
	cur []T
	// made holds every block begun so far, cur's last; spare the blocks a rollback gave back,
	// used again before new ones are made.
	made  [][]T
	spare [][]T
}

// take returns n entries (n ≤ blockMax) as a slice whose capacity is its length.
func (b *block[T]) take(n int) []T {
	if cap(b.cur)-len(b.cur) < n {
		if k := len(b.spare); k > 0 && cap(b.spare[k-1]) >= n {
			b.cur, b.spare = b.spare[k-1][:0], b.spare[:k-1]
		} else {
			b.cur = make([]T, 0, min(max(2*cap(b.cur), blockMin, n), blockMax))
		}
		b.made = append(b.made, b.cur)
	}
	start := len(b.cur)
	b.cur = b.cur[:start+n]
	return b.cur[start : start+n : start+n]
}

func (a *arena) node() *Node { return &a.nodes.take(1)[0] }

// memberSlice returns a copy of ms in the arena.
func (a *arena) memberSlice(ms []Member) []Member {
	if len(ms) == 0 {
		return nil
	}
	if len(ms) > blockMax/4 {
		return append([]Member(nil), ms...)
	}
	out := a.members.take(len(ms))
	copy(out, ms)
	return out
}

// itemSlice returns a copy of items in the arena.
func (a *arena) itemSlice(items []*Node) []*Node {
	if len(items) == 0 {
		return nil
	}
	if len(items) > blockMax/4 {
		return append([]*Node(nil), items...)
	}
	out := a.items.take(len(items))
	copy(out, items)
	return out
}

// mark is a point in the arena to roll back to.
type mark struct {
	nodes   blockMark[Node]
	members blockMark[Member]
	items   blockMark[*Node]
	shares  blockMark[shareInfo]
}

type blockMark[T any] struct {
	cur  []T
	made int
}

func (b *block[T]) mark() blockMark[T] { return blockMark[T]{b.cur, len(b.made)} }

// rollback gives back what was taken since m: the caller guarantees nothing refers to it. The
// block current at m is used on from where it was; blocks begun since become spares.
func (b *block[T]) rollback(m blockMark[T]) {
	for i := len(b.made) - 1; i >= m.made; i-- {
		b.spare = append(b.spare, b.made[i])
		b.made[i] = nil
	}
	b.made = b.made[:m.made]
	b.cur = m.cur
}

func (a *arena) mark() mark {
	return mark{a.nodes.mark(), a.members.mark(), a.items.mark(), a.shares.mark()}
}

func (a *arena) rollback(m mark) {
	a.nodes.rollback(m.nodes)
	a.members.rollback(m.members)
	a.items.rollback(m.items)
	a.shares.rollback(m.shares)
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
