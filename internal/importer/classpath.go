package importer

import (
	"sort"
	"strings"
)

// torchClasses are the torch.nn modules print(model) shows, by class name, with their paths.
var torchClasses = map[string]string{
	"Linear": "torch.nn.modules.linear.Linear", "Identity": "torch.nn.modules.linear.Identity",
	"Embedding": "torch.nn.modules.sparse.Embedding", "EmbeddingBag": "torch.nn.modules.sparse.EmbeddingBag",
	"LayerNorm": "torch.nn.modules.normalization.LayerNorm", "RMSNorm": "torch.nn.modules.normalization.RMSNorm",
	"GroupNorm": "torch.nn.modules.normalization.GroupNorm",
	"Dropout":   "torch.nn.modules.dropout.Dropout",
	"SiLU":      "torch.nn.modules.activation.SiLU", "GELU": "torch.nn.modules.activation.GELU",
	"ReLU": "torch.nn.modules.activation.ReLU", "Tanh": "torch.nn.modules.activation.Tanh",
	"Sigmoid": "torch.nn.modules.activation.Sigmoid", "Softmax": "torch.nn.modules.activation.Softmax",
	"Mish": "torch.nn.modules.activation.Mish", "Softplus": "torch.nn.modules.activation.Softplus",
	"Conv1d": "torch.nn.modules.conv.Conv1d", "Conv2d": "torch.nn.modules.conv.Conv2d",
	"ModuleList": "torch.nn.modules.container.ModuleList", "Sequential": "torch.nn.modules.container.Sequential",
	"ModuleDict": "torch.nn.modules.container.ModuleDict",
}

// transformersClasses are transformers' shared modules, outside the models' own files.
var transformersClasses = map[string]string{
	"Conv1D": "transformers.pytorch_utils.Conv1D",
}

// activationsModule holds transformers' activation modules (ACT2FN's classes).
const activationsModule = "transformers.activations."

var activationClasses = []string{
	"GELUActivation", "NewGELUActivation", "FastGELUActivation", "QuickGELUActivation",
	"PytorchGELUTanh", "GELUTanh", "SiLUActivation", "ClippedGELUActivation", "AccurateGELUActivation",
	"MishActivation", "LinearActivation", "LaplaceActivation", "ReLUSquaredActivation", "ReLU6",
	"GELUActivation", "XIELUActivation",
}

// families maps the CamelCase prefix of transformers' class names to the folder of the models
// package that defines them (transformers.models.FOLDER.modeling_FOLDER): a class belongs to the
// family of its longest prefix, so Qwen2MoeSparseMoeBlock is qwen2_moe's and Qwen2RMSNorm
// qwen2's. A class whose prefix is not here belongs to the model's own folder (--model-type or
// the config's model_type).
var families = map[string]string{
	"Apertus": "apertus", "Arcee": "arcee", "Aria": "aria", "Bamba": "bamba", "Bert": "bert",
	"BitNet": "bitnet", "Bloom": "bloom", "Chameleon": "chameleon", "CLIP": "clip", "CodeGen": "codegen",
	"Cohere": "cohere", "Cohere2": "cohere2", "Dbrx": "dbrx", "DeepseekV2": "deepseek_v2",
	"DeepseekV3": "deepseek_v3", "DiffLlama": "diffllama", "Doge": "doge", "Dots1": "dots1",
	"Ernie4_5": "ernie4_5", "Ernie4_5_Moe": "ernie4_5_moe", "Exaone4": "exaone4", "Falcon": "falcon",
	"FalconH1": "falcon_h1", "FalconMamba": "falcon_mamba", "Gemma": "gemma", "Gemma2": "gemma2",
	"Gemma3": "gemma3", "Gemma3n": "gemma3n", "Glm": "glm", "Glm4": "glm4", "Glm4Moe": "glm4_moe",
	"GPT2": "gpt2", "GPTBigCode": "gpt_bigcode", "GPTJ": "gptj", "GPTNeo": "gpt_neo",
	"GPTNeoX": "gpt_neox", "GPTNeoXJapanese": "gpt_neox_japanese", "GptOss": "gpt_oss",
	"Granite": "granite", "GraniteMoe": "granitemoe", "GraniteMoeHybrid": "granitemoehybrid",
	"GraniteMoeShared": "granitemoeshared", "Helium": "helium", "HunYuanDenseV1": "hunyuan_v1_dense",
	"HunYuanMoEV1": "hunyuan_v1_moe", "Jamba": "jamba", "JetMoe": "jetmoe", "Lfm2": "lfm2",
	"Llama": "llama", "Llama4": "llama4", "Mamba": "mamba", "Mamba2": "mamba2", "MiniMax": "minimax",
	"Mistral": "mistral", "Mistral3": "mistral3", "Mixtral": "mixtral", "ModernBert": "modernbert",
	"Mpt": "mpt", "Nemotron": "nemotron", "Olmo": "olmo", "Olmo2": "olmo2", "Olmo3": "olmo3",
	"Olmoe": "olmoe", "OPT": "opt", "Persimmon": "persimmon", "Phi": "phi", "Phi3": "phi3",
	"Phimoe": "phimoe", "Qwen2": "qwen2", "Qwen2Moe": "qwen2_moe", "Qwen3": "qwen3",
	"Qwen3Moe": "qwen3_moe", "Qwen3Next": "qwen3_next", "RecurrentGemma": "recurrent_gemma",
	"SeedOss": "seed_oss", "SmolLM3": "smollm3", "StableLm": "stablelm", "Starcoder2": "starcoder2",
	"T5": "t5", "Zamba": "zamba", "Zamba2": "zamba2",
}

// familyOf returns the folder of the family whose prefix class begins with (the longest one,
// followed by an upper-case letter, an underscore or nothing), or "".
func familyOf(class string) string {
	best := ""
	for prefix := range families {
		if !strings.HasPrefix(class, prefix) || len(prefix) <= len(best) {
			continue
		}
		if rest := class[len(prefix):]; rest != "" {
			if c := rest[0]; !(c >= 'A' && c <= 'Z' || c == '_') {
				continue
			}
		}
		best = prefix
	}
	if best == "" {
		return ""
	}
	return families[best]
}

// folderOf maps a config's model_type to the folder of its modeling file: the text halves of
// multimodal families live with them (gemma3_text in gemma3, llama4_text in llama4).
func folderOf(modelType string) string {
	return strings.TrimSuffix(modelType, "_text")
}

// modelTypeOf infers the model type from the root class ("LlamaForCausalLM" → llama), when its
// prefix is a known family.
func modelTypeOf(rootClass string) string {
	return familyOf(rootClass)
}

// classPath returns the full class path of a printed class name, given the folder of the
// model's own classes ("" when unknown).
func classPath(class, folder string) string {
	if strings.Contains(class, ".") {
		return class // already a path
	}
	if p, ok := torchClasses[class]; ok {
		return p
	}
	if p, ok := transformersClasses[class]; ok {
		return p
	}
	for _, a := range activationClasses {
		if a == class {
			return activationsModule + class
		}
	}
	f := familyOf(class)
	if f == "" {
		f = folderOf(folder)
	}
	if f == "" {
		return class
	}
	return "transformers.models." + f + ".modeling_" + f + "." + class
}

// knownFamilies lists the family prefixes, sorted, for messages.
func knownFamilies() []string {
	out := make([]string, 0, len(families))
	for _, f := range families {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
