package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/validate"
)

func TestPrintable(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"é and QKᵀ stay", "é and QKᵀ stay"},
		{"tab\there", `tab\there`},
		{"line\nbreak", `line\nbreak`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"nul\x00", `nul\x00`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"replacement \uFFFD kept", "replacement \uFFFD kept"},
	}
	for _, c := range cases {
		if got := printable(c.in); got != c.want {
			t.Errorf("printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDisplayLayer(t *testing.T) {
	long := strings.Repeat("n", 10000)
	if got, want := displayLayer("model."+long+".q"), "model."+strings.Repeat("n", 60)+"…(10000 bytes).q"; got != want {
		t.Errorf("long name: %q", got)
	}
	ok := strings.Repeat("n", 256)
	if got := displayLayer(ok); got != ok {
		t.Errorf("a 256-byte name was cut: %q", got)
	}
	// A multi-byte character is never cut in half.
	if got := displayLayer(strings.Repeat("é", 200)); !strings.HasPrefix(got, strings.Repeat("é", 30)+"…(400 bytes)") {
		t.Errorf("multi-byte name: %q", got)
	}
	if got := displayLayer("a\nb.c"); got != `a\nb.c` {
		t.Errorf("control character: %q", got)
	}
}

var sample = []validate.Diagnostic{
	{File: "a,b:c%.json", Line: 3, Column: 7, Pointer: "/layers/0", Layer: "m.x\ny", Severity: validate.Error, Code: "pattern", Message: "100% wrong\nreally"},
	{File: "b.json", Line: 1, Column: 1, Severity: validate.Warning, Code: "w", Message: "just a warning"},
}

func TestWriteDiagnostics(t *testing.T) {
	cases := []struct {
		format  string
		colored bool
		want    string
	}{
		{"text", false, "a,b:c%.json:3:7: error: m.x\\ny: 100% wrong\\nreally\nb.json:1:1: warning: just a warning\n"},
		{"text", true, "\x1b[1ma,b:c%.json:3:7:\x1b[22m \x1b[31;1merror:\x1b[0;22m \x1b[36mm.x\\ny\x1b[0m: 100% wrong\\nreally\n" +
			"\x1b[1mb.json:1:1:\x1b[22m \x1b[33;1mwarning:\x1b[0;22m just a warning\n"},
		{"github", false, "::error file=a%2Cb%3Ac%25.json,line=3,col=7,title=modeltool pattern::m.x\\ny: 100%25 wrong\\nreally\n" +
			"::warning file=b.json,line=1,col=1,title=modeltool w::just a warning\n"},
		{"json", false, `{
  "files": 2,
  "errors": 1,
  "warnings": 1,
  "diagnostics": [
    {
      "file": "a,b:c%.json",
      "line": 3,
      "column": 7,
      "pointer": "/layers/0",
      "layer": "m.x\ny",
      "severity": "error",
      "code": "pattern",
      "message": "100% wrong\nreally"
    },
    {
      "file": "b.json",
      "line": 1,
      "column": 1,
      "pointer": "",
      "layer": "",
      "severity": "warning",
      "code": "w",
      "message": "just a warning"
    }
  ]
}
`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := WriteDiagnostics(&b, c.format, sample, 2, c.colored); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s (colour %v):\n got %q\nwant %q", c.format, c.colored, b.String(), c.want)
		}
	}
	var b bytes.Buffer
	if err := WriteDiagnostics(&b, "json", nil, 3, false); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"files\": 3,\n  \"errors\": 0,\n  \"warnings\": 0,\n  \"diagnostics\": []\n}\n"; b.String() != want {
		t.Errorf("empty json: %q", b.String())
	}
	if err := WriteDiagnostics(&b, "xml", nil, 0, false); err == nil {
		t.Error("xml accepted")
	}
}

// TestGitHubEscaping: a newline in the data part would end the workflow command; %, comma and
// colon in a property would end the property.
func TestGitHubEscaping(t *testing.T) {
	if got := githubEscapeData("50%\r\nx: y, z"); got != "50%25%0D%0Ax: y, z" {
		t.Errorf("data: %q", got)
	}
	if got := githubEscapeProperty("a%b,c:d\ne"); got != "a%25b%2Cc%3Ad%0Ae" {
		t.Errorf("property: %q", got)
	}
}
