package report

import (
	"encoding/json"
	"testing"
)

func TestQuoteNumbers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"flops": 325357493893988352, "x": -0.5, "e": 1e400}`, `{"flops": "325357493893988352", "x": "-0.5", "e": "1e400"}`},
		{`{"s": "a 12 \"3\" \\", "n": [1, 2.25], "b": true, "z": null}`, `{"s": "a 12 \"3\" \\", "n": ["1", "2.25"], "b": true, "z": null}`},
		{`{"k-1": {"2": 0}}`, `{"k-1": {"2": "0"}}`},
		{`[]`, `[]`},
	} {
		got := string(QuoteNumbers([]byte(c.in)))
		if got != c.want {
			t.Errorf("QuoteNumbers(%s) = %s, want %s", c.in, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%s is not JSON", got)
		}
	}
}
