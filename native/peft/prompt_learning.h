// Prompt tuning and prefix tuning as HF PEFT's PeftModelForCausalLM runs them.
//  - Prompt tuning: N learned virtual-token embeddings are prepended to the input embeddings; labels get
//    N leading -100s and the attention mask N leading ones. Logits of the virtual positions are dropped.
//  - Prefix tuning: per layer, N learned keys and values (already "rotated", as a KV cache holds them)
//    are prepended to the attention keys/values; the real tokens take positions N..N+T-1 (HF's cache
//    positions) and attend to every prefix slot. PEFT's PrefixEncoder: a table [N, layers*2*kvDim], or with
//    reparameterization embedding [N, kvDim] -> Linear(kvDim, hidden) -> tanh -> Linear(hidden, layers*2*kvDim).
#pragma once

#include "common/torch_api.h"

#include <utility>
#include <vector>

namespace pn {

struct PromptTuning {
  torch::Tensor embedding;  // [N, hidden]
  int64_t virtualTokens() const { return embedding.size(0); }
};

// Prepends the virtual tokens: embeds [B, T, H] -> [B, N+T, H]; labels/mask (int, may be undefined) likewise.
torch::Tensor PrependPrompt(const PromptTuning& prompt, const torch::Tensor& embeds);
torch::Tensor PrependValue(const torch::Tensor& ids, int64_t n, int64_t value);

struct PrefixTuning {
  torch::Tensor embedding;                         // [N, layers*2*kvDim], or [N, kvDim] with the MLP
  torch::Tensor mlpInWeight, mlpInBias;            // [hidden, kvDim], [hidden] (reparameterization only)
  torch::Tensor mlpOutWeight, mlpOutBias;          // [layers*2*kvDim, hidden], [layers*2*kvDim]
  int64_t numLayers = 0, kvHeads = 0, headDim = 0;
  int64_t virtualTokens() const { return embedding.size(0); }
  bool reparameterized() const { return mlpInWeight.defined(); }
};

// The prefix table [N, layers*2*kvDim] (what PEFT saves as prompt_embeddings).
torch::Tensor PrefixTable(const PrefixTuning& prefix);

// Per layer, keys and values [B, kvHeads, N, headDim] (PEFT's view + permute([2, 0, 3, 1, 4]) + split(2)).
std::vector<std::pair<torch::Tensor, torch::Tensor>> PrefixKeysValues(const PrefixTuning& prefix, int64_t batch);

// Boolean [B, 1, T, N+T] (true = may attend) for queries at positions N..N+T-1 over N prefix slots + T keys:
// causal on the real keys (with a sliding window when `window` > 0), key padding from `attentionMask`
// ([B, T] or undefined); prefix slots are always visible. Made on `device`.
torch::Tensor PrefixAttentionMask(const torch::Tensor& attentionMask, int64_t batch, int64_t seqLen, int64_t prefixLen,
                                  int64_t window, const torch::Device& device);

}  // namespace pn
