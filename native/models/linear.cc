#include "models/linear.h"

#include "peft/dora_linear.h"
#include "peft/ia3.h"
#include "peft/lora_linear.h"

namespace pn {

torch::Tensor Linear::Forward(const torch::Tensor& x, bool training) const {
  if (hasIa3) return Ia3Linear(x, weight, bias, ia3.scale, ia3.feedforward);
  if (!hasLora) return torch::linear(x, weight, bias);
  torch::Tensor mask;
  if (training && lora.dropout > 0) {
    mask = torch::empty_like(x).bernoulli_(1.0 - lora.dropout).div_(1.0 - lora.dropout);
  }
  if (lora.magnitude.defined()) return DoraLinear(x, weight, bias, lora.a, lora.b, lora.magnitude, lora.scaling, mask);
  return LoraLinear(x, weight, bias, lora.a, lora.b, lora.scaling, mask);
}

}  // namespace pn
