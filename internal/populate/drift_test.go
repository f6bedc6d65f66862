package populate_test

import (
	"os"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/models"
)

func runMode(t *testing.T, config, existing string, mode populate.Mode) *populate.Result {
	t.Helper()
	return runTemplate(t, "llama", config, existing, mode)
}

func runTemplate(t *testing.T, name, config, existing string, mode populate.Mode) *populate.Result {
	t.Helper()
	cfg, err := populate.ReadConfig("config.json", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := models.Template(name)
	tpl, err := populate.LoadTemplate(name, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Parse("model.json", []byte(existing))
	if err != nil {
		t.Fatal(err)
	}
	res, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: name, Existing: f, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func driftLines(res *populate.Result) string {
	var lines []string
	for _, d := range res.Drift {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// TestCheckAndUpdate changes the config under a file built from it, and the file under its
// config, then checks (every difference at its line), updates (every difference rewritten, the
// author's additions kept) and checks again (clean).
func TestCheckAndUpdate(t *testing.T) {
	built, err := run(t, llamaConfig, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if res := runMode(t, llamaConfig, string(built.Output), populate.Check); len(res.Drift) > 0 {
		t.Fatalf("a file just built is out of sync:\n%s", driftLines(res))
	}
	// The author's edits: an x- key, an extra variable, a calc-time choice (seq_len), an extra
	// layer, and one derived value changed by hand (q_proj in_features 64 → 65).
	file := string(built.Output)
	file = strings.Replace(file, `"model_id": "test/tiny-llama",`, `"model_id": "test/tiny-llama",
  "x-owner": "me",`, 1)
	file = strings.Replace(file, `"seq_len": 2048,`, `"seq_len": 4096,
    "my_var": 3,`, 1)
	file = strings.Replace(file, `"name": "q_proj",
                  "class": "torch.nn.modules.linear.Linear",
                  "parallel": {
                    "tp": "column"
                  },
                  "parameters": {
                    "num_tokens": "{batch_size} * {seq_len}",
                    "in_features": 64,`, `"name": "q_proj",
                  "class": "torch.nn.modules.linear.Linear",
                  "parallel": {
                    "tp": "column"
                  },
                  "parameters": {
                    "num_tokens": "{batch_size} * {seq_len}",
                    "in_features": 65,`, 1)
	file = strings.Replace(file, `"layers": [
    {
      "name": "model",`, `"layers": [
    {"name": "mine", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}},
    {
      "name": "model",`, 1)
	if !strings.Contains(file, `"in_features": 65`) || !strings.Contains(file, `"mine"`) || !strings.Contains(file, `"my_var"`) {
		t.Fatal("the test's edits did not apply")
	}
	// The config changes: 3 layers, hidden 64 → 128, float32, another name.
	config := strings.NewReplacer(`"num_hidden_layers": 2`, `"num_hidden_layers": 3`, `"hidden_size": 64`, `"hidden_size": 128`,
		`"bfloat16"`, `"float32"`, `"test/tiny-llama"`, `"test/tiny-llama-v2"`).Replace(llamaConfig)

	check := runMode(t, config, file, populate.Check)
	got := driftLines(check)
	for _, want := range []string{
		`model.json:2:15: error: model_id is "test/tiny-llama", the config gives "test/tiny-llama-v2"`,
		`model.json:10:20: error: variable dtype_bytes is 2, the config gives 4`,
		`: error: model.decoder_layer: repeat is 2, the config gives 3`,
		`: error: model.decoder_layer.self_attn.q_proj: in_features is 65, the config gives 128`,
		`: error: model.embed_tokens: embedding_dim is 64, the config gives 128`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
	for _, never := range []string{"x-owner", "my_var", "variable seq_len", "mine"} {
		if strings.Contains(got, never) {
			t.Errorf("check reports %s, which the template does not derive:\n%s", never, got)
		}
	}
	if string(check.Output) == file {
		t.Error("check computed no update")
	}

	upd := runMode(t, config, file, populate.Update)
	out := string(upd.Output)
	for _, keep := range []string{`"x-owner": "me"`, `"my_var": 3`, `"seq_len": 4096`, `"name": "mine"`} {
		if !strings.Contains(out, keep) {
			t.Errorf("update lost %s", keep)
		}
	}
	updated := strings.Join(upd.Report.Updated, "\n")
	for _, want := range []string{
		`(file): model_id "test/tiny-llama" → "test/tiny-llama-v2"`,
		`(file): variable dtype_bytes 2 → 4`,
		`model.decoder_layer: repeat 2 → 3`,
		`model.decoder_layer.self_attn.q_proj: in_features 65 → 128`,
	} {
		if !strings.Contains(updated, want) {
			t.Errorf("update report lacks %q:\n%s", want, updated)
		}
	}
	if len(upd.Report.Kept) > 0 {
		t.Errorf("update kept %q", upd.Report.Kept)
	}
	if res := runMode(t, config, out, populate.Check); len(res.Drift) > 0 {
		t.Errorf("after the update, check finds:\n%s", driftLines(res))
	}
	if res := runMode(t, config, out, populate.Update); string(res.Output) != out {
		t.Error("a second update changed the file")
	}
}

// TestCheckTiedTo: untying the embedding in the config is drift on lm_head's tied_to, which
// update removes; a tied_to on a layer the template never ties is the author's.
func TestCheckTiedTo(t *testing.T) {
	tiedConfig := strings.Replace(llamaConfig, `"torch_dtype"`, `"tie_word_embeddings": true, "torch_dtype"`, 1)
	tied, err := run(t, tiedConfig, "", false)
	if err != nil {
		t.Fatal(err)
	}
	res := runMode(t, llamaConfig, string(tied.Output), populate.Check)
	if got := driftLines(res); !strings.Contains(got, `: error: lm_head: tied_to is "model.embed_tokens", the config gives none`) {
		t.Errorf("untying not caught:\n%s", got)
	}
	upd := runMode(t, llamaConfig, string(tied.Output), populate.Update)
	if strings.Contains(string(upd.Output), "tied_to") {
		t.Error("update kept the tie the config no longer gives")
	}
	if res := runMode(t, llamaConfig, string(upd.Output), populate.Check); len(res.Drift) > 0 {
		t.Errorf("after the update:\n%s", driftLines(res))
	}
	// Tied the other way round: the config ties, the file does not.
	res = runMode(t, tiedConfig, string(upd.Output), populate.Check)
	if got := driftLines(res); !strings.Contains(got, `lm_head: lacks tied_to (the config gives "model.embed_tokens")`) {
		t.Errorf("a missing tie not caught:\n%s", got)
	}
}

// TestCheckNameOrPathNotAHubID: a config whose _name_or_path is a local path or a bare name
// does not make model_id drift.
func TestCheckNameOrPathNotAHubID(t *testing.T) {
	built, err := run(t, llamaConfig, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/root/.cache/hub/tiny-llama", "tiny-llama", "../models/x"} {
		config := strings.Replace(llamaConfig, `"test/tiny-llama"`, `"`+p+`"`, 1)
		if res := runMode(t, config, string(built.Output), populate.Check); len(res.Drift) > 0 {
			t.Errorf("%s: %s", p, driftLines(res))
		}
	}
}

// TestFillRefusesNonModelFiles: a HuggingFace config, a template or other JSON is not a
// target.
func TestFillRefusesNonModelFiles(t *testing.T) {
	for src, want := range map[string]string{
		llamaConfig: "model.json:1:1: error: this is a HuggingFace config, not a model file",
		`{"template": {"model_type": "llama", "config": {}}, "layers": []}`: "model.json:1:1: error: this is an architecture template, not a model file",
		`{"name": "web", "version": "1.0.0"}`:                               `model.json:1:1: error: not a model file (no "layers" array, modeltool "$schema" or standard "variables")`,
	} {
		_, err := run(t, llamaConfig, src, false)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v\nwant %s…", err, want)
		}
	}
}

// TestUpdateIndexedRuns: switching sliding windows on for Qwen3's last layers splits the one
// decoder_layer into runs. The old layer is a layer the config no longer gives (drift, which
// --update removes); the runs are missing (drift, which --update inserts). After the update the
// file is exactly the one built from the new config.
func TestUpdateIndexedRuns(t *testing.T) {
	file, err := os.ReadFile("../../models/qwen3-8b.json")
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile("../../models/qwen3-8b.config.json")
	if err != nil {
		t.Fatal(err)
	}
	if res := runTemplate(t, "qwen3", string(config), string(file), populate.Check); len(res.Drift) > 0 {
		t.Fatalf("the shipped file is out of sync:\n%s", driftLines(res))
	}
	sliding := strings.NewReplacer(`"use_sliding_window": false`, `"use_sliding_window": true`,
		`"sliding_window": null`, `"sliding_window": 4096`, `"max_window_layers": 36`, `"max_window_layers": 30`).Replace(string(config))
	if sliding == string(config) {
		t.Fatal("the config edits did not apply")
	}
	got := driftLines(runTemplate(t, "qwen3", sliding, string(file), populate.Check))
	for _, want := range []string{
		"model: lacks layer decoder_layer_0_29, which the template has",
		"model: lacks layer decoder_layer_30_35, which the template has",
		"model.decoder_layer: the config does not give this layer (the template has it only under other config values); populate --update removes it",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
	upd := runTemplate(t, "qwen3", sliding, string(file), populate.Update)
	cfg, err := populate.ReadConfig("config.json", []byte(sliding))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := models.Template("qwen3")
	tpl, err := populate.LoadTemplate("qwen3", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: "qwen3", ModelID: "Qwen/Qwen3-8B"})
	if err != nil {
		t.Fatal(err)
	}
	if string(upd.Output) != string(fresh.Output) {
		t.Errorf("the updated file is not the one the new config builds")
	}
}

// readShipped reads a shipped model file and its config.
func readShipped(t *testing.T, name string) (file, config string) {
	t.Helper()
	f, err := os.ReadFile("../../models/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile("../../models/" + name + ".config.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(f), string(c)
}

// replaceOnce replaces the first old in s after the first occurrence of after, failing the test
// when either is missing.
func replaceOnce(t *testing.T, s, after, old, new string) string {
	t.Helper()
	i := strings.Index(s, after)
	if i < 0 {
		t.Fatalf("%q not in the file", after)
	}
	j := strings.Index(s[i:], old)
	if j < 0 {
		t.Fatalf("%q not after %q", old, after)
	}
	return s[:i+j] + new + s[i+j+len(old):]
}

// TestClassIsDerived: a layer's class is a value the template derives — from the config when
// it is an expression (Qwen3's act_fn is activation({hidden_act})), else the template's own
// (q_norm is Qwen3RMSNorm). --check reports a class that differs at the class's position,
// also another name of the same catalog class; --update rewrites it, with the parameters of
// the new class (those the old class had and the new one lacks go); plain fill keeps the
// author's class.
func TestClassIsDerived(t *testing.T) {
	file, config := readShipped(t, "qwen3-8b")
	gelu := strings.Replace(config, `"hidden_act": "silu"`, `"hidden_act": "gelu_pytorch_tanh"`, 1)
	if gelu == config {
		t.Fatal("the config edit did not apply")
	}
	// The config's activation changed: act_fn's class is at line 223, column 28 of the shipped
	// file (`                  "class": ` is 27 characters).
	got := driftLines(runTemplate(t, "qwen3", gelu, file, populate.Check))
	want := `model.json:223:28: error: model.decoder_layer.mlp.act_fn: class is "torch.nn.modules.activation.SiLU", the config gives "transformers.activations.PytorchGELUTanh"`
	if got != want {
		t.Errorf("check:\n%s\nwant\n%s", got, want)
	}
	upd := runTemplate(t, "qwen3", gelu, file, populate.Update)
	if want := strings.Replace(file, `"torch.nn.modules.activation.SiLU"`, `"transformers.activations.PytorchGELUTanh"`, 1); string(upd.Output) != want {
		t.Errorf("update did not change exactly the class:\n%s", upd.Report.Updated)
	}
	if res := runTemplate(t, "qwen3", gelu, string(upd.Output), populate.Check); len(res.Drift) > 0 {
		t.Errorf("after the update:\n%s", driftLines(res))
	}
	fill := runTemplate(t, "qwen3", gelu, file, populate.Fill)
	if string(fill.Output) != file || len(fill.Report.Kept) != 1 || len(fill.Report.Notes) != 1 {
		t.Errorf("fill changed the file or did not say it kept the class: %q %q", fill.Report.Kept, fill.Report.Notes)
	}

	// The file's own class edited: another name of the same catalog class (LlamaRMSNorm), and
	// a class of another catalog entry with a parameter of its own (a Linear with in_features).
	alias := replaceOnce(t, file, `"name": "q_norm"`, "transformers.models.qwen3.modeling_qwen3.Qwen3RMSNorm", "transformers.models.llama.modeling_llama.LlamaRMSNorm")
	got = driftLines(runTemplate(t, "qwen3", config, alias, populate.Check))
	if want := `model.json:97:28: error: model.decoder_layer.self_attn.q_norm: class is "transformers.models.llama.modeling_llama.LlamaRMSNorm", the template gives "transformers.models.qwen3.modeling_qwen3.Qwen3RMSNorm"`; got != want {
		t.Errorf("check:\n%s\nwant\n%s", got, want)
	}
	if upd := runTemplate(t, "qwen3", config, alias, populate.Update); string(upd.Output) != file {
		t.Errorf("update did not restore the class:\n%s", upd.Report.Updated)
	}
	linear := replaceOnce(t, file, `"name": "k_norm"`, `"class": "transformers.models.qwen3.modeling_qwen3.Qwen3RMSNorm"`, `"class": "torch.nn.modules.linear.Linear"`)
	linear = replaceOnce(t, linear, `"name": "k_norm"`, `"hidden_size": 128,`, `"hidden_size": 128, "in_features": 128,`)
	if got := driftLines(runTemplate(t, "qwen3", config, linear, populate.Check)); !strings.Contains(got, `k_norm: class is "torch.nn.modules.linear.Linear", the template gives`) {
		t.Errorf("check:\n%s", got)
	}
	upd = runTemplate(t, "qwen3", config, linear, populate.Update)
	if string(upd.Output) != file {
		t.Errorf("update did not restore k_norm (class and parameters):\n%s", upd.Report.Updated)
	}
	if u := strings.Join(upd.Report.Updated, "\n"); !strings.Contains(u, "k_norm: parameter in_features 128 removed, Qwen3RMSNorm takes none") {
		t.Errorf("update report:\n%s", u)
	}
}

// TestCheckValidates: --check passes no file that validate fails, also one in sync with its
// config: an unknown class is reported with validate's own message.
func TestCheckValidates(t *testing.T) {
	file, config := readShipped(t, "qwen3-8b")
	lazy := replaceOnce(t, file, `"name": "q_proj"`, `"torch.nn.modules.linear.Linear"`, `"torch.nn.modules.lazy.LazyLinear"`)
	res := runTemplate(t, "qwen3", config, lazy, populate.Check)
	var msgs []string
	for _, d := range res.Diagnostics {
		msgs = append(msgs, d.String())
	}
	if got := strings.Join(msgs, "\n"); !strings.Contains(got, "model.json:50:28: error: model.decoder_layer.self_attn.q_proj: unknown basic class torch.nn.modules.lazy.LazyLinear") {
		t.Errorf("check's validation:\n%s", got)
	}
	if res := runTemplate(t, "qwen3", config, file, populate.Check); len(res.Diagnostics) > 0 {
		t.Errorf("the shipped file: %v", res.Diagnostics)
	}
}

// authorEdits writes into the decoder-layer run named run of a Gemma 3 file what an author may
// add: an x- key on the run, an x- key on its q_proj, a parameter the template does not give
// (act_mul's other_elements) and a layer of their own (probe, after input_layernorm).
func authorEdits(t *testing.T, file, run string) string {
	t.Helper()
	at := `"name": "` + run + `",`
	file = replaceOnce(t, file, at, at, at+` "x-note": "keep",`)
	file = replaceOnce(t, file, at, `"name": "q_proj",`, `"name": "q_proj", "x-lora": {"r": 16},`)
	i := strings.Index(file, at)
	file = file[:i] + replaceOnce(t, file[i:], `"name": "act_mul",`, `"dtype_bytes": "{dtype_bytes}"`, `"dtype_bytes": "{dtype_bytes}", "other_elements": 1`)
	file = replaceOnce(t, file, at, `{
              "name": "post_attention_layernorm",`, `{"name": "probe", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}},
            {
              "name": "post_attention_layernorm",`)
	return file
}

// TestUpdateCarriesWhatTheAuthorWrote: Gemma 3 1B's last run, decoder_layer_24_25, holds the
// author's additions; with 30 layers instead of 26 the config gives decoder_layer_24_28 (and
// 29_29) in its place. --update hands every addition to the new run at its place inside, so the
// result is the file the new config builds with the same edits in decoder_layer_24_28; with 24
// layers no layer covers 24 and 25, and --update refuses, naming each addition at its position.
func TestUpdateCarriesWhatTheAuthorWrote(t *testing.T) {
	file, config := readShipped(t, "gemma-3-1b-it")
	edited := authorEdits(t, file, "decoder_layer_24_25")
	more := strings.Replace(config, `"num_hidden_layers": 26`, `"num_hidden_layers": 30`, 1)
	if more == config {
		t.Fatal("the config edit did not apply")
	}
	upd := runTemplate(t, "gemma3_text", more, edited, populate.Update)
	cfg, err := populate.ReadConfig("config.json", []byte(more))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := models.Template("gemma3_text")
	tpl, err := populate.LoadTemplate("gemma3_text", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := populate.Run(populate.Request{Config: cfg, Template: tpl, TemplateName: "gemma3_text", ModelID: "google/gemma-3-1b-it"})
	if err != nil {
		t.Fatal(err)
	}
	// The expected file: the edits made in the new run, laid out as populate writes.
	want, err := model.Parse("want.json", []byte(authorEdits(t, string(fresh.Output), "decoder_layer_24_28")))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(upd.Output); got != string(jsonpos.Marshal(want.Doc.Root)) {
		t.Errorf("the update did not carry the additions to decoder_layer_24_28:\n%s", strings.Join(upd.Report.Updated, "\n"))
	}
	updated := strings.Join(upd.Report.Updated, "\n")
	for _, line := range []string{
		"model.decoder_layer_24_25: removed, the config does not give it",
		"model.decoder_layer_24_28: x-note carried from decoder_layer_24_25",
		"model.decoder_layer_24_28: self_attn.q_proj: x-lora carried from decoder_layer_24_25",
		"model.decoder_layer_24_28: mlp.act_mul: parameter other_elements carried from decoder_layer_24_25",
		"model.decoder_layer_24_28: layer probe carried from decoder_layer_24_25",
	} {
		if !strings.Contains(updated, line) {
			t.Errorf("the report lacks %q:\n%s", line, updated)
		}
	}
	if res := runTemplate(t, "gemma3_text", more, string(upd.Output), populate.Check); len(res.Drift) > 0 {
		t.Errorf("after the update:\n%s", driftLines(res))
	}

	// 24 layers: nothing takes 24 and 25; the update is refused and names each addition where
	// the author wrote it (the run's name is at line 2202, its x-note after it).
	fewer := strings.Replace(config, `"num_hidden_layers": 26`, `"num_hidden_layers": 24`, 1)
	f, err := model.Parse("model.json", []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	_, err = populate.Run(populate.Request{Config: mustConfig(t, fewer), Template: tpl, TemplateName: "gemma3_text", Existing: f, Mode: populate.Update})
	if err == nil {
		t.Fatal("an update that loses the author's keys was not refused")
	}
	msg := err.Error()
	for _, want := range []string{
		`model.json:2202:52: error: model.decoder_layer_24_25: x-note would be lost: --update removes this layer (the config does not give it) and no layer of the config takes its place`,
		`: error: model.decoder_layer_24_25: self_attn.q_proj: x-lora would be lost`,
		`: error: model.decoder_layer_24_25: mlp.act_mul: parameter other_elements would be lost`,
		`: error: model.decoder_layer_24_25: layer probe would be lost`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, msg)
		}
	}
	// Without additions the same update goes through: the run simply goes.
	if _, err := populate.Run(populate.Request{Config: mustConfig(t, fewer), Template: tpl, TemplateName: "gemma3_text", Existing: mustParse(t, file), Mode: populate.Update}); err != nil {
		t.Errorf("a plain update: %v", err)
	}
}

func mustConfig(t *testing.T, src string) *populate.Config {
	t.Helper()
	c, err := populate.ReadConfig("config.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustParse(t *testing.T, src string) *model.File {
	t.Helper()
	f, err := model.Parse("model.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDriftInsideObjects: a value that is an object (parallel, routed) drifts at the leaf
// that differs, named and positioned there, never as "an object". Llama-2-7b with grouped
// keys and values (num_key_value_heads 32 → 8): k_proj's and v_proj's parallel.kv_heads 32
// → 8, at the 32 (line 68, column 33 of the shipped file: 20 spaces and `"kv_heads": `).
// A member the config does not give and one it gives that the file lacks are leaves too.
func TestDriftInsideObjects(t *testing.T) {
	file, config := readShipped(t, "llama-2-7b-hf")
	gqa := strings.Replace(config, `"num_key_value_heads": 32`, `"num_key_value_heads": 8`, 1)
	if gqa == config {
		t.Fatal("the config edit did not apply")
	}
	got := driftLines(runTemplate(t, "llama", gqa, file, populate.Check))
	for _, want := range []string{
		"model.json:68:33: error: model.decoder_layer.self_attn.k_proj: parallel.kv_heads is 32, the config gives 8",
		"model.json:84:33: error: model.decoder_layer.self_attn.v_proj: parallel.kv_heads is 32, the config gives 8",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "an object") {
		t.Errorf("check names an object instead of its leaf:\n%s", got)
	}
	upd := runTemplate(t, "llama", gqa, file, populate.Update)
	updated := strings.Join(upd.Report.Updated, "\n")
	if !strings.Contains(updated, "model.decoder_layer.self_attn.k_proj: parallel.kv_heads 32 → 8") || strings.Contains(updated, "an object") {
		t.Errorf("update report:\n%s", updated)
	}
	if res := runTemplate(t, "llama", gqa, string(upd.Output), populate.Check); len(res.Drift) > 0 {
		t.Errorf("after the update:\n%s", driftLines(res))
	}

	// q_proj's parallel {"tp": "column"} edited to {"tp": "row", "x-split": 2} and k_proj's
	// {"tp": "kv", "kv_heads": 32} to {"tp": "kv"}.
	edited := replaceOnce(t, file, `"name": "q_proj"`, `"tp": "column"`, `"tp": "row", "x-split": 2`)
	edited = replaceOnce(t, edited, `"name": "k_proj"`, `"tp": "kv",
                    "kv_heads": 32`, `"tp": "kv"`)
	got = driftLines(runTemplate(t, "llama", config, edited, populate.Check))
	for _, want := range []string{
		`model.decoder_layer.self_attn.q_proj: parallel.tp is "row", the config gives "column"`,
		`model.decoder_layer.self_attn.q_proj: parallel.x-split is 2, the config gives none`,
		`model.decoder_layer.self_attn.k_proj: lacks parallel.kv_heads (the config gives 32)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
	if upd := runTemplate(t, "llama", config, edited, populate.Update); string(upd.Output) != file {
		t.Errorf("update did not restore the parallel objects:\n%s", strings.Join(upd.Report.Updated, "\n"))
	}
}

// TestUpdateMergesRuns: Qwen3-8B with its last 6 layers sliding is written as runs
// decoder_layer_0_29 and decoder_layer_30_35; the shipped config (no sliding) gives one
// decoder_layer for all 36. Notes on both runs go to it: one equal note is carried once, and
// two different ones cannot both be there, so --update refuses and names the second where it
// is written.
func TestUpdateMergesRuns(t *testing.T) {
	file, config := readShipped(t, "qwen3-8b")
	sliding := strings.NewReplacer(`"use_sliding_window": false`, `"use_sliding_window": true`,
		`"sliding_window": null`, `"sliding_window": 4096`, `"max_window_layers": 36`, `"max_window_layers": 30`).Replace(config)
	runs := string(runTemplate(t, "qwen3", sliding, file, populate.Update).Output)
	note := func(a, b string) string {
		s := strings.Replace(runs, `"name": "decoder_layer_0_29",`, `"name": "decoder_layer_0_29", "x-note": "`+a+`",`, 1)
		return strings.Replace(s, `"name": "decoder_layer_30_35",`, `"name": "decoder_layer_30_35", "x-note": "`+b+`",`, 1)
	}
	same := note("a", "a")
	if !strings.Contains(same, `"decoder_layer_30_35", "x-note"`) {
		t.Fatal("the edits did not apply")
	}
	upd := runTemplate(t, "qwen3", config, same, populate.Update)
	want := strings.Replace(file, `"name": "decoder_layer",`, `"name": "decoder_layer",
          "x-note": "a",`, 1)
	if string(upd.Output) != want {
		t.Errorf("the merged layer does not hold the note once:\n%s", strings.Join(upd.Report.Updated, "\n"))
	}
	if n := strings.Count(strings.Join(upd.Report.Updated, "\n"), "carried"); n != 1 {
		t.Errorf("%d notes reported carried, want 1:\n%s", n, strings.Join(upd.Report.Updated, "\n"))
	}
	_, err := populate.Run(populate.Request{Config: mustConfig(t, config), Template: mustTemplate(t, "qwen3"), TemplateName: "qwen3", Existing: mustParse(t, note("a", "b")), Mode: populate.Update})
	if err == nil || !strings.Contains(err.Error(), `error: model.decoder_layer_30_35: x-note would be lost: --update removes this layer (the config does not give it) and model.decoder_layer already has x-note "a"`) {
		t.Errorf("two different notes merged: %v", err)
	}
}

func mustTemplate(t *testing.T, name string) *model.File {
	t.Helper()
	data, _ := models.Template(name)
	tpl, err := populate.LoadTemplate(name, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}
