package e2e

import (
	"bytes"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestRowTimesAreTotals pins the rule docs/output.md states (DESIGN "The roofline bound of a row
// is … over all its instances"): a row's figures are one instance's, its roofline's times are
// those of all count instances. For every row of Llama-2-7b's decode step on an H100-SXM, the
// times are recomputed from the row's per-instance figures and the device in the document:
// compute = count × flops / peak, memory = count × (bytes_read + bytes_written) / bandwidth,
// seconds = their maximum (no communication on one device), each rounded to 9 places as printed.
// q_proj, count 32: 32 × 33,570,816 B / 3.35 TB/s = 320.676 µs, not one instance's 10.02 µs.
func TestRowTimesAreTotals(t *testing.T) {
	out, err := exec.Command(modeltool(t), "calc", "--hardware", "H100-SXM", "--seq-len", "1", "--past-len", "16", "--format", "json",
		filepath.Join(repoRoot, "models", "llama-2-7b-hf.json")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Hardware struct {
			PeakFlops       json.Number `json:"peak_flops"`
			MemoryBandwidth json.Number `json:"memory_bandwidth"`
		} `json:"hardware"`
		Layers []struct {
			Path         string
			Count, Flops json.Number
			BytesRead    json.Number `json:"bytes_read"`
			BytesWritten json.Number `json:"bytes_written"`
			Roofline     struct {
				Seconds        json.Number `json:"seconds"`
				ComputeSeconds json.Number `json:"compute_seconds"`
				MemorySeconds  json.Number `json:"memory_seconds"`
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	rat := func(n json.Number) *big.Rat {
		r, ok := new(big.Rat).SetString(string(n))
		if !ok {
			t.Fatalf("not a number: %q", n)
		}
		return r
	}
	printed := func(r *big.Rat) string { // as the document prints a time: 9 places, no trailing zeros
		s := r.FloatString(9)
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
		return s
	}
	peak, bw := rat(doc.Hardware.PeakFlops), rat(doc.Hardware.MemoryBandwidth)
	seen32 := false
	for _, l := range doc.Layers {
		count := rat(l.Count)
		compute := new(big.Rat).Quo(new(big.Rat).Mul(count, rat(l.Flops)), peak)
		bytes := new(big.Rat).Add(rat(l.BytesRead), rat(l.BytesWritten))
		memory := new(big.Rat).Quo(new(big.Rat).Mul(count, bytes), bw)
		bound := compute
		if memory.Cmp(compute) > 0 {
			bound = memory
		}
		for _, c := range []struct {
			what string
			got  json.Number
			want *big.Rat
		}{{"compute_seconds", l.Roofline.ComputeSeconds, compute}, {"memory_seconds", l.Roofline.MemorySeconds, memory}, {"seconds", l.Roofline.Seconds, bound}} {
			if printed(rat(c.got)) != printed(c.want) {
				t.Errorf("%s (count %s): %s %s, want count × one instance's = %s", l.Path, l.Count, c.what, c.got, printed(c.want))
			}
		}
		if l.Count == "32" && l.Path == "model.decoder_layer.self_attn.q_proj" {
			seen32 = true
			if string(l.Roofline.Seconds) != "0.000320676" {
				t.Errorf("q_proj: %s s, want 0.000320676", l.Roofline.Seconds)
			}
		}
	}
	if !seen32 {
		t.Error("no q_proj row of count 32")
	}
}
