package hardware

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Keys of a device object, in the order they are documented.
var deviceKeys = []string{"name", "aliases", "vendor", "memory_bytes", "memory_bandwidth", "peak_flops", "source", "notes"}

// maxExponent bounds the decimal exponent of a number literal, so that a
// literal like 1e999999999 cannot make the exact reader build a huge
// integer. Real figures are near 1e9..1e18.
const maxExponent = 100

// ParseFile reads a user's hardware file: a JSON object describing one
// device, or an array of such objects, in the same shape as the embedded
// presets.json. filename is used only in error messages.
//
// The reading is strict. Required keys are "name", "memory_bandwidth"
// (bytes per second) and "peak_flops" (an object from data type to
// operations per second, with at least one entry); "aliases", "vendor",
// "memory_bytes", "source" and "notes" are optional. Unknown keys, unknown
// data types, numbers that are not positive, a fractional memory_bytes,
// values of the wrong JSON type, duplicate keys and duplicate names are
// errors that name the device and the key, with the line and column. Numbers
// may be integers or decimals such as 989.4e12 and are read exactly. A file
// is plain data: nothing in it is fetched or resolved, so a string such as a
// URL or a "$ref" where a number belongs is only a type error.
//
// All errors found are returned together.
func ParseFile(data []byte, filename string) ([]Device, error) {
	if filename == "" {
		filename = "<input>"
	}
	root, err := parseTree(filename, data)
	if err != nil {
		return nil, fmt.Errorf("reading hardware file: %w", err)
	}
	d := &decoder{file: filename, data: data}
	var objs []*jvalue
	switch root.kind {
	case jObject:
		objs = []*jvalue{root}
	case jArray:
		if len(root.elems) == 0 {
			return nil, fmt.Errorf("reading hardware file: %w", d.at(root.off, "the array has no devices"))
		}
		objs = root.elems
	default:
		return nil, fmt.Errorf("reading hardware file: %w", d.at(root.off, "expected a device object or an array of them, got %s", root.kind))
	}
	devices := make([]Device, 0, len(objs))
	type owner struct {
		index int
		name  string
	}
	names := map[string]owner{} // normalized name or alias -> its device
	for i, obj := range objs {
		label := fmt.Sprintf("device %d", i+1)
		if len(objs) == 1 {
			label = "device"
		}
		dev, ok := d.device(obj, label)
		if !ok {
			continue
		}
		for _, n := range append([]string{dev.Name}, dev.Aliases...) {
			key := normalize(n)
			if other, dup := names[key]; dup {
				if other.index != i { // repeating its own name is harmless
					d.errs = append(d.errs, d.at(obj.off, "device %q: name or alias %q is also used by device %q", dev.Name, n, other.name))
				}
				continue
			}
			names[key] = owner{i, dev.Name}
		}
		devices = append(devices, dev)
	}
	if len(d.errs) > 0 {
		return nil, fmt.Errorf("reading hardware file: %w", errors.Join(d.errs...))
	}
	return devices, nil
}

type decoder struct {
	file string
	data []byte
	errs []error
}

func (d *decoder) at(off int64, format string, args ...any) error {
	line, col := lineCol(d.data, off)
	return &posError{file: d.file, line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) fail(off int64, format string, args ...any) {
	d.errs = append(d.errs, d.at(off, format, args...))
}

// device decodes one device object; ok is false if it had errors (which
// are recorded in d.errs).
func (d *decoder) device(v *jvalue, label string) (Device, bool) {
	if v.kind != jObject {
		d.fail(v.off, "%s: expected an object, got %s", label, v.kind)
		return Device{}, false
	}
	before := len(d.errs)
	var dev Device
	// Name the device in later messages once its name is known.
	for _, m := range v.members {
		if m.key == "name" && m.val.kind == jString && strings.TrimSpace(m.val.str) != "" {
			label = fmt.Sprintf("device %q", m.val.str)
		}
	}
	has := map[string]bool{}
	for _, m := range v.members {
		has[m.key] = true
		val := m.val
		switch m.key {
		case "name":
			if s, ok := d.str(val, label, "name"); ok {
				if normalize(s) == "" {
					d.fail(val.off, "%s: name must not be empty", label)
				}
				dev.Name = s
			}
		case "vendor":
			if s, ok := d.str(val, label, "vendor"); ok {
				dev.Vendor = s
			}
		case "aliases":
			if val.kind != jArray {
				d.fail(val.off, "%s: aliases must be an array of strings, got %s", label, val.kind)
				continue
			}
			for i, el := range val.elems {
				s, ok := d.str(el, label, fmt.Sprintf("aliases[%d]", i))
				if !ok {
					continue
				}
				if normalize(s) == "" {
					d.fail(el.off, "%s: aliases[%d] must not be empty", label, i)
					continue
				}
				dev.Aliases = append(dev.Aliases, s)
			}
		case "memory_bytes":
			if r, ok := d.positive(val, label, "memory_bytes", "bytes"); ok {
				if !r.IsInt() {
					d.fail(val.off, "%s: memory_bytes must be a whole number of bytes, got %s", label, val.num)
					continue
				}
				dev.MemoryBytes = new(big.Int).Set(r.Num())
			}
		case "memory_bandwidth":
			if r, ok := d.positive(val, label, "memory_bandwidth", "bytes per second"); ok {
				dev.MemoryBandwidth = r
			}
		case "peak_flops":
			if val.kind != jObject {
				d.fail(val.off, "%s: peak_flops must be an object from dtype to FLOP/s, got %s", label, val.kind)
				continue
			}
			dev.PeakFLOPS = map[string]*big.Rat{}
			if len(val.members) == 0 {
				d.fail(val.off, "%s: peak_flops has no entries (known dtypes: %s)", label, strings.Join(dtypes, ", "))
			}
			for _, pm := range val.members {
				if !knownDType(pm.key) {
					d.fail(pm.keyOff, "%s: peak_flops: unknown dtype %q (known: %s)", label, pm.key, strings.Join(dtypes, ", "))
					continue
				}
				if r, ok := d.positive(pm.val, label, "peak_flops."+pm.key, "FLOP/s"); ok {
					dev.PeakFLOPS[pm.key] = r
				}
			}
		case "source":
			if s, ok := d.text(val, label, "source"); ok {
				dev.Source = s
			}
		case "notes":
			if s, ok := d.text(val, label, "notes"); ok {
				dev.Notes = s
			}
		default:
			d.fail(m.keyOff, "%s: unknown key %q (known keys: %s)", label, m.key, strings.Join(deviceKeys, ", "))
		}
	}
	for _, req := range []string{"name", "memory_bandwidth", "peak_flops"} {
		if !has[req] {
			d.fail(v.off, "%s: missing required key %q", label, req)
		}
	}
	return dev, len(d.errs) == before
}

func (d *decoder) str(v *jvalue, label, key string) (string, bool) {
	if v.kind != jString {
		d.fail(v.off, "%s: %s must be a string, got %s", label, key, v.kind)
		return "", false
	}
	return v.str, true
}

// text reads a string, or an array of strings joined with newlines.
func (d *decoder) text(v *jvalue, label, key string) (string, bool) {
	switch v.kind {
	case jString:
		return v.str, true
	case jArray:
		parts := make([]string, 0, len(v.elems))
		ok := true
		for i, el := range v.elems {
			s, good := d.str(el, label, fmt.Sprintf("%s[%d]", key, i))
			ok = ok && good
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n"), ok
	default:
		d.fail(v.off, "%s: %s must be a string or an array of strings, got %s", label, key, v.kind)
		return "", false
	}
}

// positive reads a JSON number exactly and requires it to be above zero.
func (d *decoder) positive(v *jvalue, label, key, unit string) (*big.Rat, bool) {
	if v.kind != jNumber {
		d.fail(v.off, "%s: %s must be a number (%s), got %s", label, key, unit, v.kind)
		return nil, false
	}
	r, err := parseExact(v.num)
	if err != nil {
		d.fail(v.off, "%s: %s: %v", label, key, err)
		return nil, false
	}
	if r.Sign() <= 0 {
		d.fail(v.off, "%s: %s must be positive, got %s", label, key, v.num)
		return nil, false
	}
	return r, true
}

// parseExact reads a JSON number literal as an exact rational.
func parseExact(lit string) (*big.Rat, error) {
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		exp := strings.TrimPrefix(lit[i+1:], "+")
		n, err := strconv.Atoi(exp)
		if err != nil || n > maxExponent || n < -maxExponent {
			return nil, fmt.Errorf("number %s has an exponent outside ±%d", lit, maxExponent)
		}
	}
	r, ok := new(big.Rat).SetString(lit)
	if !ok {
		return nil, fmt.Errorf("cannot read number %s", lit)
	}
	return r, nil
}
