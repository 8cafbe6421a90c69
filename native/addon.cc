// Module registration for the peft-native addon. The JS-facing surface is typed in src/native/binding.ts.
#include <napi.h>

#include "bindings/registry.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pn::RegisterRuntime(env, exports);
  pn::RegisterBridge(env, exports);
  pn::RegisterSafetensors(env, exports);
  pn::RegisterModel(env, exports);
  pn::RegisterTesting(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(peft_native, Init)
