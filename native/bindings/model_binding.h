// JS class Model: an opaque handle to a model (ModelHost: a LlamaModel or a T5Model).
#pragma once

#include <napi.h>

#include <memory>

#include "bindings/disposable_handle.h"
#include "models/llama.h"
#include "models/model_host.h"
#include "models/t5.h"

namespace pn {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // The model behind a JS Model object; throws a JS TypeError for anything else.
  static std::shared_ptr<ModelHost> ModelOf(const Napi::Value& value);
  // The model as a LlamaModel, for what only the decoder-only host offers yet; a UserError naming `what`
  // for other architectures.
  static std::shared_ptr<LlamaModel> AsLlama(const std::shared_ptr<ModelHost>& model, const std::string& what);

  explicit ModelWrap(const Napi::CallbackInfo& info);
  ~ModelWrap() override;

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Config(const Napi::CallbackInfo& info);
  Napi::Value LoadWeights(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value MoveTo(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Backward(const Napi::CallbackInfo& info);
  Napi::Value SetPrecision(const Napi::CallbackInfo& info);
  Napi::Value ApplyLora(const Napi::CallbackInfo& info);
  Napi::Value ApplyIa3(const Napi::CallbackInfo& info);
  Napi::Value ApplyBitfit(const Napi::CallbackInfo& info);
  Napi::Value ApplyAdapters(const Napi::CallbackInfo& info);
  Napi::Value ApplyPromptTuning(const Napi::CallbackInfo& info);
  Napi::Value ApplyPrefixTuning(const Napi::CallbackInfo& info);
  Napi::Value MergeAdapter(const Napi::CallbackInfo& info);
  Napi::Value PeftMethod(const Napi::CallbackInfo& info);
  Napi::Value PrefixTable(const Napi::CallbackInfo& info);
  Napi::Value EnableFullFinetuning(const Napi::CallbackInfo& info);
  Napi::Value SetGradientCheckpointing(const Napi::CallbackInfo& info);
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value ParameterNames(const Napi::CallbackInfo& info);
  Napi::Value ParameterShape(const Napi::CallbackInfo& info);
  Napi::Value GetParameter(const Napi::CallbackInfo& info);
  Napi::Value SetParameter(const Napi::CallbackInfo& info);
  Napi::Value Gradient(const Napi::CallbackInfo& info);
  Napi::Value SaveParameters(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // The model, or a UserError once dispose() released it.
  const std::shared_ptr<ModelHost>& Held() const { return model_.Get(); }
  // `bytes`: HostParameterBytes measured under the model's lock.
  void ReportHostBytes(Napi::Env env, int64_t bytes) { model_.ReportHostBytes(env, bytes); }

  DisposableHandle<ModelHost> model_{"model"};
};

// Bytes of the model's parameters that live in host memory. Caller holds the model's mutex.
int64_t HostParameterBytes(const ModelHost& model);

}  // namespace pn
