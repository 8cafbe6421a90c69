// JS typed arrays <-> torch tensors. Into torch: no copy (from_blob over the JS memory). Out of torch: one copy.
#pragma once

#include <napi.h>
#include "common/torch_api.h"

#include <string>
#include <vector>

namespace pn {

// A CPU tensor viewing the typed array's memory (no copy). The caller keeps the typed array alive
// (AsyncTask keepAlive) for as long as the tensor, or anything holding it, lives.
// `what` names the argument in error messages; `shape` must match the element count.
torch::Tensor ViewInt32Array(const Napi::Value& value, const std::vector<int64_t>& shape, const std::string& what);
torch::Tensor ViewFloat32Array(const Napi::Value& value, const std::vector<int64_t>& shape, const std::string& what);

// Copies a tensor (any float dtype, any device) into a new Float32Array.
Napi::Float32Array ToFloat32Array(Napi::Env env, const torch::Tensor& tensor);

// Shape as a JS array of numbers.
Napi::Array ShapeToJs(Napi::Env env, c10::IntArrayRef shape);
std::vector<int64_t> ShapeFromJs(const Napi::Value& value, const std::string& what);

}  // namespace pn
