// The bottleneck adapter (Houlsby et al. 2019) as one autograd Function with a hand-written backward:
//   z = y Wdᵀ + bd,  out = y + act(z) Wuᵀ + bu
// applied to a sublayer's output before the residual add. A CUDA kernel can replace forward/backward
// without touching callers.
#pragma once

#include "common/torch_api.h"

#include <string>

namespace pn {

enum class AdapterActivation { kSilu, kRelu, kGelu, kSiluSilu };

AdapterActivation ParseAdapterActivation(const std::string& name);  // silu | silu-silu | relu | gelu (erf); UserError otherwise

struct BottleneckAdapter {
  torch::Tensor downWeight;  // [m, d]
  torch::Tensor downBias;    // [m]
  torch::Tensor upWeight;    // [d, m]
  torch::Tensor upBias;      // [d]
  AdapterActivation activation = AdapterActivation::kSilu;
  bool defined() const { return downWeight.defined(); }
};

class BottleneckAdapterFunction : public torch::autograd::Function<BottleneckAdapterFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& y,
                               const torch::Tensor& downWeight, const torch::Tensor& downBias,
                               const torch::Tensor& upWeight, const torch::Tensor& upBias, int64_t activation);
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list gradOutputs);
};

torch::Tensor ApplyBottleneckAdapter(const BottleneckAdapter& adapter, const torch::Tensor& y);

// The same math in plain autograd ops (the gradient check's reference).
torch::Tensor BottleneckAdapterReference(const torch::Tensor& y, const torch::Tensor& downWeight,
                                         const torch::Tensor& downBias, const torch::Tensor& upWeight,
                                         const torch::Tensor& upBias, AdapterActivation activation);

}  // namespace pn
