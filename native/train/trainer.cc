#include "train/trainer.h"

#include <cmath>

#include "common/errors.h"

namespace pn {

double GradientNorm(const std::vector<torch::Tensor>& params) {
  // One pass per gradient in its own dtype (as clip_grad_norm_), the per-tensor norms combined in float64.
  std::vector<torch::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().norm().to(torch::kFloat64));
  }
  if (norms.empty()) return 0.0;
  return torch::stack(norms).norm().item<double>();
}

Trainer::Trainer(std::shared_ptr<LlamaModel> model, const TrainerOptions& options) : model_(std::move(model)), options_(options) {
  if (!(options_.lr >= 0)) throw UserError("learning rate must be >= 0");
  if (!(options_.weightDecay >= 0)) throw UserError("weight decay must be >= 0");
  if (!(options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 && options_.beta2 < 1)) {
    throw UserError("AdamW betas must be in [0, 1)");
  }
  if (!(options_.eps > 0)) throw UserError("AdamW eps must be positive");
  std::vector<torch::Tensor> decay, noDecay;
  for (const auto& name : model_->ParameterNames(/*trainableOnly=*/true)) {
    torch::Tensor p = model_->Parameter(name);
    params_.push_back(p);
    (options_.noDecay.count(name) ? noDecay : decay).push_back(p);
  }
  if (params_.empty()) throw UserError("the model has no trainable parameters: apply LoRA or enable full finetuning first");
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto groupOptions = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(options_.lr)
                                                            .betas({options_.beta1, options_.beta2})
                                                            .eps(options_.eps)
                                                            .weight_decay(wd));
  };
  if (!decay.empty()) groups.emplace_back(decay, groupOptions(options_.weightDecay));
  if (!noDecay.empty()) groups.emplace_back(noDecay, groupOptions(0.0));
  optimizer_ = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(options_.lr));
}

AccumulateResult Trainer::Accumulate(const TokenBatch& batch, double normalizer) {
  if (!(normalizer > 0)) throw UserError("the loss normalizer (target tokens in the update) must be positive");
  if (!batch.labels.defined()) throw UserError("training batches need labels");
  ForwardOutput out = model_->Forward(batch, /*wantLogits=*/false, /*training=*/true);
  if (out.targetTokens > 0) (out.lossSum / normalizer).backward();
  AccumulateResult r;
  r.lossSum = out.lossSum.item<double>();
  r.targetTokens = out.targetTokens;
  pendingLossSum_ += r.lossSum;
  pendingTokens_ += r.targetTokens;
  return r;
}

StepResult Trainer::Update(double lr) {
  if (!(lr >= 0)) throw UserError("learning rate must be >= 0");
  StepResult r;
  r.targetTokens = pendingTokens_;
  r.loss = pendingTokens_ > 0 ? pendingLossSum_ / static_cast<double>(pendingTokens_) : 0.0;
  r.gradNorm = GradientNorm(params_);
  if (options_.maxGradNorm > 0 && std::isfinite(r.gradNorm) && r.gradNorm > options_.maxGradNorm) {
    // Same rule as torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6).
    const double coef = options_.maxGradNorm / (r.gradNorm + 1e-6);
    torch::NoGradGuard noGrad;
    for (auto& p : params_) {
      if (p.grad().defined()) p.grad().mul_(coef);
    }
  }
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  optimizer_->step();
  optimizer_->zero_grad(/*set_to_none=*/true);
  pendingLossSum_ = 0;
  pendingTokens_ = 0;
  return r;
}

}  // namespace pn
