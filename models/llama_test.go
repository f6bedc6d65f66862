package models_test

import "testing"

func TestLlamaCheckpoints(t *testing.T) {
	checkCheckpoints(t, []checkpoint{
		{"models/llama-2-7b-hf.config.json", "6_738_415_616"},
		{"testdata/configs/meta-llama__Llama-3.2-1B.json", "1_235_814_400"},            // tied, GQA, head_dim 64
		{"testdata/configs/meta-llama__Llama-3.2-3B.json", "3_212_749_824"},            // tied, 24/8 heads
		{"testdata/configs/meta-llama__Llama-3.1-8B.json", "8_030_261_248"},            // untied, GQA 32/8
		{"testdata/configs/TinyLlama__TinyLlama-1.1B-Chat-v1.0.json", "1_100_048_384"}, // GQA 32/4
	})
}
