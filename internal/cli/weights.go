package cli

import (
	"fmt"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/layers"
	"github.com/modeltool/modeltool/internal/safetensors"
	"github.com/modeltool/modeltool/internal/validate"
	"github.com/modeltool/modeltool/internal/weights"
)

// openWeights reads the headers of validate --weights' checkpoint; nil without the flag. A
// checkpoint that cannot be read is exit 2, like any unreadable input. The files of a folder it
// does not read are named on stderr.
func openWeights(s *Streams, path string) (*safetensors.Checkpoint, error) {
	if path == "" {
		return nil, nil
	}
	ck, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %w", err)
	}
	for _, n := range ck.Notes {
		fmt.Fprintf(s.Err, "modeltool: note: %s\n", n)
	}
	return ck, nil
}

// checkWeights compares a validated model file with the checkpoint. A file with errors (its
// shapes cannot be trusted) and a template (its shapes are expressions) are not compared.
func checkWeights(ck *safetensors.Checkpoint, res validate.Result, cat *layers.Catalog) []diag.Diagnostic {
	if ck == nil || res.File == nil || res.File.Template != nil {
		return nil
	}
	if n, _ := diag.Count(res.Diagnostics); n > 0 {
		return nil
	}
	out, err := weights.Check(res.File, ck, cat)
	if err != nil {
		return []diag.Diagnostic{res.File.Doc.Diagnostic(weights.FileOffset(res.File), weights.CodeTotal, "cannot compare with the checkpoint: "+err.Error())}
	}
	return out.Diagnostics
}
