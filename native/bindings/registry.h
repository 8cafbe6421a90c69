// Each binding file adds its functions to the module's exports.
#pragma once

#include <napi.h>

namespace pn {

void RegisterRuntime(Napi::Env env, Napi::Object exports);      // info, setNumThreads, manualSeed, devices, CUDA memory
void RegisterBridge(Napi::Env env, Napi::Object exports);       // bridge test hooks
void RegisterSafetensors(Napi::Env env, Napi::Object exports);  // safetensors.*
void RegisterModel(Napi::Env env, Napi::Object exports);        // Model, Trainer
void RegisterGenerate(Napi::Env env, Napi::Object exports);     // generate(model, prompts, options)
void RegisterTesting(Napi::Env env, Napi::Object exports);      // testing.* hooks for numeric checks
void RegisterBench(Napi::Env env, Napi::Object exports);        // bench.* (measured peak for MFU)

}  // namespace pn
