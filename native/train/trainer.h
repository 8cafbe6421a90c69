// AdamW (fused, train/adamw.h) over the model's trainable parameters, with gradient accumulation normalized by the caller.
#pragma once

#include "common/torch_api.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "distributed/gradient_reducer.h"
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
  // Data parallelism: the most bytes of gradients one all-reduce carries (GradientReducer's buckets).
  int64_t bucketBytes = ProcessGroup::kBucketBytes;
};

struct AccumulateResult {
  double lossSum = 0;
  int64_t targetTokens = 0;
};

struct StepResult {
  double loss = 0;  // mean over the target tokens accumulated since the last update
  int64_t targetTokens = 0;
  double gradNorm = 0;
  // Data parallelism: gradient buckets, and how many of them started their all-reduce while the backward ran.
  int64_t buckets = 0;
  int64_t bucketsOverlapped = 0;
};

class Trainer {
 public:
  Trainer(std::shared_ptr<ModelHost> model, const TrainerOptions& options);

  // One optimizer step over the micro-batches of a gradient accumulation: their target tokens are counted on
  // the host before anything is uploaded, each adds d(lossSum / all their targets)/dθ, then Update(lr). The
  // only device sync is Update's. `dropoutSeeds[i]` >= 0 reseeds the default generators before micro-batch i,
  // so its dropout masks depend on the batch alone, not on what ran before it (data parallelism draws the
  // masks one process would); absent or -1: the generators run on. Caller holds the model mutex.
  StepResult Step(const std::vector<TokenBatch>& microBatches, double lr, const std::vector<int64_t>& dropoutSeeds = {});

  // The same in parts. Accumulate adds d(lossSum / normalizer)/dθ into the gradients and returns the batch's
  // loss (a device sync, for callers that want it per batch). Caller holds the model mutex.
  AccumulateResult Accumulate(const TokenBatch& batch, double normalizer, int64_t dropoutSeed = -1);
  // Clips (clip_grad_norm_'s rule, on the device), steps AdamW at `lr`, zeroes the gradients, then reads the
  // loss and gradient norm back: one device sync, which also ends the step. Caller holds the model mutex.
  StepResult Update(double lr);

  const std::shared_ptr<ModelHost>& model() const { return model_; }

  // Data parallelism: from now on each Step counts target tokens over every rank and sums the gradients over
  // the ranks before clipping, so every rank takes the same update as one process over all ranks' batches
  // (each rank passes its own share of the step's micro-batches; a rank may pass none). The trainable
  // parameters start from rank 0's values (broadcast here).
  // shardOptimizerState (ZeRO stage 1): each parameter's AdamW state lives on one rank only (OptimizerShards);
  // that rank updates the parameter and broadcasts the new values, so the weights stay the same on every rank
  // and equal the unsharded run's. State this rank does not own is dropped here. Caller holds the model mutex.
  void JoinProcessGroup(std::shared_ptr<ProcessGroup> group, bool shardOptimizerState);
  // Bytes of optimizer state in host memory, and how many parameters have state here. Caller holds the model mutex.
  int64_t HostStateBytes() const;
  int64_t ParametersWithState() const;

  // Everything a resumed run needs from the native side, as named tensors (private copies):
  //   param/<name>       trainable parameter values
  //   exp_avg/<name>, exp_avg_sq/<name>, step/<name> (int64 [1])   AdamW state, once a step was taken
  //   rng/cpu, rng/cuda:<i>   states of the default generators (LoRA dropout)
  // With a sharded optimizer state, rank 0 exports all of that for the state it owns and every other rank only
  // its own AdamW state (its shard); the files of all ranks together make one checkpoint.
  // Caller holds the model mutex; not in the middle of an accumulation.
  std::vector<std::pair<std::string, torch::Tensor>> ExportState() const;
  // Metadata for the file of ExportState: under ZeRO-1 "optimizer_shard" = "<rank>/<world size>", which
  // ImportState uses to require every shard of the checkpoint, once each.
  std::map<std::string, std::string> StateMetadata() const;
  // Restores a state written by ExportState for the same trainable parameters, from one file or from the files
  // of every rank of a sharded run (each tensor in one of them; any world size: a sharded trainer keeps the
  // state it owns now, an unsharded one all of it). Everything is checked (names, shapes, dtypes, duplicates)
  // before anything changes. Caller holds the model mutex.
  void ImportState(const std::vector<std::shared_ptr<io::SafetensorsFile>>& files);

 private:
  std::shared_ptr<ModelHost> model_;
  TrainerOptions options_;
  std::vector<std::string> names_;  // trainable parameter names, parallel to params_
  std::vector<torch::Tensor> params_;
  std::unique_ptr<FusedAdamW> optimizer_;
  // Adds one micro-batch's gradients; returns its loss sum as a float64 device scalar (no sync).
  torch::Tensor Backward(const TokenBatch& batch, double normalizer, int64_t dropoutSeed);

  std::shared_ptr<ProcessGroup> group_;  // null: one process
  bool Distributed() const { return group_ && group_->worldSize() > 1; }
  // ZeRO-1: the rank holding each parameter's AdamW state (parallel to params_); empty: every rank holds all.
  std::vector<int64_t> stateOwner_;
  bool OwnsState(size_t index) const { return stateOwner_.empty() || stateOwner_[index] == group_->rank(); }
  // ZeRO-1: steps AdamW on the owned parameters only, then each owner broadcasts its parameters' new values.
  void ShardedOptimizerStep(double lr);
  // Sums the gradients over the ranks while Step's last backward runs (every parameter's; zeros where a rank
  // computed none); null: one process.
  std::unique_ptr<GradientReducer> reducer_;
  bool gradientsSummed_ = false;  // Step's reducer summed them: SumOverRanks sums the rest only
  // Sums the gradients (unless the reducer did), the loss sum and the target tokens over the ranks.
  void SumOverRanks();

  torch::Tensor pendingLossSum_;  // float64 scalar on the device, or undefined before the first micro-batch
  int64_t pendingTokens_ = 0;
};

// ZeRO-1's layout: which of `ranks` ranks holds the optimizer state of each parameter (by element count),
// as torch's ZeroRedundancyOptimizer partitions: largest parameters first, each to the least loaded rank
// (ties: the lower rank). Depends only on the sizes, so every rank, and a resume, computes the same.
std::vector<int64_t> OptimizerShards(const std::vector<int64_t>& numels, int64_t ranks);

// Global L2 norm of the gradients as a float64 scalar on their device; parameters without a gradient count as 0.
torch::Tensor GradientNorm(const std::vector<torch::Tensor>& params);

}  // namespace pn
