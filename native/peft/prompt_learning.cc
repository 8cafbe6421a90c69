#include "peft/prompt_learning.h"

namespace pn {

torch::Tensor PrependPrompt(const PromptTuning& prompt, const torch::Tensor& embeds) {
  const int64_t b = embeds.size(0);
  torch::Tensor virt = prompt.embedding.to(embeds.scalar_type()).unsqueeze(0).expand({b, -1, -1});
  return torch::cat({virt, embeds}, 1);
}

torch::Tensor PrependValue(const torch::Tensor& ids, int64_t n, int64_t value) {
  if (!ids.defined() || n == 0) return ids;
  return torch::cat({torch::full({ids.size(0), n}, value, ids.options()), ids}, 1);
}

torch::Tensor PrefixTable(const PrefixTuning& prefix) {
  if (!prefix.reparameterized()) return prefix.embedding;
  torch::Tensor hidden = torch::tanh(torch::linear(prefix.embedding, prefix.mlpInWeight, prefix.mlpInBias));
  return torch::linear(hidden, prefix.mlpOutWeight, prefix.mlpOutBias);
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> PrefixKeysValues(const PrefixTuning& prefix, int64_t batch) {
  const int64_t n = prefix.virtualTokens();
  // [N, layers*2, kvHeads, hd] -> [layers*2, kvHeads, N, hd]; the batch dim is a broadcast view.
  torch::Tensor table = PrefixTable(prefix).view({n, prefix.numLayers * 2, prefix.kvHeads, prefix.headDim}).permute({1, 2, 0, 3});
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  for (int64_t l = 0; l < prefix.numLayers; ++l) {
    auto expand = [&](int64_t i) { return table[i].unsqueeze(0).expand({batch, -1, -1, -1}); };
    out.emplace_back(expand(2 * l), expand(2 * l + 1));
  }
  return out;
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
