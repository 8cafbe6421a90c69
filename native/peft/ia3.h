// IA3 as HF PEFT's IA3 Linear computes it: a learned vector l (init ones) that scales
//   - the output, y = (x Wᵀ + b) ⊙ l, for attention projections (k_proj, v_proj), l of shape [out, 1];
//   - the input, y = (x ⊙ l) Wᵀ + b, for feedforward modules (down_proj), l of shape [1, in].
#pragma once

#include "common/torch_api.h"

#include <string>
#include <vector>

#include "models/model_host.h"

namespace pn {

struct Ia3Options {
  ModuleTargets targets;                        // PEFT's Llama default: k_proj, v_proj, down_proj
  std::vector<std::string> feedforwardModules;  // input-scaled modules (PEFT: down_proj); a subset of targets
};

// Freezes the base and attaches IA3 vectors (init ones) to the target linears; returns their names.
std::vector<std::string> ApplyIa3(ModelHost& model, const Ia3Options& options);

torch::Tensor Ia3Linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        const torch::Tensor& scale, bool feedforward);

// Folds l into the weight (and bias): the plain linear then equals Ia3Linear. In place, no gradient.
void Ia3MergeInto(torch::Tensor& weight, torch::Tensor& bias, const torch::Tensor& scale, bool feedforward);

}  // namespace pn
