// Runs work on the addon's tensor thread and settles a Promise: the one way long calls cross the boundary.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/errors.h"
#include "common/tensor_thread.h"

namespace pn {

// Set once per addon instance (addon.cc) and owned by the environment.
TensorThread& TensorThreadOf(Napi::Env env);

// Work returns a value of type R on the tensor thread; ToJs turns it into a JS value on the JS thread.
// JS objects in `keepAlive` (typed arrays whose memory the work reads without copying) stay referenced
// until the Promise settles, so the garbage collector cannot free them while the work runs.
template <typename R>
class AsyncTask {
 public:
  using Work = std::function<R()>;
  using ToJs = std::function<Napi::Value(Napi::Env, R&)>;

  static Napi::Promise Start(Napi::Env env, Work work, ToJs toJs, const std::vector<Napi::Value>& keepAlive = {}) {
    auto state = std::make_unique<State>(env);
    state->work = std::move(work);
    state->toJs = std::move(toJs);
    for (const auto& v : keepAlive) {
      if (v.IsObject()) state->keepAlive.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
    Napi::Promise promise = state->deferred.Promise();
    // The thread-safe function carries the finished state back to the JS thread (and keeps the event
    // loop alive meanwhile). JS objects in `state` are only touched, and destroyed, on the JS thread.
    auto done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "peft-native", 0, 1);
    TensorThreadOf(env).Post([state = state.release(), done]() mutable {
      try {
        state->result.emplace(state->work());
      } catch (const std::exception& e) {
        state->error = DescribeException(e);
        state->userError = dynamic_cast<const UserError*>(&e) != nullptr;
      } catch (...) {
        state->error = "unknown native error";
      }
      // If the environment is already closing the state is leaked: it cannot be freed off the JS thread.
      done.BlockingCall(state, Settle);
      done.Release();
    });
    return promise;
  }

 private:
  struct State {
    explicit State(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise::Deferred deferred;
    Work work;
    ToJs toJs;
    std::optional<R> result;
    std::optional<std::string> error;
    bool userError = false;
    std::vector<Napi::ObjectReference> keepAlive;
  };

  static void Settle(Napi::Env env, Napi::Function, State* raw) {
    std::unique_ptr<State> state(raw);
    if (env == nullptr) return;  // the environment is being torn down
    Napi::HandleScope scope(env);
    if (state->error) {
      state->deferred.Reject(JsError(env, *state->error, state->userError).Value());
      return;
    }
    try {
      state->deferred.Resolve(state->toJs(env, *state->result));
    } catch (const Napi::Error& e) {
      state->deferred.Reject(e.Value());
    } catch (const std::exception& e) {
      state->deferred.Reject(JsError(env, e).Value());
    }
  }
};

}  // namespace pn
