// JS class Trainer: AdamW over a Model's trainable parameters.
#pragma once

#include <napi.h>

#include <memory>

#include "bindings/disposable_handle.h"
#include "train/trainer.h"

namespace pn {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);
  ~TrainerWrap() override;

 private:
  Napi::Value Accumulate(const Napi::CallbackInfo& info);
  Napi::Value Update(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value JoinProcessGroup(const Napi::CallbackInfo& info);
  Napi::Value SaveState(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value OptimizerState(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // The trainer, or a UserError once dispose() released it.
  const std::shared_ptr<Trainer>& Held() const { return trainer_.Get(); }
  // `bytes`: the optimizer state's host bytes (it appears at the first step).
  void ReportHostBytes(Napi::Env env, int64_t bytes) { trainer_.ReportHostBytes(env, bytes); }

  DisposableHandle<Trainer> trainer_{"trainer"};
};

}  // namespace pn
