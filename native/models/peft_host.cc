// The host side of PEFT on every model: methods applied one after another (a combination such as LoRA +
// bottleneck adapters), base frozen, method parameters registered next to their module (so names and order read
// like PEFT's), PEFT's target matching, and merging LinearAdapters.
#include <algorithm>
#include <regex>

#include "common/errors.h"
#include "models/model_host.h"

namespace pn {

void ModelHost::BeginMethod(const std::string& label, bool freezeBase) {
  if (HasMethod(label)) throw UserError("cannot apply " + label + ": it is already applied to this model");
  if (!methods_.empty() && (!freezeBase || HasMethod("full"))) {
    throw UserError("cannot apply " + label + " with " + method_ +
                    ": full finetuning trains every weight and combines with no other method");
  }
  if (baseDtype_ != torch::kFloat32) {
    throw UserError("cannot apply " + label + ": the base is already stored in bfloat16 (apply the method before setting the precision)");
  }
  // The first method freezes the base; a later one leaves what earlier methods made trainable (BitFit's biases).
  if (methods_.empty()) {
    for (auto& [name, tensor] : params_) tensor.set_requires_grad(!freezeBase);
  }
  methods_.push_back(label);
  method_ = method_.empty() ? label : method_ + "+" + label;
}

bool ModelHost::HasMethod(const std::string& label) const {
  return std::find(methods_.begin(), methods_.end(), label) != methods_.end();
}

void ModelHost::RequireUnadapted(const std::vector<Linear*>& targets, const std::string& what) const {
  for (const Linear* lin : targets) {
    if (lin->adapter) {
      throw UserError(what + " cannot adapt " + lin->name + ": " + method_ +
                      " already adapts it (one adapter per linear layer; choose target modules that do not overlap)");
    }
  }
}

void ModelHost::RegisterAdapterParameters(const std::vector<AdapterEntry>& entries) {
  std::map<std::string, std::vector<std::pair<std::string, torch::Tensor>>> after;
  std::vector<std::pair<std::string, torch::Tensor>> atEnd;
  for (const auto& [anchor, name, tensor] : entries) {
    if (paramIndex_.count(name) != 0) throw std::logic_error("parameter " + name + " registered twice");
    // Initialized on the CPU (the same values whatever the device); moved in place so the method's own handle follows.
    if (tensor.device() != device()) tensor.set_data(tensor.to(device()));
    tensor.set_requires_grad(true);
    adapterNames_.insert(name);
    if (anchor.empty()) atEnd.emplace_back(name, tensor);
    else after[anchor].emplace_back(name, tensor);
  }
  auto old = std::move(params_);
  params_.clear();
  paramIndex_.clear();
  for (auto& [name, tensor] : old) {
    Register(name, tensor);
    auto it = after.find(name);
    if (it == after.end()) continue;
    for (auto& [n, t] : it->second) Register(n, t);
  }
  for (auto& [n, t] : atEnd) Register(n, t);
}

void ModelHost::UnregisterAdapterParameters() {
  auto old = std::move(params_);
  params_.clear();
  paramIndex_.clear();
  for (auto& [name, tensor] : old) {
    if (!IsAdapterParameter(name)) Register(name, tensor);
  }
  adapterNames_.clear();
}

std::vector<Linear*> ModelHost::MatchLinears(const ModuleTargets& targets, const std::string& what) {
  std::regex pattern;
  const bool useRegex = !targets.regex.empty();
  if (useRegex) {
    try {
      pattern = std::regex(targets.regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw UserError(what + " target module regex '" + targets.regex + "' is invalid: " + e.what());
    }
  } else if (targets.modules.empty()) {
    throw UserError("no " + what + " target modules given");
  }
  // HF PEFT: a list entry matches a module whose name equals it or ends with "." + entry.
  auto matches = [&](const std::string& name) {
    if (useRegex) return std::regex_match(name, pattern);
    for (const auto& t : targets.modules) {
      if (ModuleNameMatches(name, t)) return true;
    }
    return false;
  };
  std::vector<Linear*> out;
  for (Linear* lin : AllLinears()) {
    if (matches(lin->name)) out.push_back(lin);
  }
  for (const std::string& other : UntargetableModules()) {
    if (matches(other)) {
      throw UserError(what + " on " + other + " is not supported; target the block projections (" + TargetableModuleNames() + ")");
    }
  }
  if (out.empty()) {
    std::string wanted = useRegex ? targets.regex : "";
    for (size_t i = 0; !useRegex && i < targets.modules.size(); ++i) wanted += (i ? "," : "") + targets.modules[i];
    throw UserError(what + " target modules " + wanted + " match no linear layer of the model (available: " +
                    TargetableModuleNames() + ")");
  }
  return out;
}

bool ModelHost::HasNonLinearAdapters() {
  bool elsewhere = virtualTokens_ != nullptr;
  for (const SublayerSite& site : SublayerSites()) elsewhere = elsewhere || *site.afterAttention || *site.afterMlp;
  return elsewhere;
}

std::vector<std::string> ModelHost::MergeLinearAdapters() {
  if (method_.empty()) throw UserError("no adapter to merge: the model has no PEFT method applied");
  std::vector<Linear*> adapted;
  for (Linear* lin : AllLinears()) {
    if (lin->adapter) adapted.push_back(lin);
  }
  // BitFit's trained biases are parameters no base checkpoint of the model has: they do not fold either.
  if (adapted.empty() || HasNonLinearAdapters() || HasMethod("bitfit")) {
    throw UserError(method_ + " cannot be merged: only methods that adapt linear layers in place fold into the base weights");
  }
  torch::NoGradGuard noGrad;
  std::vector<std::string> merged;
  for (Linear* lin : adapted) {
    lin->adapter->MergeInto(lin->weight, lin->bias);
    lin->adapter.reset();
    merged.push_back(lin->name);
  }
  UnregisterAdapterParameters();
  methods_.clear();
  method_.clear();
  return merged;
}

bool ModuleNameMatches(const std::string& name, const std::string& target) {
  return name == target ||
         (name.size() > target.size() && name.compare(name.size() - target.size() - 1, target.size() + 1, "." + target) == 0);
}

}  // namespace pn
