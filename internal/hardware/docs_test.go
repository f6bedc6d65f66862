package hardware

import (
	"flag"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/hardware.md")

const (
	docsPath   = "../../docs/hardware.md"
	beginMark  = "<!-- BEGIN GENERATED: go test ./internal/hardware -run TestDocs -update -->"
	endMark    = "<!-- END GENERATED -->"
	teraFactor = 1_000_000_000_000
)

// decimal prints r exactly when its denominator has only the factors 2 and
// 5 (every figure here does), with no trailing zeros.
func decimal(r *big.Rat) string {
	x := new(big.Rat).Set(r)
	ten := big.NewRat(10, 1)
	places := 0
	for !x.IsInt() {
		if places == 30 {
			return r.FloatString(9)
		}
		x.Mul(x, ten)
		places++
	}
	s := x.Num().String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if places > 0 {
		for len(s) <= places {
			s = "0" + s
		}
		s = s[:len(s)-places] + "." + s[len(s)-places:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// mdEscape keeps the datasheets' sparsity marks ('*') literal in Markdown.
// (Underscores inside words, as in URLs, need no escape in GFM.)
func mdEscape(s string) string {
	return strings.ReplaceAll(s, "*", `\*`)
}

func scaled(r *big.Rat, by int64) string {
	return decimal(new(big.Rat).Quo(r, new(big.Rat).SetInt64(by)))
}

// renderDocs produces the generated part of docs/hardware.md.
func renderDocs(ps []Device) string {
	var b strings.Builder
	b.WriteString(beginMark + "\n\n")
	b.WriteString("Dense peaks in TFLOP/s (int8 and int4 in TOP/s); bandwidth in TB/s (10^12 bytes/s); memory in GiB (2^30 bytes); interconnect in GB/s (10^9 bytes/s) one device sends to its peers, one direction. A dash means the preset has no figure for that dtype (see its notes).\n\n")
	b.WriteString("| Name | Vendor |")
	for _, dt := range DTypes() {
		b.WriteString(" " + dt + " |")
	}
	b.WriteString(" Bandwidth TB/s | Memory GiB | Interconnect GB/s |\n|---|---|")
	for range DTypes() {
		b.WriteString("---:|")
	}
	b.WriteString("---:|---:|---:|\n")
	for _, d := range ps {
		fmt.Fprintf(&b, "| [%s](#%s) | %s |", d.Name, strings.ToLower(d.Name), d.Vendor)
		for _, dt := range DTypes() {
			if p, ok := d.PeakFLOPS[dt]; ok {
				b.WriteString(" " + scaled(p, teraFactor) + " |")
			} else {
				b.WriteString(" — |")
			}
		}
		mem := new(big.Rat).SetInt(d.MemoryBytes)
		link := "—"
		if d.InterconnectBandwidth != nil {
			link = scaled(d.InterconnectBandwidth, 1_000_000_000) + " (" + d.Interconnect + ")"
		}
		fmt.Fprintf(&b, " %s | %s | %s |\n", scaled(d.MemoryBandwidth, teraFactor), scaled(mem, 1<<30), link)
	}
	b.WriteString("\n## Sources and notes per preset\n")
	for _, d := range ps {
		fmt.Fprintf(&b, "\n### %s\n\n", d.Name)
		if len(d.Aliases) > 0 {
			fmt.Fprintf(&b, "Also accepted: `%s`.\n\n", strings.Join(d.Aliases, "`, `"))
		}
		fmt.Fprintf(&b, "Memory %s bytes, bandwidth %s bytes/s", d.MemoryBytes, decimal(d.MemoryBandwidth))
		if d.InterconnectBandwidth != nil {
			fmt.Fprintf(&b, ", interconnect %s: %s bytes/s each way", d.Interconnect, decimal(d.InterconnectBandwidth))
		}
		b.WriteString(".\n\n")
		b.WriteString("Sources:\n\n")
		for _, s := range strings.Split(d.Source, "\n") {
			b.WriteString("- " + mdEscape(s) + "\n")
		}
		b.WriteString("\nNotes:\n\n")
		for _, s := range strings.Split(d.Notes, "\n") {
			b.WriteString("- " + mdEscape(s) + "\n")
		}
	}
	b.WriteString("\n" + endMark)
	return b.String()
}

func TestDocs(t *testing.T) {
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-section markers", docsPath)
	}
	want := renderDocs(Presets())
	got := doc[i : j+len(endMark)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(docsPath, []byte(doc[:i]+want+doc[j+len(endMark):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with presets.json; run: go test ./internal/hardware -run TestDocs -update", docsPath)
}

// TestDocsExample checks that the complete example in docs/hardware.md is a
// valid hardware file.
func TestDocsExample(t *testing.T) {
	raw, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	const open = "```json\n"
	k := strings.Index(doc, open)
	if k < 0 {
		t.Fatal("no ```json example in the docs")
	}
	rest := doc[k+len(open):]
	end := strings.Index(rest, "```")
	if end < 0 {
		t.Fatal("unterminated example")
	}
	ds, err := ParseFile([]byte(rest[:end]), "docs example")
	if err != nil {
		t.Fatalf("the docs example does not parse: %v", err)
	}
	if len(ds) < 2 {
		t.Errorf("the docs example has %d devices, want an array of at least 2", len(ds))
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]string{
		"989400000000000/1000000000000": "989.4",
		"0":                             "0",
		"3/10":                          "0.3",
		"-1/8":                          "-0.125",
		"362050/1000":                   "362.05",
		"1125":                          "1125",
	} {
		if got := decimal(rat(in)); got != want {
			t.Errorf("decimal(%s) = %s, want %s", in, got, want)
		}
	}
}
