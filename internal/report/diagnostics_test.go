package report

import (
	"bytes"
	"testing"

	"github.com/modeltool/modeltool/internal/diag"
)

var sample = []diag.Diagnostic{
	{File: "a,b:c%.json", Line: 3, Column: 7, Pointer: "/layers/0", Layer: "m.x\ny", Severity: diag.Error, Code: "pattern", Message: "100% wrong\nreally"},
	{File: "b.json", Line: 1, Column: 1, Severity: diag.Warning, Code: "w", Message: "just a warning"},
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
