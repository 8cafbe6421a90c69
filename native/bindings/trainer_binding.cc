#include "bindings/trainer_binding.h"

#include <cmath>
#include <mutex>

#include "bindings/js_args.h"
#include "bindings/model_binding.h"
#include "common/async_task.h"
#include "common/errors.h"
#include "io/safetensors.h"

namespace pn {
namespace {

Napi::Value StepToJs(Napi::Env env, StepResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("targetTokens", static_cast<double>(r.targetTokens));
  o.Set("gradNorm", r.gradNorm);
  return o;
}

Napi::Value AccumulateToJs(Napi::Env env, AccumulateResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("lossSum", r.lossSum);
  o.Set("targetTokens", static_cast<double>(r.targetTokens));
  return o;
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
                         InstanceMethod<&TrainerWrap::SaveState>("saveState"),
                         InstanceMethod<&TrainerWrap::LoadState>("loadState"),
                     });
}

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  GuardJs(info.Env(), [&] {
    if (info.Length() < 1) throw UserError("new Trainer(model, options) needs a model");
    std::shared_ptr<LlamaModel> model = ModelWrap::ModelOf(info[0]);
    Napi::Object o = ArgObject(info, 1, "trainer options");
    const std::string w = "trainer";
    TrainerOptions opts;
    opts.lr = GetNumber(o, "lr", w);
    opts.weightDecay = GetNumberOr(o, "weightDecay", 0.0, w);
    opts.beta1 = GetNumberOr(o, "beta1", 0.9, w);
    opts.beta2 = GetNumberOr(o, "beta2", 0.999, w);
    opts.eps = GetNumberOr(o, "eps", 1e-8, w);
    opts.maxGradNorm = GetNumberOr(o, "maxGradNorm", 1.0, w);
    const std::string precision = GetStringOr(o, "precision", "fp32", w);
    if (precision != "fp32" && precision != "bf16") throw UserError("trainer.precision must be \"fp32\" or \"bf16\", got \"" + precision + "\"");
    opts.bf16 = precision == "bf16";
    if (!o.Get("noDecay").IsUndefined()) {
      for (auto& n : GetStringArray(o.Get("noDecay"), "trainer.noDecay")) opts.noDecay.insert(n);
    }
    std::lock_guard<std::mutex> lock(model->mutex());
    trainer_ = std::make_shared<Trainer>(model, opts);
  });
}

Napi::Value TrainerWrap::Accumulate(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    BatchView batch = BatchFromJs(info.Length() > 0 ? info[0] : info.Env().Undefined());
    if (info.Length() < 2 || !info[1].IsNumber()) throw UserError("accumulate(batch, normalizer) needs a normalizer");
    double normalizer = info[1].As<Napi::Number>().DoubleValue();
    auto trainer = trainer_;
    return AsyncTask<AccumulateResult>::Start(
        info.Env(),
        [trainer, batch, normalizer] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          return trainer->Accumulate(batch.tokens, normalizer);
        },
        AccumulateToJs, batch.keepAlive);
  });
}

Napi::Value TrainerWrap::Update(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    double lr = LearningRateArg(info, 0);
    auto trainer = trainer_;
    return AsyncTask<StepResult>::Start(
        info.Env(),
        [trainer, lr] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          return trainer->Update(lr);
        },
        StepToJs);
  });
}

Napi::Value TrainerWrap::Step(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    BatchView batch = BatchFromJs(info.Length() > 0 ? info[0] : info.Env().Undefined());
    if (!batch.tokens.labels.defined()) throw UserError("step(batch, lr) needs batch.labels");
    double lr = LearningRateArg(info, 1);
    auto trainer = trainer_;
    return AsyncTask<StepResult>::Start(
        info.Env(),
        [trainer, batch, lr] {
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          // Count this batch's target tokens first so the loss is their mean.
          int64_t tokens = CountTargets(batch.tokens);
          if (tokens == 0) throw UserError("the batch has no target tokens (all labels are -100)");
          trainer->Accumulate(batch.tokens, static_cast<double>(tokens));
          return trainer->Update(lr);
        },
        StepToJs, batch.keepAlive);
  });
}

Napi::Value TrainerWrap::SaveState(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    auto metadata = StringMapFromJs(info.Length() > 1 ? info[1] : info.Env().Undefined(), "metadata");
    auto trainer = trainer_;
    return AsyncTask<bool>::Start(
        info.Env(),
        [trainer, file, metadata] {
          std::vector<std::pair<std::string, torch::Tensor>> state;
          {
            std::lock_guard<std::mutex> lock(trainer->model()->mutex());
            state = trainer->ExportState();
          }
          io::WriteSafetensors(file, state, metadata);  // atomic: temporary file, then rename
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  });
}

Napi::Value TrainerWrap::LoadState(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    auto trainer = trainer_;
    return AsyncTask<bool>::Start(
        info.Env(),
        [trainer, file] {
          auto opened = io::SafetensorsFile::Open(file);
          std::lock_guard<std::mutex> lock(trainer->model()->mutex());
          trainer->ImportState(*opened);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  });
}

}  // namespace pn
