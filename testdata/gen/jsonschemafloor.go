//go:build ignore

// jsonschemafloor is the smallest program built on the validator modeltool uses: it links
// santhosh-tekuri/jsonschema/v6 and does nothing else. Its run time is the floor of any Go
// validator on that library — the Go runtime's start and the library's package init, which
// compiles the metaschemas of all five drafts — and scripts/compare times it beside
// modeltool validate:
//
//	go build -o /tmp/jsonschemafloor testdata/gen/jsonschemafloor.go
package main

import _ "github.com/santhosh-tekuri/jsonschema/v6"

func main() {}
