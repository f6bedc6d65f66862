package layers_test

import (
	"testing"

	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/layers"
)

// wantFigures compares a class's figures for args with hand-derived integers.
func wantFigures(t *testing.T, class string, args map[string]expr.Value, want map[string]int64) {
	t.Helper()
	fig, err := layers.Builtin().Lookup(class).Evaluate(args)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		if got := figure(fig, name); !got.Equal(expr.Int(w)) {
			t.Errorf("%s: %s = %s, want %d", class, name, got, w)
		}
	}
}

// TestConv1dFigures: a depthwise causal convolution as Mamba's conv1d (8 channels, kernel 4,
// bias) over 10 new tokens of 2 sequences, and a dense one (groups 1).
func TestConv1dFigures(t *testing.T) {
	const conv = "torch.nn.modules.conv.Conv1d"
	depthwise := ints("num_tokens", 10, "in_channels", 8, "out_channels", 8, "kernel_size", 4, "groups", 8,
		"bias", true, "dtype_bytes", 2, "state_sequences", 2, "past_tokens", 5)
	// params 8·(8/8)·4 + 8 = 40; FLOPs 2·10·8·1·4 + 10·8 = 720; the state 2 sequences · 8
	// channels · 4 columns · 2 bytes = 128, read (tokens came before) and written; read
	// 10·8·2 + 40·2 + 128 = 368; written 10·8·2 + 128 = 288.
	wantFigures(t, conv, depthwise, map[string]int64{"params": 40, "flops": 720, "bytes_read": 368, "bytes_written": 288, "kv_cache_bytes": 128})
	// A prefill does not read the state: 368 − 128.
	depthwise["past_tokens"] = expr.Int(0)
	wantFigures(t, conv, depthwise, map[string]int64{"bytes_read": 240, "kv_cache_bytes": 128})
	// vLLM's state keeps kernel_size − 1 columns: 2·8·3·2 = 96.
	depthwise["state_columns"] = expr.Int(3)
	wantFigures(t, conv, depthwise, map[string]int64{"kv_cache_bytes": 96})
	// Dense, no bias, no state: params 5·3·2 = 30, FLOPs 2·7·5·3·2 = 420, nothing cached.
	wantFigures(t, conv, ints("num_tokens", 7, "in_channels", 3, "out_channels", 5, "kernel_size", 2, "bias", false, "dtype_bytes", 1),
		map[string]int64{"params": 30, "flops": 420, "bytes_read": 7*3 + 30, "bytes_written": 7 * 5, "kv_cache_bytes": 0})
	if _, err := layers.Builtin().Lookup(conv).Evaluate(ints("num_tokens", 1, "in_channels", 6, "out_channels", 6, "kernel_size", 2, "groups", 4, "bias", false, "dtype_bytes", 1)); err == nil {
		t.Error("groups 4 of 6 channels: no error")
	}
}

// TestSelectiveScanFigures: 2 sequences of 3 new tokens, 8 channels, a state of 4 per channel.
// 6 tokens · 8 channels · (8·4 + 5) = 1,776 FLOPs plus 8·4 exponentials of A_log = 1,808;
// A_log and D 8·4 + 8 = 40 parameters; the state 2·8·4·2 bytes = 128. Read: x and Δ (8 each), B
// and C (4 each) per token, 6·24·2 = 288, the weights 80, and the state when tokens came
// before; written: y 6·8·2 = 96 and the state.
func TestSelectiveScanFigures(t *testing.T) {
	const scan = "mamba_ssm.ops.selective_scan_interface.selective_scan_fn"
	args := ints("batch_size", 2, "seq_len", 3, "past_len", 0, "intermediate_size", 8, "state_size", 4, "dtype_bytes", 2)
	wantFigures(t, scan, args, map[string]int64{"params": 40, "flops": 1808, "bytes_read": 368, "bytes_written": 224, "kv_cache_bytes": 128})
	// A decode step: 1 token after 100, the state read too; the cache does not grow.
	args["seq_len"], args["past_len"] = expr.Int(1), expr.Int(100)
	// FLOPs 2·8·37 + 32 = 624; read 2·24·2 + 80 + 128 = 304; written 2·8·2 + 128 = 160.
	wantFigures(t, scan, args, map[string]int64{"flops": 624, "bytes_read": 304, "bytes_written": 160, "kv_cache_bytes": 128})
	ts, err := layers.Builtin().Lookup(scan).EvalTensors(args)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "../A_log" || ts[0].Elements() != 32 || ts[1].Name != "../D" || ts[1].Elements() != 8 {
		t.Errorf("tensors %v, want the mixer's A_log [8, 4] and D [8]", ts)
	}
}

// TestFindPrefersTheCaseGiven: torch's Conv1d and GPT-2's Conv1D differ only in case; a short
// name in either case finds its own class, and another case is ambiguous.
func TestFindPrefersTheCaseGiven(t *testing.T) {
	c := layers.Builtin()
	for name, want := range map[string]string{"Conv1d": "torch.nn.modules.conv.Conv1d", "Conv1D": "transformers.pytorch_utils.Conv1D"} {
		if cl, _ := c.Find(name); cl == nil || cl.Name != want {
			t.Errorf("Find(%q) = %v, want %s", name, cl, want)
		}
	}
	if cl, several := c.Find("conv1D"); cl != nil || len(several) != 2 {
		t.Errorf("Find(conv1D) = %v, %v; want ambiguous between the two", cl, several)
	}
	if cl, _ := c.Find("linear"); cl == nil || cl.Name != "torch.nn.modules.linear.Linear" {
		t.Errorf("Find(linear) = %v: one match in another case is still found", cl)
	}
}
