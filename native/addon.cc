// Module registration for the peft-native addon. The JS-facing surface is typed in src/native/binding.ts.
#include <malloc.h>
#include <napi.h>

#include <cstdlib>

#include "bindings/registry.h"

namespace {

// Tensor work runs on whichever libuv pool thread picks it up; with glibc's default of one malloc arena
// per thread, memory freed by one step is not reused by the next on another thread, and peak RSS grew
// to ~2.2x the working set (BENCHMARKS.md). One arena keeps it reusable. MALLOC_ARENA_MAX, when set,
// wins. (Threads that already own an arena keep it; the pool's threads mostly start after this.)
void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 1);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  LimitMallocArenas();
  pn::RegisterRuntime(env, exports);
  pn::RegisterBridge(env, exports);
  pn::RegisterSafetensors(env, exports);
  pn::RegisterModel(env, exports);
  pn::RegisterTesting(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(peft_native, Init)
