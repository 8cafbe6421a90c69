// LlamaModel::ApplyBitfit: BitFit (Ben Zaken et al. 2022) — only biases train. Every linear of the blocks
// gets a trainable bias: its own when the checkpoint has one, otherwise a new zero bias (an adapter parameter,
// so the output is unchanged at the start).
#include "models/llama.h"

namespace pn {

std::vector<std::string> LlamaModel::ApplyBitfit() {
  BeginPeft("bitfit");
  std::vector<AdapterEntry> entries;
  std::vector<std::string> names;
  for (Linear* lin : AllLinears()) {
    if (lin->bias.defined()) {
      lin->bias.set_requires_grad(true);
    } else {
      lin->bias = torch::zeros({lin->weight.size(0)});
      entries.emplace_back(lin->name + ".weight", lin->name + ".bias", lin->bias);
    }
    names.push_back(lin->name);
  }
  RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
