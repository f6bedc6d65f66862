//go:build ignore

// schemafloor is the least any validator of model files built on santhosh-tekuri/jsonschema/v6
// can do: start, let the library's package init compile its metaschemas, and compile
// modeltool's model-file schema (the form for model files, as validate compiles it) — no
// catalog, no file read, no check. scripts/compare times it beside modeltool validate:
//
//	go build -o /tmp/schemafloor testdata/gen/schemafloor.go
package main

import (
	"fmt"
	"os"

	"github.com/modeltool/modeltool/internal/schema"
)

func main() {
	if err := schema.Prepare(false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
