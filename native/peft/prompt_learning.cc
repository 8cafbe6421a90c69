#include "peft/prompt_learning.h"

namespace pn {

torch::Tensor PrefixTuning::Table() const {
  if (!reparameterized()) return embedding;
  torch::Tensor hidden = torch::tanh(torch::linear(embedding, mlpInWeight, mlpInBias));
  return torch::linear(hidden, mlpOutWeight, mlpOutBias);
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> PrefixTuning::KeysValues(int64_t batch) const {
  const int64_t n = count();
  // [N, layers*2, kvHeads, hd] -> [layers*2, kvHeads, N, hd].
  torch::Tensor table = Table().view({n, numLayers * 2, kvHeads, headDim}).permute({1, 2, 0, 3});
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  for (int64_t l = 0; l < numLayers; ++l) {
    auto expand = [&](int64_t i) { return table[i].unsqueeze(0).expand({batch, -1, -1, -1}); };
    out.emplace_back(expand(2 * l), expand(2 * l + 1));
  }
  return out;
}

}  // namespace pn
