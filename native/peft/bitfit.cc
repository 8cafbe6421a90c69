// ApplyBitfit: the targeted linears (every
// linear of the blocks by default) get a trainable bias: their own when the checkpoint has one, otherwise a new
// one (an adapter parameter), zero so the output is unchanged at the start, or normal(0, 1) as the study's
// released code created it (peft_trainer.py: torch.randn(module.out_features)).
#include <ATen/CPUGeneratorImpl.h>

#include "common/errors.h"
#include "peft/bitfit.h"

namespace pn {

std::vector<std::string> ApplyBitfit(ModelHost& model, const BitfitOptions& options) {
  if (options.init != "zeros" && options.init != "normal") {
    throw UserError("BitFit bias init must be zeros or normal, got \"" + options.init + "\"");
  }
  const bool all = options.targets.modules.empty() && options.targets.regex.empty();
  std::vector<Linear*> targets = all ? model.AllLinears() : model.MatchLinears(options.targets, "BitFit");
  model.BeginMethod("bitfit");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  std::vector<ModelHost::AdapterEntry> entries;
  std::vector<std::string> names;
  for (Linear* lin : targets) {
    if (lin->bias.defined()) {
      lin->bias.set_requires_grad(true);
    } else {
      const int64_t out = lin->weight.size(0);
      lin->bias = options.init == "normal" ? torch::empty({out}).normal_(0.0, 1.0, gen) : torch::zeros({out});
      entries.emplace_back(lin->name + ".weight", lin->name + ".bias", lin->bias);
    }
    names.push_back(lin->name);
  }
  model.RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
