// What a JS handle to a native object (Model, Trainer) keeps: the object until dispose(), and the host bytes
// it reported to V8 (napi_adjust_external_memory), given back when it is disposed or collected.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <utility>

#include "common/errors.h"

namespace pn {

template <typename T>
class DisposableHandle {
 public:
  explicit DisposableHandle(std::string what) : what_(std::move(what)) {}

  void Set(std::shared_ptr<T> object) { object_ = std::move(object); }
  // The object, or a UserError once disposed.
  const std::shared_ptr<T>& Get() const {
    if (!object_) throw UserError("the " + what_ + " was disposed");
    return object_;
  }
  // Tells V8 the object now holds `bytes` of host memory, so the garbage collector weighs it by its size.
  void ReportHostBytes(Napi::BasicEnv env, int64_t bytes) {
    if (bytes != reported_) Napi::MemoryManagement::AdjustExternalMemory(env, bytes - reported_);
    reported_ = bytes;
  }
  // Drops this handle's reference (the object goes once nothing else holds it) and its report.
  void Dispose(Napi::BasicEnv env) {
    object_.reset();
    ReportHostBytes(env, 0);
  }

 private:
  std::string what_;
  std::shared_ptr<T> object_;
  int64_t reported_ = 0;
};

}  // namespace pn
