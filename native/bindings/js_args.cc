#include "bindings/js_args.h"

#include <cmath>

#include "bridge/tensor_bridge.h"
#include "common/errors.h"

namespace pn {

double GetNumber(const Napi::Object& obj, const char* key, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throw UserError(what + "." + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw UserError(what + "." + key + " must be finite");
  return d;
}

double GetNumberOr(const Napi::Object& obj, const char* key, double fallback, const std::string& what) {
  Napi::Value v = obj.Get(key);
  return v.IsUndefined() ? fallback : GetNumber(obj, key, what);
}

int64_t GetInt(const Napi::Object& obj, const char* key, const std::string& what) {
  double d = GetNumber(obj, key, what);
  if (d != std::floor(d) || std::fabs(d) > 9007199254740991.0) throw UserError(what + "." + key + " must be an integer");
  return static_cast<int64_t>(d);
}

bool GetBoolOr(const Napi::Object& obj, const char* key, bool fallback, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw UserError(what + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string GetStringOr(const Napi::Object& obj, const char* key, const std::string& fallback, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw UserError(what + "." + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<std::string> GetStringArray(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw UserError(what + " must be an array of strings");
  auto arr = value.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) throw UserError(what + " must be an array of strings");
    out.push_back(v.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t index, const std::string& what) {
  if (info.Length() <= index || !info[index].IsObject()) throw UserError(what + " must be an object");
  return info[index].As<Napi::Object>();
}

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const std::string& what) {
  if (info.Length() <= index || !info[index].IsString()) throw UserError(what + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

std::map<std::string, std::string> StringMapFromJs(const Napi::Value& value, const std::string& what) {
  std::map<std::string, std::string> out;
  if (value.IsUndefined() || value.IsNull()) return out;
  if (!value.IsObject()) throw UserError(what + " must be an object of strings");
  auto obj = value.As<Napi::Object>();
  auto keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value v = obj.Get(k);
    if (!v.IsString()) throw UserError(what + "." + k + " must be a string");
    out[k] = v.As<Napi::String>().Utf8Value();
  }
  return out;
}

ModelConfig ModelConfigFromJs(const Napi::Object& obj) {
  const std::string w = "config";
  ModelConfig c;
  c.modelType = GetStringOr(obj, "modelType", "llama", w);
  c.vocabSize = GetInt(obj, "vocabSize", w);
  c.hiddenSize = GetInt(obj, "hiddenSize", w);
  c.intermediateSize = GetInt(obj, "intermediateSize", w);
  c.numHiddenLayers = GetInt(obj, "numHiddenLayers", w);
  c.numAttentionHeads = GetInt(obj, "numAttentionHeads", w);
  c.numKeyValueHeads = GetInt(obj, "numKeyValueHeads", w);
  c.headDim = GetInt(obj, "headDim", w);
  c.rmsNormEps = GetNumber(obj, "rmsNormEps", w);
  c.ropeTheta = GetNumber(obj, "ropeTheta", w);
  Napi::Value rs = obj.Get("ropeScaling");
  if (rs.IsObject()) {
    auto r = rs.As<Napi::Object>();
    c.ropeScaling.type = GetStringOr(r, "type", "default", "config.ropeScaling");
    c.ropeScaling.factor = GetNumberOr(r, "factor", 1.0, "config.ropeScaling");
    c.ropeScaling.lowFreqFactor = GetNumberOr(r, "lowFreqFactor", 1.0, "config.ropeScaling");
    c.ropeScaling.highFreqFactor = GetNumberOr(r, "highFreqFactor", 4.0, "config.ropeScaling");
    c.ropeScaling.originalMaxPositionEmbeddings =
        static_cast<int64_t>(GetNumberOr(r, "originalMaxPositionEmbeddings", 8192, "config.ropeScaling"));
  }
  c.maxPositionEmbeddings = GetInt(obj, "maxPositionEmbeddings", w);
  c.tieWordEmbeddings = GetBoolOr(obj, "tieWordEmbeddings", false, w);
  c.qkvBias = GetBoolOr(obj, "qkvBias", false, w);
  c.oBias = GetBoolOr(obj, "oBias", false, w);
  c.mlpBias = GetBoolOr(obj, "mlpBias", false, w);
  c.qkNorm = GetBoolOr(obj, "qkNorm", false, w);
  c.slidingWindow = static_cast<int64_t>(GetNumberOr(obj, "slidingWindow", 0, w));
  c.initializerRange = GetNumberOr(obj, "initializerRange", 0.02, w);
  c.Validate();
  return c;
}

Napi::Object ModelConfigToJs(Napi::Env env, const ModelConfig& c) {
  auto o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  o.Set("modelType", c.modelType);
  num("vocabSize", static_cast<double>(c.vocabSize));
  num("hiddenSize", static_cast<double>(c.hiddenSize));
  num("intermediateSize", static_cast<double>(c.intermediateSize));
  num("numHiddenLayers", static_cast<double>(c.numHiddenLayers));
  num("numAttentionHeads", static_cast<double>(c.numAttentionHeads));
  num("numKeyValueHeads", static_cast<double>(c.numKeyValueHeads));
  num("headDim", static_cast<double>(c.headDim));
  num("rmsNormEps", c.rmsNormEps);
  num("ropeTheta", c.ropeTheta);
  auto rs = Napi::Object::New(env);
  rs.Set("type", c.ropeScaling.type);
  rs.Set("factor", c.ropeScaling.factor);
  rs.Set("lowFreqFactor", c.ropeScaling.lowFreqFactor);
  rs.Set("highFreqFactor", c.ropeScaling.highFreqFactor);
  rs.Set("originalMaxPositionEmbeddings", static_cast<double>(c.ropeScaling.originalMaxPositionEmbeddings));
  o.Set("ropeScaling", rs);
  num("maxPositionEmbeddings", static_cast<double>(c.maxPositionEmbeddings));
  o.Set("tieWordEmbeddings", c.tieWordEmbeddings);
  o.Set("qkvBias", c.qkvBias);
  o.Set("oBias", c.oBias);
  o.Set("mlpBias", c.mlpBias);
  o.Set("qkNorm", c.qkNorm);
  num("slidingWindow", static_cast<double>(c.slidingWindow));
  num("initializerRange", c.initializerRange);
  return o;
}

T5Config T5ConfigFromJs(const Napi::Object& obj) {
  const std::string w = "config";
  T5Config c;
  c.vocabSize = GetInt(obj, "vocabSize", w);
  c.dModel = GetInt(obj, "dModel", w);
  c.dKv = GetInt(obj, "dKv", w);
  c.dFf = GetInt(obj, "dFf", w);
  c.numLayers = GetInt(obj, "numLayers", w);
  c.numDecoderLayers = GetInt(obj, "numDecoderLayers", w);
  c.numHeads = GetInt(obj, "numHeads", w);
  c.relativeAttentionNumBuckets = GetInt(obj, "relativeAttentionNumBuckets", w);
  c.relativeAttentionMaxDistance = GetInt(obj, "relativeAttentionMaxDistance", w);
  c.dropoutRate = GetNumber(obj, "dropoutRate", w);
  c.layerNormEpsilon = GetNumber(obj, "layerNormEpsilon", w);
  c.initializerFactor = GetNumberOr(obj, "initializerFactor", 1.0, w);
  c.denseActivation = GetStringOr(obj, "denseActivation", "relu", w);
  c.gatedActivation = GetBoolOr(obj, "gatedActivation", false, w);
  c.tieWordEmbeddings = GetBoolOr(obj, "tieWordEmbeddings", true, w);
  c.scaleDecoderOutputs = GetBoolOr(obj, "scaleDecoderOutputs", true, w);
  c.decoderStartTokenId = GetInt(obj, "decoderStartTokenId", w);
  c.padTokenId = GetInt(obj, "padTokenId", w);
  c.Validate();
  return c;
}

Napi::Object T5ConfigToJs(Napi::Env env, const T5Config& c) {
  auto o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  o.Set("modelType", "t5");
  num("vocabSize", static_cast<double>(c.vocabSize));
  num("dModel", static_cast<double>(c.dModel));
  num("dKv", static_cast<double>(c.dKv));
  num("dFf", static_cast<double>(c.dFf));
  num("numLayers", static_cast<double>(c.numLayers));
  num("numDecoderLayers", static_cast<double>(c.numDecoderLayers));
  num("numHeads", static_cast<double>(c.numHeads));
  num("relativeAttentionNumBuckets", static_cast<double>(c.relativeAttentionNumBuckets));
  num("relativeAttentionMaxDistance", static_cast<double>(c.relativeAttentionMaxDistance));
  num("dropoutRate", c.dropoutRate);
  num("layerNormEpsilon", c.layerNormEpsilon);
  num("initializerFactor", c.initializerFactor);
  o.Set("denseActivation", c.denseActivation);
  o.Set("gatedActivation", c.gatedActivation);
  o.Set("tieWordEmbeddings", c.tieWordEmbeddings);
  o.Set("scaleDecoderOutputs", c.scaleDecoderOutputs);
  num("decoderStartTokenId", static_cast<double>(c.decoderStartTokenId));
  num("padTokenId", static_cast<double>(c.padTokenId));
  return o;
}

BatchView BatchFromJs(const Napi::Value& value) {
  if (!value.IsObject()) throw UserError("batch must be an object {inputIds, labels?, attentionMask?, positionIds?, sequenceIds?, batchSize, seqLen}");
  auto obj = value.As<Napi::Object>();
  const int64_t b = GetInt(obj, "batchSize", "batch");
  const int64_t t = GetInt(obj, "seqLen", "batch");
  if (b <= 0 || t <= 0) throw UserError("batch.batchSize and batch.seqLen must be positive");
  const int64_t labelLen = obj.Get("labelLen").IsUndefined() ? t : GetInt(obj, "labelLen", "batch");
  if (labelLen <= 0) throw UserError("batch.labelLen must be positive");
  BatchView view;
  // Each present field is viewed in place ([b, t] int32; labels [b, labelLen]) and kept alive until the work is done.
  auto field = [&](const char* key, bool required, int64_t length) -> torch::Tensor {
    Napi::Value v = obj.Get(key);
    if (v.IsUndefined() && !required) return torch::Tensor();
    view.keepAlive.push_back(v);
    return ViewInt32Array(v, {b, length}, std::string("batch.") + key);
  };
  view.tokens.inputIds = field("inputIds", true, t);
  view.tokens.labels = field("labels", false, labelLen);
  view.tokens.attentionMask = field("attentionMask", false, t);
  view.tokens.positionIds = field("positionIds", false, t);
  view.tokens.sequenceIds = field("sequenceIds", false, t);
  if (view.tokens.sequenceIds.defined() && !view.tokens.positionIds.defined()) {
    throw UserError("batch.sequenceIds (packing) needs batch.positionIds that restart at 0 for each sequence");
  }
  return view;
}

}  // namespace pn
