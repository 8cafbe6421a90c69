#include "peft/lora_linear.h"

namespace pn {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor LoraLinearFunction::forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                                          const std::optional<torch::Tensor>& biasArg, const torch::Tensor& loraA,
                                          const torch::Tensor& loraB, double scaling,
                                          const std::optional<torch::Tensor>& maskArg) {
  const torch::Tensor bias = biasArg.value_or(torch::Tensor());
  const torch::Tensor dropoutMask = maskArg.value_or(torch::Tensor());
  torch::Tensor xd = dropoutMask.defined() ? x * dropoutMask : x;
  torch::Tensor down = torch::matmul(xd, loraA.t());  // [..., r]
  torch::Tensor y = torch::linear(x, weight, bias);
  y.add_(torch::matmul(down, loraB.t()), scaling);
  // x is kept instead of drop(x): the mask is cheaper to keep than a second activation. It is kept in the
  // forward's compute dtype (y's: bfloat16 under autocast), which is what the backward's GEMMs read.
  ctx->save_for_backward({x.to(y.scalar_type()), weight, loraA, loraB, dropoutMask, down});
  ctx->saved_data["scaling"] = scaling;
  ctx->saved_data["has_bias"] = bias.defined();
  return y;
}

variable_list LoraLinearFunction::backward(AutogradContext* ctx, variable_list gradOutputs) {
  auto saved = ctx->get_saved_variables();
  const torch::Tensor& x = saved[0];
  const torch::Tensor& weight = saved[1];
  const torch::Tensor& loraA = saved[2];
  const torch::Tensor& loraB = saved[3];
  const torch::Tensor& dropoutMask = saved[4];
  const torch::Tensor& down = saved[5];
  const double scaling = ctx->saved_data["scaling"].toDouble();
  const bool hasBias = ctx->saved_data["has_bias"].toBool();

  // Every GEMM runs in the forward's compute dtype, the incoming gradient's: float32, or bfloat16 under autocast
  // (float32 accumulation inside the GEMM, as autocast's own backward). A frozen base stored in bfloat16
  // (ModelHost::SetPrecision) is read as it is; a float32 one is cast as autocast's forward did. Autograd casts
  // each input gradient back to its input's dtype (the adapters' float32).
  const torch::Tensor& g = gradOutputs[0];
  const torch::ScalarType ct = g.scalar_type();
  const int64_t outFeatures = g.size(-1);
  const int64_t inFeatures = x.size(-1);
  const int64_t rank = loraA.size(0);
  // Flatten leading dims so each weight gradient is one matmul.
  torch::Tensor g2 = g.reshape({-1, outFeatures});
  torch::Tensor x2 = x.reshape({-1, inFeatures}).to(ct);
  torch::Tensor down2 = down.reshape({-1, rank}).to(ct);
  torch::Tensor a = loraA.to(ct), b = loraB.to(ct);
  torch::Tensor mask2 = dropoutMask.defined() ? dropoutMask.reshape({-1, inFeatures}).to(ct) : torch::Tensor();

  // needs_input_grad counts only the tensor inputs that were given: no bias shifts A and B down by one.
  const size_t edgeA = hasBias ? 3 : 2;
  const size_t edgeB = edgeA + 1;
  torch::Tensor gradDown = torch::matmul(g2, b) * scaling;  // [N, r]
  torch::Tensor gradX, gradW, gradBias, gradA, gradB;
  if (ctx->needs_input_grad(0)) {
    torch::Tensor gradXd = torch::matmul(gradDown, a);  // [N, in]
    if (mask2.defined()) gradXd = gradXd * mask2;
    gradX = torch::matmul(g2, weight.to(ct)).add_(gradXd).reshape(x.sizes());
  }
  if (ctx->needs_input_grad(1)) gradW = torch::matmul(g2.t(), x2);
  if (hasBias && ctx->needs_input_grad(2)) gradBias = g2.sum(0);
  if (ctx->needs_input_grad(edgeA)) gradA = torch::matmul(gradDown.t(), mask2.defined() ? x2 * mask2 : x2);  // [r, in]
  if (ctx->needs_input_grad(edgeB)) gradB = torch::matmul(g2.t(), down2) * scaling;  // [out, r]
  return {gradX, gradW, gradBias, gradA, gradB, torch::Tensor(), torch::Tensor()};
}

torch::Tensor LoraLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                         const torch::Tensor& loraA, const torch::Tensor& loraB, double scaling,
                         const torch::Tensor& dropoutMask) {
  auto optional = [](const torch::Tensor& t) { return t.defined() ? std::optional<torch::Tensor>(t) : std::nullopt; };
  return LoraLinearFunction::apply(x, weight, optional(bias), loraA, loraB, scaling, optional(dropoutMask));
}

}  // namespace pn
