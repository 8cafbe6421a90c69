// JS class ProcessGroup: one rank's membership in a c10d process group (distributed/process_group.h).
#pragma once

#include <napi.h>

#include <memory>
#include <optional>

#include "bindings/disposable_handle.h"
#include "distributed/process_group.h"

namespace pn {

class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ProcessGroupWrap(const Napi::CallbackInfo& info);

  // The joined group behind a JS ProcessGroup; a UserError before join() settled or after dispose().
  static std::shared_ptr<ProcessGroup> GroupOf(const Napi::Value& value);

 private:
  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value AllReduceSum(const Napi::CallbackInfo& info);
  Napi::Value Rank(const Napi::CallbackInfo& info);
  Napi::Value WorldSize(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  ProcessGroupOptions options_;
  // Shared with the rendezvous task, which fills it on the tensor thread before join() settles.
  std::shared_ptr<std::shared_ptr<ProcessGroup>> joined_ = std::make_shared<std::shared_ptr<ProcessGroup>>();
  bool joining_ = false;  // join() in flight: the tensor thread writes joined_
  bool disposed_ = false;
};

}  // namespace pn
