// ApplyIa3: PEFT's IA3 vectors (init ones) on the target modules.
#include <memory>

#include "common/errors.h"
#include "peft/ia3.h"

namespace pn {
namespace {

class Ia3Adapter : public LinearAdapter {
 public:
  torch::Tensor scale;  // PEFT's ia3_l: [1, in] (feedforward: scales the input) or [out, 1] (scales the output)
  bool feedforward = false;

  torch::Tensor Forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        bool /*training*/) const override {
    return Ia3Linear(x, weight, bias, scale, feedforward);
  }
  void MergeInto(torch::Tensor& weight, torch::Tensor& bias) const override { Ia3MergeInto(weight, bias, scale, feedforward); }
};

}  // namespace

std::vector<std::string> ApplyIa3(ModelHost& model, const Ia3Options& options) {
  std::vector<Linear*> targets = model.MatchLinears(options.targets, "IA3");
  auto isFeedforward = [&](const std::string& name) {
    for (const auto& f : options.feedforwardModules) {
      if (ModuleNameMatches(name, f)) return true;
    }
    return false;
  };
  // PEFT requires feedforward_modules to be a subset of target_modules.
  for (const auto& f : options.feedforwardModules) {
    bool targeted = false;
    for (Linear* lin : targets) targeted = targeted || isFeedforward(lin->name);
    if (!targeted) throw UserError("IA3 feedforward module " + f + " is not among the target modules");
  }
  model.RequireUnadapted(targets, "IA3");
  model.BeginMethod("ia3");
  std::vector<ModelHost::AdapterEntry> entries;
  std::vector<std::string> names;
  for (Linear* lin : targets) {
    auto adapter = std::make_shared<Ia3Adapter>();
    Ia3Adapter& ia3 = *adapter;
    ia3.feedforward = isFeedforward(lin->name);
    const int64_t in = lin->weight.size(1), out = lin->weight.size(0);
    ia3.scale = ia3.feedforward ? torch::ones({1, in}) : torch::ones({out, 1});
    entries.emplace_back(lin->name + ".weight", lin->name + ".ia3_l", ia3.scale);
    lin->adapter = std::move(adapter);
    names.push_back(lin->name);
  }
  model.RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
