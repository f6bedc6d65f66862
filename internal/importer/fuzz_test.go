package importer

import (
	"testing"

	"github.com/modeltool/modeltool/internal/validate"
)

// FuzzImport feeds arbitrary text to the importer: it must return a model file or an error,
// never panic or hang, and a model file it returns must validate.
func FuzzImport(f *testing.F) {
	f.Add(tiny)
	f.Add("Out[1]: " + tiny[:200])
	f.Add("M(\n  (0-2): 3 x L(\n    (a): Linear(in_features=2, out_features=2, bias=True)\n  )\n)")
	f.Add("X(\n  (experts): ModuleList(\n    (0-3): 4 x E(\n      (w1): Linear(in_features=4, out_features=8, bias=False)\n      (w2): Linear(in_features=8, out_features=4, bias=False)\n      (act_fn): SiLU()\n    )\n  )\n  (gate): Linear(in_features=4, out_features=4, bias=False)\n)")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		res, err := Import(text, Options{Name: "fuzz", ModelType: "llama"})
		if err != nil {
			return
		}
		check := validate.Source("fuzz", res.Output, validate.Options{})
		for _, d := range check.Diagnostics {
			if d.Severity.String() == "error" {
				t.Fatalf("the import does not validate: %s\n%s", d.String(), text)
			}
		}
	})
}
