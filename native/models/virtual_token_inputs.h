// How a batch is widened for virtual tokens (adapter_hooks.h): leading values for prepended embeddings, and
// the attention mask of queries that follow N prefix key/value slots.
#pragma once

#include "common/torch_api.h"

namespace pn {

// [B, T] -> [B, n+T] with `value` in the n new leading columns; undefined stays undefined.
torch::Tensor PrependValue(const torch::Tensor& ids, int64_t n, int64_t value);

// Boolean [B, 1, T, N+T] (true = may attend) for queries at positions N..N+T-1 over N prefix slots + T keys:
// causal on the real keys (with a sliding window when `window` > 0), key padding from `attentionMask`
// ([B, T] or undefined); prefix slots are always visible. Made on `device`.
torch::Tensor PrefixAttentionMask(const torch::Tensor& attentionMask, int64_t batch, int64_t seqLen, int64_t prefixLen,
                                  int64_t window, const torch::Device& device);

}  // namespace pn
