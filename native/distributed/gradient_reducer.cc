#include "distributed/gradient_reducer.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <stdexcept>
#include <utility>

namespace pn {

struct GradientReducer::ReadyHook : torch::autograd::PostAccumulateGradHook {
  ReadyHook(GradientReducer* reducer, size_t param) : reducer(reducer), param(param) {}
  void operator()(const torch::autograd::Variable& /*tensor*/) override { reducer->OnReady(param); }
  GradientReducer* reducer;
  size_t param;
};

GradientReducer::GradientReducer(std::shared_ptr<ProcessGroup> group, std::vector<torch::Tensor> params, int64_t bucketBytes)
    : group_(std::move(group)), params_(std::move(params)) {
  if (bucketBytes < 1) throw std::invalid_argument("GradientReducer: bucketBytes must be positive");
  bucketOf_.resize(params_.size());
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const torch::Tensor& p = params_[k];
    const int64_t size = static_cast<int64_t>(p.nbytes());
    const bool fits = !buckets_.empty() && bytes + size <= bucketBytes && params_[buckets_.back().front()].scalar_type() == p.scalar_type() &&
                      params_[buckets_.back().front()].device() == p.device();
    if (!fits) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(k);
    bucketOf_[k] = buckets_.size() - 1;
    bytes += size;
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    torch::autograd::impl::set_post_acc_grad_hooks(params_[k], std::make_unique<ReadyHook>(this, k));
  }
}

GradientReducer::~GradientReducer() {
  for (const torch::Tensor& p : params_) torch::autograd::impl::set_post_acc_grad_hooks(p, nullptr);
}

void GradientReducer::Arm() {
  ready_.assign(params_.size(), false);
  missing_.clear();
  for (const auto& bucket : buckets_) missing_.push_back(static_cast<int64_t>(bucket.size()));
  pending_.clear();
  pending_.resize(buckets_.size());
  nextBucket_ = 0;
  startedInBackward_ = 0;
  armed_ = true;
}

void GradientReducer::OnReady(size_t param) {
  // A gradient accumulated in an earlier micro-batch of the step is not final yet; and a parameter reported
  // twice in one backward (no graph here does that) would change after its bucket started: it waits for Finish.
  if (!armed_ || ready_[param]) return;
  ready_[param] = true;
  --missing_[bucketOf_[param]];
  const size_t before = nextBucket_;
  StartReadyBuckets();
  startedInBackward_ += static_cast<int64_t>(nextBucket_ - before);
}

void GradientReducer::StartReadyBuckets() {
  while (nextBucket_ < buckets_.size() && missing_[nextBucket_] == 0) StartBucket(nextBucket_++);
}

void GradientReducer::StartBucket(size_t bucket) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> grads;
  for (size_t k : buckets_[bucket]) {
    torch::Tensor& p = params_[k];
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  pending_[bucket] = group_->StartAllReduceSum(grads);
}

void GradientReducer::Finish() {
  if (!armed_) throw std::logic_error("GradientReducer::Finish without Arm");
  armed_ = false;
  while (nextBucket_ < buckets_.size()) StartBucket(nextBucket_++);
  for (auto& pending : pending_) pending->Wait();
  pending_.clear();
}

}  // namespace pn
