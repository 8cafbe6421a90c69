// Architecture of a Llama-family decoder (validated in TS from config.json, re-checked here).
#pragma once

#include <cstdint>
#include <string>

namespace pn {

struct RopeScaling {
  std::string type = "default";  // default | linear | llama3
  double factor = 1.0;
  double lowFreqFactor = 1.0;
  double highFreqFactor = 4.0;
  int64_t originalMaxPositionEmbeddings = 8192;
};

struct ModelConfig {
  std::string modelType = "llama";  // llama | mistral | qwen2 | qwen3
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numHiddenLayers = 0;
  int64_t numAttentionHeads = 0;
  int64_t numKeyValueHeads = 0;
  int64_t headDim = 0;
  double rmsNormEps = 1e-6;
  double ropeTheta = 10000.0;
  RopeScaling ropeScaling;
  int64_t maxPositionEmbeddings = 2048;
  bool tieWordEmbeddings = false;
  bool qkvBias = false;
  bool oBias = false;
  bool mlpBias = false;
  bool qkNorm = false;
  int64_t slidingWindow = 0;  // 0 = full causal attention
  double initializerRange = 0.02;

  // Throws pn::UserError naming the first inconsistent field.
  void Validate() const;
};

}  // namespace pn
