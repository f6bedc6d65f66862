package layers

import "testing"

// BenchmarkParseBuiltin is the catalog part of every command's start: reading the embedded catalog
// files. Figures: docs/performance.md.
func BenchmarkParseBuiltin(b *testing.B) {
	for b.Loop() {
		if _, err := parseBuiltin(); err != nil {
			b.Fatal(err)
		}
	}
}
