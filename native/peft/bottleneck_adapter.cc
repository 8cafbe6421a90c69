#include "peft/bottleneck_adapter.h"

#include <cmath>

#include "common/errors.h"

namespace pn {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

torch::Tensor Activate(const torch::Tensor& z, AdapterActivation a) {
  switch (a) {
    case AdapterActivation::kSilu: return torch::silu(z);
    case AdapterActivation::kRelu: return torch::relu(z);
    case AdapterActivation::kGelu: return torch::gelu(z);  // exact (erf) GELU, as torch.nn.GELU()
    // The study's released adapter: SiLU inside adapter_down and again in forward (src/peft/tuners/adapter.py).
    case AdapterActivation::kSiluSilu: return torch::silu(torch::silu(z));
  }
  throw std::logic_error("unknown activation");
}

// d act(z) / dz.
torch::Tensor ActivationDerivative(const torch::Tensor& z, AdapterActivation a) {
  switch (a) {
    case AdapterActivation::kSilu: {
      torch::Tensor s = torch::sigmoid(z);
      return s * (1 + z * (1 - s));
    }
    case AdapterActivation::kSiluSilu: {
      // silu'(silu(z)) * silu'(z)
      torch::Tensor s = torch::sigmoid(z);
      torch::Tensor u = z * s;
      torch::Tensor su = torch::sigmoid(u);
      return su * (1 + u * (1 - su)) * (s * (1 + z * (1 - s)));
    }
    case AdapterActivation::kRelu: return (z > 0).to(z.scalar_type());
    case AdapterActivation::kGelu: {
      // Φ(z) + z φ(z)
      torch::Tensor cdf = 0.5 * (1 + torch::erf(z * M_SQRT1_2));
      torch::Tensor pdf = torch::exp(-0.5 * z * z) * (M_2_SQRTPI * M_SQRT1_2 * 0.5);
      return cdf + z * pdf;
    }
  }
  throw std::logic_error("unknown activation");
}

}  // namespace

AdapterActivation ParseAdapterActivation(const std::string& name) {
  if (name == "silu") return AdapterActivation::kSilu;
  if (name == "relu") return AdapterActivation::kRelu;
  if (name == "gelu") return AdapterActivation::kGelu;
  if (name == "silu-silu") return AdapterActivation::kSiluSilu;
  throw UserError("adapter activation must be silu, silu-silu, relu or gelu, got \"" + name + "\"");
}

torch::Tensor BottleneckAdapterFunction::forward(AutogradContext* ctx, const torch::Tensor& y,
                                                 const torch::Tensor& downWeight, const torch::Tensor& downBias,
                                                 const torch::Tensor& upWeight, const torch::Tensor& upBias,
                                                 int64_t activation) {
  const auto act = static_cast<AdapterActivation>(activation);
  torch::Tensor z = torch::linear(y, downWeight, downBias);  // [..., m]
  torch::Tensor a = Activate(z, act);
  torch::Tensor out = torch::linear(a, upWeight, upBias).add_(y);
  // z is kept (a is recomputed from it in backward): one bottleneck-sized activation per call.
  ctx->save_for_backward({y, downWeight, upWeight, z});
  ctx->saved_data["activation"] = activation;
  return out;
}

variable_list BottleneckAdapterFunction::backward(AutogradContext* ctx, variable_list gradOutputs) {
  auto saved = ctx->get_saved_variables();
  const torch::Tensor& y = saved[0];
  const torch::Tensor& downWeight = saved[1];
  const torch::Tensor& upWeight = saved[2];
  const torch::Tensor& z = saved[3];
  const auto act = static_cast<AdapterActivation>(ctx->saved_data["activation"].toInt());

  // The GEMMs run in the forward's compute dtype, the incoming gradient's (bfloat16 under autocast, where the
  // float32 weights meet bfloat16 activations); autograd casts each gradient back to its input's dtype.
  const torch::ScalarType ct = gradOutputs[0].scalar_type();
  const int64_t d = y.size(-1), m = z.size(-1);
  torch::Tensor g2 = gradOutputs[0].reshape({-1, d});
  torch::Tensor y2 = y.reshape({-1, d}).to(ct);
  torch::Tensor z2 = z.reshape({-1, m}).to(ct);
  torch::Tensor a2 = Activate(z2, act);
  torch::Tensor gradA = torch::matmul(g2, upWeight.to(ct));        // [N, m]
  torch::Tensor gradZ = gradA * ActivationDerivative(z2, act);     // [N, m]
  torch::Tensor gradY, gradDownW, gradDownB, gradUpW, gradUpB;
  if (ctx->needs_input_grad(0)) gradY = torch::matmul(gradZ, downWeight.to(ct)).add_(g2).reshape(y.sizes());
  if (ctx->needs_input_grad(1)) gradDownW = torch::matmul(gradZ.t(), y2);  // [m, d]
  if (ctx->needs_input_grad(2)) gradDownB = gradZ.sum(0);
  if (ctx->needs_input_grad(3)) gradUpW = torch::matmul(g2.t(), a2);       // [d, m]
  if (ctx->needs_input_grad(4)) gradUpB = g2.sum(0);
  return {gradY, gradDownW, gradDownB, gradUpW, gradUpB, torch::Tensor()};
}

torch::Tensor BottleneckAdapter::Forward(const torch::Tensor& y) const {
  return BottleneckAdapterFunction::apply(y, downWeight, downBias, upWeight, upBias, static_cast<int64_t>(activation));
}

torch::Tensor BottleneckAdapterReference(const torch::Tensor& y, const torch::Tensor& downWeight,
                                         const torch::Tensor& downBias, const torch::Tensor& upWeight,
                                         const torch::Tensor& upBias, AdapterActivation activation) {
  return y + torch::linear(Activate(torch::linear(y, downWeight, downBias), activation), upWeight, upBias);
}

}  // namespace pn
