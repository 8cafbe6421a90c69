// Reading and checking JS arguments at the boundary (TS validates first; this is the second check).
#pragma once

#include <napi.h>
#include "common/torch_api.h"

#include <map>
#include <string>
#include <vector>

#include "models/config.h"
#include "models/t5_config.h"
#include "models/token_batch.h"

namespace pn {

double GetNumber(const Napi::Object& obj, const char* key, const std::string& what);
double GetNumberOr(const Napi::Object& obj, const char* key, double fallback, const std::string& what);
int64_t GetInt(const Napi::Object& obj, const char* key, const std::string& what);
bool GetBoolOr(const Napi::Object& obj, const char* key, bool fallback, const std::string& what);
std::string GetStringOr(const Napi::Object& obj, const char* key, const std::string& fallback, const std::string& what);
std::vector<std::string> GetStringArray(const Napi::Value& value, const std::string& what);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t index, const std::string& what);
std::string ArgString(const Napi::CallbackInfo& info, size_t index, const std::string& what);
// A JS object of string values (safetensors metadata); undefined gives an empty map.
std::map<std::string, std::string> StringMapFromJs(const Napi::Value& value, const std::string& what);

ModelConfig ModelConfigFromJs(const Napi::Object& obj);
Napi::Object ModelConfigToJs(Napi::Env env, const ModelConfig& config);
T5Config T5ConfigFromJs(const Napi::Object& obj);
Napi::Object T5ConfigToJs(Napi::Env env, const T5Config& config);

// A token batch viewed without copying ([batchSize, seqLen] int32 arrays; labels are [batchSize, labelLen]
// when labelLen is given: an encoder-decoder's targets); `keepAlive` lists the typed arrays the tensors point into.
struct BatchView {
  TokenBatch tokens;
  std::vector<Napi::Value> keepAlive;
};
BatchView BatchFromJs(const Napi::Value& value);

}  // namespace pn
