// The LoRA linear layer as one autograd Function with a hand-written backward:
//   y = x W^T + b + s * (drop(x) A^T) B^T
// (HF PEFT's LoraLayer with s = alpha/r or alpha/sqrt(r)). A CUDA kernel can replace the body of
// forward/backward without touching callers.
#pragma once

#include "common/torch_api.h"

#include <optional>

namespace pn {

class LoraLinearFunction : public torch::autograd::Function<LoraLinearFunction> {
 public:
  // `bias` and `dropoutMask` are optional (autograd cannot take undefined tensors as inputs).
  // The mask is already scaled by 1/(1-p).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const std::optional<torch::Tensor>& bias, const torch::Tensor& loraA,
                               const torch::Tensor& loraB, double scaling, const std::optional<torch::Tensor>& dropoutMask);
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list gradOutputs);
};

// Convenience wrapper.
torch::Tensor LoraLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                         const torch::Tensor& loraA, const torch::Tensor& loraB, double scaling,
                         const torch::Tensor& dropoutMask);

}  // namespace pn
