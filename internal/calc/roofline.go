package calc

import (
	"math/big"
	"sync"

	"github.com/modeltool/modeltool/internal/dtype"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
)

// Roofline bounds the time of each layer on one device: a layer takes at least its FLOPs over
// the device's peak and at least its bytes over the memory bandwidth; the larger bound says
// whether it is compute- or memory-bound.
type Roofline struct {
	Device hardware.Device
	// DType is the compute dtype whose peak is used.
	DType     string
	Peak      *big.Rat // FLOP/s
	Bandwidth *big.Rat // bytes/s
	// Link is the device's interconnect bandwidth, bytes/s one way: the time of the
	// communication rows. Nil when the device has none (then they take no time).
	Link *big.Rat

	// rows holds the bounds of the rows bounded so far: rows of equal figures and count (the
	// copies of an unrolled model) are bounded once.
	mu   sync.Mutex
	rows map[rowKey]Bound
}

// rowKey is what a row's bound depends on. Figures compare by value when they fit in an int64
// and by identity otherwise (rows of one evaluated layer share them).
type rowKey struct {
	flops, read, written expr.Value
	count                int64
	comm                 *big.Rat
}

// Bound is the roofline time bound of some work.
type Bound struct {
	// Seconds is max(ComputeSeconds, MemorySeconds) — for a row, over all its instances.
	Seconds        *big.Rat
	ComputeSeconds *big.Rat
	MemorySeconds  *big.Rat
	// Intensity is FLOPs per byte moved; nil when no bytes move.
	Intensity *big.Rat
	// CommSeconds is the time of the bytes sent to other devices at the interconnect
	// bandwidth (communication rows; for a total, all of them).
	CommSeconds *big.Rat
	// Limit is "compute", "memory", "communication", or "" when the work is empty.
	Limit string
}

// LimitCommunication is the Limit of a row that only moves data between devices.
const LimitCommunication = "communication"

// NewRoofline prepares the roofline of dev for the compute dtype.
func NewRoofline(dev hardware.Device, dtype string) (*Roofline, error) {
	peak, err := dev.Peak(dtype)
	if err != nil {
		return nil, err
	}
	return &Roofline{Device: dev, DType: dtype, Peak: peak, Bandwidth: dev.MemoryBandwidth, Link: dev.InterconnectBandwidth}, nil
}

// DefaultComputeDType is the dtype whose peak bounds a result's compute when none is chosen:
// that of its activation bytes (dtype.ComputeFor).
func DefaultComputeDType(res *Result) string {
	return dtype.ComputeFor(res.Variable("dtype_bytes").Rat())
}

// Of bounds work of the given FLOPs and bytes moved.
func (r *Roofline) Of(flops, bytes *big.Rat) Bound {
	b := Bound{
		ComputeSeconds: new(big.Rat).Quo(flops, r.Peak),
		MemorySeconds:  new(big.Rat).Quo(bytes, r.Bandwidth),
		CommSeconds:    new(big.Rat),
	}
	if bytes.Sign() > 0 {
		b.Intensity = new(big.Rat).Quo(flops, bytes)
	}
	switch {
	case flops.Sign() == 0 && bytes.Sign() == 0:
		b.Seconds = new(big.Rat)
	case b.ComputeSeconds.Cmp(b.MemorySeconds) >= 0:
		b.Seconds, b.Limit = b.ComputeSeconds, "compute"
	default:
		b.Seconds, b.Limit = b.MemorySeconds, "memory"
	}
	return b
}

// comm is the time to send bytes at the interconnect bandwidth (0 without one).
func (r *Roofline) comm(bytes *big.Rat) *big.Rat {
	if r.Link == nil || bytes == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Quo(bytes, r.Link)
}

// Row bounds all instances of a row. A communication row takes its bytes sent over the
// interconnect bandwidth. The numbers of the Bound may be shared with other rows' and must not
// be changed.
func (r *Roofline) Row(row Row) Bound {
	if !row.Count.IsInt64() {
		return r.row(row)
	}
	key := rowKey{row.Figures.FLOPs, row.Figures.BytesRead, row.Figures.BytesWritten, row.Count.Int64(), row.CommBytes}
	r.mu.Lock()
	b, ok := r.rows[key]
	r.mu.Unlock()
	if ok {
		return b
	}
	b = r.row(row)
	r.mu.Lock()
	if r.rows == nil {
		r.rows = map[rowKey]Bound{}
	}
	r.rows[key] = b
	r.mu.Unlock()
	return b
}

func (r *Roofline) row(row Row) Bound {
	c := new(big.Rat).SetInt(row.Count)
	if row.CommBytes != nil {
		t := r.comm(new(big.Rat).Mul(row.CommBytes, c))
		b := Bound{Seconds: t, ComputeSeconds: new(big.Rat), MemorySeconds: new(big.Rat), CommSeconds: t}
		if t.Sign() > 0 || row.CommBytes.Sign() > 0 {
			b.Limit = LimitCommunication
		}
		return b
	}
	flops := row.Figures.FLOPs.RatOrZero()
	bytes := new(big.Rat).Add(row.Figures.BytesRead.RatOrZero(), row.Figures.BytesWritten.RatOrZero())
	return r.Of(flops.Mul(flops, c), bytes.Mul(bytes, c))
}

// Total bounds a whole result: Seconds is the sum of the rows' bounds (layers run one after
// another, each limited by its own roof, communication included); ComputeSeconds and
// MemorySeconds are those of the totals, and Limit says which of them is larger;
// CommSeconds is the communication rows' time.
func (r *Roofline) Total(res *Result) Bound {
	bytes := new(big.Rat).Add(res.Totals.BytesRead, res.Totals.BytesWritten)
	b := r.Of(res.Totals.FLOPs, bytes)
	// Equal rows share their bound (Row): add each distinct bound once, times its rows.
	times := map[*big.Rat]int64{}
	var order []*big.Rat
	for _, row := range res.Rows {
		s := r.Row(row).Seconds
		if times[s] == 0 {
			order = append(order, s)
		}
		times[s]++
	}
	sum, t := new(big.Rat), new(big.Rat)
	for _, s := range order {
		sum.Add(sum, t.Mul(s, t.SetInt64(times[s])))
	}
	b.Seconds = sum
	b.CommSeconds = r.comm(res.Totals.CommBytes)
	return b
}
