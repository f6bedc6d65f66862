package validate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/jsonpos"
)

// FuzzValidate feeds arbitrary bytes to the validator. Whatever the input, it must not panic,
// and every diagnostic must name the file, point inside it (line ≥ 1, column ≥ 1, at most one
// past the end of its line), carry a code and a message, and come out sorted.
//
// The seeds are the bad-input corpus, the skeleton and the shipped models and templates; the
// crashers found so far are in testdata/fuzz/FuzzValidate.
//
//	go test ./internal/validate -run='^$' -fuzz=FuzzValidate -fuzztime=5m
func FuzzValidate(f *testing.F) {
	for _, pattern := range []string{
		"../../testdata/bad/*.json",
		"../../testdata/skeleton/*.json",
		"../../models/*.json",
		"../../models/templates/*.json",
	} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// A pre-commit hook must not hang: any input the fuzzer makes (at most a few hundred KB)
		// is validated in well under a second; ten is a hang.
		slow := time.AfterFunc(10*time.Second, func() {
			panic(fmt.Sprintf("validating took more than 10s: %.300q", src))
		})
		defer slow.Stop()
		res := Source("f.json", src, Options{})
		// Source shares equal layers' nodes; a tree without sharing gives the same findings.
		if doc, err := jsonpos.Parse("f.json", src, jsonpos.Options{}); err == nil {
			if plain := Document(doc, Options{}).Diagnostics; !slices.Equal(plain, res.Diagnostics) {
				t.Errorf("findings depend on sharing:\nshared %+v\nplain  %+v", res.Diagnostics, plain)
			}
		}
		lines := bytes.Split(src, []byte("\n"))
		for i, d := range res.Diagnostics {
			if d.File != "f.json" || d.Code == "" || d.Message == "" {
				t.Errorf("incomplete diagnostic %+v", d)
			}
			if d.Line < 1 || d.Column < 1 || d.Line > len(lines) || d.Column > len(lines[d.Line-1])+1 {
				t.Errorf("diagnostic outside the file (%d lines): %+v", len(lines), d)
			}
			if i > 0 && less(d, res.Diagnostics[i-1]) {
				t.Errorf("not sorted: %+v before %+v", res.Diagnostics[i-1], d)
			}
		}
	})
}

// less is the order of diag.Sort.
func less(a, b diag.Diagnostic) bool {
	ds := []diag.Diagnostic{b, a}
	diag.Sort(ds)
	return ds[0] == a && a != b
}
