// exports.bridge: hooks that let tests prove token batches reach torch without a copy.
#include <cstdint>

#include "bindings/registry.h"
#include "bridge/tensor_bridge.h"
#include "common/async_task.h"
#include "common/errors.h"

namespace pn {
namespace {

std::vector<int64_t> FlatShape(const Napi::Value& v) {
  if (!v.IsTypedArray()) throw UserError("expected an Int32Array");
  return {static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength())};
}

Napi::Value ViewAddresses(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Value arg = info.Length() > 0 ? info[0] : info.Env().Undefined();
    torch::Tensor t = ViewInt32Array(arg, FlatShape(arg), "array");
    auto o = Napi::Object::New(info.Env());
    o.Set("tensorAddress", std::to_string(reinterpret_cast<uintptr_t>(t.data_ptr())));
    o.Set("arrayAddress", std::to_string(reinterpret_cast<uintptr_t>(arg.As<Napi::Int32Array>().Data())));
    return o;
  });
}

// Goes through the same path a training batch does: a view made on the JS thread, used on a worker.
Napi::Value AddInPlace(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    Napi::Value arg = info.Length() > 0 ? info[0] : info.Env().Undefined();
    torch::Tensor t = ViewInt32Array(arg, FlatShape(arg), "array");
    if (info.Length() < 2 || !info[1].IsNumber()) throw UserError("addInPlace(array, delta) needs a number");
    int32_t delta = info[1].As<Napi::Number>().Int32Value();
    return AsyncTask<bool>::Start(
        info.Env(),
        [t, delta]() mutable {
          t.add_(delta);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); }, {arg});
  });
}

}  // namespace

void RegisterBridge(Napi::Env env, Napi::Object exports) {
  auto bridge = Napi::Object::New(env);
  bridge.Set("viewAddresses", Napi::Function::New(env, ViewAddresses, "viewAddresses"));
  bridge.Set("addInPlace", Napi::Function::New(env, AddInPlace, "addInPlace"));
  exports.Set("bridge", bridge);
}

}  // namespace pn
