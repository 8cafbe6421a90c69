// Turning C++ and libtorch failures into JavaScript Errors at the N-API boundary.
#pragma once

#include <napi.h>

#include <stdexcept>
#include <string>
#include <utility>

#include <c10/util/Exception.h>

namespace pn {

// A user-facing error (bad input, bad file); its message is shown as is.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The message of any exception, without libtorch's C++ backtrace.
inline std::string DescribeException(const std::exception& e) {
  if (const auto* c10e = dynamic_cast<const c10::Error*>(&e)) return c10e->what_without_backtrace();
  return e.what();
}

// The `code` of the JS Error made from a UserError: the CLI reports those as bad input (exit code 2).
inline constexpr const char* kUserErrorCode = "PEFT_NATIVE_USER_ERROR";

// A JS Error for a failure: its message, and for bad input (UserError) code = kUserErrorCode.
inline Napi::Error JsError(const Napi::Env& env, const std::string& message, bool userError) {
  Napi::Error error = Napi::Error::New(env, message);
  if (userError) error.Set("code", Napi::String::New(env, kUserErrorCode));
  return error;
}

inline Napi::Error JsError(const Napi::Env& env, const std::exception& e) {
  return JsError(env, DescribeException(e), dynamic_cast<const UserError*>(&e) != nullptr);
}

// Runs `fn` on the JS thread; any C++ exception becomes a thrown JS Error.
template <typename Fn>
auto GuardJs(const Napi::Env& env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw JsError(env, e);
  }
}

// Like GuardJs for calls that return a Promise: a failure before the work starts becomes a rejected
// Promise too, so callers handle every error of an async call the same way.
template <typename Fn>
Napi::Value GuardAsync(const Napi::Env& env, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  } catch (const std::exception& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(JsError(env, e).Value());
    return deferred.Promise();
  }
}

}  // namespace pn
