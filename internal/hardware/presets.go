package hardware

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/modeltool/modeltool/internal/suggest"
)

//go:embed presets.json
var presetsJSON []byte

var (
	presetsOnce sync.Once
	presetList  []Device
	presetIndex map[string]int // normalized name or alias -> index in presetList
)

func loadPresets() {
	devs, err := ParseFile(presetsJSON, "presets.json")
	if err != nil {
		// The embedded file is checked by the package tests; reaching this
		// is a build of broken data, not a user error.
		panic(fmt.Sprintf("hardware: embedded presets are invalid: %v", err))
	}
	sortDevices(devs)
	presetList = devs
	presetIndex = map[string]int{}
	for i, d := range devs {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			presetIndex[normalize(n)] = i
		}
	}
}

// Presets returns the built-in devices sorted by name. Each call returns
// fresh copies that the caller may change.
func Presets() []Device {
	presetsOnce.Do(loadPresets)
	out := make([]Device, len(presetList))
	for i, d := range presetList {
		out[i] = d.clone()
	}
	return out
}

// Lookup returns the preset called name, or one of its aliases. Names are
// matched ignoring case, '-', '_' and spaces, and a leading vendor name is
// optional ("NVIDIA H100 80GB HBM3", as nvidia-smi prints it, finds
// H100-SXM). For an unknown name the error lists the known names and, when
// one is close, suggests it.
func Lookup(name string) (Device, error) {
	presetsOnce.Do(loadPresets)
	key := normalize(name)
	if i, ok := presetIndex[key]; ok {
		return presetList[i].clone(), nil
	}
	for _, v := range vendorPrefixes() {
		if rest, ok := strings.CutPrefix(key, v); ok && rest != "" {
			if i, ok := presetIndex[rest]; ok {
				return presetList[i].clone(), nil
			}
			key = rest
			break
		}
	}
	names := make([]string, len(presetList))
	for i, d := range presetList {
		names[i] = d.Name
	}
	if s, ok := nearest(key); ok {
		return Device{}, fmt.Errorf("unknown hardware %q: did you mean %s? (known: %s)", name, s, strings.Join(names, ", "))
	}
	return Device{}, fmt.Errorf("unknown hardware %q (known: %s)", name, strings.Join(names, ", "))
}

// Find returns a copy of the device of devs (a user's hardware file) called name or one of
// its aliases, matched as Lookup matches presets: ignoring case, '-', '_' and spaces, with the
// device's vendor name in front or not.
func Find(devs []Device, name string) (Device, bool) {
	key := normalize(name)
	if key == "" {
		return Device{}, false
	}
	for _, d := range devs {
		vendor := normalize(d.Vendor)
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			if c := normalize(n); key == c || vendor != "" && key == vendor+c {
				return d.clone(), true
			}
		}
	}
	return Device{}, false
}

// vendorPrefixes returns the normalized vendor names of the presets.
func vendorPrefixes() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range presetList {
		v := normalize(d.Vendor)
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// nearest finds the preset whose name or alias is closest to key in edit
// distance, if it is close enough to be worth suggesting.
func nearest(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	best, bestDist, bestPrefix := "", -1, false
	for _, d := range presetList { // sorted by name: other ties go to the first
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			cand := normalize(n)
			dist := suggest.Distance(key, cand)
			// At equal distance prefer a name the query begins ("l40" is
			// nearer to L40S than to L4).
			prefix := strings.HasPrefix(cand, key)
			if bestDist < 0 || dist < bestDist || (dist == bestDist && prefix && !bestPrefix) {
				best, bestDist, bestPrefix = d.Name, dist, prefix
			}
		}
	}
	limit := len([]rune(key)) / 2
	if limit < 2 {
		limit = 2
	}
	if bestDist < 0 || bestDist > limit {
		return "", false
	}
	return best, true
}
