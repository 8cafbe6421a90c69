#include "train/trainer.h"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <sstream>

#include "common/autocast_guard.h"
#include "common/device.h"
#include "common/errors.h"
#include "common/large_block_cache.h"

namespace pn {

torch::Tensor GradientNorm(const std::vector<torch::Tensor>& params) {
  // One pass per gradient in its own dtype (as clip_grad_norm_), the per-tensor norms combined in float64.
  std::vector<torch::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().norm().to(torch::kFloat64));
  }
  if (norms.empty()) return torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(params.front().device()));
  return torch::stack(norms).norm();
}

Trainer::Trainer(std::shared_ptr<ModelHost> model, const TrainerOptions& options) : model_(std::move(model)), options_(options) {
  if (!(options_.weightDecay >= 0)) throw UserError("weight decay must be >= 0");
  if (!(options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 && options_.beta2 < 1)) {
    throw UserError("AdamW betas must be in [0, 1)");
  }
  if (!(options_.eps > 0)) throw UserError("AdamW eps must be positive");
  if (model_->baseDtype() != torch::kFloat32 && !options_.bf16) {
    throw UserError("the model's base is stored in bfloat16: train it with precision bf16");
  }
  std::vector<double> weightDecay;
  for (const auto& name : model_->ParameterNames(/*trainableOnly=*/true)) {
    names_.push_back(name);
    params_.push_back(model_->Parameter(name));
    weightDecay.push_back(options_.noDecay.count(name) ? 0.0 : options_.weightDecay);
  }
  if (params_.empty()) throw UserError("the model has no trainable parameters: apply LoRA or enable full finetuning first");
  optimizer_ = std::make_unique<FusedAdamW>(params_, weightDecay, options_.beta1, options_.beta2, options_.eps);
}

namespace {

// Reseeds the default generators a forward on `device` draws dropout masks from.
void SeedDropout(const torch::Device& device, int64_t seed) {
  std::vector<at::Generator> generators{at::globalContext().defaultGenerator(at::kCPU)};
  if (device.is_cuda()) generators.push_back(at::globalContext().defaultGenerator(device));
  for (auto& gen : generators) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(static_cast<uint64_t>(seed));
  }
}

}  // namespace

torch::Tensor Trainer::Backward(const TokenBatch& batch, double normalizer, int64_t dropoutSeed) {
  if (!batch.labels.defined()) throw UserError("training batches need labels");
  if (dropoutSeed >= 0) SeedDropout(params_.front().device(), dropoutSeed);
  ForwardOutput out;
  {
    AutocastGuard autocast(params_.front().device().type(), options_.bf16, at::kBFloat16);
    out = model_->Forward(batch, /*wantLogits=*/false, /*training=*/true);
  }
  if (out.targetTokens > 0) (out.lossSum / normalizer).backward();
  // Summed in float64, as the per-step loss always was.
  torch::Tensor lossSum = out.lossSum.detach().to(torch::kFloat64);
  pendingLossSum_ = pendingLossSum_.defined() ? pendingLossSum_ + lossSum : lossSum;
  pendingTokens_ += out.targetTokens;
  return lossSum;
}

AccumulateResult Trainer::Accumulate(const TokenBatch& batch, double normalizer, int64_t dropoutSeed) {
  LargeBlockCacheScope cache;
  if (!(normalizer > 0)) throw UserError("the loss normalizer (target tokens in the update) must be positive");
  const int64_t before = pendingTokens_;
  AccumulateResult r;
  r.lossSum = Backward(batch, normalizer, dropoutSeed).item<double>();
  r.targetTokens = pendingTokens_ - before;
  return r;
}

std::vector<int64_t> OptimizerShards(const std::vector<int64_t>& numels, int64_t ranks) {
  std::vector<size_t> order(numels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return numels[a] > numels[b]; });
  std::vector<int64_t> load(static_cast<size_t>(ranks), 0), owner(numels.size(), 0);
  for (size_t i : order) {
    const auto least = std::min_element(load.begin(), load.end());  // the first of equal loads: the lower rank
    owner[i] = least - load.begin();
    *least += numels[i];
  }
  return owner;
}

void Trainer::JoinProcessGroup(std::shared_ptr<ProcessGroup> group, bool shardOptimizerState) {
  if (pendingTokens_ != 0) throw UserError("a trainer joins a process group between steps, not in an accumulation");
  group->Broadcast(params_, /*root=*/0);
  group_ = std::move(group);
  reducer_.reset();  // a previous group's hooks go before the new reducer sets its own
  if (Distributed()) reducer_ = std::make_unique<GradientReducer>(group_, params_, options_.bucketBytes);
  stateOwner_.clear();
  if (shardOptimizerState && Distributed()) {
    std::vector<int64_t> numels;
    for (const auto& p : params_) numels.push_back(p.numel());
    stateOwner_ = OptimizerShards(numels, group_->worldSize());
    for (size_t i = 0; i < params_.size(); ++i) {
      if (!OwnsState(i)) optimizer_->SetState(i, torch::Tensor(), torch::Tensor(), 0);
    }
  }
}

void Trainer::ShardedOptimizerStep(double lr) {
  torch::NoGradGuard noGrad;
  // FusedAdamW steps only parameters with a gradient: the others' state is not created or touched.
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!OwnsState(i)) params_[i].mutable_grad() = torch::Tensor();
  }
  optimizer_->Step(lr);
  for (int64_t rank = 0; rank < group_->worldSize(); ++rank) {
    std::vector<torch::Tensor> owned;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (stateOwner_[i] == rank) owned.push_back(params_[i]);
    }
    group_->Broadcast(owned, rank);
  }
}

void Trainer::SumOverRanks() {
  torch::NoGradGuard noGrad;
  if (!gradientsSummed_) {
    std::vector<torch::Tensor> grads;
    for (auto& p : params_) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    group_->AllReduceSum(grads);
  }
  gradientsSummed_ = false;
  const torch::Device device = params_.front().device();
  torch::Tensor lossSum = pendingLossSum_.defined() ? pendingLossSum_.to(device)
                                                    : torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  torch::Tensor totals = torch::stack({lossSum, torch::full({}, static_cast<double>(pendingTokens_), lossSum.options())});
  group_->AllReduceSum({totals});
  pendingLossSum_ = totals[0];
  pendingTokens_ = static_cast<int64_t>(std::llround(totals[1].item<double>()));
}

StepResult Trainer::Step(const std::vector<TokenBatch>& microBatches, double lr, const std::vector<int64_t>& dropoutSeeds) {
  LargeBlockCacheScope cache;
  if (microBatches.empty() && !Distributed()) throw UserError("step needs at least one batch");
  if (!(lr >= 0)) throw UserError("learning rate must be >= 0");
  if (pendingTokens_ != 0) throw UserError("step cannot follow accumulate: call update first");
  int64_t targets = 0;
  for (const auto& b : microBatches) {
    if (!b.labels.defined()) throw UserError("training batches need labels");
    targets += model_->CountTargets(b);  // host tensors: no device work
  }
  if (Distributed()) {
    // The normalizer is the whole step's target count, over every rank.
    torch::Tensor count = torch::full({1}, static_cast<double>(targets), torch::kFloat64);
    group_->AllReduceSum({count});
    targets = static_cast<int64_t>(std::llround(count.item<double>()));
  }
  if (targets == 0) throw UserError("the update's batches have no target tokens (all labels are -100)");
  if (!dropoutSeeds.empty() && dropoutSeeds.size() != microBatches.size()) throw std::logic_error("Trainer::Step: one dropout seed per micro-batch");
  for (size_t i = 0; i < microBatches.size(); ++i) {
    // The last backward completes this rank's gradients: their buckets start summing as they are done.
    if (reducer_ && i + 1 == microBatches.size()) reducer_->Arm();
    Backward(microBatches[i], static_cast<double>(targets), dropoutSeeds.empty() ? -1 : dropoutSeeds[i]);
  }
  if (reducer_) {
    if (microBatches.empty()) reducer_->Arm();
    reducer_->Finish();
    gradientsSummed_ = true;
  }
  StepResult result = Update(lr);
  if (reducer_) {
    result.buckets = reducer_->buckets();
    result.bucketsOverlapped = reducer_->bucketsStartedInBackward();
  }
  return result;
}

int64_t Trainer::HostStateBytes() const {
  int64_t bytes = 0;
  for (size_t i = 0; i < optimizer_->size(); ++i) {
    const FusedAdamW::ParamState state = optimizer_->State(i);
    for (const torch::Tensor* t : {&state.expAvg, &state.expAvgSq}) {
      if (t->defined() && t->device().is_cpu()) bytes += static_cast<int64_t>(t->nbytes());
    }
  }
  return bytes;
}

int64_t Trainer::ParametersWithState() const {
  int64_t n = 0;
  for (size_t i = 0; i < optimizer_->size(); ++i) n += optimizer_->State(i).step > 0;
  return n;
}

StepResult Trainer::Update(double lr) {
  LargeBlockCacheScope cache;
  if (!(lr >= 0)) throw UserError("learning rate must be >= 0");
  const torch::Device device = params_.front().device();
  if (Distributed()) SumOverRanks();
  torch::Tensor gradNorm = GradientNorm(params_);
  if (options_.maxGradNorm > 0) {
    // torch.nn.utils.clip_grad_norm_'s rule: scale by max / (norm + 1e-6) where the norm exceeds max; a
    // non-finite norm leaves the gradients as they are (the run's divergence check sees it).
    const double maxNorm = options_.maxGradNorm;
    torch::Tensor clip = torch::isfinite(gradNorm).logical_and(gradNorm > maxNorm);
    torch::Tensor coef = torch::where(clip, maxNorm / (gradNorm + 1e-6), torch::ones_like(gradNorm));
    torch::NoGradGuard noGrad;
    for (auto& p : params_) {
      if (p.grad().defined()) p.grad().mul_(coef);
    }
  }
  if (stateOwner_.empty()) {
    optimizer_->Step(lr);
  } else {
    ShardedOptimizerStep(lr);
  }
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  // The one device sync: the values are copied after the step's kernels on the same stream, so the step is
  // done when they arrive (the caller's step time measures it, and JS never queues ahead).
  torch::Tensor lossSum = pendingLossSum_.defined() ? pendingLossSum_.to(device) : torch::zeros({}, gradNorm.options());
  torch::Tensor values = torch::stack({lossSum, gradNorm}).cpu();
  StepResult r;
  r.targetTokens = pendingTokens_;
  r.loss = pendingTokens_ > 0 ? values[0].item<double>() / static_cast<double>(pendingTokens_) : 0.0;
  r.gradNorm = values[1].item<double>();
  pendingLossSum_ = torch::Tensor();
  pendingTokens_ = 0;
  return r;
}

}  // namespace pn

namespace pn {
namespace {

// The default generators whose state a checkpoint keeps: the CPU one and one per CUDA device.
std::vector<std::pair<std::string, at::Generator>> DefaultGenerators() {
  std::vector<std::pair<std::string, at::Generator>> out{{"rng/cpu", at::globalContext().defaultGenerator(at::kCPU)}};
  if (torch::cuda::is_available()) {
    const int64_t n = static_cast<int64_t>(torch::cuda::device_count());
    for (int64_t i = 0; i < n; ++i) {
      out.emplace_back("rng/cuda:" + std::to_string(i), at::globalContext().defaultGenerator(c10::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i))));
    }
  }
  return out;
}

std::string Describe(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> Trainer::ExportState() const {
  if (pendingTokens_ != 0) throw UserError("the trainer state cannot be saved in the middle of an accumulation (call update first)");
  std::vector<std::pair<std::string, torch::Tensor>> out;
  // A sharded rank other than 0 writes its AdamW shard only: rank 0's file has the (identical) weights and RNG.
  const bool shardOnly = !stateOwner_.empty() && group_->rank() != 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!shardOnly) out.emplace_back("param/" + names_[i], HostCopy(params_[i]));
    const FusedAdamW::ParamState s = optimizer_->State(i);
    if (s.step == 0) continue;
    out.emplace_back("exp_avg/" + names_[i], HostCopy(s.expAvg));
    out.emplace_back("exp_avg_sq/" + names_[i], HostCopy(s.expAvgSq));
    out.emplace_back("step/" + names_[i], torch::full({1}, s.step, torch::kInt64));
  }
  if (shardOnly) return out;
  for (auto& [key, gen] : DefaultGenerators()) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    out.emplace_back(key, gen.get_state().clone());
  }
  return out;
}

namespace {
constexpr const char* kShardKey = "optimizer_shard";

// The files of a ZeRO-1 checkpoint name their shard; all of one world size, each shard once.
void CheckShardSet(const std::vector<std::shared_ptr<io::SafetensorsFile>>& files) {
  std::map<int64_t, std::string> seen;
  int64_t world = 0;
  for (const auto& f : files) {
    auto it = f->metadata().find(kShardKey);
    if (it == f->metadata().end()) {
      if (files.size() > 1) throw UserError(f->path() + ": not an optimizer-state shard (no \"" + kShardKey + "\" metadata), so it cannot be combined with other state files");
      return;
    }
    int64_t rank = -1, size = 0;
    char slash = 0;
    std::istringstream in(it->second);
    if (!(in >> rank >> slash >> size) || slash != '/' || rank < 0 || rank >= size) {
      throw UserError(f->path() + ": bad \"" + kShardKey + "\" metadata \"" + it->second + "\" (expected <rank>/<world size>)");
    }
    if (world != 0 && size != world) throw UserError(f->path() + ": a shard of a " + std::to_string(size) + "-rank state, the others are of " + std::to_string(world) + " ranks");
    world = size;
    if (!seen.emplace(rank, f->path()).second) throw UserError(f->path() + ": shard " + std::to_string(rank) + " is also " + seen[rank]);
  }
  for (int64_t r = 0; r < world; ++r) {
    if (!seen.count(r)) throw UserError(files.front()->path() + ": the optimizer state is sharded over " + std::to_string(world) + " ranks and shard " + std::to_string(r) + " is missing");
  }
}

}  // namespace

std::map<std::string, std::string> Trainer::StateMetadata() const {
  if (stateOwner_.empty()) return {};
  return {{kShardKey, std::to_string(group_->rank()) + "/" + std::to_string(group_->worldSize())}};
}

void Trainer::ImportState(const std::vector<std::shared_ptr<io::SafetensorsFile>>& files) {
  if (files.empty()) throw UserError("no trainer state file to load");
  CheckShardSet(files);
  const std::string first = files.front()->path() + ": ";
  // Each tensor is in exactly one of the files (rank 0's, or a rank's optimizer shard).
  std::map<std::string, const io::SafetensorsFile*> holder;
  for (const auto& f : files) {
    for (const auto& e : f->tensors()) {
      auto [it, added] = holder.emplace(e.name, f.get());
      if (!added) throw UserError(f->path() + ": tensor \"" + e.name + "\" is also in " + it->second->path() + " (state files of two runs mixed?)");
    }
  }
  auto tensor = [&](const std::string& key, torch::ScalarType dtype, const std::vector<int64_t>& shape) -> torch::Tensor {
    auto it = holder.find(key);
    if (it == holder.end()) return torch::Tensor();
    const io::TensorEntry* e = it->second->Find(key);
    const std::string where = it->second->path() + ": ";
    if (io::DtypeFromName(e->dtype) != dtype) throw UserError(where + "tensor \"" + key + "\" has dtype " + e->dtype + ", expected " + io::DtypeName(dtype));
    if (!shape.empty() && e->shape != shape) {
      throw UserError(where + "tensor \"" + key + "\" has shape " + Describe(e->shape) + ", the model's is " + Describe(shape) +
                      " (a checkpoint of another model or method?)");
    }
    return it->second->View(key);
  };
  std::set<std::string> known;
  struct Restored {
    torch::Tensor value, expAvg, expAvgSq;
    int64_t step = -1;
  };
  std::vector<Restored> restored(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = names_[i];
    const std::vector<int64_t> shape(params_[i].sizes().begin(), params_[i].sizes().end());
    for (const char* kind : {"param/", "exp_avg/", "exp_avg_sq/", "step/"}) known.insert(kind + n);
    Restored& r = restored[i];
    r.value = tensor("param/" + n, params_[i].scalar_type(), shape);
    if (!r.value.defined()) throw UserError(first + "no tensor \"param/" + n + "\": the checkpoint does not hold the trainable parameter " + n);
    r.expAvg = tensor("exp_avg/" + n, params_[i].scalar_type(), shape);
    r.expAvgSq = tensor("exp_avg_sq/" + n, params_[i].scalar_type(), shape);
    torch::Tensor step = tensor("step/" + n, torch::kInt64, {1});
    const int present = r.expAvg.defined() + r.expAvgSq.defined() + step.defined();
    if (present != 0 && present != 3) throw UserError(first + "incomplete AdamW state for " + n + " (needs exp_avg, exp_avg_sq and step)");
    if (step.defined()) {
      r.step = step.item<int64_t>();
      if (r.step < 1) throw UserError(first + "AdamW step of " + n + " must be >= 1, got " + std::to_string(r.step));
    }
  }
  auto generators = DefaultGenerators();
  for (auto& [key, gen] : generators) known.insert(key);
  for (const auto& [name, file] : holder) {
    const bool otherDevice = name.rfind("rng/cuda:", 0) == 0;  // a CUDA run resumed with fewer devices
    if (!known.count(name) && !otherDevice) {
      throw UserError(file->path() + ": unexpected tensor \"" + name + "\": the checkpoint has trainable parameters this run does not (another method or target modules?)");
    }
  }
  if (!holder.count("rng/cpu")) throw UserError(first + "no tensor \"rng/cpu\" (the generator state)");

  // Everything checked: apply. A sharded trainer keeps only the AdamW state it owns.
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    Restored& r = restored[i];
    p.copy_(r.value);
    p.mutable_grad() = torch::Tensor();
    const bool keep = r.step > 0 && OwnsState(i);
    optimizer_->SetState(i, r.expAvg, r.expAvgSq, keep ? r.step : 0);
  }
  for (auto& [key, gen] : generators) {
    auto it = holder.find(key);
    if (it == holder.end()) continue;
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(it->second->View(key).clone());
  }
  pendingLossSum_ = torch::Tensor();
  pendingTokens_ = 0;
}

}  // namespace pn
