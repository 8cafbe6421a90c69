// The extension points a model offers to PEFT methods. models/ defines them and calls them; peft/ implements
// them (LoRA, DoRA, IA3 as LinearAdapters; bottleneck adapters as SublayerAdapters; prompt and prefix tuning
// as VirtualTokens). A model never knows which method is behind a hook.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace pn {

// An attachment on one linear projection: it computes the adapted projection in place of x Wᵀ + b.
class LinearAdapter {
 public:
  virtual ~LinearAdapter() = default;
  // `training` enables the adapter's dropout, if it has one.
  virtual torch::Tensor Forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                bool training) const = 0;
  // Folds the adapter into `weight` (and `bias`, when defined) in place, without gradient, so that the plain
  // linear equals Forward without dropout.
  virtual void MergeInto(torch::Tensor& weight, torch::Tensor& bias) const = 0;
};

// A function on a decoder block's sublayer output (attention or MLP) before the residual add.
class SublayerAdapter {
 public:
  virtual ~SublayerAdapter() = default;
  virtual torch::Tensor Forward(const torch::Tensor& sublayerOutput) const = 0;
};

// Learned virtual tokens in front of every input, in one of two forms: embeddings that enter the decoder
// before the input's own (prompt tuning), or per-layer keys and values the input attends to (prefix tuning).
// The input's tokens take positions N.. after them; they never take part in packed batches.
class VirtualTokens {
 public:
  virtual ~VirtualTokens() = default;
  virtual int64_t count() const = 0;
  // [N, hidden] embeddings placed before the input embeddings, or undefined.
  virtual torch::Tensor Embeddings() const { return torch::Tensor(); }
  // Per decoder layer, keys and values [batch, kvHeads, N, headDim] (already rotated, as a KV cache holds
  // them), or empty.
  virtual std::vector<std::pair<torch::Tensor, torch::Tensor>> KeysValues(int64_t batch) const { return {}; }
};

}  // namespace pn
