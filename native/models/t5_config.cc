#include "models/t5_config.h"

#include "common/errors.h"

namespace pn {

void T5Config::Validate() const {
  auto positive = [](int64_t v, const char* field) {
    if (v <= 0) throw UserError(std::string("T5 config: ") + field + " must be positive, got " + std::to_string(v));
  };
  positive(vocabSize, "vocab_size");
  positive(dModel, "d_model");
  positive(dKv, "d_kv");
  positive(dFf, "d_ff");
  positive(numLayers, "num_layers");
  positive(numDecoderLayers, "num_decoder_layers");
  positive(numHeads, "num_heads");
  // Bidirectional buckets are split in two halves, each with an exact and a logarithmic part.
  if (relativeAttentionNumBuckets < 4) throw UserError("T5 config: relative_attention_num_buckets must be at least 4");
  if (relativeAttentionMaxDistance < relativeAttentionNumBuckets / 2) {
    throw UserError("T5 config: relative_attention_max_distance must be at least relative_attention_num_buckets / 2");
  }
  if (!(dropoutRate >= 0 && dropoutRate < 1)) throw UserError("T5 config: dropout_rate must be in [0, 1)");
  if (!(layerNormEpsilon > 0)) throw UserError("T5 config: layer_norm_epsilon must be positive");
  if (denseActivation != "relu" && denseActivation != "gelu" && denseActivation != "gelu_new" && denseActivation != "silu") {
    throw UserError("T5 config: activation '" + denseActivation + "' is not supported (relu, gelu, gelu_new, silu)");
  }
  if (decoderStartTokenId < 0 || decoderStartTokenId >= vocabSize) {
    throw UserError("T5 config: decoder_start_token_id must be a token id in [0, vocab_size)");
  }
  if (padTokenId < 0 || padTokenId >= vocabSize) throw UserError("T5 config: pad_token_id must be a token id in [0, vocab_size)");
}

}  // namespace pn
