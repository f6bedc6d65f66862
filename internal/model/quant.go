package model

// The variables populate declares for a checkpoint quantized as it is stored (its config's
// quantization_config): the quantized Linear layers use them, so calc counts the checkpoint as
// stored and --weight-dtype can still set every weight to one dtype (WeightOverride).
const (
	// QuantWeightBytes is bytes per quantized weight element (1 for fp8, 0.5 for int4).
	QuantWeightBytes = "quant_weight_dtype_bytes"
	// QuantBlockBytes is bytes of scales and zero points per block of weights.
	QuantBlockBytes = "quant_block_bytes"
	// QuantIndexBytes is bytes stored per input feature (GPTQ's g_idx).
	QuantIndexBytes = "quant_index_bytes"
	// QuantLayerBytes is bytes stored once per quantized layer.
	QuantLayerBytes = "quant_layer_bytes"
)

// QuantVariables lists them.
var QuantVariables = []string{QuantWeightBytes, QuantBlockBytes, QuantIndexBytes, QuantLayerBytes}
