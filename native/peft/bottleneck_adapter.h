// The bottleneck adapter (Houlsby et al. 2019) as one autograd Function with a hand-written backward:
//   z = y Wdᵀ + bd,  out = y + act(z) Wuᵀ + bu
// applied to a sublayer's output before the residual add (the model's SublayerAdapter hook). A CUDA kernel
// can replace forward/backward without touching callers.
#pragma once

#include "common/torch_api.h"

#include <string>
#include <vector>

#include "models/adapter_hooks.h"

namespace pn {

class ModelHost;

struct AdapterOptions {
  std::string placement = "houlsby";  // houlsby (after attention and MLP) | pfeiffer (after MLP)
  int64_t size = 64;                  // bottleneck width
  std::string activation = "silu";    // silu | silu-silu (silu applied twice, the study's code) | relu | gelu
  std::string init = "normal";        // normal: both normal(0, 0.02), biases 0 | identity: up projection 0
  uint64_t seed = 0;
};

// Freezes the base and adds an adapter after every block's attention (houlsby) and MLP; returns their names.
std::vector<std::string> ApplyAdapters(ModelHost& model, const AdapterOptions& options);

enum class AdapterActivation { kSilu, kRelu, kGelu, kSiluSilu };

AdapterActivation ParseAdapterActivation(const std::string& name);  // silu | silu-silu | relu | gelu (erf); UserError otherwise

class BottleneckAdapter : public SublayerAdapter {
 public:
  torch::Tensor downWeight;  // [m, d]
  torch::Tensor downBias;    // [m]
  torch::Tensor upWeight;    // [d, m]
  torch::Tensor upBias;      // [d]
  AdapterActivation activation = AdapterActivation::kSilu;
  torch::Tensor Forward(const torch::Tensor& y) const override;
};

class BottleneckAdapterFunction : public torch::autograd::Function<BottleneckAdapterFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& y,
                               const torch::Tensor& downWeight, const torch::Tensor& downBias,
                               const torch::Tensor& upWeight, const torch::Tensor& upBias, int64_t activation);
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list gradOutputs);
};

// The same math in plain autograd ops (the gradient check's reference).
torch::Tensor BottleneckAdapterReference(const torch::Tensor& y, const torch::Tensor& downWeight,
                                         const torch::Tensor& downBias, const torch::Tensor& upWeight,
                                         const torch::Tensor& upBias, AdapterActivation activation);

}  // namespace pn
