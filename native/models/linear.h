// A linear projection of the decoder with an optional LoRA adapter attached.
#pragma once

#include <torch/torch.h>

#include <string>

namespace pn {

struct LoraWeights {
  torch::Tensor a;  // [r, in]
  torch::Tensor b;  // [out, r]
  double scaling = 1.0;
  double dropout = 0.0;
};

struct Linear {
  std::string name;     // HF module path, e.g. model.layers.0.self_attn.q_proj
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined
  bool hasLora = false;
  LoraWeights lora;

  // `training` enables LoRA dropout.
  torch::Tensor Forward(const torch::Tensor& x, bool training) const;
};

}  // namespace pn
