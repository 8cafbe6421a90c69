#include "models/config.h"

#include "common/errors.h"

namespace pn {

void ModelConfig::Validate() const {
  auto positive = [](int64_t v, const char* field) {
    if (v <= 0) throw UserError(std::string("model config: ") + field + " must be positive, got " + std::to_string(v));
  };
  positive(vocabSize, "vocab_size");
  positive(hiddenSize, "hidden_size");
  positive(intermediateSize, "intermediate_size");
  positive(numHiddenLayers, "num_hidden_layers");
  positive(numAttentionHeads, "num_attention_heads");
  positive(numKeyValueHeads, "num_key_value_heads");
  positive(headDim, "head_dim");
  if (numAttentionHeads % numKeyValueHeads != 0) {
    throw UserError("model config: num_attention_heads (" + std::to_string(numAttentionHeads) +
                    ") must be a multiple of num_key_value_heads (" + std::to_string(numKeyValueHeads) + ")");
  }
  if (headDim % 2 != 0) throw UserError("model config: head_dim must be even for rotary embeddings");
  if (!(rmsNormEps > 0)) throw UserError("model config: rms_norm_eps must be positive");
  if (!(ropeTheta > 0)) throw UserError("model config: rope_theta must be positive");
  if (ropeScaling.type != "default" && ropeScaling.type != "linear" && ropeScaling.type != "llama3") {
    throw UserError("model config: rope scaling type '" + ropeScaling.type + "' is not supported (default, linear, llama3)");
  }
  if (ropeScaling.type != "default" && !(ropeScaling.factor > 0)) throw UserError("model config: rope_scaling.factor must be positive");
  if (ropeScaling.type == "llama3" && !(ropeScaling.highFreqFactor > ropeScaling.lowFreqFactor)) {
    throw UserError("model config: rope_scaling.high_freq_factor must exceed low_freq_factor");
  }
  if (slidingWindow < 0) throw UserError("model config: sliding_window must be >= 0");
  if (modelType != "llama" && modelType != "mistral" && modelType != "qwen2" && modelType != "qwen3") {
    throw UserError("model config: model_type '" + modelType + "' is not supported (llama, mistral, qwen2, qwen3)");
  }
}

}  // namespace pn
