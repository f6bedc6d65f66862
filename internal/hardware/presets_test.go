package hardware

import (
	"math/big"
	"strings"
	"testing"
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad rational " + s)
	}
	return r
}

func TestPresetsComplete(t *testing.T) {
	ps := Presets()
	if len(ps) < 7 {
		t.Fatalf("got %d presets, want at least 7", len(ps))
	}
	for _, d := range ps {
		if d.Vendor == "" {
			t.Errorf("%s: no vendor", d.Name)
		}
		if strings.TrimSpace(d.Source) == "" {
			t.Errorf("%s: no source", d.Name)
		}
		if strings.TrimSpace(d.Notes) == "" {
			t.Errorf("%s: no notes", d.Name)
		}
		if d.MemoryBytes == nil || d.MemoryBytes.Sign() <= 0 {
			t.Errorf("%s: no memory capacity", d.Name)
		}
		if d.MemoryBandwidth == nil || d.MemoryBandwidth.Sign() <= 0 {
			t.Errorf("%s: no memory bandwidth", d.Name)
		}
		for _, dt := range []string{"fp16", "bf16"} {
			if _, err := d.Peak(dt); err != nil {
				t.Errorf("%s: %v", d.Name, err)
			}
		}
		fp16, _ := d.Peak("fp16")
		for _, dt := range []string{"fp8", "int8"} {
			if p, ok := d.PeakFLOPS[dt]; ok && p.Cmp(fp16) < 0 {
				t.Errorf("%s: %s peak %s is below fp16 peak %s", d.Name, dt, p.FloatString(0), fp16.FloatString(0))
			}
		}
		// Every preset figure is a whole number of FLOP/s and bytes/s,
		// as presets.json promises.
		if !d.MemoryBandwidth.IsInt() {
			t.Errorf("%s: bandwidth %s is not an integer", d.Name, d.MemoryBandwidth.RatString())
		}
		for k, v := range d.PeakFLOPS {
			if !v.IsInt() {
				t.Errorf("%s: %s peak %s is not an integer", d.Name, k, v.RatString())
			}
		}
	}
}

func TestPresetsRequired(t *testing.T) {
	for _, n := range []string{"A100-SXM-80GB", "H100-SXM", "H200", "B200", "MI300X", "L4", "RTX-4090",
		"H100-PCIe", "A100-PCIe-80GB", "A100-PCIe-40GB", "MI325X", "L40S", "GB200"} {
		d, err := Lookup(n)
		if err != nil {
			t.Errorf("Lookup(%q): %v", n, err)
			continue
		}
		if d.Name != n {
			t.Errorf("Lookup(%q).Name = %q", n, d.Name)
		}
	}
}

func TestPresetsSortedAndAliasesUnique(t *testing.T) {
	ps := Presets()
	for i := 1; i < len(ps); i++ {
		if strings.ToLower(ps[i-1].Name) > strings.ToLower(ps[i].Name) {
			t.Errorf("presets not sorted: %s before %s", ps[i-1].Name, ps[i].Name)
		}
	}
	owner := map[string]string{}
	for _, d := range ps {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			k := normalize(n)
			if o, dup := owner[k]; dup {
				t.Errorf("name/alias %q of %s is also a name/alias of %s", n, d.Name, o)
			}
			owner[k] = d.Name
		}
	}
}

// TestPresetSpotValues pins figures copied by hand from the vendor
// documents, so that a typo in presets.json fails here.
func TestPresetSpotValues(t *testing.T) {
	gib := func(n int64) *big.Rat { return new(big.Rat).SetInt64(n << 30) }
	tests := []struct {
		device, what string
		want         *big.Rat
	}{
		// NVIDIA H100 whitepaper, H100 SXM5 column: "Peak BF16 Tensor TFLOPS
		// with FP32 Accumulate 989.4/1978.9" (dense/sparse).
		{"H100-SXM", "bf16", rat("989400000000000")},
		// Same table: "Peak FP8 Tensor TFLOPS with FP32 Accumulate 1978.9/3957.8".
		{"H100-SXM", "fp8", rat("1978900000000000")},
		// H100 datasheet, H100 SXM: "GPU memory bandwidth 3.35TB/s".
		{"H100-SXM", "bandwidth", rat("3350000000000")},
		// H100 datasheet: "GPU memory 80GB" = 80 GiB.
		{"H100-SXM", "memory", gib(80)},
		// A100 datasheet, A100 80GB SXM: "GPU Memory Bandwidth 2,039GB/s".
		{"A100-SXM-80GB", "bandwidth", rat("2039000000000")},
		// A100 datasheet: "BFLOAT16 Tensor Core 312 TFLOPS | 624 TFLOPS*".
		{"A100-SXM-80GB", "bf16", rat("312000000000000")},
		// A100 whitepaper: "Peak INT4 Tensor Core 1248 TOPS | 2496 TOPS".
		{"A100-SXM-80GB", "int4", rat("1248000000000000")},
		// A100 datasheet, A100 80GB PCIe: "GPU Memory Bandwidth 1,935GB/s".
		{"A100-PCIe-80GB", "bandwidth", rat("1935000000000")},
		// H200 datasheet: "GPU Memory 141GB", "GPU Memory Bandwidth 4.8TB/s".
		{"H200", "memory", gib(141)},
		{"H200", "bandwidth", rat("4800000000000")},
		// DGX B200 datasheet: "72 PFLOPS training (FP8)" for 8 GPUs, sparse:
		// 72/8/2 = 4.5 PFLOPS dense per GPU; "1,440GB total" / 8 = 180 GiB.
		{"B200", "fp8", rat("4500000000000000")},
		{"B200", "memory", gib(180)},
		// GB200 NVL72 page, superchip: "FP16/BF16 Tensor Core 10 PFLOPS"
		// sparse for 2 GPUs: 10/2/2 = 2.5 PFLOPS dense per GPU.
		{"GB200", "bf16", rat("2500000000000000")},
		// ROCm MI300 microarchitecture table: "Matrix FP8 ... 2614.9",
		// "Matrix BF16 ... 1307.4"; text: "5.3 TB per second".
		{"MI300X", "fp8", rat("2614900000000000")},
		{"MI300X", "bf16", rat("1307400000000000")},
		{"MI300X", "bandwidth", rat("5300000000000")},
		// ROCm gpu-arch-specs: MI300X "VRAM (GiB) 192", MI325X 256.
		{"MI300X", "memory", gib(192)},
		{"MI325X", "memory", gib(256)},
		// L4 datasheet: "FP16 Tensor Core 242 teraFLOPS*" (sparse) -> 121 dense;
		// "FP8 Tensor Core 485 teraFLOPS*" -> 242.5; "300GB/s".
		{"L4", "fp16", rat("121000000000000")},
		{"L4", "fp8", rat("242500000000000")},
		{"L4", "bandwidth", rat("300000000000")},
		// L40S datasheet: "BFLOAT16 Tensor Core 362.05 | 733*".
		{"L40S", "bf16", rat("362050000000000")},
		// Ada whitepaper, RTX 4090: "Peak BF16 Tensor TFLOPS with FP32
		// Accumulate 165.2/330.4", "Peak INT4 Tensor TOPS 1321.2/2642.4",
		// "1008 GB/sec".
		{"RTX-4090", "bf16", rat("165200000000000")},
		{"RTX-4090", "int4", rat("1321200000000000")},
		{"RTX-4090", "bandwidth", rat("1008000000000")},
	}
	for _, tc := range tests {
		d, err := Lookup(tc.device)
		if err != nil {
			t.Fatal(err)
		}
		var got *big.Rat
		switch tc.what {
		case "bandwidth":
			got = d.MemoryBandwidth
		case "memory":
			got = new(big.Rat).SetInt(d.MemoryBytes)
		default:
			got, err = d.Peak(tc.what)
			if err != nil {
				t.Errorf("%s: %v", tc.device, err)
				continue
			}
		}
		if got.Cmp(tc.want) != 0 {
			t.Errorf("%s %s = %s, want %s", tc.device, tc.what, got.RatString(), tc.want.RatString())
		}
	}
}

// TestPresetsOmitWhatTheyLack pins the deliberate gaps: no INT4 tensor path
// on Hopper, no FP8 on Ampere, no unsourced fp32 on Blackwell.
func TestPresetsOmitWhatTheyLack(t *testing.T) {
	for _, tc := range []struct{ device, dtype string }{
		{"H100-SXM", "int4"}, {"H200", "int4"}, {"A100-SXM-80GB", "fp8"},
		{"MI300X", "int4"}, {"B200", "fp32"}, {"GB200", "fp32"},
	} {
		d, err := Lookup(tc.device)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Peak(tc.dtype); err == nil {
			t.Errorf("%s has a %s peak; the sources give none", tc.device, tc.dtype)
		}
	}
}

func TestLookupNormalizes(t *testing.T) {
	for in, want := range map[string]string{
		"h100-sxm":                "H100-SXM",
		"H100_SXM":                "H100-SXM",
		"h100 sxm":                "H100-SXM",
		"H100SXM":                 "H100-SXM",
		"h100":                    "H100-SXM",
		"H100-SXM5-80GB":          "H100-SXM",
		"NVIDIA H100 80GB HBM3":   "H100-SXM",
		"NVIDIA A100-SXM4-80GB":   "A100-SXM-80GB",
		"NVIDIA A100 80GB PCIe":   "A100-PCIe-80GB",
		"nvidia-a100-pcie-40gb":   "A100-PCIe-40GB",
		"AMD Instinct MI300X":     "MI300X",
		"mi325x":                  "MI325X",
		"rtx 4090":                "RTX-4090",
		"NVIDIA GeForce RTX 4090": "RTX-4090",
		"l40s":                    "L40S",
		"gb200":                   "GB200",
	} {
		d, err := Lookup(in)
		if err != nil {
			t.Errorf("Lookup(%q): %v", in, err)
			continue
		}
		if d.Name != want {
			t.Errorf("Lookup(%q) = %s, want %s", in, d.Name, want)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for in, want := range map[string]string{
		"H100-SXM6":   "did you mean H100-SXM?",
		"mi300":       "did you mean MI300X?",
		"A100 SXM 80": "did you mean A100-SXM-80GB?",
		"L40":         "did you mean L40S?",
		"RTX-4080":    "did you mean RTX-4090?",
	} {
		_, err := Lookup(in)
		if err == nil {
			t.Errorf("Lookup(%q) succeeded", in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, want) {
			t.Errorf("Lookup(%q) error %q does not contain %q", in, msg, want)
		}
		if !strings.Contains(msg, "known: A100-PCIe-40GB, ") || !strings.Contains(msg, "RTX-4090") {
			t.Errorf("Lookup(%q) error %q does not list the known names", in, msg)
		}
	}
	_, err := Lookup("tpu-v5p")
	if err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "known:") {
		t.Errorf("Lookup(tpu-v5p) = %v, want an error listing names without a far-fetched suggestion", err)
	}
	if _, err := Lookup(""); err == nil {
		t.Error("Lookup(\"\") succeeded")
	}
}

func TestPeak(t *testing.T) {
	d, err := Lookup("H100-SXM")
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Peak("BF16")
	if err != nil || p.Cmp(rat("989400000000000")) != 0 {
		t.Errorf("Peak(BF16) = %v, %v", p, err)
	}
	_, err = d.Peak("int4")
	if err == nil || !strings.Contains(err.Error(), "H100-SXM has no peak figure for int4") ||
		!strings.Contains(err.Error(), "it has: fp32, tf32, fp16, bf16, fp8, int8") {
		t.Errorf("Peak(int4) error = %v", err)
	}
	_, err = d.Peak("fp64")
	if err == nil || !strings.Contains(err.Error(), `unknown dtype "fp64"`) {
		t.Errorf("Peak(fp64) error = %v", err)
	}
	// The result is a copy: changing it changes nothing shared.
	p.SetInt64(1)
	again, _ := d.Peak("bf16")
	if again.Cmp(rat("989400000000000")) != 0 {
		t.Error("Peak returned shared state")
	}
}

func TestPresetsAreCopies(t *testing.T) {
	a := Presets()
	a[0].PeakFLOPS["fp16"].SetInt64(1)
	a[0].MemoryBandwidth.SetInt64(1)
	a[0].MemoryBytes.SetInt64(1)
	a[0].Aliases[0] = "changed"
	b := Presets()
	if b[0].PeakFLOPS["fp16"].Cmp(big.NewRat(1, 1)) == 0 || b[0].MemoryBandwidth.Cmp(big.NewRat(1, 1)) == 0 ||
		b[0].MemoryBytes.Cmp(big.NewInt(1)) == 0 || b[0].Aliases[0] == "changed" {
		t.Error("Presets returned shared state")
	}
	d, _ := Lookup(b[0].Name)
	d.PeakFLOPS["fp16"].SetInt64(1)
	if e, _ := Lookup(b[0].Name); e.PeakFLOPS["fp16"].Cmp(big.NewRat(1, 1)) == 0 {
		t.Error("Lookup returned shared state")
	}
}

func TestDTypes(t *testing.T) {
	got := strings.Join(DTypes(), ",")
	if got != "fp32,tf32,fp16,bf16,fp8,int8,int4" {
		t.Errorf("DTypes() = %s", got)
	}
	DTypes()[0] = "x"
	if DTypes()[0] != "fp32" {
		t.Error("DTypes returned shared state")
	}
}

// TestPresetInterconnects pins every preset's interconnect by hand: the vendor's bidirectional
// figure halved (NVLink 3: 600 GB/s; NVLink 4: 900 GB/s; NVLink 5: 1.8 TB/s; 7 Infinity Fabric
// links × 128 GB/s = 896 GB/s; PCIe 4.0 x16: 64 GB/s; PCIe 5.0 x16: 128 GB/s).
func TestPresetInterconnects(t *testing.T) {
	want := map[string]int64{
		"A100-SXM-80GB": 600e9 / 2, "A100-SXM-40GB": 600e9 / 2,
		"A100-PCIe-80GB": 64e9 / 2, "A100-PCIe-40GB": 64e9 / 2,
		"H100-SXM": 900e9 / 2, "H100-PCIe": 128e9 / 2, "H200": 900e9 / 2,
		"B200": 1800e9 / 2, "GB200": 1800e9 / 2,
		"MI300X": 7 * 128e9 / 2, "MI325X": 7 * 128e9 / 2,
		"L4": 64e9 / 2, "L40S": 64e9 / 2, "RTX-4090": 64e9 / 2,
	}
	ps := Presets()
	if len(ps) != len(want) {
		t.Errorf("%d presets, %d pinned: pin the new one's interconnect", len(ps), len(want))
	}
	for _, d := range ps {
		w, ok := want[d.Name]
		if !ok {
			continue
		}
		if d.InterconnectBandwidth == nil || d.InterconnectBandwidth.Cmp(big.NewRat(w, 1)) != 0 || d.Interconnect == "" {
			t.Errorf("%s: interconnect %q %v bytes/s, want %d", d.Name, d.Interconnect, d.InterconnectBandwidth, w)
		}
	}
}
