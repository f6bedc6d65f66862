package importer_test

import (
	"cmp"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modeltool/modeltool/internal/calc"
	"github.com/modeltool/modeltool/internal/diag"
	"github.com/modeltool/modeltool/internal/expr"
	"github.com/modeltool/modeltool/internal/importer"
	"github.com/modeltool/modeltool/internal/jsonpos"
	"github.com/modeltool/modeltool/internal/model"
	"github.com/modeltool/modeltool/internal/populate"
	"github.com/modeltool/modeltool/internal/validate"
	"github.com/modeltool/modeltool/models"
)

// testdata/trees holds what print(model) shows for real checkpoints (transformers 4.56, and
// 4.47 for Llama-2), each with its config.json as NAME.config.json.
const treesDir = "../../testdata/trees"

// reference is one printed tree, its config, and the parameter count of the released
// checkpoint. The counts are derived by hand from the tree text: "printed" is what the modules'
// reprs show (embedding, per-layer sums × layers, final norm, head), then the tied head comes
// off and the parameters the reprs hide (from the config) go on.
type reference struct {
	tree, config string
	params       string
}

var references = []reference{
	// printed: embed 256000·4096 = 1,048,576,000; 32 × 218,103,808 (attention 4096·4096·2 +
	// 4096·1024·2 = 41,943,040, MLP 3·4096·14336 = 176,160,768); head 1,048,576,000
	// = 9,076,473,856; − the tied head (CohereConfig ties by default) 1,048,576,000; + 33
	// CohereLayerNorm() weights of 4096 (32 input_layernorm and norm) 135,168.
	{"CohereForAI__aya-23-8B", "", "8_028_033_024"},
	// embed_in 50304·2048 = 103,022,592; 16 × 50,358,272 (two LayerNorms 2·2·2048, qkv
	// 2048·6144 + 6144, dense 2048·2048 + 2048, MLP 2048·8192 + 8192 + 8192·2048 + 2048);
	// final LayerNorm 4,096; embed_out (untied) 103,022,592.
	{"EleutherAI__pythia-1b", "", "1_011_781_632"},
	// 2·262,668,288 + 36 × 78,123,008 + 2,048 = 3,337,766,912; − tied head 128256·2048.
	{"HuggingFaceTB__SmolLM3-3B", "", "3_075_098_624"},
	// 2·524,288,000 + 64 × 483,666,176 (q/k norms of 128 each) + 5,120; untied.
	{"LGAI-EXAONE__EXAONE-4.0-32B", "", "32_003_216_384"},
	// 2·311,164,928 + 24 × 570,560,512 (60 experts 3·2048·1408, shared expert 3·2048·5632,
	// router 2048·60, shared gate 2048, q/k/v biases) + 2,048; untied.
	{"Qwen__Qwen1.5-MoE-A2.7B-Chat", "", "14_315_784_192"},
	// 2·544,997,376 + 28 × 233,057,792 + 3,584; untied.
	{"Qwen__Qwen2-7B", "", "7_615_616_512"},
	// 2·311,164,928 + 48 × 623,120,640 (128 experts 3·2048·768) + 2,048; untied.
	{"Qwen__Qwen3-30B-A3B", "", "30_532_122_624"},
	// 2·622,329,856 + 36 × 192,946,432 + 4,096; untied.
	{"Qwen__Qwen3-8B", "", "8_190_735_360"},
	// printed: 2·268,435,456 + 4,096 + 4 attention layers × 218,112,000 and 28 Mamba layers
	// (mixer: conv1d 8192·4 + 8192, in_proj 4096·16384, x_proj 8192·288, dt_proj 256·8192 + 8192,
	// out_proj 8192·4096, norms 256 + 16 + 16 = 281,338,144 with a dense MLP and its norms,
	// 2,923,815,200 with 16 experts and a router), alternating as the tree shows = 51,566,423,936;
	// + the mixers' A_log [8192, 16] and D [8192], which the reprs hide: 28 × 139,264.
	{"ai21labs__AI21-Jamba-1.5-Mini", "", "51_570_323_328"},
	// 2·411,041,792 + 32 × 202,391,552 (q/k norms over the whole projection, 2·4096) + 4,096.
	{"allenai__OLMo-2-1124-7B", "", "7_298_617_344"},
	// 2·103,022,592 + 16 × 419,569,664 (64 experts 3·2048·1024) + 2,048.
	{"allenai__OLMoE-1B-7B-0924", "", "6_919_161_856"},
	// 2·105,906,176 + 18 × 14,157,824 + 1,024 = 466,654,208; − tied head 103424·1024.
	{"baidu__ERNIE-4.5-0.3B-PT", "", "360_748_032"},
	// 2·150,994,944 + 30 × 95,979,008 (biases everywhere, LayerNorms) + 6,144 = 3,181,366,272;
	// − tied head 49152·3072.
	{"bigcode__starcoder2-3b", "", "3_030_371_328"},
	// 2·524,288,000 + 337,981,440 (dense layer 0) + 59 × 3,971,297,280 + 5,120 =
	// 235,693,102,080; + 59 DeepseekV2MoEGate() weights of 160·5120 = 48,332,800.
	{"deepseek-ai__DeepSeek-V2", "", "235_741_434_880"},
	// 2·926,679,040 + 3 × 583,483,392 + 58 × 11,505,451,008 + 7,168 = 670,919,973,888;
	// + 58 DeepseekV3TopkRouter() weights of 256·7168 = 106,430,464.
	{"deepseek-ai__DeepSeek-V3", "", "671_026_404_352"},
	// embed 50272·768 + positions 2050·768 + final LayerNorm 1,536 + 12 × 7,087,872 + head =
	// 163,848,192; − tied head 38,608,896.
	{"facebook__opt-125m", "", "125_239_296"},
	// 2·917,504,000 + 42 × 198,195,200 (four norms) + 3,584 = 10,159,209,984; − tied head.
	{"google__gemma-2-9b", "", "9_241_705_984"},
	// 2·301,989,888 + 26 × 26,842,112 + 1,152 = 1,301,875,840; − tied head 262144·1152.
	{"google__gemma-3-1b-it", "", "999_885_952"},
	// 2·786,432,000 + 28 × 276,830,208 + 3,072 = 9,324,112,896; − tied head.
	{"google__gemma-7b", "", "8_537_680_896"},
	// printed: 2·50,334,720 + 24 × 3,180,544 (attention and router only) + 1,024 = 177,003,520;
	// + 24 × 32 GraniteMoeParallelExperts() pairs: input_linear 1024·2·512, output_linear 512·1024
	// = 1,207,959,552; − tied head 49155·1024 = 50,334,720.
	{"ibm-granite__granite-3.1-1b-a400m-instruct", "", "1_334_628_352"},
	// 2·100,677,632 + 40 × 60,821,504 + 2,048 = 2,634,217,472; − tied head.
	{"ibm-granite__granite-3.3-2b-instruct", "", "2_533_539_840"},
	// 2·131,072,000 + 32 × 202,383,360 + 4,096.
	{"meta-llama__Llama-2-7b-hf", "", "6_738_415_616"},
	{"meta-llama__Llama-2-7b-hf.transformers-4.47", "meta-llama__Llama-2-7b-hf", "6_738_415_616"},
	// printed: 2·1,034,485,760 + 48 × 188,835,840 (attention 62,914,560, router 81,920,
	// shared expert 125,829,120, norms 10,240) + 5,120 = 11,133,096,960; + 48 Llama4TextExperts
	// of 16 × 3·5120·8192 = 96,636,764,160.
	{"meta-llama__Llama-4-Scout-17B-16E-text", "", "107_769_861_120"},
	// 2·98,500,608 + 32 × 113,252,352 + 3,072.
	{"microsoft__Phi-3-mini-4k-instruct", "", "3_821_079_552"},
	// 131,072,000 + 32 × 78,671,360 + 5,120 + head with bias 131,123,200; untied.
	{"microsoft__phi-2", "", "2_779_683_840"},
	// 2·131,072,000 + 32 × 218,112,000 + 4,096.
	{"mistralai__Mistral-7B-v0.1", "", "7_241_732_096"},
	// 2·131,072,000 + 32 × 1,451,270,144 + 4,096.
	{"mistralai__Mixtral-8x7B-v0.1", "", "46_702_792_704"},
	// wte 50257·768 + wpe 1024·768 + ln_f 1,536 + 12 × 7,087,872 + head = 163,037,184; − tied
	// head 38,597,376.
	{"openai-community__gpt2", "", "124_439_808"},
	// printed: 2·579,133,440 + 24 × 26,555,840 + 2,880 = 1,795,609,920; + 24 × (GptOssTopKRouter()
	// 32·2880 + 32, GptOssExperts() 32 × (2880·5760 + 5760 + 2880·2880 + 2880), sinks 64)
	// = 24 × (92,192 + 796,538,880 + 64) = 19,119,147,264.
	{"openai__gpt-oss-20b", "", "20_914_757_184"},
	// 2·128,778,240 + 32 × 79,308,800 + 5,120.
	{"stabilityai__stablelm-3b-4e1t", "", "2_795_443_200"},
	// 2·295,469,056 + 32 × 207,070,080 + 9,088 = 7,217,189,760; − tied head.
	{"tiiuae__falcon-7b", "", "6_921_720_704"},
	// 2·620,756,992 + 243,554,304 (dense layer 0) + 45 × 2,340,968,448 + 4,096 =
	// 106,828,652,544; + 45 Glm4MoeTopkRouter() weights of 128·4096 = 23,592,960. (The
	// checkpoint also holds the MTP layer 46, which transformers does not build.)
	{"zai-org__GLM-4.5-Air", "", "106_852_245_504"},
}

// treeConfig parses testdata/trees/NAME.config.json.
func treeConfig(t *testing.T, name string) *jsonpos.Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(treesDir, name+".config.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonpos.Parse(name+".config.json", data, jsonpos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// imported imports a reference tree with its config (and the family's tie default, as the
// command does), and returns the model file and the warnings.
func imported(t *testing.T, tree, config string) ([]byte, []diag.Diagnostic) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(treesDir, tree+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	opts := importer.Options{Name: tree + ".txt"}
	if config != "-" {
		if config == "" {
			config = tree
		}
		doc := treeConfig(t, config)
		opts.Config = doc
		mt, _ := doc.Root.Get("model_type"), 0
		if tpl, ok := models.Template(mt.Text); ok {
			opts.TieDefault = importer.TieDefault(tpl)
		}
	}
	res, err := importer.Import(string(text), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.Output, res.Diagnostics
}

// totals validates a model file (every diagnostic is an error of the test) and computes it.
func totals(t *testing.T, name string, src []byte) calc.Sum {
	t.Helper()
	return compute(t, name, src, calc.Parallelism{}).Sum
}

// compute validates a model file (every diagnostic is an error of the test) and computes it
// spread as p says.
func compute(t *testing.T, name string, src []byte, p calc.Parallelism) calc.Totals {
	t.Helper()
	for _, d := range validate.Source(name, src, validate.Options{}).Diagnostics {
		t.Errorf("%s", d.String())
	}
	f, err := model.Parse(name, src)
	if err != nil {
		t.Fatal(err)
	}
	opts := calc.Options{Parallel: p}
	if p.EP > 1 {
		// Expert parallelism spreads the batch over the attention's data-parallel ranks.
		opts.Set = map[string]expr.Value{"batch_size": expr.Int(int64(p.EP))}
	}
	res, err := calc.Compute(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.Totals
}

func want(t *testing.T, what string, got *big.Rat, lit string) {
	t.Helper()
	w, _ := new(big.Rat).SetString(strings.ReplaceAll(lit, "_", ""))
	if got.Cmp(w) != 0 {
		t.Errorf("%s = %s, want %s", what, got.RatString(), lit)
	}
}

// TestReferenceTrees imports every reference tree with its config: the file validates cleanly
// and its parameter count is the released checkpoint's.
func TestReferenceTrees(t *testing.T) {
	for _, r := range references {
		t.Run(r.tree, func(t *testing.T) {
			src, _ := imported(t, r.tree, r.config)
			want(t, "params", totals(t, r.tree, src).Params, r.params)
		})
	}
}

// TestImportAgreesWithTemplates: every reference tree's family has a template, from which
// populate builds the same model from the config alone. The import must give every total the
// template gives — parameters, active parameters, weight bytes (quantized checkpoints
// included), FLOPs, bytes read and written, KV cache and communication — so the patterns and
// family rules and the templates describe the same forward pass: Cohere's logit_scale, Granite's
// multipliers, OPT's query scaling, the routers of Granite MoE, Llama 4 and gpt-oss, EXAONE 4's
// NoPE global layers, DeepSeek's rotary width and expert sum, fp8 and MXFP4 weights.
func TestImportAgreesWithTemplates(t *testing.T) {
	moe := map[string]bool{"Qwen__Qwen1.5-MoE-A2.7B-Chat": true, "Qwen__Qwen3-30B-A3B": true, "allenai__OLMoE-1B-7B-0924": true,
		"mistralai__Mixtral-8x7B-v0.1": true, "ai21labs__AI21-Jamba-1.5-Mini": true, "zai-org__GLM-4.5-Air": true,
		"deepseek-ai__DeepSeek-V2": true, "deepseek-ai__DeepSeek-V3": true, "ibm-granite__granite-3.1-1b-a400m-instruct": true,
		"meta-llama__Llama-4-Scout-17B-16E-text": true, "openai__gpt-oss-20b": true}
	for _, r := range references {
		tree := r.tree
		t.Run(tree, func(t *testing.T) {
			src, _ := imported(t, tree, r.config)
			config := cmp.Or(r.config, tree)
			data, err := os.ReadFile(filepath.Join(treesDir, config+".config.json"))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := populate.ReadConfig(config+".json", data)
			if err != nil {
				t.Fatal(err)
			}
			tpl, ok := models.Template(cfg.ModelType)
			if !ok {
				t.Fatalf("no template %s", cfg.ModelType)
			}
			tf, err := populate.LoadTemplate(cfg.ModelType, tpl, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := populate.Run(populate.Request{Config: cfg, Template: tf, TemplateName: cfg.ModelType})
			if err != nil {
				t.Fatal(err)
			}
			// One device, then two-way tensor, pipeline and expert parallelism: the import marks
			// the same splits, pipeline units and routed experts as the template.
			tp, pp := 2, 2
			switch tree {
			case "openai-community__gpt2", "tiiuae__falcon-7b", "ibm-granite__granite-3.1-1b-a400m-instruct", "ibm-granite__granite-3.3-2b-instruct":
				tp = 1 // vocabularies of 50257, 49155 and 49159, 71 heads: no two-way split
			case "deepseek-ai__DeepSeek-V3":
				pp = 1 // 61 decoder layers
			}
			splits := []calc.Parallelism{{}, {TP: tp, PP: pp}}
			if moe[tree] {
				splits = append(splits, calc.Parallelism{TP: tp, PP: pp, EP: 2})
			}
			for _, par := range splits {
				got, wantT := compute(t, "imported", src, par), compute(t, "populated", res.Output, par)
				for _, f := range []struct {
					name string
					a, b *big.Rat
				}{{"params", got.Params, wantT.Params}, {"active params", got.ActiveParams, wantT.ActiveParams},
					{"weight bytes", got.WeightBytes, wantT.WeightBytes}, {"FLOPs", got.FLOPs, wantT.FLOPs},
					{"bytes read", got.BytesRead, wantT.BytesRead}, {"bytes written", got.BytesWritten, wantT.BytesWritten},
					{"KV cache", got.KVCacheBytes, wantT.KVCacheBytes}, {"communication", got.CommBytes, wantT.CommBytes}} {
					if f.a.Cmp(f.b) != 0 {
						t.Errorf("%+v %s: import %s, template %s", par, f.name, f.a.RatString(), f.b.RatString())
					}
				}
			}
		})
	}
}

// TestImportWithoutConfig: the tree alone gives the printed parameters; a head with the
// embedding's shape is reported as a possible tie (gemma-7b's is tied: 786,432,000 too many),
// and the heads the config would give are reported as assumed.
func TestImportWithoutConfig(t *testing.T) {
	src, ds := imported(t, "google__gemma-7b", "-")
	want(t, "params", totals(t, "gemma", src).Params, "9_324_112_896")
	var msgs []string
	for _, d := range ds {
		msgs = append(msgs, d.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, w := range []string{`add "tied_to": "model.embed_tokens" to lm_head, which takes its 786,432,000 parameters off the count`, "attention heads are unknown"} {
		if !strings.Contains(all, w) {
			t.Errorf("no warning %q in:\n%s", w, all)
		}
	}
	// The family comes from the root class: GemmaForCausalLM → gemma.
	if !strings.Contains(string(src), `"transformers.models.gemma.modeling_gemma.GemmaDecoderLayer"`) {
		t.Errorf("class paths not derived from the root class")
	}
}

// BenchmarkImportJamba imports Jamba-1.5-Mini's tree, 32 layers printed one by one (741 lines),
// with its config.
func BenchmarkImportJamba(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(treesDir, "ai21labs__AI21-Jamba-1.5-Mini.txt"))
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(treesDir, "ai21labs__AI21-Jamba-1.5-Mini.config.json"))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := jsonpos.Parse("config.json", data, jsonpos.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := importer.Import(string(text), importer.Options{Name: "jamba", Config: doc}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImportFamilyRules checks, by hand, what the family rules add to an import at one prefill
// of 2048 tokens (batch 1, logits on every position): the sums of the FLOPs of the rows whose
// name says what they are, and the weight bytes of the quantized checkpoints.
func TestImportFamilyRules(t *testing.T) {
	sum := func(t *testing.T, res *calc.Result, names ...string) *big.Rat {
		t.Helper()
		s := new(big.Rat)
		for _, r := range res.Rows {
			name := r.Path[strings.LastIndex(r.Path, ".")+1:]
			if slices.Contains(names, name) {
				s.Add(s, new(big.Rat).Mul(r.Figures.FLOPs.Rat(), new(big.Rat).SetInt(r.Count)))
			}
		}
		return s
	}
	result := func(t *testing.T, tree string, set map[string]expr.Value) *calc.Result {
		t.Helper()
		src, _ := imported(t, tree, "")
		f, err := model.Parse(tree, src)
		if err != nil {
			t.Fatal(err)
		}
		res, err := calc.Compute(f, calc.Options{Set: set})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, c := range []struct {
		tree  string
		names []string
		flops string
	}{
		// Cohere: logits × logit_scale, 2048 · 256000.
		{"CohereForAI__aya-23-8B", []string{"logit_scale"}, "524_288_000"},
		// OPT: q_proj(x) × scaling, 2048 · 768 in each of 12 layers.
		{"facebook__opt-125m", []string{"q_scaling"}, "18_874_368"},
		// Granite 3.3 (h 2048, 40 layers, V 49159): embedding × embedding_multiplier 2048·2048 =
		// 4,194,304; two residual branches × residual_multiplier 2·40·4,194,304 = 335,544,320;
		// logits ÷ logits_scaling 2048·49159 = 100,677,632: 440,416,256.
		{"ibm-granite__granite-3.3-2b-instruct", []string{"embed_scale", "attn_residual_scale", "mlp_residual_scale", "logits_scaling"}, "440_416_256"},
		// Granite MoE (24 layers, 32 experts, k 8, I 512): the softmax over the top 8 logits,
		// 5 FLOPs a score, 24·2048·8·5 = 1,966,080; the experts' SiLU (3 FLOPs) once over
		// the 2048·8 routed rows of 512: 24·2048·8·512·3 = 603,979,776.
		{"ibm-granite__granite-3.1-1b-a400m-instruct", []string{"router_softmax"}, "1_966_080"},
		{"ibm-granite__granite-3.1-1b-a400m-instruct", []string{"activation"}, "603_979_776"},
		// Llama 4 Scout (48 MoE layers of 16 experts, k 1, I 8192; every 4th layer NoPE, 40
		// heads of 128): the sigmoid over all 16 scores, 3 FLOPs each, 48·2048·16·3 =
		// 4,718,592; the experts' SiLU over the 2048·1 routed rows, 48·2048·8192·3 =
		// 2,415,919,104; the 12 NoPE layers' query temperature, 12·2048·40·128 = 125,829,120.
		{"meta-llama__Llama-4-Scout-17B-16E-text", []string{"router_sigmoid"}, "4_718_592"},
		{"meta-llama__Llama-4-Scout-17B-16E-text", []string{"act_fn"}, "2_415_919_104"},
		{"meta-llama__Llama-4-Scout-17B-16E-text", []string{"attn_temperature_scale"}, "125_829_120"},
		// gpt-oss-20b (24 layers, 32 experts, k 4, I 2880): the softmax over the top 4 logits,
		// 24·2048·4·5 = 983,040; the clamped GLU, 10 FLOPs an element, once over the 2048·4
		// routed rows: 24·2048·4·2880·10 = 5,662,310,400.
		{"openai__gpt-oss-20b", []string{"router_softmax"}, "983_040"},
		{"openai__gpt-oss-20b", []string{"glu"}, "5_662_310_400"},
		// EXAONE 4.0-32B (64 layers, sliding_window_pattern 4: 48 sliding layers; 40 + 8 heads
		// of 128): rotary only on the sliding layers, 3 FLOPs per element, 48·3·2048·48·128 =
		// 1,811,939,328 (not 64·…: the global layers are NoPE).
		{"LGAI-EXAONE__EXAONE-4.0-32B", []string{"apply_rotary"}, "1_811_939_328"},
		// DeepSeek-V2: the rotary embedding computes the rope width qk_rope_head_dim 64, not
		// hidden/heads = 40: 2048·64·3.5 = 458,752; the 6 weighted expert outputs of each token
		// summed, 5 adds per element, in 59 MoE layers: 59·2048·5·5120 = 3,093,299,200.
		{"deepseek-ai__DeepSeek-V2", []string{"rotary_emb"}, "458_752"},
		{"deepseek-ai__DeepSeek-V2", []string{"expert_sum"}, "3_093_299_200"},
	} {
		t.Run(c.tree+" "+strings.Join(c.names, " "), func(t *testing.T) {
			want(t, strings.Join(c.names, "+")+" FLOPs", sum(t, result(t, c.tree, nil), c.names...), c.flops)
		})
	}
	// Quantized checkpoints as their quantization_config says, as populate counts them:
	// DeepSeek-V3 in fp8 with 128×128 block scales, 673,150,552,416 bytes (derived in
	// models/deepseek_v3_test.go; bf16 would be 1.34 TB); gpt-oss-20b's experts in MXFP4,
	// 24·32·(2880·5760 + 2880·2880) = 19,110,297,600 weights at half a byte and a scale byte per
	// 32: 9,555,148,800 + 597,196,800; its other 1,804,459,584 parameters at bf16 (--dtype bf16:
	// the config gives no torch_dtype) 3,608,919,168: 13,761,264,768.
	want(t, "DeepSeek-V3 weight bytes", result(t, "deepseek-ai__DeepSeek-V3", nil).Totals.WeightBytes, "673_150_552_416")
	bf16 := map[string]expr.Value{"dtype_bytes": expr.Int(2)}
	want(t, "gpt-oss-20b weight bytes", result(t, "openai__gpt-oss-20b", bf16).Totals.WeightBytes, "13_761_264_768")
}

// TestImportPerHeadNormLists: StableLM with qk_layernorm keeps one LayerNorm per head in
// q_layernorm.norms and k_layernorm.norms; under --tp each device holds its heads' norms, as
// the template says. stablelm-3b-4e1t's tree with the two lists of 32 norms (80 wide) added and
// its config with qk_layernorm, over --tp 2: 32 layers × 16 heads = 512 instances of each list
// on a device, each with its 80 weights (and 80 biases: the repr does not show bias=False).
func TestImportPerHeadNormLists(t *testing.T) {
	tree, err := os.ReadFile(filepath.Join(treesDir, "stabilityai__stablelm-3b-4e1t.txt"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string) string {
		return "          (" + name + "): StableLmLayerNormPerHead(\n            (norms): ModuleList(\n" +
			"              (0-31): 32 x LayerNorm((80,), eps=1e-05, elementwise_affine=True)\n            )\n          )\n"
	}
	text := strings.Replace(string(tree), "          (attention_dropout)", list("q_layernorm")+list("k_layernorm")+"          (attention_dropout)", 1)
	cfg, err := os.ReadFile(filepath.Join(treesDir, "stabilityai__stablelm-3b-4e1t.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "{", `{"qk_layernorm": true,`, 1))
	doc, err := jsonpos.Parse("config.json", cfg, jsonpos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.Import(text, importer.Options{Name: "tree.txt", Config: doc})
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Parse("stablelm-qk", res.Output)
	if err != nil {
		t.Fatal(err)
	}
	out, err := calc.Compute(f, calc.Options{Parallel: calc.Parallelism{TP: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"q_layernorm", "k_layernorm"} {
		path := "model.decoder_layer.self_attn." + n + ".norms"
		i := slices.IndexFunc(out.Rows, func(r calc.Row) bool { return r.Path == path })
		if i < 0 {
			t.Fatalf("no row %s", path)
		}
		if c := out.Rows[i].Count.Int64(); c != 32*16 {
			t.Errorf("%s: %d instances on a device, want 32 layers × 16 heads", path, c)
		}
		want(t, path+" params", out.Rows[i].Figures.Params.Rat(), "160")
	}
}

// TestEveryTreeImports imports every tree of testdata/trees three ways — with its config,
// without one (the family from the root class), and without one but with the config's
// model_type (as --model-type gives it) — and each import must give a model file: a module
// whose parameters print(model) hides is reported and left out, never turned into an invalid
// file ("a bug in the importer").
func TestEveryTreeImports(t *testing.T) {
	trees, err := filepath.Glob(filepath.Join(treesDir, "*.txt"))
	if err != nil || len(trees) == 0 {
		t.Fatalf("no trees in %s: %v", treesDir, err)
	}
	for _, path := range trees {
		tree := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(tree, func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			config := tree
			if i := slices.IndexFunc(references, func(r reference) bool { return r.tree == tree }); i >= 0 && references[i].config != "" {
				config = references[i].config
			}
			doc := treeConfig(t, config)
			modelType := doc.Root.Get("model_type").Text
			for _, opts := range []importer.Options{
				{Name: tree + ".txt", Config: doc},
				{Name: tree + ".txt"},
				{Name: tree + ".txt", ModelType: modelType},
			} {
				res, err := importer.Import(string(text), opts)
				if err != nil {
					t.Errorf("config %v, model type %q: %v", opts.Config != nil, opts.ModelType, err)
					continue
				}
				for _, d := range diag.Errors(validate.Source(tree, res.Output, validate.Options{}).Diagnostics) {
					t.Errorf("config %v, model type %q: %s", opts.Config != nil, opts.ModelType, d.String())
				}
				// The tree's own config and model_type are never another family's.
				for _, d := range res.Diagnostics {
					if strings.Contains(d.Message, "the tree is a") {
						t.Errorf("config %v, model type %q: %s", opts.Config != nil, opts.ModelType, d.String())
					}
				}
			}
		})
	}
}

// TestImportWarnsOfAnotherFamilysConfig: the Qwen3-8B tree with Llama-2's config, or with
// --model-type llama, is a Qwen3 model read as a Llama — said once, at the root class (1:1),
// naming both families.
func TestImportWarnsOfAnotherFamilysConfig(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(treesDir, "Qwen__Qwen3-8B.txt"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../models/llama-2-7b-hf.config.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonpos.Parse("llama.config.json", data, jsonpos.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []importer.Options{
		{Name: "qwen3.txt", Config: doc},
		{Name: "qwen3.txt", ModelType: "llama"},
	} {
		res, err := importer.Import(string(text), opts)
		if err != nil {
			t.Fatal(err)
		}
		var found []diag.Diagnostic
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, "the tree is a qwen3 model (Qwen3ForCausalLM)") && strings.Contains(d.Message, "says llama") {
				found = append(found, d)
			}
		}
		if len(found) != 1 || found[0].Line != 1 || found[0].Column != 1 || found[0].Severity != diag.Warning {
			t.Errorf("config %v: want one warning at 1:1 naming qwen3 and llama, got %v (all: %v)", opts.Config != nil, found, res.Diagnostics)
		}
	}
}

// TestImportLlama4WithoutConfig: Llama4TextExperts prints only its act_fn — gate_up_proj
// [E, hidden, 2·inter] and down_proj [E, inter, hidden] are parameters of its own, sized by the
// config. Without one the experts are reported and left out, and the file holds what the
// reprs show: embed and head 2·202048·5120 = 2,068,971,520; 48 layers × 188,835,840
// (attention 2·5120·5120 + 2·5120·1024 = 62,914,560, router 5120·16 = 81,920, shared expert
// 3·5120·8192 = 125,829,120, norms 2·5120) = 9,064,120,320; final norm 5,120:
// 11,133,096,960.
func TestImportLlama4WithoutConfig(t *testing.T) {
	for _, mt := range []string{"", "llama4_text"} {
		text, err := os.ReadFile(filepath.Join(treesDir, "meta-llama__Llama-4-Scout-17B-16E-text.txt"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := importer.Import(string(text), importer.Options{Name: "tree.txt", ModelType: mt})
		if err != nil {
			t.Fatalf("model type %q: %v", mt, err)
		}
		want(t, "params", totals(t, "llama4", res.Output).Params, "11_133_096_960")
		// Reported once, at the first experts module (line 14), not once per run of layers.
		found := 0
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, "Llama4TextExperts(): print(model) does not show its parameters (gate_up_proj and down_proj") {
				found++
				if d.Line != 14 {
					t.Errorf("model type %q: the warning is at line %d, want 14", mt, d.Line)
				}
			}
		}
		if found != 1 {
			t.Errorf("model type %q: %d warnings about Llama4TextExperts, want 1: %v", mt, found, res.Diagnostics)
		}
	}
}
