// A linear projection of the decoder, optionally hosting a PEFT method's LinearAdapter (see adapter_hooks.h).
#pragma once

#include "common/torch_api.h"

#include <memory>
#include <string>

#include "models/adapter_hooks.h"

namespace pn {

struct Linear {
  std::string name;      // HF module path, e.g. model.layers.0.self_attn.q_proj
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined
  std::shared_ptr<const LinearAdapter> adapter;  // null: the plain projection

  // `training` enables the adapter's dropout.
  torch::Tensor Forward(const torch::Tensor& x, bool training) const {
    return adapter ? adapter->Forward(x, weight, bias, training) : torch::linear(x, weight, bias);
  }
};

}  // namespace pn
