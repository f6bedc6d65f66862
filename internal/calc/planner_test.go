package calc_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/hardware"
)

const (
	mixtralPath  = "../../models/mixtral-8x7b-v0.1.json"
	qwen3MoePath = "../../models/qwen3-30b-a3b.json"
	deepseekPath = "../../models/deepseek-v3.json"
	qwen2Path    = "../../models/qwen2-7b.json"
)

func computeOpts(t *testing.T, path string, opts calc.Options) *calc.Result {
	t.Helper()
	res, err := calc.Compute(load(t, path, nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

// TestActiveParams derives the active parameters of the shipped MoE models from their
// configs: every parameter but the routed experts', plus num_experts_per_tok of them per MoE
// layer (the embedding and an untied lm_head included); and equal to params for a dense model.
func TestActiveParams(t *testing.T) {
	// Mixtral-8x7B-v0.1: V 32000, h 4096, I 14336, 32 layers, 32 heads of 128, 8 KV heads,
	// 8 experts, top 2, untied.
	{
		const V, h, I, L, H, KV, hd, E, k = 32000, 4096, 14336, 32, 32, 8, 128, 8, 2
		attn := add(mul(h, H, hd), mul(2, h, KV, hd), mul(H, hd, h)) // q, k, v, o
		expert := mul(3, h, I)                                       // w1, w2, w3
		layer := add(attn, mul(h, E), new(big.Int).Mul(big.NewInt(E), expert), mul(2, h))
		total := add(mul(V, h), new(big.Int).Mul(big.NewInt(L), layer), mul(h), mul(V, h))
		active := sub(total, new(big.Int).Mul(big.NewInt(L*(E-k)), expert))
		res := computeOpts(t, mixtralPath, calc.Options{})
		want(t, "Mixtral params", res.Totals.Params, total)
		want(t, "Mixtral active_params", res.Totals.ActiveParams, active)
		want(t, "Mixtral active_params (the issue's figure)", res.Totals.ActiveParams, big.NewInt(12_879_925_248))
	}
	// Qwen3-30B-A3B: V 151936, h 2048, 48 layers, 32 heads and 4 KV heads of 128 (q_norm and
	// k_norm of 128 each), 128 experts of width 768, top 8, untied.
	{
		const V, h, L, H, KV, hd, E, k, I = 151936, 2048, 48, 32, 4, 128, 128, 8, 768
		attn := add(mul(h, H, hd), mul(2, h, KV, hd), mul(H, hd, h), mul(2, hd))
		expert := mul(3, h, I)
		layer := add(attn, mul(h, E), new(big.Int).Mul(big.NewInt(E), expert), mul(2, h))
		total := add(mul(V, h), new(big.Int).Mul(big.NewInt(L), layer), mul(h), mul(V, h))
		active := sub(total, new(big.Int).Mul(big.NewInt(L*(E-k)), expert))
		res := computeOpts(t, qwen3MoePath, calc.Options{})
		want(t, "Qwen3-30B-A3B params", res.Totals.Params, total)
		want(t, "Qwen3-30B-A3B active_params", res.Totals.ActiveParams, active)
		want(t, "Qwen3-30B-A3B active_params (the issue's figure)", res.Totals.ActiveParams, big.NewInt(3_353_032_704))
	}
	// DeepSeek-V3: V 129280, h 7168, 61 layers (3 dense, 58 MoE), MLA with q_lora_rank 1536,
	// kv_lora_rank 512, 128 heads (qk 128 + 64 rope, v 128); dense MLP 18432; 256 routed experts
	// of 2048, top 8, one shared expert of 2048; router weight 256 × h (its correction bias is a
	// buffer, not counted); untied. The multi-token-prediction layer is not in the model file.
	{
		const V, h, Ld, Lm, H, qr, kvr, nope, rope, vd, I, E, k, Im = 129280, 7168, 3, 58, 128, 1536, 512, 128, 64, 128, 18432, 256, 8, 2048
		attn := add(mul(h, qr), mul(qr), mul(qr, H, nope+rope), // q_a, q_a_layernorm, q_b
			mul(h, kvr+rope), mul(kvr), mul(kvr, H, nope+vd), // kv_a_proj_with_mqa, kv_a_layernorm, kv_b
			mul(H, vd, h)) // o_proj
		dense := add(attn, mul(3, h, I), mul(2, h))
		expert := mul(3, h, Im)
		moe := add(attn, mul(E, h), new(big.Int).Mul(big.NewInt(E), expert), expert, mul(2, h)) // router, routed, shared
		total := add(mul(V, h), new(big.Int).Mul(big.NewInt(Ld), dense), new(big.Int).Mul(big.NewInt(Lm), moe), mul(h), mul(V, h))
		active := sub(total, new(big.Int).Mul(big.NewInt(Lm*(E-k)), expert))
		res := computeOpts(t, deepseekPath, calc.Options{})
		want(t, "DeepSeek-V3 params", res.Totals.Params, total)
		want(t, "DeepSeek-V3 active_params", res.Totals.ActiveParams, active)
		want(t, "DeepSeek-V3 active_params (the issue's figure)", res.Totals.ActiveParams, big.NewInt(37_552_282_624))
	}
	// A dense model: active = params.
	res := computeOpts(t, llamaPath, calc.Options{})
	if res.Totals.ActiveParams.Cmp(res.Totals.Params) != 0 {
		t.Errorf("Llama-2-7b active_params %s, params %s: a dense model's are equal", res.Totals.ActiveParams.RatString(), res.Totals.Params.RatString())
	}
}

// findRow returns the row at path, failing when there is none.
func findRow(t *testing.T, res *calc.Result, path string) calc.Row {
	t.Helper()
	for _, r := range res.Rows {
		if r.Path == path {
			return r
		}
	}
	t.Fatalf("no row %s", path)
	return calc.Row{}
}

func hasCategory(res *calc.Result, cat string) bool {
	for _, r := range res.Rows {
		if r.Category == cat {
			return true
		}
	}
	return false
}

// TestTensorParallelLlama: Llama-2-7b at --tp 2 holds 3,369,340,928 parameters per device —
// the 65 RMSNorm weights (2 per layer and the final one) replicated, everything else halved.
// --tp 1 is the model as it is, with no communication.
func TestTensorParallelLlama(t *testing.T) {
	whole := computeOpts(t, llamaPath, calc.Options{})
	norms := mul(2*layers+1, hidden)
	perDevice := add(new(big.Int).Quo(sub(whole.Totals.Params.Num(), norms), n(2)), norms)
	res := computeOpts(t, llamaPath, calc.Options{Parallel: calc.Parallelism{TP: 2}})
	want(t, "params per device at --tp 2", res.Totals.Params, perDevice)
	want(t, "params per device at --tp 2 (the issue's figure)", res.Totals.Params, big.NewInt(3_369_340_928))
	want(t, "active_params stays the model's", res.Totals.ActiveParams, whole.Totals.Params.Num())

	one := computeOpts(t, llamaPath, calc.Options{Parallel: calc.Parallelism{TP: 1}})
	if hasCategory(one, calc.CategoryCommunication) || one.Totals.CommBytes.Sign() != 0 || one.Parallel != nil {
		t.Errorf("--tp 1: communication rows or comm_bytes %s", one.Totals.CommBytes.RatString())
	}
	want(t, "--tp 1 params", one.Totals.Params, whole.Totals.Params.Num())
}

// TestTensorParallel8 splits Qwen3-30B-A3B over 8 devices: 32 query heads give 4 per device;
// its 4 KV heads are fewer than 8, so each device holds one (replicated on two devices); every
// expert's MLP is split like a dense one; the router and the norms are replicated. Prefill of
// 2048 tokens, batch 1, bf16.
func TestTensorParallel8(t *testing.T) {
	const V, h, L, H, KV, hd, E, I, S, N = 151936, 2048, 48, 32, 4, 128, 128, 768, 2048, 8
	res := computeOpts(t, qwen3MoePath, calc.Options{Parallel: calc.Parallelism{TP: N}})
	// Per layer: q h·(H/N)·hd, k and v h·1·hd (one KV head), o (H/N)·hd·h, q_norm and k_norm hd
	// each, router h·E, E experts of 3·h·I/N, two norms h.
	layer := add(mul(h, H/N, hd), mul(2, h, 1, hd), mul(H/N, hd, h), mul(2, hd), mul(h, E), mul(E, 3, h, I/N), mul(2, h))
	params := add(mul(V/N, h), new(big.Int).Mul(n(L), layer), mul(h), mul(V/N, h))
	want(t, "params per device at --tp 8", res.Totals.Params, params)
	// KV cache: one K and one V head of 128 per layer per token, bf16.
	want(t, "KV cache per device at --tp 8", res.Totals.KVCacheBytes, mul(L, 2, S, 1, hd, 2))
	// Sent per device: a ring all-reduce sends 2·(N−1)/N of its buffer — the embedding's output
	// and, in every layer, o_proj's and each expert's down_proj output (S·h bf16; the 128
	// experts together see S·k tokens: k = 8); the logits are all-gathered: (N−1) × S·V/N
	// bf16.
	buf := mul(S, h, 2)
	reduces := add(buf, new(big.Int).Mul(n(L), add(buf, mul(S, 8, h, 2))))
	comm := new(big.Rat).SetFrac(new(big.Int).Mul(reduces, n(2*(N-1))), n(N))
	comm.Add(comm, new(big.Rat).SetInt(mul(N-1, S, V/N, 2)))
	if res.Totals.CommBytes.Cmp(comm) != 0 {
		t.Errorf("comm_bytes per device at --tp 8 = %s, want %s", res.Totals.CommBytes.RatString(), comm.RatString())
	}
	r := findRow(t, res, "model.decoder_layer.self_attn.o_proj_all_reduce")
	if r.Class != calc.ClassAllReduce || r.Count.Cmp(n(L)) != 0 || r.CommBytes.Cmp(new(big.Rat).SetFrac(new(big.Int).Mul(buf, n(2*(N-1))), n(N))) != 0 {
		t.Errorf("o_proj all-reduce row: %s × %s %s", r.Count, r.CommBytes.RatString(), r.Class)
	}
	findRow(t, res, "lm_head_all_gather")
}

// TestTensorAndPipelineParallel splits Llama-2-7b over TP=2 × PP=2: each stage holds 16 of the
// 32 decoder layers halved; the first stage also half the embedding, the last the final norm
// and half the lm_head, which makes it the most loaded. The first stage sends its hidden
// states (S·h bf16) to the second.
func TestTensorAndPipelineParallel(t *testing.T) {
	const S = 2048
	par := calc.Parallelism{TP: 2, PP: 2}
	res := computeOpts(t, llamaPath, calc.Options{Parallel: par})
	if res.Parallel == nil || res.Parallel.Stage != 1 {
		t.Fatalf("most loaded stage %+v, want the last (1)", res.Parallel)
	}
	layer := add(mul(4, hidden, hidden/2), mul(3, hidden, inter/2), mul(2, hidden))
	want(t, "params on the last stage", res.Totals.Params, add(new(big.Int).Mul(n(16), layer), mul(hidden), mul(vocab/2, hidden)))
	// KV cache: 16 layers, K and V, 16 of the 32 heads of 128, bf16.
	want(t, "KV cache on the last stage", res.Totals.KVCacheBytes, mul(16, 2, S, heads/2, headD, 2))
	// Sent: per layer two all-reduces of S·h bf16 (2·(N−1)/N = 1 at N = 2), the logits
	// all-gathered: (N−1) × S·V/2 bf16.
	want(t, "comm_bytes on the last stage", res.Totals.CommBytes, add(mul(16, 2, S, hidden, 2), mul(1, S, vocab/2, 2)))

	first := computeOpts(t, llamaPath, calc.Options{Parallel: par, Stage: 1})
	want(t, "params on the first stage", first.Totals.Params, add(mul(vocab/2, hidden), new(big.Int).Mul(n(16), layer)))
	send := findRow(t, first, "model.pipeline_send")
	if send.Class != calc.ClassSend || send.CommBytes.Cmp(new(big.Rat).SetInt(mul(S, hidden, 2))) != 0 {
		t.Errorf("pipeline send %s: %s bytes, want S·h·2", send.Class, send.CommBytes.RatString())
	}
	// The embedding's all-reduce, 16 layers' two, and the send.
	want(t, "comm_bytes on the first stage", first.Totals.CommBytes, add(mul(S, hidden, 2), mul(16, 2, S, hidden, 2), mul(S, hidden, 2)))
}

// TestExpertParallel spreads Mixtral's 8 experts over 8 devices, batch 8 of 2048 tokens: each
// device holds one expert per layer and computes attention for one sequence; its expert
// receives the routed tokens of all 8 (8·2048·2/8 per expert). The all-to-all sends each
// device's tokens' hidden states to their 2 experts, 7/8 of them elsewhere, and back.
func TestExpertParallel(t *testing.T) {
	const B, S, h, I, E, k, L, EP = 8, 2048, 4096, 14336, 8, 2, 32, 8
	res := computeOpts(t, mixtralPath, calc.Options{Parallel: calc.Parallelism{EP: EP}, Set: map[string]expr.Value{"batch_size": expr.Int(B)}})
	w1 := findRow(t, res, "model.decoder_layer.block_sparse_moe.experts.w1")
	if w1.Count.Cmp(n(L)) != 0 {
		t.Errorf("experts per device: %s w1 rows, want one per layer (%d)", w1.Count, L)
	}
	// Each expert: B·S·k/E tokens through h×I: 2·tokens·h·I FLOPs.
	if got := w1.Figures.FLOPs.Rat(); got.Cmp(new(big.Rat).SetInt(mul(2, B*S*k/E, h, I))) != 0 {
		t.Errorf("w1 FLOPs per expert %s", got.RatString())
	}
	q := findRow(t, res, "model.decoder_layer.self_attn.q_proj")
	if q.Figures.FLOPs.Rat().Cmp(new(big.Rat).SetInt(mul(2, S, h, h))) != 0 {
		t.Errorf("q_proj FLOPs %s: attention runs one sequence per device", q.Figures.FLOPs.Rat().RatString())
	}
	sent := new(big.Rat).SetFrac(mul(B/EP*S, k, h, 2, EP-1), n(EP))
	d := findRow(t, res, "model.decoder_layer.block_sparse_moe.experts_dispatch")
	c := findRow(t, res, "model.decoder_layer.block_sparse_moe.experts_combine")
	if d.CommBytes.Cmp(sent) != 0 || c.CommBytes.Cmp(sent) != 0 || d.Count.Cmp(n(L)) != 0 {
		t.Errorf("all-to-all %s / %s × %s, want %s each", d.CommBytes.RatString(), c.CommBytes.RatString(), d.Count, sent.RatString())
	}
}

// TestDataParallel: --dp 2 of batch 4 computes batch 2 on each device, with no communication.
func TestDataParallel(t *testing.T) {
	res := computeOpts(t, llamaPath, calc.Options{Parallel: calc.Parallelism{DP: 2}, Set: map[string]expr.Value{"batch_size": expr.Int(4)}})
	two := computeOpts(t, llamaPath, calc.Options{Set: map[string]expr.Value{"batch_size": expr.Int(2)}})
	if res.Totals.FLOPs.Cmp(two.Totals.FLOPs) != 0 || res.Totals.KVCacheBytes.Cmp(two.Totals.KVCacheBytes) != 0 || hasCategory(res, calc.CategoryCommunication) {
		t.Errorf("--dp 2 of batch 4: %s FLOPs, want batch 2's %s", res.Totals.FLOPs.RatString(), two.Totals.FLOPs.RatString())
	}
}

// TestSplitsRefused: a split that does not divide is refused with the reason.
func TestSplitsRefused(t *testing.T) {
	for _, c := range []struct {
		path string
		par  calc.Parallelism
		set  map[string]expr.Value
		msg  string
	}{
		// Qwen2-7B has 28 attention heads: 8 does not divide them.
		{qwen2Path, calc.Parallelism{TP: 8}, nil, "num_heads 28 does not divide over --tp 8"},
		// 4 KV heads are neither divided by 3 nor divide 3 (and 32 heads do not divide either).
		{mixtralPath, calc.Parallelism{TP: 3}, nil, "over --tp 3"},
		// 32 layers over 3 stages.
		{llamaPath, calc.Parallelism{PP: 3}, nil, "32 pipeline units"},
		// 8 experts over 3 devices.
		{mixtralPath, calc.Parallelism{EP: 3}, map[string]expr.Value{"batch_size": expr.Int(3)}, "8 routed experts do not divide over --ep 3"},
		// A dense model has no experts to spread.
		{llamaPath, calc.Parallelism{EP: 2}, map[string]expr.Value{"batch_size": expr.Int(2)}, "no routed experts"},
		// Batch 1 over 2 data-parallel ranks.
		{llamaPath, calc.Parallelism{DP: 2}, nil, "batch_size 1 does not divide over 2"},
		// GPT-2's vocabulary of 50257 over 2.
		{"../../models/gpt2.json", calc.Parallelism{TP: 2}, nil, "num_embeddings 50257 does not divide over --tp 2"},
	} {
		_, err := calc.Compute(load(t, c.path, nil), calc.Options{Parallel: c.par, Set: c.set})
		var se *calc.SplitError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s %+v: %v, want a split error containing %q", c.path, c.par, err, c.msg)
		}
	}
}

// TestTensorParallelNeedsRoles: a file that says nothing about how its layers split is not
// split on a guess.
func TestTensorParallelNeedsRoles(t *testing.T) {
	f := load(t, llamaPath, func(b []byte) []byte {
		s := string(b)
		for _, role := range []string{"column", "row", "vocab", "heads", "kv"} {
			s = strings.ReplaceAll(s, `"tp": "`+role+`"`, `"tp": "replicated"`)
		}
		return []byte(s)
	})
	_, err := calc.Compute(f, calc.Options{Parallel: calc.Parallelism{TP: 2}})
	if err == nil || !strings.Contains(err.Error(), "does not say how its layers split") {
		t.Errorf("got %v", err)
	}
}

// TestMemoryFits: Llama-2-7b holds its weights (2 bytes × 6,738,415,616), the KV cache (32
// layers × K and V × 4096 × 2 bytes = 524,288 bytes per token) and, at the peak, lm_head's
// input and output (4096 + 32000 values × 2 bytes = 72,192 bytes per token, logits_len =
// seq_len): 13,476,831,232 + 596,480·B·S bytes. An H100's 80 GiB (85,899,345,920) holds
// B·S ≤ 121,416: at 2048 tokens batch 59 fits and 60 does not.
func TestMemoryFits(t *testing.T) {
	dev, err := hardware.Lookup("H100-SXM")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		batch int64
		fits  bool
	}{{59, true}, {60, false}} {
		res := computeOpts(t, llamaPath, calc.Options{Set: map[string]expr.Value{"batch_size": expr.Int(c.batch)}})
		m := calc.MemoryOn(res, dev)
		want(t, "activations", m.Activations, mul(72192, c.batch, 2048))
		want(t, "memory total", m.Total, add(n(13_476_831_232), mul(596480, c.batch, 2048)))
		if !m.Known || m.Fits != c.fits {
			t.Errorf("batch %d: fits %v, want %v (%s of %s)", c.batch, m.Fits, c.fits, m.Total.RatString(), m.Capacity.RatString())
		}
	}
}

// TestFitLargest: from the memory of TestMemoryFits (13,476,831,232 + 596,480·B·S bytes on an
// 85,899,345,920-byte H100), at 2048 tokens the largest batch is 59 (B·S ≤ 121,416), and for one
// sequence the longest context is 121,416 tokens; calc agrees at the answer and one more.
func TestFitLargest(t *testing.T) {
	dev, err := hardware.Lookup("H100-SXM")
	if err != nil {
		t.Fatal(err)
	}
	f := load(t, llamaPath, nil)
	for _, c := range []struct {
		variable string
		set      map[string]expr.Value
		want     int64
	}{
		{"batch_size", map[string]expr.Value{"seq_len": expr.Int(2048)}, 59},
		{"seq_len", map[string]expr.Value{"batch_size": expr.Int(1)}, 121_416},
	} {
		fit, err := calc.FitLargest(f, calc.Options{Set: c.set}, dev, c.variable, 1)
		if err != nil {
			t.Fatal(err)
		}
		if fit.Max.Cmp(n(c.want)) != 0 || !fit.Memory.Fits || fit.Next.Fits {
			t.Errorf("%s: %s (fits %v, next fits %v), want %d", c.variable, fit.Max, fit.Memory.Fits, fit.Next.Fits, c.want)
		}
		for _, v := range []int64{c.want, c.want + 1} {
			set := map[string]expr.Value{c.variable: expr.Int(v)}
			for k, x := range c.set {
				set[k] = x
			}
			m := calc.MemoryOn(computeOpts(t, llamaPath, calc.Options{Set: set}), dev)
			if m.Fits != (v == c.want) {
				t.Errorf("calc at %s = %d: fits %v", c.variable, v, m.Fits)
			}
		}
	}
	// Mixtral's weights alone (93.4 GB) exceed the H100: nothing fits.
	fit, err := calc.FitLargest(load(t, mixtralPath, nil), calc.Options{}, dev, "batch_size", 1)
	if err != nil || fit.Max.Sign() != 0 || fit.Memory.Fits {
		t.Errorf("Mixtral on one H100: %v %v", fit, err)
	}
}
