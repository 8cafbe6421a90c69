// JS class Trainer: AdamW over a Model's trainable parameters.
#pragma once

#include <napi.h>

#include <memory>

#include "train/trainer.h"

namespace pn {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Accumulate(const Napi::CallbackInfo& info);
  Napi::Value Update(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value SaveState(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);

  std::shared_ptr<Trainer> trainer_;
};

}  // namespace pn
