package layers

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

func TestBuiltinParses(t *testing.T) {
	if _, err := parseBuiltin(); err != nil {
		t.Fatal(err)
	}
}

// TestParseErrorsInFileOrder: every problem of a broken catalog is reported, in the order of the
// file, whatever order the checks run in.
func TestParseErrorsInFileOrder(t *testing.T) {
	src := `{"classes":[{"class":"my.Op","category":"elementwise","parameters":[{"name":"n","type":"sizes"}],
 "formulas":{"flops":"{m} +"}}],
 "extra": 1}`
	_, err := Builtin().Extend("cat.json", []byte(src))
	if err == nil {
		t.Fatal("broken catalog accepted")
	}
	want := []string{
		`cat.json:1:69: error: parameter n of my.Op needs a one-line "meaning"`,
		`cat.json:1:88: error: unknown parameter type "sizes" (known: amount, boolean, bytes, count, number, size)`,
		`cat.json:2:28: error: formula flops of my.Op: unexpected end of expression: expected a number, a {variable}, "(" or a function call`,
		`cat.json:3:2: error: unknown key "extra" in the catalog (expected "classes", "aliases" or "activations")`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// TestParseFilesAliasesAnyFile: a catalog file's "aliases" may name a class of a file that comes
// after it in name order, and a file whose alias names no class of any file is reported.
func TestParseFilesAliasesAnyFile(t *testing.T) {
	const op = `{"classes":[{"class":"z.Op","category":"elementwise","description":"an op",
 "parameters":[{"name":"n","type":"amount","meaning":"elements"}],"formulas":{"flops":"{n}"},"notes":"1 FLOP."}]}`
	good := fstest.MapFS{
		"cat/a-alias.json": {Data: []byte(`{"aliases":{"a.Op":"z.Op"}}`)},
		"cat/z-op.json":    {Data: []byte(op)},
	}
	c, err := parseFiles(good, "cat")
	if err != nil {
		t.Fatal(err)
	}
	if cl := c.Lookup("a.Op"); cl == nil || cl.Name != "z.Op" {
		t.Errorf("a.Op resolves to %v, want z.Op", cl)
	}
	bad := fstest.MapFS{
		"cat/a-alias.json": {Data: []byte(`{"aliases":{"a.Op":"y.Op"}}`)},
		"cat/z-op.json":    {Data: []byte(op)},
	}
	_, err = parseFiles(bad, "cat")
	if err == nil || !strings.Contains(err.Error(), "a-alias.json") || !strings.Contains(err.Error(), "y.Op") {
		t.Errorf("an alias of a class no file has: error %v, want one naming a-alias.json and y.Op", err)
	}
	twice := fstest.MapFS{
		"cat/a.json": {Data: []byte(op)},
		"cat/b.json": {Data: []byte(op)},
	}
	if _, err = parseFiles(twice, "cat"); err == nil || !strings.Contains(err.Error(), "already defined") {
		t.Errorf("a class defined in two files: error %v, want one saying it is already defined", err)
	}
}

// TestNamesKnown: a file waits, unparsed, while its aliases name a class that neither it nor
// the files taken so far define — so the builtin catalog parses each file once.
func TestNamesKnown(t *testing.T) {
	parse := func(src string) *jsonpos.Document {
		doc, err := jsonpos.Parse("f.json", []byte(src), jsonpos.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	empty := &Catalog{byName: map[string]*Class{}}
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{`{"classes": []}`, true},
		{`{"aliases": {"a.Op": "z.Op"}}`, false},
		{`{"aliases": {"a.Op": "z.Op"}, "classes": [{"class": "z.Op"}]}`, true},
		{`{"aliases": {"a.Op": "z.Alias"}, "classes": [{"class": "z.Op", "aliases": ["z.Alias"]}]}`, true},
		{`{"aliases": {"a.Op": "torch.nn.modules.linear.Linear"}}`, false},
	} {
		if got := namesKnown(parse(tc.src), empty); got != tc.want {
			t.Errorf("%s with nothing taken: %v, want %v", tc.src, got, tc.want)
		}
	}
	if !namesKnown(parse(`{"aliases": {"a.Op": "torch.nn.modules.linear.Linear"}}`), Builtin()) {
		t.Error("an alias of a builtin class, on top of the builtin catalog: not known")
	}
	entries, err := fs.ReadDir(builtinFiles, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	parses := map[string]int{}
	parseHook = func(name string) { parses[name]++ }
	defer func() { parseHook = nil }()
	if _, err := parseBuiltin(); err != nil {
		t.Fatal(err)
	}
	if len(parses) != len(entries) {
		t.Errorf("%d of %d builtin files parsed", len(parses), len(entries))
	}
	for name, n := range parses {
		if n != 1 {
			t.Errorf("%s parsed %d times, want once", name, n)
		}
	}
}

// TestParseFilesReportsEveryFile: when no file can be taken, every file left reports its
// problems — a file skipped as not ready too, not only the ones that were parsed.
func TestParseFilesReportsEveryFile(t *testing.T) {
	bad := fstest.MapFS{
		"cat/a.json": {Data: []byte(`{"classes": [{"class": "a.Op", "category": "elementwise", "bogus": 1}]}`)},
		"cat/b.json": {Data: []byte(`{"aliases": {"b.Op": "c.Op"}}`)},
	}
	_, err := parseFiles(bad, "cat")
	if err == nil || !strings.Contains(err.Error(), "a.json") || !strings.Contains(err.Error(), "b.json") {
		t.Errorf("error %v, want one naming a.json and b.json", err)
	}
}
