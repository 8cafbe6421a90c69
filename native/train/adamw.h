// AdamW with PyTorch's semantics (torch.optim.AdamW: decoupled weight decay, bias-corrected moments, eps
// outside the square root) and state (exp_avg, exp_avg_sq, a step count per parameter), stepped by
// libtorch's fused kernel (at::_fused_adamw_: one pass over each parameter and its state, CPU and CUDA)
// instead of torch::optim::AdamW's seven elementwise passes.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <vector>

namespace pn {

class FusedAdamW {
 public:
  // `weightDecay[i]` is parameter i's decoupled weight decay (0 for biases and norms, say).
  FusedAdamW(const std::vector<torch::Tensor>& params, const std::vector<double>& weightDecay, double beta1, double beta2,
             double eps);

  // One update at `lr` of every parameter that has a gradient (the others, and their state, are left alone,
  // as torch.optim does). A parameter's state is created (zeros) at its first update.
  void Step(double lr);

  // The state of parameter `index` (constructor order), or undefined tensors / step 0 before its first update.
  struct ParamState {
    torch::Tensor expAvg, expAvgSq;
    int64_t step = 0;
  };
  ParamState State(size_t index) const;
  // Replaces parameter `index`'s state (step 0: none); the tensors are copied to the parameter's device.
  void SetState(size_t index, const torch::Tensor& expAvg, const torch::Tensor& expAvgSq, int64_t step);
  size_t size() const { return slots_.size(); }

 private:
  struct Slot {
    torch::Tensor param;
    double weightDecay = 0;
    torch::Tensor expAvg, expAvgSq;
    torch::Tensor step;  // float32 scalar on the parameter's device, as the fused kernel keeps it
  };
  std::vector<Slot> slots_;
  double beta1_, beta2_, eps_;
};

}  // namespace pn
