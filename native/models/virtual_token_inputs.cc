#include "models/virtual_token_inputs.h"

namespace pn {

torch::Tensor PrependValue(const torch::Tensor& ids, int64_t n, int64_t value) {
  if (!ids.defined() || n == 0) return ids;
  return torch::cat({torch::full({ids.size(0), n}, value, ids.options()), ids}, 1);
}

torch::Tensor PrefixAttentionMask(const torch::Tensor& attentionMask, int64_t batch, int64_t seqLen, int64_t prefixLen,
                                  int64_t window, const torch::Device& device) {
  const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(device);
  auto q = torch::arange(prefixLen, prefixLen + seqLen, longs).unsqueeze(1);  // query positions
  auto k = torch::arange(prefixLen + seqLen, longs).unsqueeze(0);             // key positions
  torch::Tensor allowed = k <= q;
  if (window > 0) allowed = allowed.logical_and(k > q - window);
  allowed = allowed.unsqueeze(0).unsqueeze(0).expand({batch, 1, seqLen, prefixLen + seqLen});
  if (attentionMask.defined()) {
    torch::Tensor keys = torch::cat({torch::ones({batch, prefixLen}, longs.dtype(torch::kBool)), attentionMask.to(torch::kBool)}, 1);
    allowed = allowed.logical_and(keys.unsqueeze(1).unsqueeze(1));
  }
  return allowed.contiguous();
}

}  // namespace pn
