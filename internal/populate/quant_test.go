package populate_test

import (
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
)

// llamaWith is Llama-2-7b's config (models/llama-2-7b-hf.config.json: float16) with a
// quantization_config.
func llamaWith(t *testing.T, qc string) string {
	t.Helper()
	data, err := os.ReadFile("../../models/llama-2-7b-hf.config.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	var q any
	if err := json.Unmarshal([]byte(qc), &q); err != nil {
		t.Fatal(err)
	}
	cfg["quantization_config"] = q
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// weightBytes populates config and computes its weight bytes, with set.
func weightBytes(t *testing.T, config string, set map[string]expr.Value) (*big.Rat, *populate.Result) {
	t.Helper()
	res, err := run(t, config, "", false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Parse("m.json", res.Output)
	if err != nil {
		t.Fatal(err)
	}
	r, err := calc.Compute(f, calc.Options{Set: set})
	if err != nil {
		t.Fatal(err)
	}
	return r.Totals.WeightBytes, res
}

// Llama-2-7b's unquantized tensors, float16: the embedding and lm_head (32000 × 4096 each)
// and 65 RMSNorm weights of 4096.
const llamaFP16Rest = 2*32000*4096*2 + 65*4096*2

// TestGPTQWeightBytes derives a GPTQ checkpoint's bytes by hand: int4 weights packed in int32
// (in·out/2 bytes), per group of 128 input features an fp16 scale and a 4-bit zero point per
// output feature (2.5 bytes), g_idx an int32 per input feature; the embedding, the norms and
// lm_head stay float16. Per Llama-2-7b layer: q, k, v, o (4096 → 4096): 8,388,608 + 32·4096·2.5
// + 4096·4 = 8,732,672 each; gate and up (4096 → 11008): 22,544,384 + 32·11008·2.5 + 16,384 =
// 23,441,408 each; down (11008 → 4096): 22,544,384 + ceil(11008/128) = 86 groups ·4096·2.5 +
// 11008·4 = 23,469,056. 32 layers of 105,282,560 and the float16 rest: 3,893,862,400 bytes (the
// released TheBloke/Llama-2-7B-GPTQ model.safetensors is 3.9 GB).
func TestGPTQWeightBytes(t *testing.T) {
	got, res := weightBytes(t, llamaWith(t, `{"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": false, "sym": true}`), nil)
	layer := int64(4*8_732_672 + 2*23_441_408 + 23_469_056)
	if layer != 105_282_560 {
		t.Fatalf("the hand sum of a layer is %d", layer)
	}
	want := big.NewRat(32*layer+llamaFP16Rest, 1)
	if got.Cmp(want) != 0 || want.Cmp(big.NewRat(3_893_862_400, 1)) != 0 {
		t.Errorf("GPTQ weight bytes %s, want %s", got.RatString(), want.RatString())
	}
	if !strings.Contains(string(res.Output), `"x-quantization": "quantization_config: GPTQ int4`) {
		t.Error("the file does not say where its byte widths come from")
	}
	// --weight-dtype is an override: every weight at one dtype, no scales (calc.WeightOverride
	// sets the quantization's variables with weight_dtype_bytes).
	set := map[string]expr.Value{"weight_dtype_bytes": expr.Int(2)}
	f, _ := model.Parse("m.json", res.Output)
	for k, v := range calc.WeightOverride(f, expr.Int(2)) {
		set[k] = v
	}
	r, err := calc.Compute(f, calc.Options{Set: set})
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.WeightBytes.Cmp(new(big.Rat).Mul(r.Totals.Params, big.NewRat(2, 1))) != 0 {
		t.Errorf("with --weight-dtype fp16 the weights are %s bytes, want 2 × %s", r.Totals.WeightBytes.RatString(), r.Totals.Params.RatString())
	}
}

// TestAWQWeightBytes: AWQ stores no g_idx (and without zero_point no qzeros); lm_head given in
// modules_to_not_convert stays float16 either way, and "mlp" leaves every MLP projection
// unquantized (a run of the module name, as transformers matches it).
func TestAWQWeightBytes(t *testing.T) {
	got, _ := weightBytes(t, llamaWith(t, `{"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": true, "version": "gemm", "modules_to_not_convert": ["lm_head"]}`), nil)
	// As GPTQ without g_idx: q, k, v, o 8,716,288 each; gate and up 23,425,024; down 23,425,024.
	layer := int64(4*(8_388_608+32*4096*5/2) + 2*(22_544_384+32*11008*5/2) + 22_544_384 + 86*4096*5/2)
	want := big.NewRat(32*layer+llamaFP16Rest, 1)
	if got.Cmp(want) != 0 {
		t.Errorf("AWQ weight bytes %s, want %s", got.RatString(), want.RatString())
	}
	got, _ = weightBytes(t, llamaWith(t, `{"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": false, "modules_to_not_convert": ["mlp"]}`), nil)
	// Only attention is quantized, with fp16 scales and no zero points: 8,388,608 + 32·4096·2.
	mlp := int64(3 * 4096 * 11008 * 2)
	want = big.NewRat(32*(4*(8_388_608+32*4096*2)+mlp)+llamaFP16Rest, 1)
	if got.Cmp(want) != 0 {
		t.Errorf("AWQ without zero points, MLP skipped: %s, want %s", got.RatString(), want.RatString())
	}
}

// TestBitsAndBytesWeightBytes: 4-bit NF4 with double quantization packs two weights a byte,
// a uint8 absmax per 64 weights plus an fp32 one per 256 blocks (1 + 4/256 bytes per block),
// and per layer the 16- and 256-entry fp32 maps; 8-bit stores int8 and an fp32 scale per
// output feature.
func TestBitsAndBytesWeightBytes(t *testing.T) {
	got, _ := weightBytes(t, llamaWith(t, `{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true}`), nil)
	elems := []int64{4096 * 4096, 4096 * 4096, 4096 * 4096, 4096 * 4096, 4096 * 11008, 4096 * 11008, 11008 * 4096}
	want := new(big.Rat)
	for _, e := range elems {
		w := new(big.Rat).SetFrac64(e, 2)                                         // packed weights
		w.Add(w, new(big.Rat).Mul(big.NewRat(e/64, 1), big.NewRat(1*256+4, 256))) // absmax, nested absmax
		w.Add(w, big.NewRat(16*4+256*4, 1))                                       // quant maps
		want.Add(want, w)
	}
	want.Mul(want, big.NewRat(32, 1)).Add(want, big.NewRat(llamaFP16Rest, 1))
	if got.Cmp(want) != 0 {
		t.Errorf("bitsandbytes nf4 %s, want %s", got.RatString(), want.RatString())
	}
	got, _ = weightBytes(t, llamaWith(t, `{"quant_method": "bitsandbytes", "load_in_8bit": true}`), nil)
	layer := int64(4*(4096*4096+4096*4) + 2*(4096*11008+11008*4) + 11008*4096 + 4096*4)
	if want := big.NewRat(32*layer+llamaFP16Rest, 1); got.Cmp(want) != 0 {
		t.Errorf("bitsandbytes int8 %s, want %s", got.RatString(), want.RatString())
	}
}

// TestUnknownQuantization: a method modeltool does not read leaves the weights as they were
// and says so.
func TestUnknownQuantization(t *testing.T) {
	got, res := weightBytes(t, llamaWith(t, `{"quant_method": "hqq", "nbits": 4}`), nil)
	plain, _ := weightBytes(t, llamaWith(t, `{}`), nil)
	if got.Cmp(plain) != 0 || len(res.Report.Notes) == 0 || !strings.Contains(res.Report.Notes[len(res.Report.Notes)-1], `quant_method "hqq"`) {
		t.Errorf("weights %s (plain %s), notes %v", got.RatString(), plain.RatString(), res.Report.Notes)
	}
}

// TestQuantizationDropped: a file built from a GPTQ config and checked against the same
// config without quantization_config is out of sync at every quantized Linear: its weight width
// and each scale parameter quantization gave it (7 Linears of 32 layers, written once: q, k, v,
// o, gate, up, down each have quant_block_in, quant_block_bytes and quant_index_bytes), and
// --update removes them, so the file weighs what the float16 checkpoint does.
func TestQuantizationDropped(t *testing.T) {
	gptq := llamaWith(t, `{"quant_method": "gptq", "bits": 4, "group_size": 128}`)
	built, err := run(t, gptq, "", false)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile("../../models/llama-2-7b-hf.config.json")
	if err != nil {
		t.Fatal(err)
	}
	check := runTemplate(t, "llama", string(plain), string(built.Output), populate.Check)
	counts := map[string]int{}
	for _, d := range check.Drift {
		for _, k := range []string{"weight_dtype_bytes", "quant_block_in", "quant_block_bytes", "quant_index_bytes"} {
			if strings.Contains(d.Message, k+" is ") {
				counts[k]++
			}
		}
	}
	for _, k := range []string{"weight_dtype_bytes", "quant_block_in", "quant_block_bytes", "quant_index_bytes"} {
		if counts[k] != 7 {
			t.Errorf("%d findings for %s, want 7 (one per quantized Linear):\n%s", counts[k], k, driftLines(check))
		}
	}
	updated := runTemplate(t, "llama", string(plain), string(built.Output), populate.Update)
	f, err := model.Parse("m.json", updated.Output)
	if err != nil {
		t.Fatal(err)
	}
	r, err := calc.Compute(f, calc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// float16: 6,738,415,616 parameters × 2 bytes.
	if want := big.NewRat(6_738_415_616*2, 1); r.Totals.WeightBytes.Cmp(want) != 0 {
		t.Errorf("after --update without quantization_config: %s weight bytes, want %s", r.Totals.WeightBytes.RatString(), want.RatString())
	}
}
