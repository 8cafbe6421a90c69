// exports.testing.loraLinearGradients: the LoRA Function's hand-written backward next to two independent
// references, in float64 — autograd through the same math written as plain ops, and central finite
// differences of the scalar L = sum(y * R). The test compares them (test/lora-gradcheck.test.ts).
#include <ATen/CPUGeneratorImpl.h>
#include "common/torch_api.h"

#include "bindings/js_args.h"
#include "bindings/registry.h"
#include "common/errors.h"
#include "peft/lora_linear.h"
#include "testing/allocator_stress.h"
#include "testing/gradcheck.h"

namespace pn {
namespace {

struct Inputs {
  torch::Tensor x, w, b, a, bl, mask, r;
  double scaling = 0;
};

torch::Tensor Reference(const Inputs& in, const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                        const torch::Tensor& a, const torch::Tensor& bl) {
  torch::Tensor xd = in.mask.defined() ? x * in.mask : x;
  return torch::linear(x, w, b) + in.scaling * torch::matmul(torch::matmul(xd, a.t()), bl.t());
}

Napi::Value LoraLinearGradients(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "options");
    const double dropout = GetNumberOr(o, "dropout", 0.0, "options");
    const bool withBias = GetBoolOr(o, "bias", true, "options");
    const uint64_t seed = static_cast<uint64_t>(GetNumberOr(o, "seed", 0, "options"));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    auto randn = [&](std::vector<int64_t> shape) { return torch::empty(shape, f64).normal_(0, 1, gen); };

    Inputs in;
    in.x = randn({2, 3, 5});
    in.w = randn({4, 5});
    in.b = withBias ? randn({4}) : torch::Tensor();
    in.a = randn({2, 5});
    in.bl = randn({4, 2});
    in.r = randn({2, 3, 4});
    in.scaling = 1.7;
    if (dropout > 0) in.mask = torch::empty({2, 3, 5}, f64).bernoulli_(1 - dropout, gen).div_(1 - dropout);

    std::vector<torch::Tensor> leaves = {in.x.clone(), in.w.clone(), in.a.clone(), in.bl.clone()};
    if (withBias) leaves.push_back(in.b.clone());
    for (auto& t : leaves) t.set_requires_grad(true);
    torch::Tensor biasLeaf = withBias ? leaves[4] : torch::Tensor();

    // 1. The hand-written backward.
    torch::Tensor y = LoraLinear(leaves[0], leaves[1], biasLeaf, leaves[2], leaves[3], in.scaling, in.mask);
    auto custom = torch::autograd::grad({(y * in.r).sum()}, leaves);
    // 2. Autograd through plain ops.
    torch::Tensor yRef = Reference(in, leaves[0], leaves[1], biasLeaf, leaves[2], leaves[3]);
    auto autograd = torch::autograd::grad({(yRef * in.r).sum()}, leaves);
    // 3. Central finite differences, element by element.
    std::vector<torch::Tensor> base = {in.x, in.w, in.a, in.bl};
    if (withBias) base.push_back(in.b);
    auto numeric = FiniteDifferences(base, [&](const std::vector<torch::Tensor>& p) {
      torch::Tensor yy = Reference(in, p[0], p[1], withBias ? p[4] : torch::Tensor(), p[2], p[3]);
      return (yy * in.r).sum().item<double>();
    });
    std::vector<const char*> names = {"x", "weight", "loraA", "loraB"};
    if (withBias) names.push_back("bias");
    return GradientReport(info.Env(), names, custom, autograd, numeric);
  });
}

}  // namespace

void RegisterTesting(Napi::Env env, Napi::Object exports) {
  auto testing = Napi::Object::New(env);
  testing.Set("loraLinearGradients", Napi::Function::New(env, LoraLinearGradients, "loraLinearGradients"));
  testing.Set("bottleneckAdapterGradients",
              Napi::Function::New(env, BottleneckAdapterGradients, "bottleneckAdapterGradients"));
  // The external memory V8 has been told of (every addon's reports together): what dispose tests observe.
  testing.Set("externalMemory", Napi::Function::New(
                                    env,
                                    [](const Napi::CallbackInfo& info) -> Napi::Value {
                                      return Napi::Number::New(
                                          info.Env(), static_cast<double>(Napi::MemoryManagement::AdjustExternalMemory(info.Env(), 0)));
                                    },
                                    "externalMemory"));
  testing.Set("cpuAllocatorStress", Napi::Function::New(env, CpuAllocatorStress, "cpuAllocatorStress"));
  exports.Set("testing", testing);
}

}  // namespace pn
