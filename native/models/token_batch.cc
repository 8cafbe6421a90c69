#include "models/token_batch.h"

namespace pn {
namespace {

torch::Tensor Upload(const torch::Tensor& t, const torch::Device& device) {
  if (!t.defined() || t.device() == device) return t;
  if (device.is_cuda() && t.is_cpu()) return t.pin_memory().to(device, /*non_blocking=*/true);
  return t.to(device);
}

}  // namespace

TokenBatch ToDevice(const TokenBatch& batch, const torch::Device& device) {
  TokenBatch out;
  out.inputIds = Upload(batch.inputIds, device);
  out.labels = Upload(batch.labels, device);
  out.attentionMask = Upload(batch.attentionMask, device);
  out.positionIds = Upload(batch.positionIds, device);
  out.sequenceIds = Upload(batch.sequenceIds, device);
  return out;
}

torch::Tensor ShiftedTargets(const TokenBatch& batch) {
  const int64_t t = batch.labels.size(1);
  torch::Tensor targets = batch.labels.narrow(1, 1, t - 1).to(torch::kInt64);
  if (batch.sequenceIds.defined()) {
    torch::Tensor newSequence = batch.sequenceIds.narrow(1, 1, t - 1) != batch.sequenceIds.narrow(1, 0, t - 1);
    targets = targets.masked_fill(newSequence, -100);
  }
  return targets.reshape({-1});
}

int64_t CountTargets(const TokenBatch& batch) {
  if (!batch.labels.defined() || batch.labels.size(1) < 2) return 0;
  return (ShiftedTargets(batch) != -100).sum().item<int64_t>();
}

}  // namespace pn
