// exports.safetensors: inspect / readTensor / writeTensors over native/io/safetensors.
#include <map>

#include "bindings/js_args.h"
#include "bindings/registry.h"
#include "bridge/tensor_bridge.h"
#include "common/async_task.h"
#include "common/errors.h"
#include "bindings/safetensors_write.h"
#include "io/safetensors.h"

namespace pn {
namespace {

struct Header {
  std::vector<io::TensorEntry> tensors;
  std::map<std::string, std::string> metadata;
};

Napi::Value Inspect(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    return AsyncTask<Header>::Start(
        info.Env(),
        [file] {
          auto f = io::SafetensorsFile::Open(file);
          return Header{f->tensors(), f->metadata()};
        },
        [](Napi::Env env, Header& h) -> Napi::Value {
          auto out = Napi::Object::New(env);
          auto tensors = Napi::Array::New(env, h.tensors.size());
          for (size_t i = 0; i < h.tensors.size(); ++i) {
            auto t = Napi::Object::New(env);
            t.Set("name", h.tensors[i].name);
            t.Set("dtype", h.tensors[i].dtype);
            t.Set("shape", ShapeToJs(env, h.tensors[i].shape));
            tensors.Set(static_cast<uint32_t>(i), t);
          }
          auto meta = Napi::Object::New(env);
          for (const auto& [k, v] : h.metadata) meta.Set(k, v);
          out.Set("tensors", tensors);
          out.Set("metadata", meta);
          return out;
        });
  });
}

Napi::Value ReadTensor(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    std::string name = ArgString(info, 1, "name");
    return AsyncTask<torch::Tensor>::Start(
        info.Env(),
        [file, name] {
          auto f = io::SafetensorsFile::Open(file);
          // Copy out of the mapping so the file can close when this returns.
          return f->View(name).to(torch::kFloat32).clone();
        },
        [](Napi::Env env, torch::Tensor& t) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("shape", ShapeToJs(env, t.sizes()));
          out.Set("data", ToFloat32Array(env, t));
          return out;
        });
  });
}

Napi::Value WriteTensors(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    if (info.Length() < 2 || !info[1].IsArray()) throw UserError("tensors must be an array of {name, shape, data}");
    auto arr = info[1].As<Napi::Array>();
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const std::string what = "tensors[" + std::to_string(i) + "]";
      if (!arr.Get(i).IsObject()) throw UserError(what + " must be {name, shape, data}");
      auto o = arr.Get(i).As<Napi::Object>();
      std::string name = GetStringOr(o, "name", "", what);
      if (name.empty()) throw UserError(what + ".name must be a non-empty string");
      auto shape = ShapeFromJs(o.Get("shape"), what + ".shape");
      // Cloned: the JS arrays may change after this call returns.
      tensors.emplace_back(name, ViewFloat32Array(o.Get("data"), shape, what + ".data").clone());
    }
    auto metadata = StringMapFromJs(info.Length() > 2 ? info[2] : info.Env().Undefined(), "metadata");
    return WriteSafetensorsAsync(info.Env(), file, std::move(tensors), std::move(metadata));
  });
}

}  // namespace

Napi::Promise WriteSafetensorsAsync(Napi::Env env, std::string file, std::vector<std::pair<std::string, torch::Tensor>> tensors,
                                    std::map<std::string, std::string> metadata) {
  return AsyncTask<bool>::Start(
      env,
      [file = std::move(file), tensors = std::move(tensors), metadata = std::move(metadata)] {
        io::WriteSafetensors(file, tensors, metadata);
        return true;
      },
      [](Napi::Env e, bool&) { return e.Undefined(); });
}

void RegisterSafetensors(Napi::Env env, Napi::Object exports) {
  auto st = Napi::Object::New(env);
  st.Set("inspect", Napi::Function::New(env, Inspect, "inspect"));
  st.Set("readTensor", Napi::Function::New(env, ReadTensor, "readTensor"));
  st.Set("writeTensors", Napi::Function::New(env, WriteTensors, "writeTensors"));
  exports.Set("safetensors", st);
}

}  // namespace pn
