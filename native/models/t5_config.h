// Architecture of a T5 encoder-decoder (T5ForConditionalGeneration): original T5 (ReLU FFN, LM head tied to
// the shared embedding, decoder output rescaled by d_model^-0.5) and T5 v1.1 / LM-adapted (gated-GELU FFN,
// untied LM head, no rescale). Validated in TS from config.json, re-checked here.
#pragma once

#include <cstdint>
#include <string>

namespace pn {

struct T5Config {
  int64_t vocabSize = 0;
  int64_t dModel = 0;
  int64_t dKv = 0;
  int64_t dFf = 0;
  int64_t numLayers = 0;         // encoder blocks
  int64_t numDecoderLayers = 0;  // decoder blocks
  int64_t numHeads = 0;
  int64_t relativeAttentionNumBuckets = 32;
  int64_t relativeAttentionMaxDistance = 128;
  double dropoutRate = 0.1;  // training forwards only
  double layerNormEpsilon = 1e-6;
  double initializerFactor = 1.0;
  std::string denseActivation = "relu";  // relu | gelu | gelu_new | silu (transformers' ACT2FN names)
  bool gatedActivation = false;          // wi_0 / wi_1 (act(wi_0 x) * wi_1 x) instead of wi
  bool tieWordEmbeddings = true;         // lm_head is shared.weight
  bool scaleDecoderOutputs = true;       // decoder output * d_model^-0.5 before the LM head
  int64_t decoderStartTokenId = 0;
  int64_t padTokenId = 0;

  // Throws pn::UserError naming the first inconsistent field.
  void Validate() const;
};

}  // namespace pn
