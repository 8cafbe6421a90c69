// exports.testing.bottleneckAdapterGradients: the bottleneck adapter Function's hand-written backward next
// to autograd through plain ops and central finite differences of L = sum(out * R), in float64
// (test/adapter-gradcheck.test.ts compares them).
#include <ATen/CPUGeneratorImpl.h>

#include "bindings/js_args.h"
#include "common/errors.h"
#include "peft/bottleneck_adapter.h"
#include "testing/gradcheck.h"

namespace pn {

Napi::Value BottleneckAdapterGradients(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "options");
    const AdapterActivation act = ParseAdapterActivation(GetStringOr(o, "activation", "silu", "options"));
    const uint64_t seed = static_cast<uint64_t>(GetNumberOr(o, "seed", 0, "options"));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    auto randn = [&](std::vector<int64_t> shape) { return torch::empty(shape, f64).normal_(0, 1, gen); };
    const int64_t d = 6, m = 3;
    // y, down W, down b, up W, up b
    std::vector<torch::Tensor> base = {randn({2, 4, d}), randn({m, d}), randn({m}), randn({d, m}), randn({d})};
    torch::Tensor r = randn({2, 4, d});

    std::vector<torch::Tensor> leaves;
    for (auto& t : base) leaves.push_back(t.clone().set_requires_grad(true));
    BottleneckAdapter adapter;
    adapter.downWeight = leaves[1];
    adapter.downBias = leaves[2];
    adapter.upWeight = leaves[3];
    adapter.upBias = leaves[4];
    adapter.activation = act;
    torch::Tensor out = adapter.Forward(leaves[0]);
    auto custom = torch::autograd::grad({(out * r).sum()}, leaves);
    torch::Tensor ref = BottleneckAdapterReference(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], act);
    auto autograd = torch::autograd::grad({(ref * r).sum()}, leaves);
    auto numeric = FiniteDifferences(base, [&](const std::vector<torch::Tensor>& p) {
      return (BottleneckAdapterReference(p[0], p[1], p[2], p[3], p[4], act) * r).sum().item<double>();
    });

    return GradientReport(info.Env(), {"input", "downWeight", "downBias", "upWeight", "upBias"}, custom, autograd, numeric);
  });
}

}  // namespace pn
