// DoRA (weight-decomposed LoRA) as HF PEFT's DoraLinearLayer computes it:
//   n = ||W + s·BA||₂ per output row, detached (PEFT: "weight_norm.detach()")
//   y = x Wᵀ + b + (m/n − 1) ⊙ (drop(x) Wᵀ) + (m/n) ⊙ s · (drop(x) Aᵀ) Bᵀ
// Without dropout this is (m/n) ⊙ (x (W + s·BA)ᵀ) + b. Written with autograd ops (no custom backward).
#pragma once

#include "common/torch_api.h"

namespace pn {

torch::Tensor DoraLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                         const torch::Tensor& loraA, const torch::Tensor& loraB, const torch::Tensor& magnitude,
                         double scaling, const torch::Tensor& dropoutMask);

// The row norms n of W + s·BA (no gradient): the magnitude's init and the divisor of the forward.
torch::Tensor DoraWeightNorm(const torch::Tensor& weight, const torch::Tensor& loraA, const torch::Tensor& loraB,
                             double scaling);

// W' = (m/n) ⊙ (W + s·BA): the merged weight, whose plain linear equals the DoRA forward without dropout.
torch::Tensor DoraMergedWeight(const torch::Tensor& weight, const torch::Tensor& loraA, const torch::Tensor& loraB,
                               const torch::Tensor& magnitude, double scaling);

}  // namespace pn
