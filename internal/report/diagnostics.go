// Package report writes modeltool's results — validation diagnostics and calculated figures —
// in each output format. One small printer per format; none of them computes anything.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/modeltool/modeltool/internal/validate"
)

// DiagnosticFormats lists the formats of WriteDiagnostics.
var DiagnosticFormats = []string{"text", "json", "github"}

// WriteDiagnostics writes ds (already sorted) in format. files is the number of files checked;
// colored enables ANSI colour in the text format.
func WriteDiagnostics(w io.Writer, format string, ds []validate.Diagnostic, files int, colored bool) error {
	switch format {
	case "text":
		return diagnosticsText(w, ds, colored)
	case "json":
		return diagnosticsJSON(w, ds, files)
	case "github":
		return diagnosticsGitHub(w, ds)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(DiagnosticFormats, ", "))
}

// Text renders one diagnostic as FILE:LINE:COL: SEVERITY: [LAYER: ]MESSAGE.
func Text(d validate.Diagnostic) string {
	msg := printable(d.Message)
	if d.Layer != "" {
		msg = displayLayer(d.Layer) + ": " + msg
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", printable(d.File), d.Line, d.Column, d.Severity, msg)
}

// printable escapes what must not reach a terminal or break the one-line-per-finding format:
// control characters (C0, DEL, C1) and invalid UTF-8 are written as Go escapes (\t, \x01,
// \u0085). Everything else, non-ASCII letters included, is kept.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// maxSegment is the longest layer name shown whole; the schema allows 256 bytes.
const maxSegment = 256

// displayLayer is a layer path as printed in text: printable, with names longer than any valid
// name cut short (a 10,000-byte name would otherwise fill the screen on every finding).
func displayLayer(path string) string {
	segs := strings.Split(path, ".")
	for i, s := range segs {
		if len(s) > maxSegment {
			cut := 60
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			segs[i] = fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
		}
	}
	return printable(strings.Join(segs, "."))
}

func diagnosticsText(w io.Writer, ds []validate.Diagnostic, colored bool) error {
	var b strings.Builder
	pos := color.New(color.Bold)
	errC := color.New(color.FgRed, color.Bold)
	warnC := color.New(color.FgYellow, color.Bold)
	layerC := color.New(color.FgCyan)
	for _, c := range []*color.Color{pos, errC, warnC, layerC} {
		if colored {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	for _, d := range ds {
		sev := errC
		if d.Severity == validate.Warning {
			sev = warnC
		}
		b.WriteString(pos.Sprintf("%s:%d:%d:", printable(d.File), d.Line, d.Column))
		b.WriteString(" ")
		b.WriteString(sev.Sprint(d.Severity.String() + ":"))
		b.WriteString(" ")
		if d.Layer != "" {
			b.WriteString(layerC.Sprint(displayLayer(d.Layer)))
			b.WriteString(": ")
		}
		b.WriteString(printable(d.Message))
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DiagnosticsDocument is the shape of --format json (architecture §6).
type DiagnosticsDocument struct {
	Files       int                   `json:"files"`
	Errors      int                   `json:"errors"`
	Warnings    int                   `json:"warnings"`
	Diagnostics []validate.Diagnostic `json:"diagnostics"`
}

func diagnosticsJSON(w io.Writer, ds []validate.Diagnostic, files int) error {
	doc := DiagnosticsDocument{Files: files, Diagnostics: ds}
	if doc.Diagnostics == nil {
		doc.Diagnostics = []validate.Diagnostic{}
	}
	doc.Errors, doc.Warnings = validate.Count(ds)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// githubEscapeData escapes a workflow-command message.
func githubEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// githubEscapeProperty escapes a workflow-command property value.
func githubEscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func diagnosticsGitHub(w io.Writer, ds []validate.Diagnostic) error {
	var b strings.Builder
	for _, d := range ds {
		msg := printable(d.Message)
		if d.Layer != "" {
			msg = displayLayer(d.Layer) + ": " + msg
		}
		fmt.Fprintf(&b, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", d.Severity,
			githubEscapeProperty(d.File), d.Line, d.Column, githubEscapeProperty("modeltool "+d.Code), githubEscapeData(msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
