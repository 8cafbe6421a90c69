// A linear projection of the decoder with optional PEFT attachments: LoRA (optionally DoRA) or IA3.
#pragma once

#include "common/torch_api.h"

#include <string>

namespace pn {

struct LoraWeights {
  torch::Tensor a;  // [r, in]
  torch::Tensor b;  // [out, r]
  torch::Tensor magnitude;  // DoRA: [out] (undefined for plain LoRA)
  double scaling = 1.0;
  double dropout = 0.0;
};

struct Ia3Weights {
  torch::Tensor scale;  // PEFT's ia3_l: [1, in] (feedforward: scales the input) or [out, 1] (scales the output)
  bool feedforward = false;
};

struct Linear {
  std::string name;     // HF module path, e.g. model.layers.0.self_attn.q_proj
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined
  bool hasLora = false;
  LoraWeights lora;
  bool hasIa3 = false;
  Ia3Weights ia3;

  // `training` enables LoRA dropout.
  torch::Tensor Forward(const torch::Tensor& x, bool training) const;
};

}  // namespace pn
