// AdamW over the model's trainable parameters, with gradient accumulation normalized by the caller.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "models/llama.h"

namespace pn {

struct TrainerOptions {
  double lr = 1e-4;
  double weightDecay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double maxGradNorm = 1.0;          // <= 0: no clipping (the norm is still measured)
  std::set<std::string> noDecay;     // parameter names without weight decay
};

struct AccumulateResult {
  double lossSum = 0;
  int64_t targetTokens = 0;
};

struct StepResult {
  double loss = 0;  // mean over the target tokens accumulated since the last update
  int64_t targetTokens = 0;
  double gradNorm = 0;
};

class Trainer {
 public:
  Trainer(std::shared_ptr<LlamaModel> model, const TrainerOptions& options);

  // Adds d(lossSum / normalizer)/dθ into the gradients. Caller holds the model mutex.
  AccumulateResult Accumulate(const TokenBatch& batch, double normalizer);
  // Clips, steps AdamW at `lr`, zeroes gradients. Caller holds the model mutex.
  StepResult Update(double lr);

  const std::shared_ptr<LlamaModel>& model() const { return model_; }

 private:
  std::shared_ptr<LlamaModel> model_;
  TrainerOptions options_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  double pendingLossSum_ = 0;
  int64_t pendingTokens_ = 0;
};

// Global L2 norm of the gradients; parameters without a gradient count as 0.
double GradientNorm(const std::vector<torch::Tensor>& params);

}  // namespace pn
