package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modeltool/modeltool/internal/diag"
)

func mustParse(t *testing.T, src string) *Document {
	t.Helper()
	d, err := Parse("t.json", []byte(src), Options{})
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return d
}

func TestPositions(t *testing.T) {
	src := "{\n  \"a\": 1,\n  \"b\": [true, \"x\"],\n\t\"c\": {\"d\": null}\n}"
	d := mustParse(t, src)
	cases := []struct {
		pointer   string
		line, col int
	}{
		{"", 1, 1},
		{"/a", 2, 8},
		{"/b", 3, 8},
		{"/b/0", 3, 9},
		{"/b/1", 3, 15},
		{"/c", 4, 7},
		{"/c/d", 4, 13},
	}
	for _, c := range cases {
		n := d.Root.Find(c.pointer)
		if n == nil {
			t.Fatalf("Find(%q) = nil", c.pointer)
		}
		p := d.Position(n.Offset)
		if p.Line != c.line || p.Col != c.col {
			t.Errorf("%q at %d:%d, want %d:%d", c.pointer, p.Line, p.Col, c.line, c.col)
		}
	}
	if m := d.Root.Member("c"); d.Position(m.KeyOffset) != (Position{Offset: m.KeyOffset, Line: 4, Col: 2}) {
		t.Errorf("key c at %+v", d.Position(m.KeyOffset))
	}
}

func TestStringPositionWithEscapes(t *testing.T) {
	// The decoded string is `é{x}` + ` * {y}`; find the column of "{y}" (decoded offset).
	src := `{"p": "\u00e9\t{x} * {y}"}`
	d := mustParse(t, src)
	n := d.Root.Get("p")
	dec := strings.Index(n.Text, "{y}")
	got := d.StringPosition(n, dec)
	want := strings.Index(src, "{y}") + 1
	if got.Line != 1 || got.Col != want {
		t.Errorf("StringPosition = %d:%d, want 1:%d", got.Line, got.Col, want)
	}
	// Without escapes the mapping is a plain offset.
	d = mustParse(t, `{"p": "{a} + {b}"}`)
	n = d.Root.Get("p")
	if got := d.StringPosition(n, 6); got.Col != 14 {
		t.Errorf("plain StringPosition col = %d, want 14", got.Col)
	}
	// A surrogate pair is 12 source bytes and 4 decoded bytes.
	src = `["\ud83d\ude00{z}"]`
	d = mustParse(t, src)
	n = d.Root.Items[0]
	if got := d.StringPosition(n, 4); got.Col != strings.Index(src, "{z}")+1 {
		t.Errorf("surrogate StringPosition col = %d, want %d", got.Col, strings.Index(src, "{z}")+1)
	}
}

func TestDuplicates(t *testing.T) {
	src := `{"a": 1, "b": {"x": 1, "x": 2, "x": 3}, "a": 2}`
	d := mustParse(t, src)
	type dup struct {
		key, ptr      string
		first, second int
	}
	var got []dup
	for _, x := range d.Duplicates {
		got = append(got, dup{x.Key, x.Pointer, x.First, x.Again})
	}
	want := []dup{
		{"x", "/b", strings.Index(src, `"x"`), strings.Index(src, `"x": 2`)},
		{"x", "/b", strings.Index(src, `"x"`), strings.Index(src, `"x": 3`)},
		{"a", "", 1, strings.Index(src, `"a": 2`)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("duplicates = %+v\nwant %+v", got, want)
	}
	if v := d.Root.Get("a"); v.Text != "2" {
		t.Errorf("Get returns %s, want the last value 2", v.Text)
	}
	// Many keys use the map path.
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 20; i++ {
		b.WriteString(`"k` + string(rune('a'+i)) + `": 1, `)
	}
	b.WriteString(`"kc": 2}`)
	d = mustParse(t, b.String())
	if len(d.Duplicates) != 1 || d.Duplicates[0].Key != "kc" {
		t.Errorf("duplicates in a wide object = %+v", d.Duplicates)
	}
	// Pointer escaping in the reported object.
	d = mustParse(t, `{"a/b": {"~": {"k": 1, "k": 2}}}`)
	if len(d.Duplicates) != 1 || d.Duplicates[0].Pointer != "/a~1b/~0" {
		t.Errorf("pointer = %+v", d.Duplicates)
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"", 1, 1, "empty file"},
		{"  \n\t ", 2, 3, "only whitespace"},
		{"\xef\xbb\xbf{}", 1, 1, "byte order mark"},
		{`{"a": 1`, 1, 8, "object opened at 1:1 is not closed"},
		{`{"a": `, 1, 7, "object opened at 1:1 is not closed"},
		{`{"a"`, 1, 5, "not closed"},
		{`{"a`, 1, 4, "string opened at 1:2 is not closed"},
		{`[1, 2`, 1, 6, "array opened at 1:1 is not closed"},
		{`{"a": 1} x`, 1, 10, "after the end of the JSON document"},
		{`{"a": 1}}`, 1, 9, "after the end of the JSON document"},
		{`{"a": 1,}`, 1, 9, "trailing comma"},
		{`[1,]`, 1, 4, "trailing comma"},
		{`{"a" 1}`, 1, 6, "expected ':'"},
		{`{a: 1}`, 1, 2, "expected a double-quoted key"},
		{`{"a": NaN}`, 1, 7, "NaN is not a JSON number"},
		{`{"a": -Infinity}`, 1, 7, "-Infinity is not a JSON number"},
		{`{"a": 01}`, 1, 7, "leading zeros"},
		{`{"a": 1.}`, 1, 9, "digit after '.'"},
		{`{"a": .5}`, 1, 7, "expected a value"},
		{`{"a": 1e}`, 1, 9, "exponent"},
		{`{"a": 12abc}`, 1, 7, `invalid number "12abc"`},
		{`{"a": tru}`, 1, 7, `"tru"`},
		{`{"a": truex}`, 1, 7, `"truex"`},
		{`{"a": silu}`, 1, 7, "strings need double quotes"},
		{"{\"a\": \"x\ny\"}", 1, 9, "line break inside the string opened at 1:7"},
		{"{\"a\": \"x\x01\"}", 1, 9, "control character U+0001"},
		{"{\"a\": \"\xff\"}", 1, 8, "invalid UTF-8 byte 0xff"},
		{"{\"a\": \"\\x\"}", 1, 8, `invalid escape \x in a string (JSON has \" \\ \/ \b \f \n \r \t and \uXXXX)`},
		{"{'a': 1}", 1, 2, "unexpected single quote: expected a double-quoted key"},
		{"{\"a\": 'b'}", 1, 7, "unexpected single quote: JSON strings need double quotes"},
		{"{\"a\": \"\\\x01\"}", 1, 8, `invalid escape: a backslash followed by control character U+0001 in a string`},
		{"{\"a\": \"\\\xff\"}", 1, 8, `invalid escape: a backslash followed by invalid UTF-8 byte 0xff in a string`},
		{`{"a": "\u12"}`, 1, 8, `invalid \u escape`},
		{"{\"a\":\n  [1 2]}", 2, 6, "expected ',' or ']'"},
		{`{"a": 1 "b": 2}`, 1, 9, "expected ',' or '}'"},
		{`[`, 1, 2, "not closed"},
		{`"abc`, 1, 5, "not closed"},
		{`tr`, 1, 3, "end of file inside true"},
	}
	for _, c := range cases {
		_, err := Parse("t.json", []byte(c.src), Options{})
		se, ok := syntaxFault(err)
		if !ok || se.Code != "syntax" {
			t.Errorf("Parse(%q) error = %v, want one syntax diagnostic", c.src, err)
			continue
		}
		if se.File != "t.json" || se.Line != c.line || se.Column != c.col || !strings.HasPrefix(se.Message, "invalid JSON: ") || !strings.Contains(se.Message, c.msg) {
			t.Errorf("Parse(%q) = %s:%d:%d %q, want t.json:%d:%d containing %q", c.src, se.File, se.Line, se.Column, se.Message, c.line, c.col, c.msg)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	_, err := Parse("deep.json", []byte(deep), Options{})
	se, found := syntaxFault(err)
	if !found || !strings.Contains(se.Message, "nest deeper than 1000 levels") || se.Column != 1001 || se.Code != "too-deep" {
		t.Fatalf("deep array: %v", err)
	}
	ok := strings.Repeat(`{"a":`, 999) + "1" + strings.Repeat("}", 999)
	if _, err := Parse("ok.json", []byte(ok), Options{}); err != nil {
		t.Fatalf("999 levels: %v", err)
	}
	if _, err := Parse("ok.json", []byte(ok), Options{MaxDepth: 10}); err == nil {
		t.Fatal("MaxDepth 10 accepted 999 levels")
	}
}

func TestWriteRoundTrip(t *testing.T) {
	src := `{"b": [1, 2.50, -0, 1e400, {"z": "q\"\\\n\u0001é"}], "a": {}, "c": [], "d": null, "e": false}`
	d := mustParse(t, src)
	out := Marshal(d.Root)
	want := `{
  "b": [
    1,
    2.50,
    -0,
    1e400,
    {
      "z": "q\"\\\n\u0001é"
    }
  ],
  "a": {},
  "c": [],
  "d": null,
  "e": false
}
`
	if string(out) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", out, want)
	}
	d2 := mustParse(t, string(out))
	if !Equal(d.Root, d2.Root) {
		t.Error("round trip changed the tree")
	}
	if !bytes.Equal(Marshal(d2.Root), out) {
		t.Error("Marshal is not stable")
	}
}

func TestBuildAndEdit(t *testing.T) {
	o := NewObject()
	o.Set("name", NewString("x"))
	o.Set("repeat", NewNumber("2"))
	o.Set("name", NewString("y"))
	o.Set("flag", NewBool(true))
	o.Set("nothing", NewNull())
	o.Set("list", NewArray(NewNumber("1")))
	if got := string(Marshal(o)); got != "{\n  \"name\": \"y\",\n  \"repeat\": 2,\n  \"flag\": true,\n  \"nothing\": null,\n  \"list\": [\n    1\n  ]\n}\n" {
		t.Errorf("built object:\n%s", got)
	}
	if !o.Delete("repeat") || o.Delete("repeat") || o.Get("repeat") != nil {
		t.Error("Delete")
	}
	c := o.Clone()
	c.Get("list").Items[0].Text = "5"
	if o.Get("list").Items[0].Text != "1" {
		t.Error("Clone shares items")
	}
}

func TestFind(t *testing.T) {
	d := mustParse(t, `{"a/b": [0, {"~x": 7}], "": 1}`)
	for ptr, want := range map[string]string{"/a~1b/1/~0x": "7", "/": "1", "/a~1b/0": "0"} {
		if n := d.Root.Find(ptr); n == nil || n.Text != want {
			t.Errorf("Find(%q) = %v", ptr, n)
		}
	}
	for _, ptr := range []string{"a", "/zz", "/a~1b/2", "/a~1b/-1", "/a~1b/01", "/a~1b/0/x"} {
		if n := d.Root.Find(ptr); n != nil {
			t.Errorf("Find(%q) = %v, want nil", ptr, n)
		}
	}
}

// FuzzParse checks the parser against encoding/json: whatever we accept, encoding/json accepts
// with the same value; whatever encoding/json rejects, we reject. We may reject more: a BOM,
// invalid UTF-8, and nesting past the depth limit.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a": [1, 2.5e3, -0, true, false, null, "x\u00e9\ud83d\ude00"]}`,
		`{"layers": [{"name": "a", "class": "b", "parameters": {"n": "{batch_size} * 2"}}]}`,
		`{"a": 1, "a": 2}`, `[1,]`, `{"a" 1}`, "\xef\xbb\xbf{}", `"\ud800"`, `1e400`, ` `, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse("f.json", src, Options{MaxDepth: 64})
		valid := json.Valid(src)
		if err != nil {
			se, ok := syntaxFault(err)
			if !ok {
				t.Fatalf("error is not one diagnostic: %v", err)
			}
			if se.Line < 1 || se.Column < 1 {
				t.Fatalf("bad position %+v", se)
			}
			if valid && utf8.Valid(src) && !bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) && se.Code != "too-deep" {
				t.Fatalf("rejected valid JSON %q: %v", src, err)
			}
			return
		}
		if !valid {
			t.Fatalf("accepted invalid JSON %q", src)
		}
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := ToAny(d.Root); !reflect.DeepEqual(got, want) {
			t.Fatalf("value differs from encoding/json:\n got %#v\nwant %#v", got, want)
		}
		out := Marshal(d.Root)
		if size := marshalSize(d.Root, 0) + 1; size != len(out) {
			t.Fatalf("marshalSize %d, Marshal wrote %d bytes", size, len(out))
		}
		if size, compact := compactSize(d.Root), MarshalCompact(d.Root); size != len(compact) {
			t.Fatalf("compactSize %d, MarshalCompact wrote %d bytes", size, len(compact))
		}
		d2, err := Parse("out.json", out, Options{MaxDepth: 64})
		if err != nil || !Equal(d.Root, d2.Root) {
			t.Fatalf("canonical output does not round-trip: %v\n%s", err, out)
		}
	})
}

// syntaxFault returns the one diagnostic a Parse error carries.
func syntaxFault(err error) (diag.Diagnostic, bool) {
	var f *diag.Faults
	if !errors.As(err, &f) || len(f.Diagnostics) != 1 {
		return diag.Diagnostic{}, false
	}
	return f.Diagnostics[0], true
}

// TestMarshalSize: Marshal's and MarshalCompact's buffers are sized by a first pass, exact for
// escapes of every kind, invalid UTF-8 and deep nesting.
func TestMarshalSize(t *testing.T) {
	deep := NewArray()
	for range 100 {
		deep = NewArray(deep, NewObject())
	}
	root := NewObject()
	root.Set("esc\"aped\\", NewString("a\nb\rc\td\be\ff\x01g\x1f\"\\ é \ufffd \xff\xfe end"))
	root.Set("number", NewNumber("1e400"))
	root.Set("bool", NewBool(true))
	root.Set("null", NewNull())
	root.Set("empty", NewObject())
	root.Set("list", NewArray(NewArray(), NewString("x"), deep))
	for _, n := range []*Node{root, deep, NewString("\x00"), NewNumber("0"), NewObject()} {
		out := Marshal(n)
		if size := marshalSize(n, 0) + 1; size != len(out) {
			t.Errorf("marshalSize %d, Marshal wrote %d bytes", size, len(out))
		}
		if size, compact := compactSize(n), MarshalCompact(n); size != len(compact) {
			t.Errorf("compactSize %d, MarshalCompact wrote %d bytes", size, len(compact))
		}
	}
}

// TestPointerAt: the pointer of the value at each offset, worked out by hand on the source —
// a key stands for its member, an offset inside a string or between values names the
// innermost value holding it, the root and a negative offset are "".
func TestPointerAt(t *testing.T) {
	src := `{"a": [1, {"b/c": "xyz"}], "d~": {"e": null}}`
	doc, err := Parse("t.json", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(sub string, delta int) int {
		i := strings.Index(src, sub)
		if i < 0 {
			t.Fatalf("%q not in the source", sub)
		}
		return i + delta
	}
	for _, c := range []struct {
		offset int
		want   string
	}{
		{0, ""},
		{-1, ""},
		{at(`"a"`, 0), "/a"},          // the key
		{at(`"a"`, 4), "/a"},          // the colon's space
		{at(`[1`, 0), "/a"},           // the array
		{at(`1,`, 0), "/a/0"},         // its first item
		{at(`, {`, 0), "/a/0"},        // after it, before the next: still the first
		{at(`{"b`, 0), "/a/1"},        // the object item
		{at(`"b/c"`, 0), "/a/1/b~1c"}, // a key with a slash
		{at(`"xyz"`, 0), "/a/1/b~1c"}, // its value
		{at(`"xyz"`, 2), "/a/1/b~1c"}, // inside the string
		{at(`"d~"`, 0), "/d~0"},       // a key with a tilde
		{at(`null`, 0), "/d~0/e"},     // nested value
	} {
		want := c.want
		if got := doc.PointerAt(c.offset); got != want {
			t.Errorf("offset %d (%q…): %q, want %q", c.offset, src[max(c.offset, 0):], got, want)
		}
	}
	if d := doc.Diagnostic(at(`"xyz"`, 0), "x", "m"); d.Pointer != "/a/1/b~1c" || d.Line != 1 {
		t.Errorf("Diagnostic: %+v", d)
	}
}
