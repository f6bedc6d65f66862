package hardware

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// Keys of a device object, in the order they are documented.
var deviceKeys = []string{"name", "aliases", "vendor", "memory_bytes", "memory_bandwidth", "peak_flops", "interconnect", "interconnect_bandwidth", "source", "notes"}

// ParseFile reads a user's hardware file: a JSON object describing one
// device, or an array of such objects, in the same shape as the embedded
// presets.json. filename is used only in error messages.
//
// The reading is strict. Required keys are "name", "memory_bandwidth"
// (bytes per second) and "peak_flops" (an object from data type to
// operations per second, with at least one entry); "aliases", "vendor",
// "memory_bytes", "interconnect", "interconnect_bandwidth" (bytes per second one device sends
// to its peers, one direction), "source" and "notes" are optional. Unknown keys, unknown
// data types, numbers that are not positive, a fractional memory_bytes,
// values of the wrong JSON type, duplicate keys and duplicate names are
// errors that name the device and the key, with the line and column. Numbers
// may be integers or decimals such as 989.4e12 and are read exactly. A file
// is plain data: nothing in it is fetched or resolved, so a string such as a
// URL or a "$ref" where a number belongs is only a type error.
//
// All errors found are returned together, as a *diag.Faults (code "hardware-file"; "syntax"
// for malformed JSON).
func ParseFile(data []byte, filename string) ([]Device, error) {
	if filename == "" {
		filename = "<input>"
	}
	doc, err := jsonpos.Parse(filename, data, jsonpos.Options{MaxDepth: maxDepth})
	if err != nil {
		return nil, err
	}
	root := doc.Root
	d := &decoder{file: filename, doc: doc}
	for _, dup := range doc.Duplicates {
		d.fail(dup.Again, "duplicate key %q", dup.Key)
	}
	var objs []*jsonpos.Node
	switch root.Kind {
	case jsonpos.Object:
		objs = []*jsonpos.Node{root}
	case jsonpos.Array:
		if len(root.Items) == 0 {
			return nil, diag.New(d.at(root.Offset, "the array has no devices"))
		}
		objs = root.Items
	default:
		return nil, diag.New(d.at(root.Offset, "expected a device object or an array of them, got %s", root.Kind))
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
					d.errs = append(d.errs, d.at(obj.Offset, "device %q: name or alias %q is also used by device %q", dev.Name, n, other.name))
				}
				continue
			}
			names[key] = owner{i, dev.Name}
		}
		devices = append(devices, dev)
	}
	if len(d.errs) > 0 {
		diag.Sort(d.errs)
		return nil, diag.New(d.errs...)
	}
	return devices, nil
}

type decoder struct {
	file string
	doc  *jsonpos.Document
	errs []diag.Diagnostic
}

func (d *decoder) at(off int, format string, args ...any) diag.Diagnostic {
	return d.doc.Diagnostic(off, "hardware-file", fmt.Sprintf(format, args...))
}

func (d *decoder) fail(off int, format string, args ...any) {
	d.errs = append(d.errs, d.at(off, format, args...))
}

// device decodes one device object; ok is false if it had errors (which
// are recorded in d.errs).
func (d *decoder) device(v *jsonpos.Node, label string) (Device, bool) {
	if v.Kind != jsonpos.Object {
		d.fail(v.Offset, "%s: expected an object, got %s", label, v.Kind)
		return Device{}, false
	}
	before := len(d.errs)
	var dev Device
	// Name the device in later messages once its name is known.
	for _, m := range v.Members {
		if m.Key == "name" && m.Value.Kind == jsonpos.String && strings.TrimSpace(m.Value.Text) != "" {
			label = fmt.Sprintf("device %q", m.Value.Text)
		}
	}
	has := map[string]bool{}
	for _, m := range v.Members {
		has[m.Key] = true
		val := m.Value
		switch m.Key {
		case "name":
			if s, ok := d.str(val, label, "name"); ok {
				if normalize(s) == "" {
					d.fail(val.Offset, "%s: name must not be empty", label)
				}
				dev.Name = s
			}
		case "vendor":
			if s, ok := d.str(val, label, "vendor"); ok {
				dev.Vendor = s
			}
		case "aliases":
			if val.Kind != jsonpos.Array {
				d.fail(val.Offset, "%s: aliases must be an array of strings, got %s", label, val.Kind)
				continue
			}
			for i, el := range val.Items {
				s, ok := d.str(el, label, fmt.Sprintf("aliases[%d]", i))
				if !ok {
					continue
				}
				if normalize(s) == "" {
					d.fail(el.Offset, "%s: aliases[%d] must not be empty", label, i)
					continue
				}
				dev.Aliases = append(dev.Aliases, s)
			}
		case "memory_bytes":
			if r, ok := d.positive(val, label, "memory_bytes", "bytes"); ok {
				if !r.IsInt() {
					d.fail(val.Offset, "%s: memory_bytes must be a whole number of bytes, got %s", label, val.Text)
					continue
				}
				dev.MemoryBytes = new(big.Int).Set(r.Num())
			}
		case "memory_bandwidth":
			if r, ok := d.positive(val, label, "memory_bandwidth", "bytes per second"); ok {
				dev.MemoryBandwidth = r
			}
		case "peak_flops":
			if val.Kind != jsonpos.Object {
				d.fail(val.Offset, "%s: peak_flops must be an object from dtype to FLOP/s, got %s", label, val.Kind)
				continue
			}
			dev.PeakFLOPS = map[string]*big.Rat{}
			if len(val.Members) == 0 {
				d.fail(val.Offset, "%s: peak_flops has no entries (known dtypes: %s)", label, strings.Join(DTypes(), ", "))
			}
			for _, pm := range val.Members {
				if !dtype.IsCompute(pm.Key) {
					d.fail(pm.KeyOffset, "%s: peak_flops: unknown dtype %q (known: %s)", label, pm.Key, strings.Join(DTypes(), ", "))
					continue
				}
				if r, ok := d.positive(pm.Value, label, "peak_flops."+pm.Key, "FLOP/s"); ok {
					dev.PeakFLOPS[pm.Key] = r
				}
			}
		case "interconnect":
			if s, ok := d.str(val, label, "interconnect"); ok {
				dev.Interconnect = s
			}
		case "interconnect_bandwidth":
			if r, ok := d.positive(val, label, "interconnect_bandwidth", "bytes per second, one direction"); ok {
				dev.InterconnectBandwidth = r
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
			d.fail(m.KeyOffset, "%s: unknown key %q (known keys: %s)", label, m.Key, strings.Join(deviceKeys, ", "))
		}
	}
	for _, req := range []string{"name", "memory_bandwidth", "peak_flops"} {
		if !has[req] {
			d.fail(v.Offset, "%s: missing required key %q", label, req)
		}
	}
	return dev, len(d.errs) == before
}

func (d *decoder) str(v *jsonpos.Node, label, key string) (string, bool) {
	if v.Kind != jsonpos.String {
		d.fail(v.Offset, "%s: %s must be a string, got %s", label, key, v.Kind)
		return "", false
	}
	return v.Text, true
}

// text reads a string, or an array of strings joined with newlines.
func (d *decoder) text(v *jsonpos.Node, label, key string) (string, bool) {
	switch v.Kind {
	case jsonpos.String:
		return v.Text, true
	case jsonpos.Array:
		parts := make([]string, 0, len(v.Items))
		ok := true
		for i, el := range v.Items {
			s, good := d.str(el, label, fmt.Sprintf("%s[%d]", key, i))
			ok = ok && good
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n"), ok
	default:
		d.fail(v.Offset, "%s: %s must be a string or an array of strings, got %s", label, key, v.Kind)
		return "", false
	}
}

// positive reads a JSON number exactly and requires it to be above zero.
func (d *decoder) positive(v *jsonpos.Node, label, key, unit string) (*big.Rat, bool) {
	if v.Kind != jsonpos.Number {
		d.fail(v.Offset, "%s: %s must be a number (%s), got %s", label, key, unit, v.Kind)
		return nil, false
	}
	n, err := expr.ParseNumber(v.Text)
	if err != nil {
		var ee *expr.Error
		if errors.As(err, &ee) {
			err = errors.New(ee.Msg)
		}
		d.fail(v.Offset, "%s: %s: %v", label, key, err)
		return nil, false
	}
	r := n.Rat()
	if r.Sign() <= 0 {
		d.fail(v.Offset, "%s: %s must be positive, got %s", label, key, v.Text)
		return nil, false
	}
	return r, true
}

// maxDepth bounds nesting; a hardware file is at most four levels deep.
const maxDepth = 32
