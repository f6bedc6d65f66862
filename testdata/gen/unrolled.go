//go:build ignore

// unrolled writes a large model file for benchmarks: the shipped Llama-2-7b-hf model with its
// decoder layer unrolled into N distinct copies (no repeat), so the file has 15·N + 4 basic
// layers, each with all its parameters. Usage:
//
//	go run testdata/gen/unrolled.go -copies 3334 > /tmp/llama-unrolled.json   # 50,014 basic layers
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/modeltool/modeltool/internal/jsonpos"
)

func main() {
	copies := flag.Int("copies", 3334, "decoder layers to write")
	src := flag.String("model", "models/llama-2-7b-hf.json", "the model whose decoder layer is copied")
	flag.Parse()
	if err := run(*src, *copies); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string, copies int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := jsonpos.Parse(path, data, jsonpos.Options{})
	if err != nil {
		return err
	}
	model := doc.Root.Get("layers").Items[0]
	subs := model.Get("sub_layers")
	var out []*jsonpos.Node
	for _, l := range subs.Items {
		if l.Get("name").Text != "decoder_layer" {
			out = append(out, l)
			continue
		}
		for i := 0; i < copies; i++ {
			c := l.Clone()
			c.Set("name", jsonpos.NewString(fmt.Sprintf("layers_%d", i)))
			c.Delete("repeat")
			out = append(out, c)
		}
	}
	subs.Items = out
	_, err = os.Stdout.Write(jsonpos.Marshal(doc.Root))
	return err
}
