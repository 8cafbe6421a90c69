// AdamW (fused, train/adamw.h) over the model's trainable parameters, with gradient accumulation normalized by the caller.
#pragma once

#include "common/torch_api.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "distributed/process_group.h"
#include "io/safetensors.h"
#include "models/model_host.h"
#include "train/adamw.h"

namespace pn {

struct TrainerOptions {
  double weightDecay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double maxGradNorm = 1.0;          // <= 0: no clipping (the norm is still measured)
  std::set<std::string> noDecay;     // parameter names without weight decay
  // bf16: forwards run under autocast (bfloat16 matmuls) while parameters, gradients and AdamW state stay
  // float32 (the master weights).
  bool bf16 = false;
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
  Trainer(std::shared_ptr<ModelHost> model, const TrainerOptions& options);

  // One optimizer step over the micro-batches of a gradient accumulation: their target tokens are counted on
  // the host before anything is uploaded, each adds d(lossSum / all their targets)/dθ, then Update(lr). The
  // only device sync is Update's. Caller holds the model mutex.
  StepResult Step(const std::vector<TokenBatch>& microBatches, double lr);

  // The same in parts. Accumulate adds d(lossSum / normalizer)/dθ into the gradients and returns the batch's
  // loss (a device sync, for callers that want it per batch). Caller holds the model mutex.
  AccumulateResult Accumulate(const TokenBatch& batch, double normalizer);
  // Clips (clip_grad_norm_'s rule, on the device), steps AdamW at `lr`, zeroes the gradients, then reads the
  // loss and gradient norm back: one device sync, which also ends the step. Caller holds the model mutex.
  StepResult Update(double lr);

  const std::shared_ptr<ModelHost>& model() const { return model_; }

  // Data parallelism: from now on each Step counts target tokens over every rank and sums the gradients over
  // the ranks before clipping, so every rank takes the same update as one process over all ranks' batches
  // (each rank passes its own share of the step's micro-batches; a rank may pass none). The trainable
  // parameters start from rank 0's values (broadcast here). Caller holds the model mutex.
  void JoinProcessGroup(std::shared_ptr<ProcessGroup> group);
  // Bytes of optimizer state in host memory. Caller holds the model mutex.
  int64_t HostStateBytes() const;

  // Everything a resumed run needs from the native side, as named tensors (private copies):
  //   param/<name>       trainable parameter values
  //   exp_avg/<name>, exp_avg_sq/<name>, step/<name> (int64 [1])   AdamW state, once a step was taken
  //   rng/cpu, rng/cuda:<i>   states of the default generators (LoRA dropout)
  // Caller holds the model mutex; not in the middle of an accumulation.
  std::vector<std::pair<std::string, torch::Tensor>> ExportState() const;
  // Restores a state written by ExportState for the same trainable parameters. Everything is checked
  // (names, shapes, dtypes) before anything changes. Caller holds the model mutex.
  void ImportState(const io::SafetensorsFile& file);

 private:
  std::shared_ptr<ModelHost> model_;
  TrainerOptions options_;
  std::vector<std::string> names_;  // trainable parameter names, parallel to params_
  std::vector<torch::Tensor> params_;
  std::unique_ptr<FusedAdamW> optimizer_;
  // Adds one micro-batch's gradients; returns its loss sum as a float64 device scalar (no sync).
  torch::Tensor Backward(const TokenBatch& batch, double normalizer);

  std::shared_ptr<ProcessGroup> group_;  // null: one process
  bool Distributed() const { return group_ && group_->worldSize() > 1; }
  // Sums the gradients (every parameter's, zeros where a rank computed none), the loss sum and the target tokens
  // over the ranks.
  void SumOverRanks();

  torch::Tensor pendingLossSum_;  // float64 scalar on the device, or undefined before the first micro-batch
  int64_t pendingTokens_ = 0;
};

// Global L2 norm of the gradients as a float64 scalar on their device; parameters without a gradient count as 0.
torch::Tensor GradientNorm(const std::vector<torch::Tensor>& params);

}  // namespace pn
