// ApplyLora: LoRA (PEFT's init), rsLoRA scaling and DoRA's magnitude vector.
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <memory>

#include "common/errors.h"
#include "models/model_host.h"
#include "peft/dora_linear.h"
#include "peft/lora.h"
#include "peft/lora_linear.h"

namespace pn {
namespace {

class LoraAdapter : public LinearAdapter {
 public:
  torch::Tensor a;          // [r, in]
  torch::Tensor b;          // [out, r]
  torch::Tensor magnitude;  // DoRA: [out] (undefined for plain LoRA)
  double scaling = 1.0;
  double dropout = 0.0;

  torch::Tensor Forward(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        bool training) const override {
    torch::Tensor mask;
    if (training && dropout > 0) mask = torch::empty_like(x).bernoulli_(1.0 - dropout).div_(1.0 - dropout);
    if (magnitude.defined()) return DoraLinear(x, weight, bias, a, b, magnitude, scaling, mask);
    return LoraLinear(x, weight, bias, a, b, scaling, mask);
  }

  void MergeInto(torch::Tensor& weight, torch::Tensor& /*bias*/) const override {
    if (magnitude.defined()) {
      weight.copy_(DoraMergedWeight(weight, a, b, magnitude, scaling));
    } else {
      weight.add_(torch::matmul(b, a), scaling);
    }
  }
};

}  // namespace

std::vector<std::string> ApplyLora(ModelHost& model, const LoraOptions& options) {
  if (options.r <= 0) throw UserError("LoRA rank r must be positive");
  if (!(options.dropout >= 0 && options.dropout < 1)) throw UserError("LoRA dropout must be in [0, 1)");
  if (options.init != "kaiming" && options.init != "gaussian") throw UserError("LoRA init must be kaiming or gaussian");
  const std::string what = options.useDora ? "DoRA" : "LoRA";
  if (model.HasMethod("lora") || model.HasMethod("dora")) throw UserError("LoRA is already applied to this model");
  std::vector<Linear*> targets = model.MatchLinears({options.targetModules, options.targetRegex}, what);
  model.RequireUnadapted(targets, what);
  model.BeginMethod(options.useDora ? "dora" : "lora");

  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const double scaling = options.useRslora ? options.alpha / std::sqrt(static_cast<double>(options.r))
                                           : options.alpha / static_cast<double>(options.r);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  std::vector<std::string> names;
  std::vector<ModelHost::AdapterEntry> entries;
  for (Linear* lin : targets) {
    const int64_t in = lin->weight.size(1), out = lin->weight.size(0);
    auto adapter = std::make_shared<LoraAdapter>();
    LoraAdapter& lora = *adapter;
    lora.a = torch::empty({options.r, in}, f32);
    if (options.init == "kaiming") {
      // kaiming_uniform_(a=sqrt(5)) on [r, in]: bound = gain * sqrt(3 / fan_in) = 1 / sqrt(in).
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      lora.a.uniform_(-bound, bound, gen);
    } else {
      lora.a.normal_(0.0, 1.0 / static_cast<double>(options.r), gen);
    }
    lora.b = torch::zeros({out, options.r}, f32);
    lora.scaling = scaling;
    lora.dropout = options.dropout;
    const std::string anchor = lin->name + ".weight";
    entries.emplace_back(anchor, lin->name + ".lora_A.weight", lora.a);
    entries.emplace_back(anchor, lin->name + ".lora_B.weight", lora.b);
    if (options.useDora) {
      // PEFT: the magnitude starts as the row norms of W + s·BA (= ||W|| rows while B is zero).
      const torch::Device device = lin->weight.device();
      lora.magnitude = DoraWeightNorm(lin->weight, lora.a.to(device), lora.b.to(device), scaling).clone();
      entries.emplace_back(anchor, lin->name + ".lora_magnitude_vector", lora.magnitude);
    }
    lin->adapter = std::move(adapter);
    names.push_back(lin->name);
  }
  model.RegisterAdapterParameters(entries);
  return names;
}

}  // namespace pn
