// ModelHost's parameter registry: registration, loading from safetensors, moving between devices.
#include "models/model_host.h"

#include "common/errors.h"
#include "io/safetensors.h"

namespace pn {

void ModelHost::Register(const std::string& name, const torch::Tensor& tensor) {
  paramIndex_[name] = params_.size();
  params_.emplace_back(name, tensor);
}

void ModelHost::LoadWeights(const std::vector<std::string>& files, const std::string& configName) {
  if (files.empty()) throw UserError("no safetensors files given");
  // Base weights only: PEFT parameters come from adapters, not checkpoints.
  std::map<std::string, torch::Tensor> expected;
  for (const auto& [name, tensor] : params_) {
    if (!IsAdapterParameter(name)) expected[name] = tensor;
  }
  std::vector<std::shared_ptr<io::SafetensorsFile>> opened;
  std::map<std::string, std::pair<io::SafetensorsFile*, const io::TensorEntry*>> found;
  std::vector<std::string> unexpected;
  for (const auto& path : files) {
    opened.push_back(io::SafetensorsFile::Open(path));
    for (const auto& entry : opened.back()->tensors()) {
      const std::string& name = entry.name;
      if (IgnoredCheckpointTensor(name)) continue;
      if (expected.count(name) == 0) {
        unexpected.push_back(files.size() == 1 ? name : name + " (in " + path + ")");
        continue;
      }
      if (found.count(name) != 0) throw UserError("tensor " + name + " appears in more than one file (" + path + ")");
      found[name] = {opened.back().get(), &entry};
    }
  }
  std::vector<std::string> missing;
  for (const auto& [name, tensor] : expected) {
    if (found.count(name) == 0) missing.push_back(name);
  }
  auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < 8; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > 8) s += ", ... (" + std::to_string(names.size()) + " in all)";
    return s;
  };
  // Named by their files: the one file, or the first and how many (shards of one folder).
  const std::string weights = files.size() == 1 ? files[0] : files[0] + " and " + std::to_string(files.size() - 1) + " more";
  if (!missing.empty()) throw UserError(weights + " does not match " + configName + ": missing tensors " + list(missing));
  if (!unexpected.empty()) throw UserError(weights + " does not match " + configName + ": unexpected tensors " + list(unexpected));
  for (const auto& [name, where] : found) {
    const auto& target = expected[name];
    std::vector<int64_t> shape = where.second->shape;
    if (c10::IntArrayRef(shape) != target.sizes()) {
      throw UserError("tensor " + name + " in " + where.first->path() + " has shape " + c10::str(c10::IntArrayRef(shape)) +
                      " but " + configName + " needs " + c10::str(target.sizes()));
    }
    const std::string& dtype = where.second->dtype;
    if (dtype != "F32" && dtype != "F16" && dtype != "BF16" && dtype != "F64") {
      throw UserError("tensor " + name + " in " + where.first->path() + " has dtype " + dtype + "; expected a float type");
    }
  }
  // Everything checked: copy (upcasting exactly to float32).
  torch::NoGradGuard noGrad;
  for (const auto& [name, where] : found) expected[name].copy_(where.first->View(name));
}

void ModelHost::To(const torch::Device& device) {
  if (device == this->device()) return;
  torch::NoGradGuard noGrad;
  for (auto& [name, tensor] : params_) {
    if (tensor.grad().defined()) tensor.mutable_grad() = tensor.grad().to(device);
    tensor.set_data(tensor.data().to(device));
  }
  MoveBuffers(device);
}

void ModelHost::SetPrecision(bool bf16, bool lowPrecisionBase) {
  if (lowPrecisionBase && !bf16) throw UserError("a bfloat16 base needs bf16 compute (precision bf16)");
  if (!lowPrecisionBase && baseDtype_ != torch::kFloat32) {
    throw UserError("the base is already stored in bfloat16 and cannot be restored to float32; load the model again");
  }
  bf16_ = bf16;
  if (!lowPrecisionBase || baseDtype_ == torch::kBFloat16) return;
  std::vector<torch::Tensor> matrices;
  for (Linear* linear : AllLinears()) matrices.push_back(linear->weight);
  matrices.push_back(Parameter(InputEmbeddingName()));
  if (paramIndex_.count("lm_head.weight")) matrices.push_back(Parameter("lm_head.weight"));
  torch::NoGradGuard noGrad;
  for (torch::Tensor& m : matrices) {
    // Trainable ones (full finetuning, or a method that trains them) keep their float32 masters. set_data keeps
    // the tensor's identity, so every handle on it (a tied LM head, a Linear) sees the new storage.
    if (!m.requires_grad() && m.scalar_type() == torch::kFloat32) m.set_data(m.data().to(torch::kBFloat16));
  }
  baseDtype_ = torch::kBFloat16;
}

std::vector<std::string> ModelHost::ParameterNames(bool trainableOnly) const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : params_) {
    if (!trainableOnly || tensor.requires_grad()) names.push_back(name);
  }
  return names;
}

torch::Tensor ModelHost::Parameter(const std::string& name) const {
  auto it = paramIndex_.find(name);
  if (it == paramIndex_.end()) throw UserError("no parameter named " + name);
  return params_[it->second].second;
}

std::vector<torch::Tensor> ModelHost::TrainableParameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, tensor] : params_) {
    if (tensor.requires_grad()) out.push_back(tensor);
  }
  return out;
}

int64_t ModelHost::CountParameters(bool trainableOnly) const {
  int64_t n = 0;
  for (const auto& [name, tensor] : params_) {
    if (!trainableOnly || tensor.requires_grad()) n += tensor.numel();
  }
  return n;
}

}  // namespace pn
