package report

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/modeltool/modeltool/internal/calc"
)

// The planner's panels of the HTML report: which device the figures are for under
// parallelism, what one device holds against its memory (with a warning when it does not fit),
// and the generation timeline (each decode step's time against the tokens already cached).

// htmlParallel is the line that says which device the figures are for.
type htmlParallel struct {
	Line string
}

// memoryPanel is a stacked bar of one device's memory against its capacity.
type memoryPanel struct {
	ID, Title     string
	Width, Height float64
	Segments      []memorySegment
	// CapacityX is where the capacity line is drawn (0 when the capacity is unknown).
	CapacityX      float64
	Capacity       string
	CapacityExact  string
	Total          string
	TotalExact     string
	Known, Fits    bool
	Warning        string
	BarY, BarH     float64
	CapacityLabelX float64
}

type memorySegment struct {
	Name, CSS    string
	X, W         float64
	Human, Exact string
	Share        string
}

const memoryBarWidth = 760

func buildMemoryPanel(id, title string, m calc.Memory, device string) *memoryPanel {
	p := &memoryPanel{ID: id, Title: title, Width: memoryBarWidth, Height: 58, BarY: 16, BarH: 26,
		Total: Human(m.Total, "B"), TotalExact: exactGrouped(m.Total) + " B", Known: m.Known, Fits: m.Fits}
	scale := new(big.Rat).Set(m.Total)
	if m.Known {
		p.Capacity = capacity(m.Capacity)
		p.CapacityExact = exactGrouped(m.Capacity) + " B"
		if m.Capacity.Cmp(scale) > 0 {
			scale.Set(m.Capacity)
		}
		p.CapacityX = share(m.Capacity, scale) * memoryBarWidth
		p.CapacityLabelX = math.Max(60, p.CapacityX)
		if !m.Fits {
			over := new(big.Rat).Sub(m.Total, m.Capacity)
			p.Warning = fmt.Sprintf("Does not fit: %s is %s over the %s of one %s.", Human(m.Total, "B"), Human(over, "B"), capacity(m.Capacity), device)
		}
	}
	x := 0.0
	for _, s := range []struct {
		name, css string
		v         *big.Rat
	}{{"weights", "mem-weights", m.Weights}, {"KV cache", "mem-kv", m.KVCache}, {"activations", "mem-act", m.Activations}} {
		w := share(s.v, scale) * memoryBarWidth
		p.Segments = append(p.Segments, memorySegment{Name: s.name, CSS: s.css, X: x, W: w,
			Human: Human(s.v, "B"), Exact: exactGrouped(s.v) + " B", Share: pct(s.v, m.Total)})
		x += w
	}
	return p
}

// timelinePlot is the decode steps' time against the tokens cached before each.
type timelinePlot struct {
	Width, Height  float64
	PX, PY, PW, PH float64
	Path           string
	Points         []timelinePoint
	XTicks, YTicks []tick
	Cards          []htmlTotal
	Steps          int64
	Note           string
}

type timelinePoint struct {
	X, Y float64
	Tip  string
	Past int64
	// Seconds is the step's exact time, for data-seconds.
	Seconds string
}

// decodeStepsNote is the per-token card's note: the number of decode steps the mean is over.
func decodeStepsNote(steps int64) string {
	switch steps {
	case 0:
		return "no decode step: one output token"
	case 1:
		return "one decode step"
	}
	return fmt.Sprintf("mean of %d decode steps", steps)
}

func buildTimeline(g *calc.Generation) *timelinePlot {
	p := &timelinePlot{Width: 760, Height: 300, PX: 86, PY: 14, Steps: g.Out - 1}
	p.PW = p.Width - p.PX - 16
	p.PH = p.Height - p.PY - 44
	batch := g.Batch.String()
	p.Cards = []htmlTotal{
		{"Time to first token", Seconds(g.TTFT), exactGrouped(g.TTFT) + " s", fmt.Sprintf("the prefill of %d tokens", g.In)},
		{"Per output token", Seconds(g.TPOT), exactGrouped(g.TPOT) + " s", decodeStepsNote(g.Out - 1)},
		{"Total", Seconds(g.Total), exactGrouped(g.Total) + " s", fmt.Sprintf("%s after %d", count(g.Out, "token", "tokens"), g.In)},
		{"Tokens per second", fixed(g.TokensPerSecond, 1), exactGrouped(g.TokensPerSecond), "batch " + batch},
	}
	if len(g.Timeline) == 0 {
		p.Note = "One output token: the prefill alone."
		return p
	}
	lo, hi := g.Timeline[0].Past, g.Timeline[len(g.Timeline)-1].Past
	maxT := 0.0
	for _, s := range g.Timeline {
		v, _ := s.Seconds.Float64()
		maxT = math.Max(maxT, v)
	}
	if maxT <= 0 {
		maxT = 1
	}
	yMax := niceCeil(maxT * 1.08)
	span := float64(hi - lo)
	xOf := func(past int64) float64 {
		if span == 0 {
			return p.PX + p.PW/2
		}
		return p.PX + float64(past-lo)/span*p.PW
	}
	yOf := func(v float64) float64 { return p.PY + p.PH - v/yMax*p.PH }
	var path strings.Builder
	for i, s := range g.Timeline {
		v, _ := s.Seconds.Float64()
		x, y := xOf(s.Past), yOf(v)
		if i == 0 {
			fmt.Fprintf(&path, "M%.1f %.1f", x, y)
		} else {
			fmt.Fprintf(&path, "L%.1f %.1f", x, y)
		}
		p.Points = append(p.Points, timelinePoint{X: x, Y: y, Past: s.Past, Seconds: Exact(s.Seconds),
			Tip: fmt.Sprintf("step %d (%d tokens cached): %s", s.Past-g.In+1, s.Past, Seconds(s.Seconds))})
	}
	p.Path = path.String()
	for _, v := range linearTicks(0, yMax) {
		p.YTicks = append(p.YTicks, tick{Pos: yOf(v), Label: Seconds(new(big.Rat).SetFloat64(v)), Major: true})
	}
	for _, v := range linearTicks(float64(lo), float64(hi)) {
		p.XTicks = append(p.XTicks, tick{Pos: xOf(int64(v)), Label: strconv.FormatInt(int64(v), 10), Major: true})
	}
	p.Note = fmt.Sprintf("%d of the %d decode steps drawn (the first and the last included); each is the roofline bound of one step with that many tokens cached, as calc --seq-len 1 --past-len P gives it.", len(g.Timeline), g.Out-1)
	return p
}

// niceCeil rounds x up to 1, 2 or 5 times a power of ten.
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= x {
			return m * e
		}
	}
	return 10 * e
}

// linearTicks returns about five round values from lo to hi.
func linearTicks(lo, hi float64) []float64 {
	if hi <= lo {
		return []float64{lo}
	}
	step := niceCeil((hi - lo) / 5)
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}
