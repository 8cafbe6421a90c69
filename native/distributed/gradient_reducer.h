// Gradients summed over the ranks while the backward runs, as DDP's Reducer does: the trainable parameters are
// cut into buckets in reverse order (about the order the backward produces their gradients), at most
// `bucketBytes` each, one dtype and device per bucket. While armed for a step's last backward, each
// parameter's post-accumulate-grad hook marks it ready, and each bucket whose parameters are all ready starts
// its all-reduce, in bucket order, so every rank starts the same collectives in the same order. Finish() starts
// the buckets the backward did not complete (a rank with no batch this step, parameters without a gradient:
// zeros), waits for every bucket and writes the sums into the gradients.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "distributed/process_group.h"

namespace pn {

class GradientReducer {
 public:
  GradientReducer(std::shared_ptr<ProcessGroup> group, std::vector<torch::Tensor> params, int64_t bucketBytes);
  ~GradientReducer();  // removes the hooks
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // The next backward completes this rank's gradients for the step: from now on a ready bucket starts at once.
  void Arm();
  // Starts what is left, waits for every bucket and writes the sums into the gradients (defined afterwards
  // for every parameter). Disarms.
  void Finish();

  int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }
  // Buckets the last step started while its backward ran (the rest started in Finish).
  int64_t bucketsStartedInBackward() const { return startedInBackward_; }

 private:
  struct ReadyHook;
  void OnReady(size_t param);
  void StartReadyBuckets();
  void StartBucket(size_t bucket);

  std::shared_ptr<ProcessGroup> group_;
  std::vector<torch::Tensor> params_;
  std::vector<std::vector<size_t>> buckets_;  // parameter indices, in start order
  std::vector<size_t> bucketOf_;              // parameter -> bucket
  std::vector<bool> ready_;
  std::vector<int64_t> missing_;               // per bucket: parameters not ready yet
  std::vector<std::unique_ptr<ProcessGroup::PendingSum>> pending_;
  size_t nextBucket_ = 0;
  bool armed_ = false;
  int64_t startedInBackward_ = 0;
};

}  // namespace pn
