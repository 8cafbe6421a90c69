#include "bindings/trainer_binding.h"

#include <cmath>
#include <mutex>

#include "bindings/js_args.h"
#include "bindings/model_binding.h"
#include "bindings/process_group_binding.h"
#include "common/async_task.h"
#include "common/errors.h"
#include "common/op_profile.h"
#include "io/safetensors.h"

namespace pn {
namespace {

// A step's result and the optimizer state's host bytes after it (for V8's accounting).
struct StepOutcome {
  StepResult result;
  int64_t stateBytes = 0;
  std::vector<OpTime> profile;  // step(..., { profile: true }) only
};

Napi::Value StepToJs(Napi::Env env, StepResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("targetTokens", static_cast<double>(r.targetTokens));
  o.Set("gradNorm", r.gradNorm);
  if (r.buckets > 0) {
    o.Set("buckets", static_cast<double>(r.buckets));
    o.Set("bucketsOverlapped", static_cast<double>(r.bucketsOverlapped));
  }
  return o;
}

Napi::Value ProfileToJs(Napi::Env env, const std::vector<OpTime>& ops) {
  auto out = Napi::Array::New(env, ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("name", ops[i].name);
    o.Set("calls", static_cast<double>(ops[i].calls));
    o.Set("totalMs", ops[i].totalMs);
    o.Set("selfMs", ops[i].selfMs);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value AccumulateToJs(Napi::Env env, AccumulateResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("lossSum", r.lossSum);
  o.Set("targetTokens", static_cast<double>(r.targetTokens));
  return o;
}

// A training batch's dropoutSeed (an integer in [0, 2^53)), or -1 when it has none.
int64_t DropoutSeedOf(const Napi::Value& batch) {
  Napi::Value v = batch.As<Napi::Object>().Get("dropoutSeed");
  if (v.IsUndefined()) return -1;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 9007199254740991.0) || d != std::floor(d)) throw UserError("batch.dropoutSeed must be an integer >= 0");
  return static_cast<int64_t>(d);
}

double LearningRateArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsNumber()) throw UserError("lr must be a number");
  double lr = info[index].As<Napi::Number>().DoubleValue();
  if (!(lr >= 0) || !std::isfinite(lr)) throw UserError("lr must be a finite number >= 0");
  return lr;
}

}  // namespace

Napi::Function TrainerWrap::Define(Napi::Env env) {
  return DefineClass(env, "Trainer",
                     {
                         InstanceMethod<&TrainerWrap::Accumulate>("accumulate"),
                         InstanceMethod<&TrainerWrap::Update>("update"),
                         InstanceMethod<&TrainerWrap::Step>("step"),
                         InstanceMethod<&TrainerWrap::JoinProcessGroup>("joinProcessGroup"),
                         InstanceMethod<&TrainerWrap::SaveState>("saveState"),
                         InstanceMethod<&TrainerWrap::LoadState>("loadState"),
                         InstanceMethod<&TrainerWrap::OptimizerState>("optimizerState"),
                         InstanceMethod<&TrainerWrap::Dispose>("dispose"),
                     });
}

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  GuardJs(info.Env(), [&] {
    if (info.Length() < 1) throw UserError("new Trainer(model, options) needs a model");
    std::shared_ptr<ModelHost> model = ModelWrap::ModelOf(info[0]);
    Napi::Object o = ArgObject(info, 1, "trainer options");
    const std::string w = "trainer";
    TrainerOptions opts;
    opts.weightDecay = GetNumberOr(o, "weightDecay", 0.0, w);
    opts.beta1 = GetNumberOr(o, "beta1", 0.9, w);
    opts.beta2 = GetNumberOr(o, "beta2", 0.999, w);
    opts.eps = GetNumberOr(o, "eps", 1e-8, w);
    opts.maxGradNorm = GetNumberOr(o, "maxGradNorm", 1.0, w);
    const double bucketBytes = GetNumberOr(o, "bucketBytes", static_cast<double>(ProcessGroup::kBucketBytes), w);
    if (!(bucketBytes >= 1) || bucketBytes != std::floor(bucketBytes)) throw UserError("trainer.bucketBytes must be a positive integer");
    opts.bucketBytes = static_cast<int64_t>(bucketBytes);
    const std::string precision = GetStringOr(o, "precision", "fp32", w);
    if (precision != "fp32" && precision != "bf16") throw UserError("trainer.precision must be \"fp32\" or \"bf16\", got \"" + precision + "\"");
    opts.bf16 = precision == "bf16";
    if (!o.Get("noDecay").IsUndefined()) {
      for (auto& n : GetStringArray(o.Get("noDecay"), "trainer.noDecay")) opts.noDecay.insert(n);
    }
    std::lock_guard<std::mutex> lock(model->mutex());
    trainer_.Set(std::make_shared<Trainer>(model, opts));
  });
}

TrainerWrap::~TrainerWrap() { trainer_.Dispose(Env()); }

// Drops the optimizer state and this handle's reference to the model.
Napi::Value TrainerWrap::Dispose(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    trainer_.Dispose(info.Env());
    return info.Env().Undefined();
  });
}

Napi::Value TrainerWrap::Accumulate(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    BatchView batch = BatchFromJs(info.Length() > 0 ? info[0] : info.Env().Undefined());
    const int64_t seed = DropoutSeedOf(info[0]);
    if (info.Length() < 2 || !info[1].IsNumber()) throw UserError("accumulate(batch, normalizer) needs a normalizer");
    double normalizer = info[1].As<Napi::Number>().DoubleValue();
    auto trainer = Held();
    return AsyncTask<AccumulateResult>::Start(
        info.Env(),
        [trainer, batch, normalizer, seed] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          return trainer->Accumulate(batch.tokens, normalizer, seed);
        },
        AccumulateToJs, batch.keepAlive);
  });
}

Napi::Value TrainerWrap::Update(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    double lr = LearningRateArg(info, 0);
    auto trainer = Held();
    return AsyncTask<StepOutcome>::Start(
        info.Env(),
        [trainer, lr] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          StepOutcome o{trainer->Update(lr), 0, {}};
          o.stateBytes = trainer->HostStateBytes();
          return o;
        },
        [this](Napi::Env env, StepOutcome& o) {
          ReportHostBytes(env, o.stateBytes);
          return StepToJs(env, o.result);
        }, {info.This()});
  });
}

// joinProcessGroup(group, { shardOptimizerState }): data parallelism over the group's ranks from the next step
// on, with ZeRO-1 where asked (Trainer::JoinProcessGroup).
Napi::Value TrainerWrap::JoinProcessGroup(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::shared_ptr<ProcessGroup> group = ProcessGroupWrap::GroupOf(info.Length() > 0 ? info[0] : info.Env().Undefined());
    bool shard = false;
    if (info.Length() > 1 && !info[1].IsUndefined()) shard = GetBoolOr(ArgObject(info, 1, "joinProcessGroup options"), "shardOptimizerState", false, "joinProcessGroup options");
    auto trainer = Held();
    return AsyncTask<bool>::Start(
        info.Env(),
        [trainer, group, shard] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          trainer->JoinProcessGroup(group, shard);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); }, {info.This()});
  });
}

Napi::Value TrainerWrap::Step(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    // One batch, or the micro-batches of one gradient accumulation.
    Napi::Value arg = info.Length() > 0 ? info[0] : info.Env().Undefined();
    std::vector<TokenBatch> batches;
    std::vector<int64_t> seeds;
    std::vector<Napi::Value> keepAlive;
    auto add = [&](const Napi::Value& value) {
      BatchView view = BatchFromJs(value);
      if (!view.tokens.labels.defined()) throw UserError("step(batches, lr) needs labels in every batch");
      batches.push_back(view.tokens);
      seeds.push_back(DropoutSeedOf(value));
      keepAlive.insert(keepAlive.end(), view.keepAlive.begin(), view.keepAlive.end());
    };
    if (arg.IsArray()) {
      // An empty list is a data-parallel rank without a share of this step (Trainer::Step refuses it otherwise).
      auto array = arg.As<Napi::Array>();
      for (uint32_t i = 0; i < array.Length(); ++i) add(array.Get(i));
    } else {
      add(arg);
    }
    double lr = LearningRateArg(info, 1);
    const bool profile = info.Length() > 2 && info[2].IsObject() && GetBoolOr(info[2].As<Napi::Object>(), "profile", false, "step options");
    auto trainer = Held();
    keepAlive.push_back(info.This());  // `this` stays alive until the result is reported
    return AsyncTask<StepOutcome>::Start(
        info.Env(),
        [trainer, batches, seeds, lr, profile] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          StepOutcome o;
          if (profile) {
            o.profile = ProfileOps([&] { o.result = trainer->Step(batches, lr, seeds); });
          } else {
            o.result = trainer->Step(batches, lr, seeds);
          }
          o.stateBytes = trainer->HostStateBytes();
          return o;
        },
        [this, profile](Napi::Env env, StepOutcome& o) {
          ReportHostBytes(env, o.stateBytes);
          Napi::Value r = StepToJs(env, o.result);
          if (profile) r.As<Napi::Object>().Set("profile", ProfileToJs(env, o.profile));
          return r;
        }, keepAlive);
  });
}

Napi::Value TrainerWrap::SaveState(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    auto metadata = StringMapFromJs(info.Length() > 1 ? info[1] : info.Env().Undefined(), "metadata");
    auto trainer = Held();
    return AsyncTask<bool>::Start(
        info.Env(),
        [trainer, file, metadata]() mutable {
          std::vector<std::pair<std::string, torch::Tensor>> state;
          {
            std::lock_guard<std::mutex> lock(trainer->model()->mutex());
            state = trainer->ExportState();
            for (auto& [key, value] : trainer->StateMetadata()) metadata[key] = value;
          }
          io::WriteSafetensors(file, state, metadata);  // atomic: temporary file, then rename
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  });
}

// loadState(file | files): one state file, or every rank's file of a sharded checkpoint (rank 0's first).
Napi::Value TrainerWrap::LoadState(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    const bool many = info.Length() > 0 && info[0].IsArray();
    std::vector<std::string> paths = many ? GetStringArray(info[0], "loadState files") : std::vector<std::string>{ArgString(info, 0, "file")};
    auto trainer = Held();
    return AsyncTask<bool>::Start(
        info.Env(),
        [trainer, paths] {
          std::vector<std::shared_ptr<io::SafetensorsFile>> opened;
          for (const auto& p : paths) opened.push_back(io::SafetensorsFile::Open(p));
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          trainer->ImportState(opened);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  });
}

// optimizerState(): how much AdamW state this trainer holds (with ZeRO-1: this rank's shard).
Napi::Value TrainerWrap::OptimizerState(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    const auto& trainer = Held();
    std::lock_guard<std::mutex> lock(trainer->model()->mutex());
    auto o = Napi::Object::New(info.Env());
    o.Set("parameters", static_cast<double>(trainer->ParametersWithState()));
    o.Set("hostBytes", static_cast<double>(trainer->HostStateBytes()));
    return o;
  });
}

}  // namespace pn
