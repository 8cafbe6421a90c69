#include "bridge/tensor_bridge.h"

#include <cstring>

#include "common/errors.h"

namespace pn {
namespace {

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

template <typename TypedArray>
torch::Tensor View(const Napi::Value& value, napi_typedarray_type expected, const char* typeName, torch::ScalarType dtype,
                   const std::vector<int64_t>& shape, const std::string& what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != expected) {
    throw UserError(what + " must be an " + typeName);
  }
  auto array = value.As<TypedArray>();
  for (int64_t d : shape) {
    if (d < 0) throw UserError(what + ": negative dimension in shape");
  }
  if (static_cast<int64_t>(array.ElementLength()) != NumElements(shape)) {
    throw UserError(what + " has " + std::to_string(array.ElementLength()) + " elements but its shape needs " +
                    std::to_string(NumElements(shape)));
  }
  // Data() already includes the typed array's byte offset into its ArrayBuffer.
  return torch::from_blob(array.Data(), shape, torch::TensorOptions().dtype(dtype));
}

}  // namespace

torch::Tensor ViewInt32Array(const Napi::Value& value, const std::vector<int64_t>& shape, const std::string& what) {
  return View<Napi::Int32Array>(value, napi_int32_array, "Int32Array", torch::kInt32, shape, what);
}

torch::Tensor ViewFloat32Array(const Napi::Value& value, const std::vector<int64_t>& shape, const std::string& what) {
  return View<Napi::Float32Array>(value, napi_float32_array, "Float32Array", torch::kFloat32, shape, what);
}

Napi::Float32Array ToFloat32Array(Napi::Env env, const torch::Tensor& tensor) {
  torch::Tensor flat = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(flat.numel()));
  if (flat.numel() > 0) std::memcpy(out.Data(), flat.data_ptr<float>(), sizeof(float) * static_cast<size_t>(flat.numel()));
  return out;
}

Napi::Array ShapeToJs(Napi::Env env, c10::IntArrayRef shape) {
  auto out = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
  return out;
}

std::vector<int64_t> ShapeFromJs(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw UserError(what + " must be an array of non-negative integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value v = array.Get(i);
    if (!v.IsNumber()) throw UserError(what + " must be an array of non-negative integers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d))) throw UserError(what + " must be an array of non-negative integers");
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

}  // namespace pn
