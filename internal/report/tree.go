package report

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/model"
)

// WriteTree prints the layer hierarchy like print(model): one line per layer with its repeat
// count and class; with sums (keyed by path), each subtree's parameters and FLOPs.
func WriteTree(w io.Writer, f *model.File, sums map[string]*calc.Sum) error {
	type line struct {
		label string
		path  string
	}
	var lines []line
	var walk func(ls []*model.Layer, prefix string)
	walk = func(ls []*model.Layer, prefix string) {
		for i, l := range ls {
			branch, next := "├── ", "│   "
			if i == len(ls)-1 {
				branch, next = "└── ", "    "
			}
			label := prefix + branch + l.Name
			if l.Repeat != nil && l.Repeat.Node != nil {
				label += " ×" + strings.Trim(l.Repeat.Node.Text, `"`)
			}
			label += "  " + layers.ShortName(l.Class)
			if l.TiedTo != "" {
				label += " (tied to " + l.TiedTo + ")"
			}
			lines = append(lines, line{label, l.Path})
			walk(l.SubLayers, prefix+next)
		}
	}
	title := f.ModelID
	if title == "" {
		title = f.Name()
	}
	walk(f.Layers, "")
	var b strings.Builder
	width := utf8.RuneCountInString(title)
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l.label))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) }
	if sums != nil {
		b.WriteString(pad(title))
		b.WriteString("  PARAMS      FLOPS\n")
	} else {
		b.WriteString(title + "\n")
	}
	for _, l := range lines {
		if s := sums[l.path]; s != nil {
			b.WriteString(pad(l.label))
			b.WriteString("  " + padLeft(HumanCount(s.Params), 8) + "  " + padLeft(Human(s.FLOPs, ""), 9))
		} else {
			b.WriteString(l.label)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func padLeft(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return strings.Repeat(" ", n-k) + s
	}
	return s
}
