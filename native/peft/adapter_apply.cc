// LlamaModel::ApplyAdapters: bottleneck adapters on the attention output (houlsby) and the MLP output
// (houlsby and pfeiffer) of every block.
#include <ATen/CPUGeneratorImpl.h>

#include "common/errors.h"
#include "models/llama.h"

namespace pn {

std::vector<std::string> LlamaModel::ApplyAdapters(const AdapterOptions& options) {
  if (options.placement != "houlsby" && options.placement != "pfeiffer") {
    throw UserError("adapter placement must be houlsby or pfeiffer, got \"" + options.placement + "\"");
  }
  if (options.size <= 0) throw UserError("adapter size must be positive");
  if (options.init != "normal" && options.init != "identity") {
    throw UserError("adapter init must be normal or identity, got \"" + options.init + "\"");
  }
  const AdapterActivation activation = ParseAdapterActivation(options.activation);
  BeginPeft("adapter");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const int64_t d = config_.hiddenSize, m = options.size;
  auto make = [&]() {
    BottleneckAdapter a;
    a.activation = activation;
    a.downWeight = torch::empty({m, d}).normal_(0.0, 0.02, gen);
    a.downBias = torch::zeros({m});
    // near-identity: a zero up-projection makes the adapter the identity at the start.
    a.upWeight = options.init == "identity" ? torch::zeros({d, m}) : torch::empty({d, m}).normal_(0.0, 0.02, gen);
    a.upBias = torch::zeros({d});
    return a;
  };
  std::vector<AdapterEntry> entries;
  std::vector<std::string> names;
  auto add = [&](BottleneckAdapter& slot, const std::string& name, const std::string& anchor) {
    slot = make();
    entries.emplace_back(anchor, name + ".down_proj.weight", slot.downWeight);
    entries.emplace_back(anchor, name + ".down_proj.bias", slot.downBias);
    entries.emplace_back(anchor, name + ".up_proj.weight", slot.upWeight);
    entries.emplace_back(anchor, name + ".up_proj.bias", slot.upBias);
    names.push_back(name);
  };
  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const std::string anchor = p + "post_attention_layernorm.weight";
    if (options.placement == "houlsby") add(layers_[i].attnAdapter, p + "attn_adapter", anchor);
    add(layers_[i].mlpAdapter, p + "mlp_adapter", anchor);
  }
  RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
