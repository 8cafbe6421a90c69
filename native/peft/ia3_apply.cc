// LlamaModel::ApplyIa3: PEFT's IA3 vectors (init ones) on the target modules.
#include "common/errors.h"
#include "models/llama.h"

namespace pn {

std::vector<std::string> LlamaModel::ApplyIa3(const Ia3Options& options) {
  std::vector<Linear*> targets = MatchLinears(options.targets, "IA3");
  auto isFeedforward = [&](const std::string& name) {
    for (const auto& f : options.feedforwardModules) {
      if (name == f || (name.size() > f.size() && name.compare(name.size() - f.size() - 1, f.size() + 1, "." + f) == 0)) return true;
    }
    return false;
  };
  // PEFT requires feedforward_modules to be a subset of target_modules.
  for (const auto& f : options.feedforwardModules) {
    bool targeted = false;
    for (Linear* lin : targets) targeted = targeted || isFeedforward(lin->name);
    if (!targeted) throw UserError("IA3 feedforward module " + f + " is not among the target modules");
  }
  BeginPeft("ia3");
  std::vector<AdapterEntry> entries;
  std::vector<std::string> names;
  for (Linear* lin : targets) {
    Ia3Weights ia3;
    ia3.feedforward = isFeedforward(lin->name);
    const int64_t in = lin->weight.size(1), out = lin->weight.size(0);
    ia3.scale = ia3.feedforward ? torch::ones({1, in}) : torch::ones({out, 1});
    entries.emplace_back(lin->name + ".weight", lin->name + ".ia3_l", ia3.scale);
    lin->ia3 = ia3;
    lin->hasIa3 = true;
    names.push_back(lin->name);
  }
  RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
