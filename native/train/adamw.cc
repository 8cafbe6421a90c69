#include "train/adamw.h"

#include <map>
#include <stdexcept>
#include <string>
#include <tuple>

namespace pn {

FusedAdamW::FusedAdamW(const std::vector<torch::Tensor>& params, const std::vector<double>& weightDecay, double beta1,
                       double beta2, double eps)
    : beta1_(beta1), beta2_(beta2), eps_(eps) {
  if (params.size() != weightDecay.size()) throw std::logic_error("FusedAdamW: one weight decay per parameter");
  for (size_t i = 0; i < params.size(); ++i) {
    Slot s;
    s.param = params[i];
    s.weightDecay = weightDecay[i];
    slots_.push_back(std::move(s));
  }
}

void FusedAdamW::Step(double lr) {
  torch::NoGradGuard noGrad;
  // One fused call per (weight decay, device, dtype): the kernel takes one decay, and lists on one device of one dtype.
  using Key = std::tuple<double, std::string, c10::ScalarType>;
  struct Lists {
    std::vector<torch::Tensor> params, grads, expAvgs, expAvgSqs, steps;
  };
  std::map<Key, Lists> calls;
  for (auto& s : slots_) {
    const torch::Tensor& grad = s.param.grad();
    if (!grad.defined()) continue;
    if (!s.step.defined()) {
      s.expAvg = torch::zeros_like(s.param, at::MemoryFormat::Preserve);
      s.expAvgSq = torch::zeros_like(s.param, at::MemoryFormat::Preserve);
      s.step = torch::zeros({}, s.param.options().dtype(torch::kFloat32));
    } else if (s.step.device() != s.param.device()) {
      // The model moved after earlier steps (LlamaModel::To): the state follows its parameter.
      s.expAvg = s.expAvg.to(s.param.device());
      s.expAvgSq = s.expAvgSq.to(s.param.device());
      s.step = s.step.to(s.param.device());
    }
    Lists& l = calls[Key{s.weightDecay, s.param.device().str(), s.param.scalar_type()}];
    l.params.push_back(s.param);
    l.grads.push_back(grad);
    l.expAvgs.push_back(s.expAvg);
    l.expAvgSqs.push_back(s.expAvgSq);
    l.steps.push_back(s.step);
  }
  for (auto& [key, l] : calls) {
    // As torch.optim.AdamW(fused=True): the caller counts the step, the kernel reads it for the bias correction.
    at::_foreach_add_(l.steps, 1);
    at::_fused_adamw_(l.params, l.grads, l.expAvgs, l.expAvgSqs, /*max_exp_avg_sqs=*/{}, l.steps, lr, beta1_, beta2_,
                      std::get<0>(key), eps_, /*amsgrad=*/false, /*maximize=*/false);
  }
}

FusedAdamW::ParamState FusedAdamW::State(size_t index) const {
  const Slot& s = slots_.at(index);
  ParamState out;
  if (!s.step.defined()) return out;
  out.expAvg = s.expAvg;
  out.expAvgSq = s.expAvgSq;
  out.step = static_cast<int64_t>(s.step.item<float>());
  return out;
}

void FusedAdamW::SetState(size_t index, const torch::Tensor& expAvg, const torch::Tensor& expAvgSq, int64_t step) {
  Slot& s = slots_.at(index);
  if (step <= 0) {
    s.expAvg = s.expAvgSq = s.step = torch::Tensor();
    return;
  }
  const auto like = s.param.options();
  s.expAvg = expAvg.to(like, /*non_blocking=*/false, /*copy=*/true);
  s.expAvgSq = expAvgSq.to(like, /*non_blocking=*/false, /*copy=*/true);
  s.step = torch::full({}, static_cast<double>(step), like.dtype(torch::kFloat32));
}

}  // namespace pn
