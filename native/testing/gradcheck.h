// Shared pieces of the testing.* gradient checks (float64 custom backward vs autograd vs finite differences).
#pragma once

#include <napi.h>
#include "common/torch_api.h"

#include <functional>
#include <vector>

namespace pn {

inline Napi::Array Float64ToJsArray(Napi::Env env, const torch::Tensor& t) {
  torch::Tensor flat = t.contiguous().view(-1);
  auto arr = Napi::Array::New(env, static_cast<size_t>(flat.numel()));
  auto acc = flat.accessor<double, 1>();
  for (int64_t i = 0; i < flat.numel(); ++i) arr.Set(static_cast<uint32_t>(i), acc[i]);
  return arr;
}

// Central finite differences of a scalar function of several tensors, element by element.
inline std::vector<torch::Tensor> FiniteDifferences(const std::vector<torch::Tensor>& base,
                                                    const std::function<double(const std::vector<torch::Tensor>&)>& loss,
                                                    double eps = 1e-6) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> out;
  for (size_t k = 0; k < base.size(); ++k) {
    torch::Tensor g = torch::zeros_like(base[k]);
    auto flatG = g.view(-1);
    for (int64_t i = 0; i < base[k].numel(); ++i) {
      std::vector<torch::Tensor> plus = base, minus = base;
      plus[k] = base[k].clone();
      minus[k] = base[k].clone();
      plus[k].view(-1)[i] += eps;
      minus[k].view(-1)[i] -= eps;
      flatG[i] = (loss(plus) - loss(minus)) / (2 * eps);
    }
    out.push_back(g);
  }
  return out;
}

// {name: {custom, autograd, finiteDifference}} for each checked tensor, as the tests read it.
inline Napi::Object GradientReport(Napi::Env env, const std::vector<const char*>& names, const std::vector<torch::Tensor>& custom,
                                   const std::vector<torch::Tensor>& autograd, const std::vector<torch::Tensor>& numeric) {
  auto result = Napi::Object::New(env);
  for (size_t k = 0; k < names.size(); ++k) {
    auto entry = Napi::Object::New(env);
    entry.Set("custom", Float64ToJsArray(env, custom[k]));
    entry.Set("autograd", Float64ToJsArray(env, autograd[k]));
    entry.Set("finiteDifference", Float64ToJsArray(env, numeric[k]));
    result.Set(names[k], entry);
  }
  return result;
}

// exports.testing.bottleneckAdapterGradients (native/testing/adapter_gradcheck.cc).
Napi::Value BottleneckAdapterGradients(const Napi::CallbackInfo& info);

}  // namespace pn
