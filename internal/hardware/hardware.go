// Package hardware describes accelerators for the roofline bound: for each
// device its memory bandwidth, its memory capacity and its dense peak
// throughput per data type.
//
// The presets are embedded data (presets.json) and every figure in them
// carries the vendor document it comes from. Users may describe their own
// devices in a file of the same shape, read by ParseFile. All numbers are
// exact (math/big); none passes through float64.
package hardware

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"unicode"

	"github.com/modeltool/modeltool/internal/dtype"
)

// Device is one accelerator: a single GPU or accelerator package as a
// program sees it (for multi-GPU superchips such as GB200, one GPU).
type Device struct {
	// Name is the canonical name, such as "H100-SXM".
	Name string
	// Vendor is the maker, such as "NVIDIA" or "AMD".
	Vendor string
	// Aliases are other names Lookup accepts for the device.
	Aliases []string
	// MemoryBytes is the memory capacity in bytes; nil when a user file
	// does not give it.
	MemoryBytes *big.Int
	// MemoryBandwidth is the peak memory bandwidth in bytes per second.
	MemoryBandwidth *big.Rat
	// PeakFLOPS maps a data type name (see DTypes) to the dense peak
	// throughput in operations per second: FLOP/s for floating-point
	// types, integer operations per second for int8 and int4.
	PeakFLOPS map[string]*big.Rat
	// Interconnect names the device's link to its peers ("NVLink 4", "PCIe 4.0 x16");
	// InterconnectBandwidth is what one device can send to its peers, in bytes per second
	// in one direction (the vendors' bidirectional figure halved). Nil when not given.
	Interconnect          string
	InterconnectBandwidth *big.Rat
	// Source names the documents the figures come from, one per line.
	Source string
	// Notes records conversions and choices made reading the sources.
	Notes string
}

// DTypes returns the names of the data types a device may have a peak
// figure for: fp32 (non-tensor FP32), tf32, fp16, bf16, fp8, int8 and int4.
func DTypes() []string { return dtype.ComputeNames() }

// Peak returns the dense peak throughput of the device for dtype (matched
// case-insensitively), in operations per second. It is an error if dtype is
// not a known data type or the device has no figure for it; the error names
// the data types it has.
func (d Device) Peak(name string) (*big.Rat, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if !dtype.IsCompute(key) {
		return nil, fmt.Errorf("unknown dtype %q (known: %s)", name, strings.Join(DTypes(), ", "))
	}
	if r, ok := d.PeakFLOPS[key]; ok && r != nil {
		return new(big.Rat).Set(r), nil
	}
	have := d.DTypes()
	if len(have) == 0 {
		return nil, fmt.Errorf("%s has no peak figure for %s (it has none)", d.Name, key)
	}
	return nil, fmt.Errorf("%s has no peak figure for %s (it has: %s)", d.Name, key, strings.Join(have, ", "))
}

// DTypes returns the data types the device has a peak figure for, in the
// order of the package-level DTypes.
func (d Device) DTypes() []string {
	var have []string
	for _, k := range DTypes() {
		if r, ok := d.PeakFLOPS[k]; ok && r != nil {
			have = append(have, k)
		}
	}
	return have
}

// clone returns a deep copy, so callers cannot change shared presets.
func (d Device) clone() Device {
	c := d
	c.Aliases = append([]string(nil), d.Aliases...)
	if d.MemoryBytes != nil {
		c.MemoryBytes = new(big.Int).Set(d.MemoryBytes)
	}
	if d.MemoryBandwidth != nil {
		c.MemoryBandwidth = new(big.Rat).Set(d.MemoryBandwidth)
	}
	if d.InterconnectBandwidth != nil {
		c.InterconnectBandwidth = new(big.Rat).Set(d.InterconnectBandwidth)
	}
	if d.PeakFLOPS != nil {
		c.PeakFLOPS = make(map[string]*big.Rat, len(d.PeakFLOPS))
		for k, v := range d.PeakFLOPS {
			c.PeakFLOPS[k] = new(big.Rat).Set(v)
		}
	}
	return c
}

// normalize folds a device name for matching: lower case, with '-', '_'
// and white space removed.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// sortDevices orders devices by name, case-insensitively.
func sortDevices(ds []Device) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := strings.ToLower(ds[i].Name), strings.ToLower(ds[j].Name)
		if a != b {
			return a < b
		}
		return ds[i].Name < ds[j].Name
	})
}
