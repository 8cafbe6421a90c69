// Runs work on libuv's thread pool and settles a Promise: the one way long calls cross the boundary.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/errors.h"

namespace pn {

// Work returns a value of type R on the worker thread; ToJs turns it into a JS value on the JS thread.
// JS objects in `keepAlive` (typed arrays whose memory the work reads without copying) stay referenced
// until the Promise settles, so the garbage collector cannot free them while the worker runs.
template <typename R>
class AsyncTask : public Napi::AsyncWorker {
 public:
  using Work = std::function<R()>;
  using ToJs = std::function<Napi::Value(Napi::Env, R&)>;

  static Napi::Promise Start(Napi::Env env, Work work, ToJs toJs, const std::vector<Napi::Value>& keepAlive = {}) {
    // AsyncWorker deletes itself after OnOK/OnError; Queue() hands ownership to libuv.
    auto* task = new AsyncTask(env, std::move(work), std::move(toJs));  // NOLINT: owned by N-API
    for (const auto& v : keepAlive) {
      if (v.IsObject()) task->keepAlive_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
    auto promise = task->deferred_.Promise();
    task->Queue();
    return promise;
  }

 private:
  AsyncTask(Napi::Env env, Work work, ToJs toJs)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), toJs_(std::move(toJs)) {}

  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (const std::exception& e) {
      SetError(DescribeException(e));
    } catch (...) {
      SetError("unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(toJs_(env, *result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, DescribeException(e)).Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs toJs_;
  std::optional<R> result_;
  std::vector<Napi::ObjectReference> keepAlive_;
};

}  // namespace pn
