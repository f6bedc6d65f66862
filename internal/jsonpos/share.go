package jsonpos

import (
	"bytes"
	"hash/maphash"
)

// shareInfo marks a node that stands for an equal object parsed earlier (Options.Share).
type shareInfo struct {
	rep   *Node
	shift int
}

// Shared reports whether n stands for an equal object parsed earlier, when the document was
// parsed with Options.Share: it returns that object, and the distance from the offsets of n
// and of every node below it (which are the earlier object's) to n's own bytes in the source.
// The name member's text is n's own. For any other node it returns n, 0 and false.
func (n *Node) Shared() (rep *Node, shift int, ok bool) {
	if n == nil || n.share == nil {
		return n, 0, false
	}
	return n.share.rep, n.share.shift, true
}

// sharer finds array items equal to earlier ones.
type sharer struct {
	seed    maphash.Seed
	byHash  map[uint64][]int
	entries []shareEntry
}

// shareEntry is an object that later equal objects share.
type shareEntry struct {
	node       *Node
	start, end int
	// nameAt is the offset of the text of the object's "name" string from start, -1 when it has
	// none (the whole text must then be equal); nameLen its length.
	nameAt, nameLen int
	hash            uint64
}

func newSharer() *sharer {
	return &sharer{seed: maphash.MakeSeed(), byHash: map[uint64][]int{}}
}

// shape describes the object n that was parsed from src[start:end] for comparison.
func shape(n *Node, start, end int) shareEntry {
	e := shareEntry{node: n, start: start, end: end, nameAt: -1}
	if name := n.Get("name"); name != nil && name.Kind == String && !name.escaped {
		e.nameAt, e.nameLen = name.Offset+1-start, len(name.Text)
	}
	return e
}

func (s *sharer) hash(src []byte, e *shareEntry) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	if e.nameAt < 0 {
		h.Write(src[e.start:e.end])
	} else {
		h.Write(src[e.start : e.start+e.nameAt])
		h.WriteByte(byte(e.nameLen))
		h.WriteByte(byte(e.nameLen >> 8))
		h.Write(src[e.start+e.nameAt+e.nameLen : e.end])
	}
	return h.Sum64()
}

// equal reports whether the objects a and b have the same text, apart from their names' text.
func equal(src []byte, a, b *shareEntry) bool {
	if a.end-a.start != b.end-b.start || a.nameAt != b.nameAt || a.nameLen != b.nameLen {
		return false
	}
	if a.nameAt < 0 {
		return bytes.Equal(src[a.start:a.end], src[b.start:b.end])
	}
	skip := a.nameAt + a.nameLen
	return bytes.Equal(src[a.start:a.start+a.nameAt], src[b.start:b.start+b.nameAt]) &&
		bytes.Equal(src[a.start+skip:a.end], src[b.start+skip:b.end])
}

// find returns the entry equal to e, trying first the one the previous item matched (the
// copies of an unrolled layer follow each other), or -1.
func (s *sharer) find(src []byte, e *shareEntry, prev int) int {
	if prev >= 0 && equal(src, &s.entries[prev], e) {
		return prev
	}
	e.hash = s.hash(src, e)
	for _, i := range s.byHash[e.hash] {
		if equal(src, &s.entries[i], e) {
			return i
		}
	}
	return -1
}

// add records e for later objects to share and returns its index.
func (s *sharer) add(src []byte, e shareEntry) int {
	if e.hash == 0 {
		e.hash = s.hash(src, &e)
	}
	s.entries = append(s.entries, e)
	i := len(s.entries) - 1
	s.byHash[e.hash] = append(s.byHash[e.hash], i)
	return i
}

// forget drops the entries from n on: their nodes were given back to the arena.
func (s *sharer) forget(n int) {
	for i := len(s.entries) - 1; i >= n; i-- {
		h := s.entries[i].hash
		list := s.byHash[h]
		if len(list) <= 1 {
			delete(s.byHash, h)
		} else {
			s.byHash[h] = list[:len(list)-1]
		}
	}
	s.entries = s.entries[:n]
}

// sharedItem parses the object that is an array item at p.pos. When it equals an earlier item
// (prev first: the entry the previous item matched), what it allocated is given back and a
// node standing for the earlier one takes its place; otherwise it becomes an entry later items
// may share, unless it has no plain "name" string or holds a duplicate key (reported with its
// own position).
func (p *parser) sharedItem(depth, prev int) (*Node, int, error) {
	m, entries, dups := p.a.mark(), len(p.share.entries), len(p.doc.Duplicates)
	start := p.pos
	v, err := p.value(depth)
	if err != nil || len(p.doc.Duplicates) != dups {
		return v, -1, err
	}
	e := shape(v, start, p.pos)
	if e.nameAt < 0 {
		return v, -1, nil // only named objects are shared: layers, not a template's requirements
	}
	if i := p.share.find(p.src, &e, prev); i >= 0 {
		p.share.forget(entries)
		p.a.rollback(m)
		return p.shareNode(&p.share.entries[i], &e), i, nil
	}
	return v, p.share.add(p.src, e), nil
}

// shareNode returns the node standing for the object at src[e.start:e.end], equal to rep.
func (p *parser) shareNode(rep *shareEntry, e *shareEntry) *Node {
	r := rep.node
	members := r.Members
	if e.nameAt >= 0 {
		members = p.a.memberSlice(r.Members)
		for i := len(members) - 1; i >= 0; i-- {
			if members[i].Key == "name" {
				old := members[i].Value
				nn := p.a.node()
				*nn = Node{Kind: String, Offset: old.Offset, Text: sourceString(p.src, e.start+e.nameAt, e.start+e.nameAt+e.nameLen)}
				members[i].Value = nn
				break
			}
		}
	}
	info := &p.a.shares.take(1)[0]
	*info = shareInfo{rep: r, shift: e.start - rep.start}
	n := p.a.node()
	*n = Node{Kind: Object, Offset: r.Offset, Text: "object", Members: members, share: info}
	return n
}
