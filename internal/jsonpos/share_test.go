package jsonpos

import (
	"fmt"
	"strings"
	"testing"
)

// sameTree checks that shared (parsed with Share) describes the same document as plain, and
// that every offset, moved by the shifts of the shared objects above it, is plain's offset.
func sameTree(t *testing.T, shared, plain *Node, shift int, path string) {
	t.Helper()
	if rep, s, ok := shared.Shared(); ok {
		if rep == shared || rep.share != nil {
			t.Fatalf("%s: a shared node stands for itself or for another shared node", path)
		}
		shift += s
	}
	if shared.Kind != plain.Kind || shared.Text != plain.Text || len(shared.Members) != len(plain.Members) || len(shared.Items) != len(plain.Items) {
		t.Fatalf("%s: %v %q differs from %v %q", path, shared.Kind, shared.Text, plain.Kind, plain.Text)
	}
	if shared.Offset+shift != plain.Offset {
		t.Fatalf("%s: offset %d + shift %d, want %d", path, shared.Offset, shift, plain.Offset)
	}
	for i, m := range shared.Members {
		pm := plain.Members[i]
		if m.Key != pm.Key || m.KeyOffset+shift != pm.KeyOffset {
			t.Fatalf("%s: key %q at %d+%d, want %q at %d", path, m.Key, m.KeyOffset, shift, pm.Key, pm.KeyOffset)
		}
		sameTree(t, m.Value, pm.Value, shift, path+"/"+m.Key)
	}
	for i, it := range shared.Items {
		sameTree(t, it, plain.Items[i], shift, fmt.Sprintf("%s/%d", path, i))
	}
}

func checkShare(t *testing.T, src string) *Document {
	t.Helper()
	plain, err := Parse("p.json", []byte(src), Options{MaxDepth: 64})
	shared, serr := Parse("p.json", []byte(src), Options{MaxDepth: 64, Share: true})
	if (err == nil) != (serr == nil) {
		t.Fatalf("Share changes the verdict: %v, %v", err, serr)
	}
	if err != nil {
		if err.Error() != serr.Error() {
			t.Fatalf("Share changes the error: %v, %v", err, serr)
		}
		return nil
	}
	sameTree(t, shared.Root, plain.Root, 0, "")
	if len(shared.Duplicates) != len(plain.Duplicates) {
		t.Fatalf("duplicates %v, want %v", shared.Duplicates, plain.Duplicates)
	}
	for i := range shared.Duplicates {
		if shared.Duplicates[i] != plain.Duplicates[i] {
			t.Fatalf("duplicate %+v, want %+v", shared.Duplicates[i], plain.Duplicates[i])
		}
	}
	return shared
}

func TestShare(t *testing.T) {
	layer := func(name, extra string) string {
		return `{"name": "` + name + `", "class": "L", "parameters": {"n": "{a} * 2"` + extra + `}}`
	}
	src := `{"layers": [` + strings.Join([]string{
		layer("a_0", ""), layer("a_1", ""), layer("a_22", ""), layer("a_2", ", \"m\": 1"),
		layer("a_3", ""), layer("a_33", ""), `{"class": "L"}`, `{"class": "L"}`,
		`{"name": "dup", "name": "x"}`, `{"name": "dup", "name": "x"}`, `{"name": "e\u00e9"}`, `{"name": "e\u00e9"}`,
	}, ", ") + `], "nested": [[` + layer("b", "") + `], [` + layer("c", "") + `]]}`
	d := checkShare(t, src)
	items := d.Root.Get("layers").Items
	want := []int{-1, 0, -1, -1, 0, 2, -1, -1, -1, -1, -1, -1}
	for i, w := range want {
		rep, _, ok := items[i].Shared()
		switch {
		case w < 0 && ok:
			t.Errorf("item %d is shared", i)
		case w >= 0 && (!ok || rep != items[w]):
			t.Errorf("item %d does not stand for item %d", i, w)
		}
	}
	if got := items[1].Get("name").Text; got != "a_1" {
		t.Errorf("a shared item's name is %q", got)
	}
	if rep, _, _ := d.Root.Get("nested").Items[1].Items[0].Shared(); rep != d.Root.Get("nested").Items[0].Items[0] {
		t.Error("equal items of different arrays are not shared")
	}
}

// FuzzShare checks that parsing with Share gives the same document, offsets and duplicates as
// parsing without, for any input.
func FuzzShare(f *testing.F) {
	for _, s := range []string{
		`[{"name": "a"}, {"name": "b"}, {"name": "bb"}, {"name": "c", "x": [{"name": "d"}, {"name": "e"}]}]`,
		`{"l": [{"a": 1}, {"a": 1}, {"a": 1, "a": 1}, {"a": 1, "a": 1}]}`,
		`[{"name": "\n"}, {"name": "\n"}, [{"name": 1}, {"name": 1}]]`, `[{}, {}]`, `[{"name": "x"}, {"name": "y"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkShare(t, string(src))
	})
}
