#include "models/linear.h"

#include "peft/lora_linear.h"

namespace pn {

torch::Tensor Linear::Forward(const torch::Tensor& x, bool training) const {
  if (!hasLora) return torch::linear(x, weight, bias);
  torch::Tensor mask;
  if (training && lora.dropout > 0) {
    mask = torch::empty_like(x).bernoulli_(1.0 - lora.dropout).div_(1.0 - lora.dropout);
  }
  return LoraLinear(x, weight, bias, lora.a, lora.b, lora.scaling, mask);
}

}  // namespace pn
