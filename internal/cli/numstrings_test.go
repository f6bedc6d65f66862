package cli

import (
	"bytes"
	"encoding/json"
	"math/big"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// flatten lists every scalar of a JSON document decoded with UseNumber, by path, as text.
func flatten(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			flatten(c, path+"/"+k, out)
		}
	case []any:
		for i, c := range v {
			flatten(c, path+"/"+strconv.Itoa(i), out)
		}
	case json.Number:
		out[path] = "n:" + v.String()
	case string:
		out[path] = "s:" + v
	default:
		b, _ := json.Marshal(v)
		out[path] = "o:" + string(b)
	}
}

func decodeNumbers(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestNumberStrings: calc --format json --number-strings is calc's document with every number
// a string of the same digits, so a reader that rounds numbers beyond 2^53 (jq 1.6,
// JavaScript) reads them exactly. DeepSeek-V3 at batch 64 × 32,768 tokens has such figures.
func TestNumberStrings(t *testing.T) {
	args := []string{"calc", "--format", "json", "--batch-size", "64", "--seq-len", "32768", "--hardware", "H100-SXM", "../../models/deepseek-v3.json"}
	code, plain, stderr := run(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, quoted, stderr := run(t, append([]string{"calc", "--number-strings"}, args[1:]...)...)
	if code != 0 {
		t.Fatalf("--number-strings: exit %d: %s", code, stderr)
	}
	a, b := map[string]string{}, map[string]string{}
	flatten(decodeNumbers(t, []byte(plain)), "", a)
	flatten(decodeNumbers(t, []byte(quoted)), "", b)
	beyond := 0
	limit := new(big.Int).Lsh(big.NewInt(1), 53)
	for path, v := range a {
		w := b[path]
		if strings.HasPrefix(v, "n:") {
			if w != "s:"+v[2:] {
				t.Errorf("%s: %s became %s", path, v, w)
			}
			if n, ok := new(big.Int).SetString(v[2:], 10); ok && n.Cmp(limit) > 0 {
				beyond++
			}
		} else if w != v {
			t.Errorf("%s: %s became %s", path, v, w)
		}
	}
	if len(a) != len(b) || beyond == 0 {
		t.Errorf("%d values and %d, %d beyond 2^53", len(a), len(b), beyond)
	}
	// jq (Debian's 1.6 rounds numbers beyond 2^53) reads the strings exactly.
	if jq, err := exec.LookPath("jq"); err == nil {
		var totals struct {
			Totals struct{ FLOPs json.Number } `json:"totals"`
		}
		if err := json.Unmarshal([]byte(plain), &totals); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(jq, "-r", ".totals.flops")
		cmd.Stdin = strings.NewReader(quoted)
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) != totals.Totals.FLOPs.String() {
			t.Errorf("jq -r .totals.flops gives %q (%v), calc printed %s", out, err, totals.Totals.FLOPs)
		}
	}
	if code, _, stderr := run(t, "calc", "--number-strings", "../../models/gpt2.json"); code != 2 || !strings.Contains(stderr, "--number-strings applies to --format json") {
		t.Errorf("--number-strings with the table: exit %d, %q", code, stderr)
	}
}
