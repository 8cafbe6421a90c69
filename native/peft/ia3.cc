#include "peft/ia3.h"

namespace pn {

torch::Tensor Ia3Linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        const torch::Tensor& scale, bool feedforward) {
  if (feedforward) return torch::linear(x * scale.reshape({-1}), weight, bias);
  return torch::linear(x, weight, bias) * scale.reshape({-1});
}

void Ia3MergeInto(torch::Tensor& weight, torch::Tensor& bias, const torch::Tensor& scale, bool feedforward) {
  torch::NoGradGuard noGrad;
  // scale is [1, in] (columns) or [out, 1] (rows): broadcasting against [out, in] picks the right axis.
  weight.mul_(scale);
  if (!feedforward && bias.defined()) bias.mul_(scale.reshape({-1}));
}

}  // namespace pn
