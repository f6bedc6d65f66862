// Package report writes modeltool's results — validation diagnostics and calculated figures —
// in each output format. One small printer per format; none of them computes anything.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fatih/color"

	"github.com/modeltool/modeltool/internal/diag"
)

// DiagnosticFormats lists the formats of WriteDiagnostics.
var DiagnosticFormats = []string{"text", "json", "github"}

// WriteDiagnostics writes ds in diag.Sort's order (by file, line and column, then in the order
// found) in format: text (one line each, as diag.Diagnostic.String), json (a
// DiagnosticsDocument) or github (workflow commands). files is the number of files checked;
// colored enables ANSI colour in the text format. Every command prints its diagnostics here,
// so every command orders them alike; ds itself is left as it was.
func WriteDiagnostics(w io.Writer, format string, ds []diag.Diagnostic, files int, colored bool) error {
	ds = slices.Clone(ds)
	diag.Sort(ds)
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

func diagnosticsText(w io.Writer, ds []diag.Diagnostic, colored bool) error {
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
		if d.Severity == diag.Warning {
			sev = warnC
		}
		b.WriteString(pos.Sprint(d.Place()))
		b.WriteString(" ")
		b.WriteString(sev.Sprint(d.Severity.String() + ":"))
		b.WriteString(" ")
		if d.Layer != "" {
			b.WriteString(layerC.Sprint(diag.DisplayLayer(d.Layer)))
			b.WriteString(": ")
		}
		b.WriteString(diag.Printable(d.Message))
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DiagnosticsDocument is the shape of --format json (docs/output.md, "JSON output").
type DiagnosticsDocument struct {
	Files       int               `json:"files"`
	Errors      int               `json:"errors"`
	Warnings    int               `json:"warnings"`
	Diagnostics []diag.Diagnostic `json:"diagnostics"`
}

func diagnosticsJSON(w io.Writer, ds []diag.Diagnostic, files int) error {
	doc := DiagnosticsDocument{Files: files, Diagnostics: ds}
	if doc.Diagnostics == nil {
		doc.Diagnostics = []diag.Diagnostic{}
	}
	doc.Errors, doc.Warnings = diag.Count(ds)
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

func diagnosticsGitHub(w io.Writer, ds []diag.Diagnostic) error {
	var b strings.Builder
	for _, d := range ds {
		msg := diag.Printable(d.Message)
		if d.Layer != "" {
			msg = diag.DisplayLayer(d.Layer) + ": " + msg
		}
		place := ""
		if d.Line > 0 { // a fault of the file as a whole is annotated on the file
			place = fmt.Sprintf(",line=%d,col=%d", d.Line, d.Column)
		}
		fmt.Fprintf(&b, "::%s file=%s%s,title=%s::%s\n", d.Severity,
			githubEscapeProperty(d.File), place, githubEscapeProperty("modeltool "+d.Code), githubEscapeData(msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
