#include "peft/dora_linear.h"

namespace pn {

torch::Tensor DoraWeightNorm(const torch::Tensor& weight, const torch::Tensor& loraA, const torch::Tensor& loraB,
                             double scaling) {
  torch::NoGradGuard noGrad;
  // In float32 whatever the base is stored in or autocast computes in: the norm divides the whole output.
  return torch::linalg_vector_norm(weight.to(torch::kFloat32) + scaling * torch::matmul(loraB, loraA).to(torch::kFloat32), 2, {1});
}

torch::Tensor DoraLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                         const torch::Tensor& loraA, const torch::Tensor& loraB, const torch::Tensor& magnitude,
                         double scaling, const torch::Tensor& dropoutMask) {
  torch::Tensor norm = DoraWeightNorm(weight.detach(), loraA.detach(), loraB.detach(), scaling);
  torch::Tensor magScale = magnitude / norm;  // [out]
  torch::Tensor xd = dropoutMask.defined() ? x * dropoutMask : x;
  torch::Tensor lora = torch::matmul(torch::matmul(xd, loraA.t()), loraB.t());
  if (!dropoutMask.defined()) {
    torch::Tensor y = magScale * (torch::linear(x, weight) + scaling * lora);
    return bias.defined() ? y + bias : y;
  }
  return torch::linear(x, weight, bias) + (magScale - 1) * torch::linear(xd, weight) + magScale * scaling * lora;
}

torch::Tensor DoraMergedWeight(const torch::Tensor& weight, const torch::Tensor& loraA, const torch::Tensor& loraB,
                               const torch::Tensor& magnitude, double scaling) {
  torch::NoGradGuard noGrad;
  torch::Tensor combined = weight + scaling * torch::matmul(loraB, loraA);
  torch::Tensor norm = torch::linalg_vector_norm(combined, 2, {1});
  return (magnitude / norm).unsqueeze(1) * combined;
}

}  // namespace pn
