package jsonpos

import "testing"

// TestEditKeepsNeighbours edits a parsed tree whose members and items were handed out from one
// block: growing one object or array must not write over the next.
func TestEditKeepsNeighbours(t *testing.T) {
	d := mustParse(t, `[{"a": 1}, {"b": 2}, [3], [4]]`)
	first, second := d.Root.Items[0], d.Root.Items[1]
	first.Set("x", NewNumber("9"))
	first.Insert(0, "y", NewNumber("8"))
	d.Root.Items[2].Items = append(d.Root.Items[2].Items, NewNumber("5"))
	if got := string(Marshal(second)); got != "{\n  \"b\": 2\n}\n" {
		t.Errorf("the next object is now %s", got)
	}
	if got := d.Root.Items[3].Items[0].Text; got != "4" {
		t.Errorf("the next array holds %s", got)
	}
	if got := string(Marshal(first)); got != "{\n  \"y\": 8,\n  \"a\": 1,\n  \"x\": 9\n}\n" {
		t.Errorf("the edited object is %s", got)
	}
}
