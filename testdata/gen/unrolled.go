//go:build ignore

// unrolled writes a large model file for benchmarks and scripts/compare (internal/bigmodel):
//
//	go run testdata/gen/unrolled.go -model models/deepseek-v3.json > /tmp/deepseek-v3-unrolled.json   # every repeat expanded
//	go run testdata/gen/unrolled.go -wide 430000 > /tmp/wide.json                                      # 430,000 compact layers, 60 MB
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/modeltool/modeltool/internal/bigmodel"
)

func main() {
	src := flag.String("model", "models/deepseek-v3.json", "the model file whose repeats are expanded")
	wide := flag.Int("wide", 0, "write a compact synthetic file of this many basic layers instead")
	flag.Parse()
	if err := run(*src, *wide); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string, wide int) error {
	if wide > 0 {
		_, err := os.Stdout.Write(bigmodel.Wide(wide))
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := bigmodel.Expand(data)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
