#include "bindings/process_group_binding.h"

#include <chrono>
#include <cmath>

#include "bindings/js_args.h"
#include "common/async_task.h"
#include "common/errors.h"

namespace pn {
namespace {

Napi::FunctionReference& Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}

int64_t IntegerOption(const Napi::Object& o, const char* key, int64_t fallback) {
  const double v = GetNumberOr(o, key, static_cast<double>(fallback), "process group");
  if (!std::isfinite(v) || v != std::floor(v)) throw UserError(std::string("process group ") + key + " must be an integer");
  return static_cast<int64_t>(v);
}

}  // namespace

Napi::Function ProcessGroupWrap::Define(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "ProcessGroup",
                                   {
                                       InstanceMethod<&ProcessGroupWrap::Join>("join"),
                                       InstanceMethod<&ProcessGroupWrap::AllReduceSum>("allReduceSum"),
                                       InstanceMethod<&ProcessGroupWrap::Rank>("rank"),
                                       InstanceMethod<&ProcessGroupWrap::WorldSize>("worldSize"),
                                       InstanceMethod<&ProcessGroupWrap::Dispose>("dispose"),
                                   });
  Constructor() = Napi::Persistent(cls);
  return cls;
}

// new ProcessGroup({ rank, worldSize, masterAddr, masterPort, timeoutMs }): nothing connects until join().
ProcessGroupWrap::ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {
  GuardJs(info.Env(), [&] {
    Napi::Object o = ArgObject(info, 0, "process group options");
    options_.rank = IntegerOption(o, "rank", 0);
    options_.worldSize = IntegerOption(o, "worldSize", 1);
    options_.masterAddr = GetStringOr(o, "masterAddr", "127.0.0.1", "process group");
    options_.masterPort = IntegerOption(o, "masterPort", 29500);
    const int64_t timeoutMs = IntegerOption(o, "timeoutMs", 30 * 60 * 1000);
    if (timeoutMs < 1) throw UserError("process group timeoutMs must be >= 1");
    options_.timeout = std::chrono::milliseconds(timeoutMs);
  });
}

std::shared_ptr<ProcessGroup> ProcessGroupWrap::GroupOf(const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Constructor().Value())) {
    throw Napi::TypeError::New(value.Env(), "expected a ProcessGroup");
  }
  ProcessGroupWrap* wrap = ObjectWrap<ProcessGroupWrap>::Unwrap(value.As<Napi::Object>());
  if (wrap->disposed_) throw UserError("the process group was disposed");
  if (wrap->joining_ || !*wrap->joined_) throw UserError("the process group has not joined yet: await join() first");
  return *wrap->joined_;
}

// join(): the rendezvous, on the tensor thread; settles once every rank has joined.
Napi::Value ProcessGroupWrap::Join(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    if (disposed_) throw UserError("the process group was disposed");
    if (joining_ || *joined_) throw UserError("the process group has already joined");
    auto joined = joined_;
    const ProcessGroupOptions options = options_;
    joining_ = true;
    // Settling clears joining_ whether the rendezvous worked or not (the destructor of the finished work runs on
    // the JS thread).
    auto settled = std::shared_ptr<void>(nullptr, [this](void*) { joining_ = false; });
    return AsyncTask<bool>::Start(
        info.Env(),
        [joined, options] {
          *joined = std::make_shared<ProcessGroup>(options);
          return true;
        },
        [settled](Napi::Env env, bool&) { return env.Undefined(); }, {info.This()});
  });
}

// allReduceSum(values: Float64Array): the element-wise sum over the ranks, as a new Float64Array.
Napi::Value ProcessGroupWrap::AllReduceSum(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      throw UserError("allReduceSum(values) needs a Float64Array");
    }
    auto group = GroupOf(info.This());
    Napi::Float64Array in = info[0].As<Napi::Float64Array>();
    torch::Tensor values = torch::from_blob(in.Data(), {static_cast<int64_t>(in.ElementLength())}, torch::kFloat64).clone();
    return AsyncTask<torch::Tensor>::Start(
        info.Env(),
        [group, values] {
          group->AllReduceSum({values});
          return values;
        },
        [](Napi::Env env, torch::Tensor& t) {
          Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(t.numel()));
          std::memcpy(out.Data(), t.data_ptr<double>(), static_cast<size_t>(t.numel()) * sizeof(double));
          return out;
        },
        {info.This()});
  });
}

Napi::Value ProcessGroupWrap::Rank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(options_.rank));
}

Napi::Value ProcessGroupWrap::WorldSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(options_.worldSize));
}

// Leaves the group: this handle's reference goes (a trainer using the group keeps it until it is disposed).
Napi::Value ProcessGroupWrap::Dispose(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (joining_) throw UserError("the process group is still joining: await join() before dispose()");
    disposed_ = true;
    joined_->reset();
    return info.Env().Undefined();
  });
}

}  // namespace pn
