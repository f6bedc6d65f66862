package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
)

// The bad-input corpus: every file testdata/bad/CLASS-CASE.json, plus the generated cases below
// (too large to commit), is validated by modeltool in a process of its own, and its whole output and exit code
// are compared with testdata/bad/CLASS-CASE.golden, a txtar archive whose comment is the exit
// code and whose files are stdout and stderr. `go test ./e2e -run TestBadInputs -update`
// rewrites the goldens and docs/bad-input.md; review the diff like code.

var badDir = filepath.Join("..", "testdata", "bad")

// badDoc is the generated table of every case.
var badDoc = filepath.Join("..", "docs", "bad-input.md")

// badClasses are the case classes, in the order of the documentation; a case's class is the
// part of its name before the first '-'.
var badClasses = []struct{ prefix, title string }{
	{"json", "Malformed JSON"},
	{"top", "A top-level value that is not an object"},
	{"dup", "Duplicate keys"},
	{"number", "Numbers"},
	{"repeat", "repeat"},
	{"name", "Layer names"},
	{"sublayers", "sub_layers"},
	{"param", "Parameter values"},
	{"placeholder", "Placeholder expressions"},
	{"limits", "Limits: size and nesting"},
	{"tied", "tied_to"},
	{"files", "Files that are not model files: walks, special files, hooks"},
	{"config", "config.json and populate"},
	{"import", "import: print(model) text"},
	{"calc", "calc and fit: flags, hardware files"},
	{"weights", "validate --weights: checkpoints"},
}

// badNotes explain a case's outcome in the documentation where the output alone does not.
var badNotes = map[string]string{
	"json-utf8-bom":                                 "JSON forbids a BOM (RFC 8259 §8.1); refused rather than skipped, so every tool reads the file alike.",
	"number-1e400-size":                             "Valid: number literals are exact, 1e400 is the integer 10^400.",
	"number-1e400-repeat":                           "Valid: an exact integer ≥ 1.",
	"number-integer-as-float-size":                  "Valid: 64.0 is the integer 64 (JSON Schema's integer is a value, not a spelling).",
	"number-negative-zero-size":                     "-0 is 0.",
	"number-nan-string-size":                        "Inside a string NaN is a name; placeholders are written {name}.",
	"repeat-string-32":                              "Valid by decision: a string repeat is a placeholder expression, and \"32\" is the expression 32. populate writes numbers, so this only appears in hand-written files.",
	"repeat-string-fraction":                        "A string repeat is evaluated with the file's default variables and must come to an integer ≥ 0 (0: the layer is absent for those variables).",
	"repeat-10-to-the-30":                           "Valid: arithmetic is exact; calc reports count 10^30 and exact totals in milliseconds (TestBadRepeat10To30Calc).",
	"name-with-slash":                               "Valid: only dots (which join paths), whitespace and control characters are excluded. A JSON pointer escapes / as ~1.",
	"name-10000-characters":                         "Names longer than 256 bytes are errors; messages and the printed layer path cut a name to 48 bytes.",
	"name-with-control-character-escape":            "Control characters are printed as escapes, never raw.",
	"param-string-number":                           "Valid: \"64\" is the placeholder expression 64.",
	"placeholder-nested-10000-parens":               "Expressions nest at most 256 levels (expr.MaxDepth); the error is at the 257th parenthesis.",
	"placeholder-1mib":                              "Expressions are at most 64 KiB (expr.MaxLength); the error is at the first byte past the limit.",
	"placeholder-huge-power":                        "Results are limited to 2^20 bits (expr.MaxBits), checked before computing.",
	"placeholder-variable-chain-10000":              "One finding per fault: the variables that use c0, directly or through others, are not reported again. Output and memory stay linear (peak RSS asserted below 64 MiB; before, 940 MB of messages and 4.9 GB).",
	"placeholder-variable-chain-undeclared-10000":   "The undeclared name is the one finding; nothing that depends on it is reported.",
	"placeholder-variable-cycle-10000":              "A cycle is reported once, at its first variable, naming its first and last steps; the other 9,999 are not reported again (before: 990 MB, 4.5 GB).",
	"placeholder-variable-fanout-10000":             "10,000 variables that use one broken variable: one finding (before, one per variable).",
	"tied-to-layer-of-another-size":                 "An error, not a warning: calc counts the shared weight once, so the parameter count would be wrong (here by 262,144).",
	"files-fifo-named":                              "Named, a special file is refused at once (opened without blocking, then checked); standard input is -.",
	"files-fifo-in-directory":                       "A walk never opens what is not a regular file; --verbose says what it skipped.",
	"files-companions-in-directory":                 "A walk reads model files only (the model-file rule in the README); the rest is listed with --verbose.",
	"files-companions-named-with-model-files-only":  "What the validate hook runs: named files that are not model files are skipped too.",
	"files-companions-checked-with-paired":          "What the populate-check hook runs: a config with no model file beside it, and what is not a model file, are skipped.",
	"files-other-tools-named-with-model-files-only": "Other tools' JSON with our key names (Packer and ARM variables, an Elasticsearch template, a model_id, JSONC settings naming layers) is not a model file: the hook skips it.",
	"files-broken-model-in-directory":               "A file that is not JSON but mentions \"layers\" is a model file: reported, never skipped.",
	"config-duplicate-key":                          "As in model files: an error at the repeat, naming the first; nothing is written.",
	"config-template-of-another-model-type":         "A warning naming both model types and the keys the template ignores; the file is written.",
	"config-template-of-another-model-type-strict":  "With --strict the warning is an error and nothing is written.",
	"config-given-as-the-target":                    "A config (or a template, or other JSON) is never turned into a model file; it is left as it was.",
	"config-output-exists":                          "-o creates a file; an existing one is overwritten only with --force.",
	"config-update-would-lose-author-keys":          "Gemma 3 1B's run decoder_layer_24_25 holds an x- key; at 24 layers no layer takes its place. --update refuses (exit 1) and names the key at its line rather than drop it; with 30 layers it is carried to decoder_layer_24_28.",
	"config-check-unknown-class":                    "--check reports the class drift and validate's own error: it passes no file validate fails.",
	"calc-set-unused-variable":                      "A variable no layer uses changes nothing when set: calc prints the figures as before (exit 0) and warns on standard error, `m.json: warning: --set index_dtype_bytes=4 changes nothing: no layer of this file uses index_dtype_bytes, directly or through another variable`.",
	"config-fill-would-not-validate":                "Nothing is written; the errors are positioned in the file as it is on disk (here the first line of output is the fill report).",
	"config-output-force-onto-a-config":             "--force replaces a model file only: a config (or a template, or other JSON) at the -o path is left as it was.",
	"config-num-hidden-layers-0":                    "A size of 0 is a config error at the value, naming the layers that need it; nothing is written.",
	"config-layer-types-too-short":                  "A list the template reads per layer must have one item per layer.",
	"import-empty-tree":                             "Nothing to import: an error at the start, exit 1.",
	"import-output-exists":                          "As populate: -o creates a file; the existing one is left as it was (--force replaces a model file).",
	"import-output-is-the-tree":                     "Even with --force, -o never names a file the command reads.",
	"calc-seq-len-0":                                "A token count must be at least 1.",
	"calc-tp-does-not-divide":                       "A split that does not divide is refused with the layer and the reason.",
	"calc-generate-0-0":                             "Both the prompt and the generation are at least one token.",
	"calc-generate-without-out":                     "IN:OUT, both given.",
	"calc-hardware-file-zero-bandwidth":             "Every figure of a hardware file must be positive; the fault is at its position.",
	"weights-truncated-checkpoint":                  "A download cut short is named, with what the header promises and what the file holds.",
	"weights-config-given-as-checkpoint":            "A config.json where the checkpoint belongs is named as JSON.",
	"limits-file-200mb":                             "Refused from its size before reading (fsutil.MaxInputBytes, 64 MiB); peak RSS asserted below 48 MiB.",
	"limits-stdin-200mb":                            "A pipe has no size: read in chunks up to the limit, then refused; peak RSS asserted below 128 MiB.",
	"limits-nesting-100000-deep":                    "JSON nesting is limited to 1000 levels (jsonpos.DefaultMaxDepth): an error at the 1001st, not a stack overflow; peak RSS asserted below 64 MiB.",
	"limits-layers-499-deep":                        "Valid: 499 nested layers (the innermost with its parameters) are exactly 1000 levels of JSON.",
	"limits-layers-500-deep":                        "One layer more: the 500th layer's object is the 1001st level.",
}

// badCase is one bad input.
type badCase struct {
	name string
	// gen writes a generated input; nil for the committed file testdata/bad/NAME.json.
	gen func(w io.Writer) error
	// stdin feeds the input on standard input (through a pipe) instead of naming the file.
	stdin bool
	// maxRSS, when set, bounds the peak resident memory of the run, in bytes.
	maxRSS int64
	// heavy cases (hundreds of megabytes) are skipped with -short.
	heavy bool
	// setup, when set, makes the case's files in an empty directory instead of gen (several
	// files, a named pipe), and args are the modeltool arguments run there (default: validate
	// NAME.json).
	setup func(dir string) error
	args  []string
}

// generatedBadCases are too large to commit.
var generatedBadCases = []badCase{
	{name: "limits-nesting-100000-deep", gen: nestedLayers(100000), maxRSS: 64 << 20},
	{name: "limits-layers-499-deep", gen: nestedLayers(499)},
	{name: "limits-layers-500-deep", gen: nestedLayers(500)},
	{name: "limits-file-200mb", gen: bigModel(200_000_000), maxRSS: 48 << 20, heavy: true},
	{name: "limits-stdin-200mb", gen: bigModel(200_000_000), stdin: true, maxRSS: 128 << 20, heavy: true},
	{name: "placeholder-1mib", gen: longPlaceholder(1 << 20)},
	{name: "placeholder-variable-chain-10000", gen: variableChain(10000, "1 / 0", "{c%d} + 1"), maxRSS: 64 << 20},
	{name: "placeholder-variable-chain-undeclared-10000", gen: variableChain(10000, "{nope} + 1", "{c%d} + 1"), maxRSS: 64 << 20},
	{name: "placeholder-variable-cycle-10000", gen: variableChain(10000, "{c9999} + 1", "{c%d} + 1"), maxRSS: 64 << 20},
	{name: "placeholder-variable-fanout-10000", gen: variableChain(10000, "1 / 0", "{c0} + %d"), maxRSS: 64 << 20},
	{name: "files-fifo-named", setup: withFIFO("files-fifo-named.json")},
	{name: "files-fifo-in-directory", setup: files(map[string]string{"models/m.json": smallModel}, withFIFO("models/pipe.json")), args: []string{"validate", "--verbose", "models"}},
	{name: "files-companions-in-directory", setup: files(companions), args: []string{"validate", "--verbose", "."}},
	{name: "files-other-tools-named-with-model-files-only", setup: files(otherTools), args: []string{"validate", "--model-files-only", "--verbose",
		"packer.json", "azuredeploy.json", "index-template.json", "llm.json", "settings.json"}},
	{name: "files-companions-named-with-model-files-only", setup: files(companions), args: []string{"validate", "--model-files-only", "package.json", "tsconfig.json",
		"ckpt/config.json", "ckpt/generation_config.json", "ckpt/tokenizer_config.json", "ckpt/model.safetensors.index.json", "models/m.json"}},
	{name: "files-companions-checked-with-paired", setup: files(companions), args: []string{"populate", "--check", "--paired", "package.json", "tsconfig.json",
		"ckpt/config.json", "ckpt/generation_config.json", "ckpt/tokenizer_config.json", "ckpt/model.safetensors.index.json", "models/m.json"}},
	{name: "files-broken-model-in-directory", setup: files(map[string]string{"models/m.json": "{\n  \"layers\": [\n"}), args: []string{"validate", "models"}},
	{name: "config-duplicate-key", setup: files(map[string]string{"config.json": strings.Replace(tinyLlama, `"num_hidden_layers": 2,`, `"num_hidden_layers": 2,
  "hidden_size": 128,`, 1)}), args: []string{"populate", "--config", "config.json"}},
	{name: "config-template-of-another-model-type", setup: files(map[string]string{"config.json": qwen3ish}),
		args: []string{"populate", "--template", "llama", "--config", "config.json", "-o", "m.json"}},
	{name: "config-template-of-another-model-type-strict", setup: files(map[string]string{"config.json": qwen3ish}),
		args: []string{"populate", "--strict", "--template", "llama", "--config", "config.json", "-o", "m.json"}},
	{name: "config-given-as-the-target", setup: files(map[string]string{"config.json": tinyLlama}), args: []string{"populate", "--config", "config.json", "config.json"}},
	{name: "config-output-exists", setup: files(map[string]string{"config.json": tinyLlama, "m.json": smallModel}), args: []string{"populate", "--config", "config.json", "-o", "m.json"}},
	{name: "config-fill-would-not-validate", setup: files(map[string]string{"config.json": tinyLlama,
		"m.json": `{"layers": [{"name": "lm_head", "class": "torch.nn.modules.linear.Linear", "parameters": {"in_features": 0}}]}`}),
		args: []string{"populate", "--config", "config.json", "m.json"}},
	{name: "config-output-force-onto-a-config", setup: files(map[string]string{"config.json": tinyLlama, "other.config.json": tinyLlama}),
		args: []string{"populate", "--config", "config.json", "--force", "-o", "other.config.json"}},
	{name: "config-num-hidden-layers-0", setup: files(map[string]string{"config.json": strings.Replace(tinyLlama, `"num_hidden_layers": 2`, `"num_hidden_layers": 0`, 1)}),
		args: []string{"populate", "--config", "config.json"}},
	{name: "config-layer-types-too-short", setup: files(map[string]string{"config.json": strings.Replace(tinyLlama, `"model_type": "llama",`, `"model_type": "qwen2",
  "layer_types": ["full_attention"],`, 1)}),
		args: []string{"populate", "--config", "config.json"}},
	{name: "config-update-would-lose-author-keys", setup: shippedPair("gemma-3-1b-it",
		[][2]string{{`"name": "decoder_layer_24_25",`, `"name": "decoder_layer_24_25", "x-note": "keep",`}},
		[][2]string{{`"num_hidden_layers": 26`, `"num_hidden_layers": 24`}}),
		args: []string{"populate", "--update", "m.json"}},
	{name: "config-check-unknown-class", setup: shippedPair("qwen3-8b",
		[][2]string{{`"class": "torch.nn.modules.linear.Linear"`, `"class": "torch.nn.modules.lazy.LazyLinear"`}}, nil),
		args: []string{"populate", "--check", "m.json"}},
	{name: "calc-set-unused-variable", setup: files(map[string]string{"m.json": smallModel}),
		args: []string{"calc", "--set", "index_dtype_bytes=4", "m.json"}},
	{name: "import-empty-tree", setup: files(map[string]string{"tree.txt": ""}), args: []string{"import", "tree.txt"}},
	{name: "import-output-exists", setup: files(map[string]string{"tree.txt": tinyTree, "m.json": smallModel}),
		args: []string{"import", "--model-type", "llama", "-o", "m.json", "tree.txt"}},
	{name: "import-output-is-the-tree", setup: files(map[string]string{"tree.txt": tinyTree}),
		args: []string{"import", "--model-type", "llama", "--force", "-o", "tree.txt", "tree.txt"}},
	{name: "calc-seq-len-0", setup: shipped("llama-2-7b-hf"), args: []string{"calc", "--seq-len", "0", "m.json"}},
	{name: "calc-tp-does-not-divide", setup: shipped("llama-2-7b-hf"), args: []string{"calc", "--tp", "3", "m.json"}},
	{name: "calc-generate-0-0", setup: shipped("llama-2-7b-hf"), args: []string{"calc", "--hardware", "H100-SXM", "--generate", "0:0", "m.json"}},
	{name: "calc-generate-without-out", setup: shipped("llama-2-7b-hf"), args: []string{"calc", "--hardware", "H100-SXM", "--generate", "512", "m.json"}},
	{name: "calc-hardware-file-zero-bandwidth", setup: files(map[string]string{"m.json": smallModel,
		"hw.json": "{\"name\": \"lab-gpu\", \"memory_bandwidth\": 0, \"peak_flops\": {\"bf16\": 1e15}}\n"}),
		args: []string{"calc", "--hardware-file", "hw.json", "m.json"}},
	{name: "weights-truncated-checkpoint", setup: files(map[string]string{"m.json": smallLinear, "model.safetensors": string(truncated(smallLinearCheckpoint(), 10))}),
		args: []string{"validate", "--weights", "model.safetensors", "m.json"}},
	{name: "weights-config-given-as-checkpoint", setup: files(map[string]string{"m.json": smallLinear, "config.json": tinyLlama}),
		args: []string{"validate", "--weights", "config.json", "m.json"}},
}

// tinyTree is what print(model) shows for tinyLlama (transformers 4.56).
const tinyTree = `LlamaForCausalLM(
  (model): LlamaModel(
    (embed_tokens): Embedding(1000, 64)
    (layers): ModuleList(
      (0-1): 2 x LlamaDecoderLayer(
        (self_attn): LlamaAttention(
          (q_proj): Linear(in_features=64, out_features=64, bias=False)
          (k_proj): Linear(in_features=64, out_features=64, bias=False)
          (v_proj): Linear(in_features=64, out_features=64, bias=False)
          (o_proj): Linear(in_features=64, out_features=64, bias=False)
        )
        (mlp): LlamaMLP(
          (gate_proj): Linear(in_features=64, out_features=128, bias=False)
          (up_proj): Linear(in_features=64, out_features=128, bias=False)
          (down_proj): Linear(in_features=128, out_features=64, bias=False)
          (act_fn): SiLU()
        )
        (input_layernorm): LlamaRMSNorm((64,), eps=1e-06)
        (post_attention_layernorm): LlamaRMSNorm((64,), eps=1e-06)
      )
    )
    (norm): LlamaRMSNorm((64,), eps=1e-06)
    (rotary_emb): LlamaRotaryEmbedding()
  )
  (lm_head): Linear(in_features=64, out_features=1000, bias=False)
)
`

// smallLinear is a model file of one Linear layer, 8 × 4 without a bias, whose checkpoint
// smallLinearCheckpoint writes.
const smallLinear = `{"layers": [{"name": "proj", "class": "torch.nn.modules.linear.Linear", "parameters": {"num_tokens": 1, "in_features": 4, "out_features": 8, "bias": false, "dtype_bytes": 2}}]}` + "\n"

// smallLinearCheckpoint is the safetensors file of smallLinear: proj.weight [8, 4] in bf16.
func smallLinearCheckpoint() []byte {
	header := `{"proj.weight":{"dtype":"BF16","shape":[8,4],"data_offsets":[0,64]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, 64)...)
}

// truncated cuts the last n bytes off a file, as an interrupted download does.
func truncated(b []byte, n int) []byte { return b[:len(b)-n] }

// shipped copies the shipped model file models/NAME.json into a case's directory as m.json.
func shipped(name string) func(string) error {
	return func(dir string) error {
		data, err := os.ReadFile(filepath.Join("..", "models", name+".json"))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "m.json"), data, 0o644)
	}
}

// tinyLlama is a small Llama config, smallModel a valid model file of one layer.
const (
	tinyLlama = `{
  "model_type": "llama",
  "vocab_size": 1000,
  "hidden_size": 64,
  "intermediate_size": 128,
  "num_hidden_layers": 2,
  "num_attention_heads": 4,
  "torch_dtype": "bfloat16"
}
`
	smallModel = `{"layers": [{"name": "act", "class": "torch.nn.modules.activation.ReLU", "parameters": {"num_elements": 8, "dtype_bytes": 2}}]}` + "\n"
)

// qwen3ish is tinyLlama marked as Qwen3, with two keys of Qwen3's that Llama's template does not
// read.
var qwen3ish = strings.Replace(tinyLlama, `"model_type": "llama",`, `"model_type": "qwen3",
  "use_sliding_window": false,
  "max_window_layers": 2,`, 1)

// companions is a model repository's other JSON: package.json, tsconfig.json (JSON with
// comments) and a HuggingFace checkpoint folder, beside one model file.
var companions = map[string]string{
	"package.json":                      `{"name": "model-zoo", "version": "1.0.0", "private": true}`,
	"tsconfig.json":                     "{\n  // JSON with comments\n  \"compilerOptions\": {\"strict\": true},\n}\n",
	"ckpt/config.json":                  tinyLlama,
	"ckpt/generation_config.json":       `{"bos_token_id": 1, "eos_token_id": 2, "transformers_version": "4.56.0"}`,
	"ckpt/tokenizer_config.json":        `{"add_bos_token": true, "model_max_length": 4096, "tokenizer_class": "LlamaTokenizer"}`,
	"ckpt/model.safetensors.index.json": `{"metadata": {"total_size": 16}, "weight_map": {"lm_head.weight": "model-00001-of-00001.safetensors"}}`,
	"models/m.json":                     smallModel,
}

// otherTools is JSON of other tools that uses key names of model files.
var otherTools = map[string]string{
	"packer.json":         `{"variables": {"aws_region": "us-east-1"}, "builders": []}`,
	"azuredeploy.json":    `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "variables": {}, "resources": []}`,
	"index-template.json": `{"index_patterns": ["x"], "template": {}}`,
	"llm.json":            `{"model_id": "gpt-4o", "temperature": 0.2}`,
	"settings.json":       "{ // c\n  \"files.exclude\": {\"layers\": true},\n}\n",
}

// files writes the files (path → content) into a case's directory, then runs more setups.
// shippedPair copies models/NAME.json and NAME.config.json to m.json and m.config.json with
// edits (each the first occurrence of OLD replaced by NEW, which must be there).
func shippedPair(name string, modelEdits, configEdits [][2]string) func(string) error {
	return func(dir string) error {
		for _, f := range []struct {
			from, to string
			edits    [][2]string
		}{{name + ".json", "m.json", modelEdits}, {name + ".config.json", "m.config.json", configEdits}} {
			data, err := os.ReadFile(filepath.Join("..", "models", f.from))
			if err != nil {
				return err
			}
			text := string(data)
			for _, e := range f.edits {
				if !strings.Contains(text, e[0]) {
					return fmt.Errorf("%s has no %q", f.from, e[0])
				}
				text = strings.Replace(text, e[0], e[1], 1)
			}
			if err := os.WriteFile(filepath.Join(dir, f.to), []byte(text), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
}

func files(fs map[string]string, more ...func(string) error) func(string) error {
	return func(dir string) error {
		for name, content := range fs {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return err
			}
		}
		for _, m := range more {
			if err := m(dir); err != nil {
				return err
			}
		}
		return nil
	}
}

// variableChain writes a model with n variables c0…c(n-1): c0 is first, each later ci is
// format with i-1 (so "{c%d} + 1" chains each to the one before), and one Linear uses the
// last. Before one finding per fault, the 10,000-long chain printed 940 MB of messages and
// took 4.9 GB (each variable repeated the chain below it); now it is one line.
func variableChain(n int, first, format string) func(io.Writer) error {
	return func(w io.Writer) error {
		b := bufio.NewWriter(w)
		fmt.Fprintf(b, "{\n  \"variables\": {\n    \"c0\": %q", first)
		for i := 1; i < n; i++ {
			fmt.Fprintf(b, ",\n    \"c%d\": %q", i, fmt.Sprintf(format, i-1))
		}
		fmt.Fprintf(b, "\n  },\n  \"layers\": [\n    {\"name\": \"proj\", \"class\": \"torch.nn.modules.linear.Linear\", \"parameters\": {\"num_tokens\": \"{c%d}\", \"in_features\": 8, \"out_features\": 8, \"bias\": false, \"dtype_bytes\": 2}}\n  ]\n}\n", n-1)
		return b.Flush()
	}
}

// nestedLayers writes a model whose layers nest depth deep: each holds the next in its
// sub_layers, the innermost is a Dropout with (empty) parameters.
func nestedLayers(depth int) func(io.Writer) error {
	return func(w io.Writer) error {
		b := bufio.NewWriter(w)
		b.WriteString(`{"layers": [`)
		for range depth - 1 {
			b.WriteString(`{"name": "l", "class": "a.Block", "sub_layers": [`)
		}
		b.WriteString(`{"name": "drop", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}`)
		for range depth - 1 {
			b.WriteString(`]}`)
		}
		b.WriteString("]}\n")
		return b.Flush()
	}
}

// bigModel writes a well-formed model file of about size bytes: one layer per line.
func bigModel(size int) func(io.Writer) error {
	return func(w io.Writer) error {
		b := bufio.NewWriterSize(w, 1<<20)
		const layer = `    {"name": "drop", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}},` + "\n"
		b.WriteString("{\n  \"layers\": [\n")
		for n := 0; n < size; n += len(layer) {
			b.WriteString(layer)
		}
		b.WriteString(`    {"name": "last", "class": "torch.nn.modules.dropout.Dropout", "parameters": {}}` + "\n  ]\n}\n")
		return b.Flush()
	}
}

// longPlaceholder writes a model whose one parameter is a well-formed placeholder string of
// size bytes, "1 + 1 + … + 1234" (size a multiple of 4).
func longPlaceholder(size int) func(io.Writer) error {
	return func(w io.Writer) error {
		s := strings.Repeat("1 + ", size/4-1) + "1234"
		_, err := fmt.Fprintf(w, "{\n  \"layers\": [\n    {\"name\": \"act\", \"class\": \"torch.nn.modules.activation.SiLU\", \"parameters\": {\"num_elements\": %q, \"dtype_bytes\": 2}}\n  ]\n}\n", s)
		return err
	}
}

// badCases returns every case: the committed files and the generated ones, sorted by name.
func badCases(t *testing.T) []badCase {
	files, err := filepath.Glob(filepath.Join(badDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	for _, f := range files {
		cases = append(cases, badCase{name: strings.TrimSuffix(filepath.Base(f), ".json")})
	}
	for _, g := range generatedBadCases {
		if _, err := os.Stat(filepath.Join(badDir, g.name+".json")); err == nil {
			t.Fatalf("%s is both generated and committed", g.name)
		}
		cases = append(cases, g)
	}
	slices.SortFunc(cases, func(a, b badCase) int { return strings.Compare(a.name, b.name) })
	return cases
}

// badResult is what the binary did with one case.
type badResult struct {
	exit           int
	stdout, stderr string
	// changed lists the files of the case's directory that the run changed or removed.
	changed []string
	rss     int64
	elapsed time.Duration
}

func (r badResult) golden() []byte {
	a := &txtar.Archive{Comment: []byte(fmt.Sprintf("exit %d\n", r.exit))}
	if r.stdout != "" {
		a.Files = append(a.Files, txtar.File{Name: "stdout", Data: []byte(r.stdout)})
	}
	if r.stderr != "" {
		a.Files = append(a.Files, txtar.File{Name: "stderr", Data: []byte(r.stderr)})
	}
	return txtar.Format(a)
}

// runBad validates one case with the modeltool program, in the directory holding the input so that
// the file name in messages is the case's own.
func runBad(t *testing.T, c badCase) badResult {
	t.Helper()
	dir, _ := filepath.Abs(badDir)
	file := c.name + ".json"
	if c.setup != nil {
		dir = t.TempDir()
		if err := c.setup(dir); err != nil {
			t.Skipf("cannot make the case here: %v", err)
		}
	}
	if c.gen != nil {
		dir = t.TempDir()
		if !c.stdin {
			f, err := os.Create(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.gen(f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var before map[string]string
	if c.setup != nil {
		before = snapshot(t, dir)
	}
	args := []string{"validate", file}
	switch {
	case c.stdin:
		args = []string{"validate", "-"}
	case c.args != nil:
		args = c.args
	}
	cmd := exec.Command(modeltool(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.stdin {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(c.gen(pw)) }()
		defer pr.Close()
		cmd.Stdin = pr
	}
	start := time.Now()
	err := cmd.Run()
	r := badResult{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running modeltool: %v", err)
		}
		r.exit = ee.ExitCode()
	}
	if rss, ok := peakRSS(cmd.ProcessState); ok {
		r.rss = rss
	}
	// No bad input costs a file: whatever the case's setup made is there after the run, byte
	// for byte (the committed and generated inputs are only ever read by validate).
	var after map[string]string
	if c.setup != nil {
		after = snapshot(t, dir)
	}
	for name, data := range before {
		if got, ok := after[name]; !ok {
			r.changed = append(r.changed, name+" (removed)")
		} else if got != data {
			r.changed = append(r.changed, name)
		}
	}
	slices.Sort(r.changed)
	return r
}

// snapshot returns the content of every regular file under dir (a case's few small files), by
// path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestBadInputs runs every bad input and compares the output with its golden, then checks (or,
// with -update, writes) docs/bad-input.md.
func TestBadInputs(t *testing.T) {
	cases := badCases(t)
	results := make(map[string]badResult, len(cases))
	var mu sync.Mutex
	// Each case is a process of its own; they run side by side (peak memory is per process).
	t.Run("case", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				if class, _, _ := strings.Cut(c.name, "-"); !slices.ContainsFunc(badClasses, func(k struct{ prefix, title string }) bool { return k.prefix == class }) {
					t.Fatalf("class %q of %s is not one of badClasses: name the case CLASS-WHAT, or add the class", class, c.name)
				}
				if c.heavy && testing.Short() {
					t.Skip("writes 200 MB; skipped with -short")
				}
				r := runBad(t, c)
				mu.Lock()
				results[c.name] = r
				mu.Unlock()
				if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
					t.Fatalf("modeltool crashed:\n%s", r.stderr)
				}
				if len(r.changed) > 0 {
					t.Errorf("the run changed files that were there before it: %s", strings.Join(r.changed, ", "))
				}
				if c.maxRSS > 0 {
					if r.rss == 0 {
						t.Logf("peak RSS not measured on this system")
					} else {
						t.Logf("peak RSS %.1f MiB in %v", float64(r.rss)/(1<<20), r.elapsed.Round(time.Millisecond))
						if r.rss > c.maxRSS {
							t.Errorf("peak RSS %d MiB, more than the %d MiB allowed", r.rss>>20, c.maxRSS>>20)
						}
					}
				}
				golden := filepath.Join(badDir, c.name+".golden")
				got := r.golden()
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./e2e -run TestBadInputs -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
				}
			})
		}
	})
	if t.Failed() && !*update || len(results) < len(cases) {
		return // the documentation needs every case
	}
	// Goldens of cases that no longer exist.
	goldens, _ := filepath.Glob(filepath.Join(badDir, "*.golden"))
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".golden")
		if _, ok := results[name]; ok {
			continue
		}
		if *update {
			os.Remove(g)
		} else {
			t.Errorf("%s belongs to no case: remove it, or run with -update", g)
		}
	}
	doc := badInputDoc(cases, results)
	if *update {
		if err := os.WriteFile(badDoc, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(badDoc)
	if err != nil || !bytes.Equal(doc, want) {
		t.Errorf("%s is out of date (it is generated: run go test ./e2e -run TestBadInputs -update)", badDoc)
	}
}

// badInputDoc renders docs/bad-input.md: per class, every case with what modeltool says first
// and its exit code.
func badInputDoc(cases []badCase, results map[string]badResult) []byte {
	var b bytes.Buffer
	b.WriteString(`# Bad input: what ` + "`modeltool`" + ` says

<!-- Generated by go test ./e2e -run TestBadInputs -update from testdata/bad and e2e/bad_test.go. Do not edit. -->

Every case below is run by the end-to-end tests (` + "`e2e/bad_test.go`" + `) by the modeltool program, with its whole
output and exit code compared with ` + "`testdata/bad/CASE.golden`" + `. The table shows the first line of
output (standard output, or standard error when there is none). Exit codes: 0 nothing wrong (warnings
allowed), 1 findings, 2 usage errors or unreadable input. The command is ` + "`modeltool validate CASE.json`" + `
unless the note names another. Inputs marked *generated* are built by the test (too large to commit,
several files, or a named pipe); the others are ` + "`testdata/bad/CASE.json`" + `.

Limits: input files at most 64 MiB (` + "`fsutil.MaxInputBytes`" + `), JSON nesting at most 1000 levels
(` + "`jsonpos.DefaultMaxDepth`" + `), placeholder expressions at most 64 KiB and 256 levels deep
(` + "`expr.MaxLength`, `expr.MaxDepth`" + `), numbers at most 2^20 bits.
`)
	generated := map[string]bool{}
	for _, g := range generatedBadCases {
		generated[g.name] = true
	}
	for _, class := range badClasses {
		fmt.Fprintf(&b, "\n## %s\n\n| case | modeltool says | exit | note |\n|---|---|---|---|\n", class.title)
		for _, c := range cases {
			if k, _, _ := strings.Cut(c.name, "-"); k != class.prefix {
				continue
			}
			r := results[c.name]
			first := firstLine(r.stdout)
			if first == "" {
				first = firstLine(r.stderr)
			}
			said := "(no output)"
			if first != "" {
				said = "`" + strings.ReplaceAll(first, "|", `\|`) + "`"
			}
			what := strings.ReplaceAll(strings.TrimPrefix(c.name, class.prefix+"-"), "-", " ")
			if generated[c.name] {
				what += " (*generated*)"
			} else {
				what = fmt.Sprintf("[%s](../testdata/bad/%s.json)", what, c.name)
			}
			note := badNotes[c.name]
			if c.args != nil {
				note = strings.TrimSpace("`modeltool " + strings.Join(c.args, " ") + "`. " + note)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", what, said, r.exit, strings.ReplaceAll(note, "|", `\|`))
		}
	}
	return b.Bytes()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}

// TestBadRepeat10To30Calc: a repeat of 10^30 is valid, and calc multiplies exactly and at once.
func TestBadRepeat10To30Calc(t *testing.T) {
	cmd := exec.Command(modeltool(t), "calc", "--format", "json", "repeat-10-to-the-30.json")
	cmd.Dir = badDir
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("calc: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("calc took %v", d)
	}
	var res struct {
		Layers []struct {
			Count json.Number `json:"count"`
			FLOPs json.Number `json:"flops"`
		} `json:"layers"`
		Totals struct {
			FLOPs     json.Number `json:"flops"`
			BytesRead json.Number `json:"bytes_read"`
		} `json:"totals"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	e30 := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)
	// SiLU: 3 FLOPs and 2 bytes read per element; num_elements = batch_size × seq_len = 1 × 2048.
	wantFLOPs := new(big.Int).Mul(big.NewInt(3*2048), e30)
	wantRead := new(big.Int).Mul(big.NewInt(2*2048), e30)
	if len(res.Layers) != 1 || res.Layers[0].Count.String() != e30.String() || res.Layers[0].FLOPs.String() != strconv.Itoa(3*2048) {
		t.Errorf("layers: %+v", res.Layers)
	}
	if res.Totals.FLOPs.String() != wantFLOPs.String() || res.Totals.BytesRead.String() != wantRead.String() {
		t.Errorf("totals: flops %s, bytes read %s; want %s, %s", res.Totals.FLOPs, res.Totals.BytesRead, wantFLOPs, wantRead)
	}
}
