package hardware

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseFileGood(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, ds []Device)
	}{
		{
			name:  "minimal single object",
			input: `{"name": "my-gpu", "memory_bandwidth": 1000000000000, "peak_flops": {"bf16": 100000000000000}}`,
			check: func(t *testing.T, ds []Device) {
				if len(ds) != 1 || ds[0].Name != "my-gpu" {
					t.Fatalf("got %+v", ds)
				}
				if ds[0].MemoryBytes != nil {
					t.Errorf("MemoryBytes = %v, want nil when absent", ds[0].MemoryBytes)
				}
				if ds[0].MemoryBandwidth.Cmp(rat("1000000000000")) != 0 {
					t.Errorf("bandwidth = %s", ds[0].MemoryBandwidth.RatString())
				}
			},
		},
		{
			name: "array with decimals read exactly",
			input: `[
  {
    "name": "Lab-H100",
    "aliases": ["lab h100", "our-hopper"],
    "vendor": "NVIDIA",
    "memory_bytes": 85899345920,
    "memory_bandwidth": 3.35e12,
    "peak_flops": {"bf16": 989.4e12, "fp16": 9.894E+14, "fp8": 1978.9e12, "tf32": 0.4947e15},
    "interconnect": "NVLink 4",
    "interconnect_bandwidth": 0.45e12,
    "source": ["our benchmark", "vendor sheet"],
    "notes": "measured at 700 W"
  },
  {
    "name": "tiny",
    "memory_bandwidth": 0.1,
    "peak_flops": {"int4": 123456789012345678901234567890, "fp32": 1e-3}
  }
]`,
			check: func(t *testing.T, ds []Device) {
				if len(ds) != 2 {
					t.Fatalf("got %d devices", len(ds))
				}
				h := ds[0]
				for dt, want := range map[string]string{"bf16": "989400000000000", "fp16": "989400000000000", "fp8": "1978900000000000", "tf32": "494700000000000"} {
					if got, err := h.Peak(dt); err != nil || got.Cmp(rat(want)) != 0 {
						t.Errorf("%s = %v, %v; want %s", dt, got, err, want)
					}
				}
				if h.InterconnectBandwidth.Cmp(rat("450000000000")) != 0 || h.Interconnect != "NVLink 4" {
					t.Errorf("interconnect = %q %v", h.Interconnect, h.InterconnectBandwidth)
				}
				if ds[1].InterconnectBandwidth != nil {
					t.Errorf("interconnect bandwidth %v, want nil when absent", ds[1].InterconnectBandwidth)
				}
				if h.MemoryBandwidth.Cmp(rat("3350000000000")) != 0 {
					t.Errorf("bandwidth = %s", h.MemoryBandwidth.RatString())
				}
				if h.MemoryBytes.Cmp(big.NewInt(80<<30)) != 0 {
					t.Errorf("memory = %s", h.MemoryBytes)
				}
				if h.Source != "our benchmark\nvendor sheet" || h.Notes != "measured at 700 W" || h.Vendor != "NVIDIA" {
					t.Errorf("text fields: %q %q %q", h.Source, h.Notes, h.Vendor)
				}
				if strings.Join(h.Aliases, "|") != "lab h100|our-hopper" {
					t.Errorf("aliases = %q", h.Aliases)
				}
				tiny := ds[1]
				if tiny.MemoryBandwidth.Cmp(big.NewRat(1, 10)) != 0 {
					t.Errorf("0.1 read as %s, want exactly 1/10", tiny.MemoryBandwidth.RatString())
				}
				if got, _ := tiny.Peak("fp32"); got.Cmp(big.NewRat(1, 1000)) != 0 {
					t.Errorf("1e-3 read as %s", got.RatString())
				}
				if got, _ := tiny.Peak("int4"); got.Cmp(rat("123456789012345678901234567890")) != 0 {
					t.Errorf("long integer read as %s", got.RatString())
				}
			},
		},
		{
			name:  "the embedded presets parse as a user file",
			input: string(presetsJSON),
			check: func(t *testing.T, ds []Device) {
				if len(ds) != len(Presets()) {
					t.Errorf("got %d devices, want %d", len(ds), len(Presets()))
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ParseFile([]byte(tc.input), "mine.json")
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			tc.check(t, ds)
		})
	}
}

func TestParseFileBad(t *testing.T) {
	const ok = `"memory_bandwidth": 1e12, "peak_flops": {"fp16": 1e14}`
	tests := []struct {
		name  string
		input string
		want  []string // substrings the error must contain
	}{
		{"invalid JSON has line:col", "{\n  \"name\": \"x\",\n}", []string{"mine.json:3:1: error: invalid JSON"}},
		{"truncated JSON", `{"name": "x", "memory_bandwidth": 1e12`, []string{"mine.json:1:", "not closed"}},
		{"empty input", ``, []string{"mine.json:1:1: error: invalid JSON"}},
		{"trailing data", `{"name": "x", ` + ok + `} {}`, []string{"after the end of the JSON document"}},
		{"empty array", `[]`, []string{"mine.json:1:1: error: the array has no devices"}},
		{"top-level number", `42`, []string{"expected a device object or an array of them, got number"}},
		{"array of non-objects", `[{"name": "a", ` + ok + `}, 7]`, []string{"mine.json:1:", "device 2: expected an object, got number"}},
		{"unknown key with position", "{\n  \"name\": \"X\",\n  \"speed\": 1,\n  " + ok + "\n}", []string{`mine.json:3:3: error: device "X": unknown key "speed"`, "known keys: name, aliases"}},
		{"missing bandwidth", `{"name": "X", "peak_flops": {"fp16": 1e14}}`, []string{`device "X": missing required key "memory_bandwidth"`}},
		{"missing name", `{` + ok + `}`, []string{`device: missing required key "name"`}},
		{"missing peak_flops", `{"name": "X", "memory_bandwidth": 1e12}`, []string{`device "X": missing required key "peak_flops"`}},
		{"empty peak_flops", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {}}`, []string{`device "X": peak_flops has no entries`}},
		{"empty name", `{"name": " - ", ` + ok + `}`, []string{"name must not be empty"}},
		{"name of wrong type", `{"name": 100, ` + ok + `}`, []string{"device: name must be a string, got number"}},
		{"negative bandwidth", `{"name": "X", "memory_bandwidth": -1, "peak_flops": {"fp16": 1e14}}`, []string{`device "X": memory_bandwidth must be positive, got -1`}},
		{"zero peak", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"fp16": 0}}`, []string{`device "X": peak_flops.fp16 must be positive, got 0`}},
		{"negative memory", `{"name": "X", "memory_bytes": -5, ` + ok + `}`, []string{"memory_bytes must be positive"}},
		{"fractional memory", `{"name": "X", "memory_bytes": 1.5, ` + ok + `}`, []string{"memory_bytes must be a whole number of bytes, got 1.5"}},
		{"number as string", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"bf16": "989.4e12"}}`, []string{`device "X": peak_flops.bf16 must be a number (FLOP/s), got string`}},
		{"URL where a number belongs", `{"name": "X", "memory_bandwidth": "https://example.com/bw.json", "peak_flops": {"fp16": 1e14}}`, []string{"memory_bandwidth must be a number (bytes per second), got string"}},
		{"$ref where a number belongs", `{"name": "X", "memory_bandwidth": {"$ref": "https://example.com/bw.json"}, "peak_flops": {"fp16": 1e14}}`, []string{"memory_bandwidth must be a number (bytes per second), got object"}},
		{"$ref instead of peaks", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"$ref": "file:///etc/passwd"}}`, []string{`peak_flops: unknown dtype "$ref"`}},
		{"null bandwidth", `{"name": "X", "memory_bandwidth": null, "peak_flops": {"fp16": 1e14}}`, []string{"got null"}},
		{"boolean peak", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"fp16": true}}`, []string{"peak_flops.fp16 must be a number (FLOP/s), got boolean"}},
		{"unknown dtype", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"fp64": 1e13}}`, []string{`device "X": peak_flops: unknown dtype "fp64" (known: fp32, tf32, fp16, bf16, fp8, int8, int4)`}},
		{"dtype keys are exact", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"FP16": 1e13}}`, []string{`unknown dtype "FP16"`}},
		{"peak_flops of wrong type", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": [1e13]}`, []string{"peak_flops must be an object from dtype to FLOP/s, got array"}},
		{"aliases of wrong type", `{"name": "X", "aliases": "x2", ` + ok + `}`, []string{"aliases must be an array of strings, got string"}},
		{"alias of wrong type", `{"name": "X", "aliases": ["x2", 3], ` + ok + `}`, []string{"aliases[1] must be a string, got number"}},
		{"source of wrong type", `{"name": "X", "source": 3, ` + ok + `}`, []string{"source must be a string or an array of strings, got number"}},
		{"duplicate key", `{"name": "X", "name": "Y", ` + ok + `}`, []string{`mine.json:1:15: error: duplicate key "name"`}},
		{"duplicate dtype", `{"name": "X", "memory_bandwidth": 1e12, "peak_flops": {"fp16": 1e14, "fp16": 2e14}}`, []string{`duplicate key "fp16"`}},
		{"duplicate device names", `[{"name": "X", ` + ok + `}, {"name": "x", ` + ok + `}]`, []string{`device "x": name or alias "x" is also used by device "X"`}},
		{"alias clashing with a name", `[{"name": "A", "aliases": ["b"], ` + ok + `}, {"name": "B", ` + ok + `}]`, []string{`device "B": name or alias "B" is also used by device "A"`}},
		{"zero interconnect", `{"name": "X", "interconnect_bandwidth": 0, ` + ok + `}`, []string{`device "X": interconnect_bandwidth must be positive, got 0`}},
		{"interconnect of wrong type", `{"name": "X", "interconnect": 900, ` + ok + `}`, []string{`device "X": interconnect must be a string, got number`}},
		{"huge exponent", `{"name": "X", "memory_bandwidth": 1e999999999, "peak_flops": {"fp16": 1e14}}`, []string{"exponent is out of range"}},
		{"several errors at once", `[{"name": "X", "memory_bandwidth": -1, "peak_flops": {"fp64": 1}}, {"memory_bandwidth": 1e12, "peak_flops": {"fp16": 1}}]`,
			[]string{`device "X": memory_bandwidth must be positive`, `device "X": peak_flops: unknown dtype "fp64"`, `device 2: missing required key "name"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ParseFile([]byte(tc.input), "mine.json")
			if err == nil {
				t.Fatalf("ParseFile succeeded with %d devices; want an error", len(ds))
			}
			if ds != nil {
				t.Errorf("devices returned with the error: %+v", ds)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseFileNoName(t *testing.T) {
	_, err := ParseFile([]byte(`[]`), "")
	if err == nil || !strings.Contains(err.Error(), "<input>:1:1:") {
		t.Errorf("error = %v, want it to name <input>", err)
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"name": "x", "memory_bandwidth": 1e12, "peak_flops": {"fp16": 1e14}}`))
	f.Add([]byte(`[{"name": "x", "memory_bytes": 1.5, "memory_bandwidth": -1, "peak_flops": {}}]`))
	f.Add(presetsJSON)
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ParseFile(data, "fuzz.json")
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.Name == "" || d.MemoryBandwidth == nil || d.MemoryBandwidth.Sign() <= 0 || len(d.PeakFLOPS) == 0 {
				t.Fatalf("accepted an incomplete device: %+v", d)
			}
		}
	})
}

// TestFindInFile: a user's file names its devices as the presets do: --hardware matches a
// device's name or one of its aliases, ignoring case, '-', '_' and spaces, with its vendor's
// name in front or not.
func TestFindInFile(t *testing.T) {
	devs, err := ParseFile([]byte(`[
		{"name": "My-GPU", "vendor": "Acme", "aliases": ["mine"], "memory_bandwidth": 1e12, "peak_flops": {"fp16": 1e14}},
		{"name": "Other", "memory_bandwidth": 1e12, "peak_flops": {"fp8": 1e14}}]`), "hw.json")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"My-GPU": "My-GPU", "my_gpu": "My-GPU", "MY GPU": "My-GPU", "mine": "My-GPU", "Acme My GPU": "My-GPU", "acme-mine": "My-GPU",
		"other": "Other", "nope": "", "Acme Other": "", "": "",
	} {
		d, ok := Find(devs, in)
		if d.Name != want || ok != (want != "") {
			t.Errorf("Find(%q) = %q, %v; want %q", in, d.Name, ok, want)
		}
	}
	d, _ := Find(devs, "mine")
	d.PeakFLOPS["fp16"].SetInt64(1)
	if devs[0].PeakFLOPS["fp16"].Cmp(big.NewRat(1, 1)) == 0 {
		t.Error("Find returned the caller's device, not a copy")
	}
}
