// ApplyAdapters: bottleneck adapters on the attention output (houlsby) and the MLP output
// (houlsby and pfeiffer) of every block.
#include <ATen/CPUGeneratorImpl.h>

#include <memory>

#include "common/errors.h"
#include "models/model_host.h"
#include "peft/bottleneck_adapter.h"

namespace pn {

std::vector<std::string> ApplyAdapters(ModelHost& model, const AdapterOptions& options) {
  if (options.placement != "houlsby" && options.placement != "pfeiffer") {
    throw UserError("adapter placement must be houlsby or pfeiffer, got \"" + options.placement + "\"");
  }
  if (options.size <= 0) throw UserError("adapter size must be positive");
  if (options.init != "normal" && options.init != "identity") {
    throw UserError("adapter init must be normal or identity, got \"" + options.init + "\"");
  }
  const AdapterActivation activation = ParseAdapterActivation(options.activation);
  model.BeginMethod("adapter");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const int64_t d = model.hiddenSize(), m = options.size;
  auto make = [&]() {
    auto adapter = std::make_shared<BottleneckAdapter>();
    BottleneckAdapter& a = *adapter;
    a.activation = activation;
    a.downWeight = torch::empty({m, d}).normal_(0.0, 0.02, gen);
    a.downBias = torch::zeros({m});
    // near-identity: a zero up-projection makes the adapter the identity at the start.
    a.upWeight = options.init == "identity" ? torch::zeros({d, m}) : torch::empty({d, m}).normal_(0.0, 0.02, gen);
    a.upBias = torch::zeros({d});
    return adapter;
  };
  std::vector<ModelHost::AdapterEntry> entries;
  std::vector<std::string> names;
  auto add = [&](std::shared_ptr<const SublayerAdapter>& slot, const std::string& name, const std::string& anchor) {
    auto adapter = make();
    entries.emplace_back(anchor, name + ".down_proj.weight", adapter->downWeight);
    entries.emplace_back(anchor, name + ".down_proj.bias", adapter->downBias);
    entries.emplace_back(anchor, name + ".up_proj.weight", adapter->upWeight);
    entries.emplace_back(anchor, name + ".up_proj.bias", adapter->upBias);
    slot = std::move(adapter);
    names.push_back(name);
  };
  for (const SublayerSite& site : model.SublayerSites()) {
    if (options.placement == "houlsby") add(*site.afterAttention, site.prefix + "attn_adapter", site.anchor);
    add(*site.afterMlp, site.prefix + "mlp_adapter", site.anchor);
  }
  model.RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
