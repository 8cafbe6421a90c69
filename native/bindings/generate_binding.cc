// exports.generate(model, prompts, options): fixed-batch generation on the tensor thread (native/generate);
// exports.generateContinuous(model, prompts, options): continuous batching (decoder-only models).
#include <cstring>
#include <memory>
#include <mutex>

#include "bindings/js_args.h"
#include "bindings/model_binding.h"
#include "bindings/registry.h"
#include "bridge/tensor_bridge.h"
#include "common/async_task.h"
#include "common/autocast_guard.h"
#include "common/errors.h"
#include "generate/continuous.h"
#include "generate/generate.h"
#include "generate/score.h"

namespace pn {
namespace {

struct Prompts {
  torch::Tensor inputIds, attentionMask;
  std::vector<Napi::Value> keepAlive;
};

// {inputIds, batchSize, seqLen} with either attentionMask [B, T] (0/1, e.g. left padding) or lengths [B]
// (row b's prompt is its first lengths[b] tokens).
Prompts PromptsFromJs(const Napi::Value& value) {
  BatchView batch = BatchFromJs(value);
  const TokenBatch& t = batch.tokens;
  if (t.labels.defined() || t.positionIds.defined() || t.sequenceIds.defined()) {
    throw UserError("prompts take inputIds with attentionMask or lengths (no labels, positionIds or sequenceIds)");
  }
  Prompts p{t.inputIds, t.attentionMask, batch.keepAlive};
  Napi::Value lengths = value.As<Napi::Object>().Get("lengths");
  if (!lengths.IsUndefined()) {
    if (p.attentionMask.defined()) throw UserError("prompts: give attentionMask or lengths, not both");
    const int64_t b = p.inputIds.size(0), t = p.inputIds.size(1);
    torch::Tensor l = ViewInt32Array(lengths, {b}, "prompts.lengths").to(torch::kInt64);
    if ((l < 1).logical_or(l > t).any().item<bool>()) throw UserError("prompts.lengths must be in [1, seqLen]");
    p.attentionMask = (torch::arange(t, torch::kInt64).unsqueeze(0) < l.unsqueeze(1)).to(torch::kInt32);
  }
  return p;
}

GenerateOptions OptionsFromJs(const Napi::Value& value) {
  GenerateOptions o;
  if (value.IsUndefined()) return o;
  if (!value.IsObject()) throw UserError("generate options must be an object");
  auto obj = value.As<Napi::Object>();
  const std::string w = "generate options";
  const double maxNew = GetNumberOr(obj, "maxNewTokens", 128, w);
  if (!(maxNew >= 1) || maxNew != static_cast<double>(static_cast<int64_t>(maxNew))) throw UserError("maxNewTokens must be a positive integer");
  o.maxNewTokens = static_cast<int64_t>(maxNew);
  if (!obj.Get("eosTokenIds").IsUndefined()) {
    if (!obj.Get("eosTokenIds").IsArray()) throw UserError("eosTokenIds must be an array of token ids");
    auto arr = obj.Get("eosTokenIds").As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() != static_cast<double>(v.As<Napi::Number>().Int64Value())) {
        throw UserError("eosTokenIds[" + std::to_string(i) + "] must be an integer token id");
      }
      o.eosIds.push_back(v.As<Napi::Number>().Int64Value());
    }
  }
  o.padId = static_cast<int64_t>(GetNumberOr(obj, "padTokenId", 0, w));
  o.temperature = GetNumberOr(obj, "temperature", 0, w);
  o.topP = GetNumberOr(obj, "topP", 1, w);
  const double seed = GetNumberOr(obj, "seed", 0, w);
  if (!(seed >= 0) || seed != static_cast<double>(static_cast<uint64_t>(seed))) throw UserError("seed must be an integer >= 0");
  o.seed = static_cast<uint64_t>(seed);
  return o;
}

Napi::Value ResultToJs(Napi::Env env, GenerateResult& r) {
  auto o = Napi::Object::New(env);
  const int64_t b = r.tokens.size(0), n = r.tokens.size(1);
  auto tokens = Napi::Int32Array::New(env, static_cast<size_t>(b * n));
  std::memcpy(tokens.Data(), r.tokens.contiguous().data_ptr<int32_t>(), sizeof(int32_t) * static_cast<size_t>(b * n));
  auto lengths = Napi::Int32Array::New(env, static_cast<size_t>(b));
  std::memcpy(lengths.Data(), r.lengths.contiguous().data_ptr<int32_t>(), sizeof(int32_t) * static_cast<size_t>(b));
  o.Set("tokens", tokens);
  o.Set("lengths", lengths);
  o.Set("batchSize", static_cast<double>(b));
  o.Set("maxNewTokens", static_cast<double>(n));
  o.Set("steps", static_cast<double>(r.steps));
  o.Set("reusedPromptTokens", static_cast<double>(r.reusedPromptTokens));
  return o;
}

Napi::Value GenerateJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 2) throw UserError("generate(model, prompts, options?) needs a model and prompts");
    std::shared_ptr<ModelHost> model = ModelWrap::ModelOf(info[0]);
    Prompts prompts = PromptsFromJs(info[1]);
    GenerateOptions options = OptionsFromJs(info.Length() > 2 ? info[2] : info.Env().Undefined());
    return AsyncTask<GenerateResult>::Start(
        info.Env(),
        [model, prompts, options] {
          std::lock_guard<std::mutex> lock(model->mutex());
          AutocastGuard autocast(model->device().type(), model->bf16(), at::kBFloat16);
          if (auto t5 = std::dynamic_pointer_cast<T5Model>(model)) return GenerateSeq2Seq(*t5, prompts.inputIds, prompts.attentionMask, options);
          return Generate(*ModelWrap::AsLlama(model, "generation"), prompts.inputIds, prompts.attentionMask, options);
        },
        ResultToJs, prompts.keepAlive);
  });
}

// {slots, minSharedPrefix?, rowIds?, onProgress?} beside the generate options. onProgress(done) runs on the JS thread, after
// the fact (calls may still arrive after the Promise settled).
struct Continuous {
  ContinuousOptions options;
  Napi::Function onProgress;
};

Continuous ContinuousFromJs(const Napi::Value& value) {
  Continuous c;
  if (value.IsUndefined()) return c;
  auto obj = value.As<Napi::Object>();
  const double slots = GetNumberOr(obj, "slots", 16, "generate options");
  if (!(slots >= 1) || slots != static_cast<double>(static_cast<int64_t>(slots))) throw UserError("slots must be a positive integer");
  c.options.slots = static_cast<int64_t>(slots);
  const double minShared = GetNumberOr(obj, "minSharedPrefix", static_cast<double>(c.options.minSharedPrefix), "generate options");
  if (!(minShared >= 0) || minShared != static_cast<double>(static_cast<int64_t>(minShared))) {
    throw UserError("minSharedPrefix must be an integer >= 0 (0: no shared prefixes)");
  }
  c.options.minSharedPrefix = static_cast<int64_t>(minShared);
  Napi::Value rowIds = obj.Get("rowIds");
  if (!rowIds.IsUndefined()) {
    if (!rowIds.IsArray()) throw UserError("rowIds must be an array of integers >= 0");
    auto arr = rowIds.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) throw UserError("rowIds[" + std::to_string(i) + "] must be an integer >= 0");
      c.options.rowIds.push_back(static_cast<int64_t>(d));
    }
  }
  Napi::Value progress = obj.Get("onProgress");
  if (!progress.IsUndefined()) {
    if (!progress.IsFunction()) throw UserError("onProgress must be a function");
    c.onProgress = progress.As<Napi::Function>();
  }
  return c;
}

// Releases a progress thread-safe function when the work ends, however it ends.
struct ProgressRelease {
  std::shared_ptr<Napi::ThreadSafeFunction> fn;
  ~ProgressRelease() {
    if (fn) fn->Release();
  }
};

Napi::Value GenerateContinuousJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 2) throw UserError("generateContinuous(model, prompts, options?) needs a model and prompts");
    std::shared_ptr<ModelHost> model = ModelWrap::ModelOf(info[0]);
    if (std::dynamic_pointer_cast<T5Model>(model)) {
      throw UserError("continuous batching runs decoder-only models; encoder-decoder (T5) models use generate (fixed batches)");
    }
    Prompts prompts = PromptsFromJs(info[1]);
    const Napi::Value optionsJs = info.Length() > 2 ? info[2] : info.Env().Undefined();
    GenerateOptions options = OptionsFromJs(optionsJs);
    Continuous continuous = ContinuousFromJs(optionsJs);
    std::shared_ptr<Napi::ThreadSafeFunction> progress;
    if (!continuous.onProgress.IsEmpty()) {
      progress = std::make_shared<Napi::ThreadSafeFunction>(
          Napi::ThreadSafeFunction::New(info.Env(), continuous.onProgress, "peft-native generate progress", 0, 1));
      continuous.options.onRowDone = [progress](int64_t done) {
        progress->NonBlockingCall([done](Napi::Env env, Napi::Function fn) {
          if (env != nullptr) fn.Call({Napi::Number::New(env, static_cast<double>(done))});
        });
      };
    }
    ContinuousOptions copts = continuous.options;
    return AsyncTask<GenerateResult>::Start(
        info.Env(),
        [model, prompts, options, copts, progress] {
          ProgressRelease release{progress};
          std::lock_guard<std::mutex> lock(model->mutex());
          AutocastGuard autocast(model->device().type(), model->bf16(), at::kBFloat16);
          return GenerateContinuous(*ModelWrap::AsLlama(model, "generation"), prompts.inputIds, prompts.attentionMask, options, copts);
        },
        ResultToJs, prompts.keepAlive);
  });
}

// Token ids from an Int32Array or an array of integers.
std::vector<int64_t> IdsFromJs(const Napi::Value& value, const std::string& what) {
  std::vector<int64_t> ids;
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto a = value.As<Napi::Int32Array>();
    ids.assign(a.Data(), a.Data() + a.ElementLength());
    return ids;
  }
  if (!value.IsArray()) throw UserError(what + " must be an Int32Array or an array of token ids");
  auto arr = value.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) throw UserError(what + "[" + std::to_string(i) + "] must be an integer token id");
    ids.push_back(static_cast<int64_t>(d));
  }
  return ids;
}

// scoreContinuations(model, [{ prompt, candidates: [...] }, ...]) -> per request, per candidate
// { logProb, tokens, greedy } (native/generate/score.h).
Napi::Value ScoreContinuationsJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[1].IsArray()) throw UserError("scoreContinuations(model, requests) needs a model and an array of { prompt, candidates }");
    std::shared_ptr<ModelHost> model = ModelWrap::ModelOf(info[0]);
    std::vector<ScoreRequest> requests;
    auto arr = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const std::string w = "requests[" + std::to_string(i) + "]";
      if (!arr.Get(i).IsObject()) throw UserError(w + " must be an object { prompt, candidates }");
      auto o = arr.Get(i).As<Napi::Object>();
      ScoreRequest r;
      r.prompt = IdsFromJs(o.Get("prompt"), w + ".prompt");
      if (!o.Get("candidates").IsArray()) throw UserError(w + ".candidates must be an array");
      auto cs = o.Get("candidates").As<Napi::Array>();
      for (uint32_t c = 0; c < cs.Length(); ++c) r.candidates.push_back(IdsFromJs(cs.Get(c), w + ".candidates[" + std::to_string(c) + "]"));
      requests.push_back(std::move(r));
    }
    return AsyncTask<std::vector<std::vector<ContinuationScore>>>::Start(
        info.Env(),
        [model, requests] {
          std::lock_guard<std::mutex> lock(model->mutex());
          AutocastGuard autocast(model->device().type(), model->bf16(), at::kBFloat16);
          return ScoreContinuations(*model, requests);
        },
        [](Napi::Env env, std::vector<std::vector<ContinuationScore>>& scores) -> Napi::Value {
          auto out = Napi::Array::New(env, scores.size());
          for (size_t i = 0; i < scores.size(); ++i) {
            auto row = Napi::Array::New(env, scores[i].size());
            for (size_t c = 0; c < scores[i].size(); ++c) {
              auto s = Napi::Object::New(env);
              s.Set("logProb", scores[i][c].logProb);
              s.Set("tokens", static_cast<double>(scores[i][c].tokens));
              s.Set("greedy", scores[i][c].greedy);
              row.Set(static_cast<uint32_t>(c), s);
            }
            out.Set(static_cast<uint32_t>(i), row);
          }
          return out;
        });
  });
}

}  // namespace

void RegisterGenerate(Napi::Env env, Napi::Object exports) {
  exports.Set("scoreContinuations", Napi::Function::New(env, ScoreContinuationsJs, "scoreContinuations"));
  exports.Set("generate", Napi::Function::New(env, GenerateJs, "generate"));
  exports.Set("generateContinuous", Napi::Function::New(env, GenerateContinuousJs, "generateContinuous"));
}

}  // namespace pn
