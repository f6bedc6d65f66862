package schema

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

// The problems of basic layers are also remembered across the files of one process, by their
// content (the name aside): validate checks many files at once (a pre-commit hook, models/),
// and families share most of their layers — the hundred files of docs/performance.md have
// 2,288 layer contents of their own but 1,041 in all.

// maxShared bounds the layer contents remembered across files.
const maxShared = 8192

var shared = struct {
	sync.Mutex
	seed    maphash.Seed
	entries map[uint64][]sharedEntry
	n       int
}{seed: maphash.MakeSeed(), entries: map[uint64][]sharedEntry{}}

// sharedEntry is a basic layer's content, its own copy (the file's memory is not kept), and
// its problems.
type sharedEntry struct {
	layer    *jsonpos.Node
	problems []Problem
}

// sharedProblems returns the problems remembered for a basic layer with content equal to l's
// (its name aside), and the hash to remember them by when there are none.
func sharedProblems(l *jsonpos.Node) ([]Problem, uint64, bool) {
	var h maphash.Hash
	h.SetSeed(shared.seed)
	hashLayer(&h, l)
	sum := h.Sum64()
	shared.Lock()
	defer shared.Unlock()
	for _, e := range shared.entries[sum] {
		if equalLayer(e.layer, l) {
			return e.problems, sum, true
		}
	}
	return nil, sum, false
}

// rememberShared remembers the problems of basic layer l (hash sum).
func rememberShared(sum uint64, l *jsonpos.Node, problems []Problem) {
	shared.Lock()
	defer shared.Unlock()
	if shared.n >= maxShared {
		return
	}
	shared.entries[sum] = append(shared.entries[sum], sharedEntry{detach(l), problems})
	shared.n++
}

// hashLayer hashes what a layer object says apart from its name.
func hashLayer(h *maphash.Hash, l *jsonpos.Node) {
	for _, m := range l.Members {
		if m.Key == "name" {
			continue
		}
		h.WriteString(m.Key)
		h.WriteByte(0)
		hashNode(h, m.Value)
	}
}

func hashNode(h *maphash.Hash, n *jsonpos.Node) {
	h.WriteByte(byte(n.Kind))
	switch n.Kind {
	case jsonpos.Object:
		for _, m := range n.Members {
			h.WriteString(m.Key)
			h.WriteByte(0)
			hashNode(h, m.Value)
		}
		h.WriteByte(1)
	case jsonpos.Array:
		for _, it := range n.Items {
			hashNode(h, it)
		}
		h.WriteByte(1)
	default:
		h.WriteString(n.Text)
		h.WriteByte(0)
	}
}

// equalLayer reports whether layer objects a and b are equal apart from their names: the same
// members in the same order, each equal (jsonpos.Equal).
func equalLayer(a, b *jsonpos.Node) bool {
	am, bm := withoutName(a.Members), withoutName(b.Members)
	if len(am) != len(bm) {
		return false
	}
	for i := range am {
		if am[i].Key != bm[i].Key || !jsonpos.Equal(am[i].Value, bm[i].Value) {
			return false
		}
	}
	return true
}

func withoutName(ms []jsonpos.Member) []jsonpos.Member {
	out := make([]jsonpos.Member, 0, len(ms))
	for _, m := range ms {
		if m.Key != "name" {
			out = append(out, m)
		}
	}
	return out
}

// detach returns a copy of n that shares no memory with its file (nor its offsets).
func detach(n *jsonpos.Node) *jsonpos.Node {
	c := &jsonpos.Node{Kind: n.Kind, Offset: -1, Text: strings.Clone(n.Text)}
	if n.Members != nil {
		c.Members = make([]jsonpos.Member, len(n.Members))
		for i, m := range n.Members {
			c.Members[i] = jsonpos.Member{Key: strings.Clone(m.Key), KeyOffset: -1, Value: detach(m.Value)}
		}
	}
	if n.Items != nil {
		c.Items = make([]*jsonpos.Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = detach(it)
		}
	}
	return c
}
