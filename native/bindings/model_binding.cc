#include "bindings/model_binding.h"

#include <map>
#include <mutex>

#include "bindings/js_args.h"
#include "bridge/tensor_bridge.h"
#include "common/async_task.h"
#include "common/autocast_guard.h"
#include "common/device.h"
#include "common/errors.h"
#include "bindings/safetensors_write.h"
#include "io/safetensors.h"
#include "peft/bitfit.h"
#include "peft/bottleneck_adapter.h"
#include "peft/full_finetuning.h"
#include "peft/ia3.h"
#include "peft/lora.h"
#include "peft/prompt_learning.h"

namespace pn {
namespace {

Napi::FunctionReference& Constructor() {
  static Napi::FunctionReference ctor;
  return ctor;
}

struct ForwardValues {
  double lossSum = 0;
  int64_t targetTokens = 0;
  torch::Tensor logits;
};

Napi::Array StringsToJs(Napi::Env env, const std::vector<std::string>& names) {
  auto arr = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) arr.Set(static_cast<uint32_t>(i), names[i]);
  return arr;
}

Napi::Object ModulesResult(Napi::Env env, const std::vector<std::string>& names) {
  auto result = Napi::Object::New(env);
  result.Set("targetedModules", StringsToJs(env, names));
  return result;
}

uint64_t SeedOf(const Napi::Object& o, const std::string& what) {
  const double seed = GetNumberOr(o, "seed", 0, what);
  if (!(seed >= 0)) throw UserError(what + ".seed must be >= 0");
  return static_cast<uint64_t>(seed);
}

ModuleTargets TargetsOf(const Napi::Object& o, const std::string& what) {
  ModuleTargets t;
  if (!o.Get("targetModules").IsUndefined()) t.modules = GetStringArray(o.Get("targetModules"), what + ".targetModules");
  t.regex = GetStringOr(o, "targetRegex", "", what);
  return t;
}

Napi::Value ForwardValuesToJs(Napi::Env env, ForwardValues& r) {
  auto o = Napi::Object::New(env);
  o.Set("lossSum", r.lossSum);
  o.Set("targetTokens", static_cast<double>(r.targetTokens));
  if (r.logits.defined()) o.Set("logits", ToFloat32Array(env, r.logits));
  return o;
}

}  // namespace

Napi::Function ModelWrap::Define(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "Model",
                                   {
                                       StaticMethod<&ModelWrap::Create>("create"),
                                       InstanceMethod<&ModelWrap::Config>("config"),
                                       InstanceMethod<&ModelWrap::LoadWeights>("loadWeights"),
                                       InstanceMethod<&ModelWrap::Device>("device"),
                                       InstanceMethod<&ModelWrap::MoveTo>("moveTo"),
                                       InstanceMethod<&ModelWrap::Forward>("forward"),
                                       InstanceMethod<&ModelWrap::Backward>("backward"),
                                       InstanceMethod<&ModelWrap::ApplyLora>("applyLora"),
                                       InstanceMethod<&ModelWrap::ApplyIa3>("applyIa3"),
                                       InstanceMethod<&ModelWrap::ApplyBitfit>("applyBitfit"),
                                       InstanceMethod<&ModelWrap::ApplyAdapters>("applyAdapters"),
                                       InstanceMethod<&ModelWrap::ApplyPromptTuning>("applyPromptTuning"),
                                       InstanceMethod<&ModelWrap::ApplyPrefixTuning>("applyPrefixTuning"),
                                       InstanceMethod<&ModelWrap::MergeAdapter>("mergeAdapter"),
                                       InstanceMethod<&ModelWrap::PeftMethod>("peftMethod"),
                                       InstanceMethod<&ModelWrap::PrefixTable>("prefixTable"),
                                       InstanceMethod<&ModelWrap::EnableFullFinetuning>("enableFullFinetuning"),
                                       InstanceMethod<&ModelWrap::SetGradientCheckpointing>("setGradientCheckpointing"),
                                       InstanceMethod<&ModelWrap::SetPrecision>("setPrecision"),
                                       InstanceMethod<&ModelWrap::ParameterCount>("parameterCount"),
                                       InstanceMethod<&ModelWrap::ParameterNames>("parameterNames"),
                                       InstanceMethod<&ModelWrap::ParameterShape>("parameterShape"),
                                       InstanceMethod<&ModelWrap::GetParameter>("getParameter"),
                                       InstanceMethod<&ModelWrap::SetParameter>("setParameter"),
                                       InstanceMethod<&ModelWrap::Gradient>("gradient"),
                                       InstanceMethod<&ModelWrap::SaveParameters>("saveParameters"),
                                       InstanceMethod<&ModelWrap::Dispose>("dispose"),
                                   });
  Constructor() = Napi::Persistent(cls);
  return cls;
}

std::shared_ptr<LlamaModel> ModelWrap::AsLlama(const std::shared_ptr<ModelHost>& model, const std::string& what) {
  auto llama = std::dynamic_pointer_cast<LlamaModel>(model);
  if (!llama) throw UserError(what + " is not supported for " + model->architecture() + " models yet");
  return llama;
}

std::shared_ptr<ModelHost> ModelWrap::ModelOf(const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Constructor().Value())) {
    throw Napi::TypeError::New(value.Env(), "expected a Model");
  }
  return ObjectWrap<ModelWrap>::Unwrap(value.As<Napi::Object>())->Held();
}

// new Model(config, {seed}) — Model.create is the documented way in.
ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  GuardJs(info.Env(), [&] {
    Napi::Object config = ArgObject(info, 0, "config");
    uint64_t seed = 0;
    bool initialize = true;
    if (info.Length() > 1 && info[1].IsObject()) {
      auto options = info[1].As<Napi::Object>();
      int64_t s = static_cast<int64_t>(GetNumberOr(options, "seed", 0, "options"));
      if (s < 0) throw UserError("options.seed must be >= 0");
      seed = static_cast<uint64_t>(s);
      initialize = GetBoolOr(options, "initialize", true, "options");
    }
    if (GetStringOr(config, "modelType", "llama", "config") == "t5") {
      model_.Set(std::make_shared<T5Model>(T5ConfigFromJs(config), seed, initialize));
    } else {
      model_.Set(std::make_shared<LlamaModel>(ModelConfigFromJs(config), seed, initialize));
    }
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
  });
}

ModelWrap::~ModelWrap() { model_.Dispose(Env()); }

int64_t HostParameterBytes(const ModelHost& model) {
  int64_t bytes = 0;
  for (const auto& name : model.ParameterNames(/*trainableOnly=*/false)) {
    const torch::Tensor p = model.Parameter(name);
    if (p.device().is_cpu()) bytes += static_cast<int64_t>(p.nbytes());
  }
  return bytes;
}

// Drops this handle's reference: the tensors are freed once no trainer or pending call holds the model.
Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    model_.Dispose(info.Env());
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::Create(const Napi::CallbackInfo& info) {
  std::vector<napi_value> args;
  for (size_t i = 0; i < info.Length(); ++i) args.push_back(info[i]);
  return Constructor().New(args);
}

Napi::Value ModelWrap::Config(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (auto t5 = std::dynamic_pointer_cast<T5Model>(Held())) return T5ConfigToJs(info.Env(), t5->config());
    return ModelConfigToJs(info.Env(), AsLlama(Held(), "config")->config());
  });
}

Napi::Value ModelWrap::LoadWeights(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1) throw UserError("loadWeights(files) needs a list of safetensors files");
    std::vector<std::string> files = GetStringArray(info[0], "files");
    // Optional { configName }: how messages name the config the weights must match (its config.json).
    std::string configName = "the model's config";
    if (info.Length() > 1 && info[1].IsObject()) configName = GetStringOr(info[1].As<Napi::Object>(), "configName", configName, "loadWeights options");
    auto model = Held();
    return AsyncTask<bool>::Start(
        info.Env(),
        [model, files, configName] {
          std::lock_guard<std::mutex> lock(model->mutex());
          model->LoadWeights(files, configName);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  });
}

Napi::Value ModelWrap::Device(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), Held()->device().str()); });
}

Napi::Value ModelWrap::MoveTo(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    const torch::Device device = ParseDevice(ArgString(info, 0, "device"));
    {
      // Already there (every CPU run): settle at once instead of queuing a task on the tensor thread.
      std::lock_guard<std::mutex> lock(Held()->mutex());
      if (Held()->device() == device) {
        auto deferred = Napi::Promise::Deferred::New(info.Env());
        deferred.Resolve(info.Env().Undefined());
        return deferred.Promise();
      }
    }
    auto model = Held();
    return AsyncTask<int64_t>::Start(
        info.Env(),
        [model, device] {
          std::lock_guard<std::mutex> lock(model->mutex());
          model->To(device);
          Synchronize(device);
          return HostParameterBytes(*model);
        },
        // The JS Model stays referenced until then, so `this` is alive.
        [this](Napi::Env env, int64_t& hostBytes) {
          ReportHostBytes(env, hostBytes);
          return env.Undefined();
        },
        {info.This()});
  });
}

Napi::Value ModelWrap::Forward(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    BatchView batch = BatchFromJs(info.Length() > 0 ? info[0] : info.Env().Undefined());
    bool wantLogits = info.Length() > 1 && info[1].IsObject() &&
                      GetBoolOr(info[1].As<Napi::Object>(), "returnLogits", false, "options");
    auto model = Held();
    return AsyncTask<ForwardValues>::Start(
        info.Env(),
        [model, batch, wantLogits] {
          std::lock_guard<std::mutex> lock(model->mutex());
          torch::NoGradGuard noGrad;
          AutocastGuard autocast(model->device().type(), model->bf16(), at::kBFloat16);
          ForwardOutput out = model->Forward(batch.tokens, wantLogits, false);
          ForwardValues r;
          r.lossSum = out.lossSum.item<double>();
          r.targetTokens = out.targetTokens;
          r.logits = out.logits;
          return r;
        },
        ForwardValuesToJs, batch.keepAlive);
  });
}

Napi::Value ModelWrap::Backward(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    BatchView batch = BatchFromJs(info.Length() > 0 ? info[0] : info.Env().Undefined());
    if (!batch.tokens.labels.defined()) throw UserError("backward(batch) needs batch.labels");
    auto model = Held();
    return AsyncTask<ForwardValues>::Start(
        info.Env(),
        [model, batch] {
          std::lock_guard<std::mutex> lock(model->mutex());
          for (auto& p : model->TrainableParameters()) p.mutable_grad() = torch::Tensor();
          ForwardOutput out;
          {
            AutocastGuard autocast(model->device().type(), model->bf16(), at::kBFloat16);
            out = model->Forward(batch.tokens, false, true);
          }
          if (out.targetTokens == 0) throw UserError("the batch has no target tokens (all labels are -100)");
          (out.lossSum / static_cast<double>(out.targetTokens)).backward();
          ForwardValues r;
          r.lossSum = out.lossSum.item<double>();
          r.targetTokens = out.targetTokens;
          return r;
        },
        ForwardValuesToJs, batch.keepAlive);
  });
}

Napi::Value ModelWrap::ApplyLora(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "LoRA options");
    const std::string w = "lora";
    LoraOptions opts;
    opts.r = GetInt(o, "r", w);
    opts.alpha = GetNumber(o, "alpha", w);
    opts.dropout = GetNumberOr(o, "dropout", 0.0, w);
    if (!o.Get("targetModules").IsUndefined()) opts.targetModules = GetStringArray(o.Get("targetModules"), "lora.targetModules");
    opts.targetRegex = GetStringOr(o, "targetRegex", "", w);
    opts.useRslora = GetBoolOr(o, "useRslora", false, w);
    opts.useDora = GetBoolOr(o, "useDora", false, w);
    opts.init = GetStringOr(o, "init", "kaiming", w);
    opts.seed = SeedOf(o, w);
    std::lock_guard<std::mutex> lock(Held()->mutex());
    const auto modules = pn::ApplyLora(*Held(), opts);
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return ModulesResult(info.Env(), modules);
  });
}

Napi::Value ModelWrap::ApplyIa3(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "IA3 options");
    Ia3Options opts;
    opts.targets = TargetsOf(o, "ia3");
    if (!o.Get("feedforwardModules").IsUndefined()) {
      opts.feedforwardModules = GetStringArray(o.Get("feedforwardModules"), "ia3.feedforwardModules");
    }
    std::lock_guard<std::mutex> lock(Held()->mutex());
    const auto modules = pn::ApplyIa3(*Held(), opts);
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return ModulesResult(info.Env(), modules);
  });
}

Napi::Value ModelWrap::ApplyBitfit(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    BitfitOptions opts;
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      Napi::Object o = ArgObject(info, 0, "bitfit options");
      opts.targets = TargetsOf(o, "bitfit");
      opts.init = GetStringOr(o, "init", "zeros", "bitfit");
      opts.seed = static_cast<uint64_t>(GetNumberOr(o, "seed", 0, "bitfit"));
    }
    std::lock_guard<std::mutex> lock(Held()->mutex());
    const auto modules = pn::ApplyBitfit(*Held(), opts);
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return ModulesResult(info.Env(), modules);
  });
}

Napi::Value ModelWrap::ApplyAdapters(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "adapter options");
    const std::string w = "adapter";
    AdapterOptions opts;
    opts.placement = GetStringOr(o, "placement", "houlsby", w);
    opts.size = GetInt(o, "size", w);
    opts.activation = GetStringOr(o, "activation", "silu", w);
    opts.init = GetStringOr(o, "init", "normal", w);
    opts.seed = SeedOf(o, w);
    std::lock_guard<std::mutex> lock(Held()->mutex());
    const auto modules = pn::ApplyAdapters(*Held(), opts);
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return ModulesResult(info.Env(), modules);
  });
}

Napi::Value ModelWrap::ApplyPromptTuning(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "prompt tuning options");
    const std::string w = "prompt";
    PromptTuningOptions opts;
    opts.virtualTokens = GetInt(o, "virtualTokens", w);
    opts.init = GetStringOr(o, "init", "random", w);
    opts.seed = SeedOf(o, w);
    std::lock_guard<std::mutex> lock(Held()->mutex());
    pn::ApplyPromptTuning(*Held(), opts);
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::ApplyPrefixTuning(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = ArgObject(info, 0, "prefix tuning options");
    const std::string w = "prefix";
    PrefixTuningOptions opts;
    opts.virtualTokens = GetInt(o, "virtualTokens", w);
    opts.projection = GetBoolOr(o, "projection", false, w);
    opts.encoderHidden = static_cast<int64_t>(GetNumberOr(o, "encoderHiddenSize", 0, w));
    opts.seed = SeedOf(o, w);
    std::lock_guard<std::mutex> lock(Held()->mutex());
    pn::ApplyPrefixTuning(*Held(), opts);
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::MergeAdapter(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    std::lock_guard<std::mutex> lock(Held()->mutex());
    const auto modules = Held()->MergeLinearAdapters();
    ReportHostBytes(info.Env(), HostParameterBytes(*Held()));
    return ModulesResult(info.Env(), modules);
  });
}

Napi::Value ModelWrap::PeftMethod(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    const std::string& m = Held()->method();
    return m.empty() ? info.Env().Null() : Napi::String::New(info.Env(), m);
  });
}

Napi::Value ModelWrap::PrefixTable(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    std::lock_guard<std::mutex> lock(Held()->mutex());
    torch::Tensor table = PrefixTableToSave(*Held());
    auto o = Napi::Object::New(info.Env());
    o.Set("shape", ShapeToJs(info.Env(), table.sizes()));
    o.Set("data", ToFloat32Array(info.Env(), table));
    return o;
  });
}

Napi::Value ModelWrap::SetGradientCheckpointing(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsBoolean()) throw UserError("setGradientCheckpointing(on) needs a boolean");
    std::lock_guard<std::mutex> lock(Held()->mutex());
    Held()->SetGradientCheckpointing(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::SetPrecision(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsObject()) throw UserError("setPrecision({ compute, base }) needs an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    auto dtype = [&](const char* key, const std::string& fallback) {
      const std::string value = GetStringOr(o, key, fallback, "setPrecision options");
      if (value != "fp32" && value != "bf16") throw UserError(std::string("setPrecision: ") + key + " must be \"fp32\" or \"bf16\", got \"" + value + "\"");
      return value == "bf16";
    };
    const bool compute = dtype("compute", "fp32");
    const bool base = dtype("base", "fp32");
    std::lock_guard<std::mutex> lock(Held()->mutex());
    Held()->SetPrecision(compute, base);
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::EnableFullFinetuning(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    std::lock_guard<std::mutex> lock(Held()->mutex());
    pn::EnableFullFinetuning(*Held());
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::ParameterCount(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    auto o = Napi::Object::New(info.Env());
    o.Set("total", static_cast<double>(Held()->CountParameters(false)));
    o.Set("trainable", static_cast<double>(Held()->CountParameters(true)));
    return o;
  });
}

Napi::Value ModelWrap::ParameterNames(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    const bool hasOptions = info.Length() > 0 && info[0].IsObject();
    const bool trainableOnly = hasOptions && GetBoolOr(info[0].As<Napi::Object>(), "trainableOnly", false, "options");
    const std::string group = hasOptions ? GetStringOr(info[0].As<Napi::Object>(), "group", "all", "options") : "all";
    if (group != "all" && group != "base" && group != "adapter") throw UserError("options.group must be all, base or adapter");
    std::vector<std::string> names;
    for (auto& n : Held()->ParameterNames(trainableOnly)) {
      if (group == "all" || (group == "adapter") == Held()->IsAdapterParameter(n)) names.push_back(n);
    }
    return StringsToJs(info.Env(), names);
  });
}

Napi::Value ModelWrap::ParameterShape(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    return ShapeToJs(info.Env(), Held()->Parameter(ArgString(info, 0, "name")).sizes());
  });
}

Napi::Value ModelWrap::GetParameter(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    std::lock_guard<std::mutex> lock(Held()->mutex());
    return ToFloat32Array(info.Env(), Held()->Parameter(ArgString(info, 0, "name")));
  });
}

Napi::Value ModelWrap::SetParameter(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    std::string name = ArgString(info, 0, "name");
    std::lock_guard<std::mutex> lock(Held()->mutex());
    torch::Tensor target = Held()->Parameter(name);
    torch::Tensor source = ViewFloat32Array(info.Length() > 1 ? info[1] : info.Env().Undefined(), target.sizes().vec(),
                                            "values for " + name);
    torch::NoGradGuard noGrad;
    target.copy_(source);
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::Gradient(const Napi::CallbackInfo& info) {
  return GuardJs(info.Env(), [&]() -> Napi::Value {
    std::lock_guard<std::mutex> lock(Held()->mutex());
    torch::Tensor p = Held()->Parameter(ArgString(info, 0, "name"));
    if (!p.grad().defined()) return info.Env().Null();
    return ToFloat32Array(info.Env(), p.grad());
  });
}

Napi::Value ModelWrap::SaveParameters(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    std::string file = ArgString(info, 0, "file");
    if (info.Length() < 2 || !info[1].IsArray()) throw UserError("entries must be an array of [keyInFile, parameterName]");
    auto arr = info[1].As<Napi::Array>();
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto pair = GetStringArray(arr.Get(i), "entries[" + std::to_string(i) + "]");
      if (pair.size() != 2) throw UserError("entries[" + std::to_string(i) + "] must be [keyInFile, parameterName]");
      // Private host copies: the write runs off-thread while training may go on.
      tensors.emplace_back(pair[0], HostCopy(Held()->Parameter(pair[1])));
    }
    auto metadata = StringMapFromJs(info.Length() > 2 ? info[2] : info.Env().Undefined(), "metadata");
    return WriteSafetensorsAsync(info.Env(), file, std::move(tensors), std::move(metadata));
  });
}

}  // namespace pn
