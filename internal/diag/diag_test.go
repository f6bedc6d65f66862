package diag

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "m.json", Line: 3, Column: 7, Layer: "model.x", Severity: Error, Message: "bad"}, "m.json:3:7: error: model.x: bad"},
		{Diagnostic{File: "m.json", Line: 1, Column: 1, Severity: Warning, Message: "hm"}, "m.json:1:1: warning: hm"},
		// A fault of the file as a whole has no line and column.
		{Diagnostic{File: "config.json", Severity: Error, Message: "fails a requirement"}, "config.json: error: fails a requirement"},
		// Nothing from a file reaches a terminal raw.
		{Diagnostic{File: "a\x1b.json", Line: 1, Column: 2, Layer: "l\n", Message: "m\tx"}, `a\x1b.json:1:2: error: l\n: m\tx`},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.d, got, c.want)
		}
	}
}

func TestJSONShape(t *testing.T) {
	d := Diagnostic{File: "f", Line: 1, Column: 2, Pointer: "/a", Layer: "l", Severity: Warning, Code: "c", Message: "m"}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"f","line":1,"column":2,"pointer":"/a","layer":"l","severity":"warning","code":"c","message":"m"}`
	if string(b) != want {
		t.Errorf("%s\nwant %s", b, want)
	}
	var back Diagnostic
	if err := json.Unmarshal(b, &back); err != nil || back != d {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"severity":"fatal"}`), &back); err == nil {
		t.Error("unknown severity accepted")
	}
}

func TestSplit(t *testing.T) {
	a := Diagnostic{File: "a", Line: 1, Column: 1, Code: "x", Message: "one"}
	b := Diagnostic{File: "b", Line: 2, Column: 1, Code: "y", Message: "two"}
	plain := errors.New("no position")
	err := errors.Join(fmt.Errorf("context: %w", New(a)), plain, New(b), nil)
	ds, rest := Split(err)
	if !reflect.DeepEqual(ds, []Diagnostic{a, b}) {
		t.Errorf("diagnostics %+v", ds)
	}
	if len(rest) != 1 || rest[0] != plain {
		t.Errorf("rest %v", rest)
	}
	if ds, rest := Split(nil); ds != nil || rest != nil {
		t.Errorf("Split(nil) = %v, %v", ds, rest)
	}
	if New() != nil {
		t.Error("New() of nothing is not nil")
	}
	if got := New(a, b).Error(); got != "a:1:1: error: one\nb:2:1: error: two" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSortAndCount(t *testing.T) {
	ds := []Diagnostic{
		{File: "b", Line: 1, Column: 1, Severity: Error, Message: "x"},
		{File: "a", Line: 2, Column: 1, Severity: Warning, Message: "w"},
		{File: "a", Line: 2, Column: 1, Severity: Error, Message: "z"},
		{File: "a", Line: 1, Column: 9, Severity: Error, Message: "y"},
	}
	Sort(ds)
	var got []string
	for _, d := range ds {
		got = append(got, d.Message)
	}
	if fmt.Sprint(got) != "[y z w x]" {
		t.Errorf("order %v", got)
	}
	if e, w := Count(ds); e != 3 || w != 1 {
		t.Errorf("Count = %d, %d", e, w)
	}
	if n := len(Errors(ds)); n != 3 {
		t.Errorf("Errors: %d", n)
	}
}
