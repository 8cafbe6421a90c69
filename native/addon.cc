// Module registration for the peft-native addon. The JS-facing surface is typed in src/native/binding.ts.
#include <napi.h>

#include <memory>

#include "bindings/registry.h"
#include "common/large_block_cache.h"
#include "common/malloc_arenas.h"
#include "common/tensor_thread.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pn::LimitMallocArenas();
  pn::InstallLargeBlockCache();
  // The environment owns the tensor thread and deletes it (joining the thread) at teardown.
  env.SetInstanceData(std::make_unique<pn::TensorThread>().release());
  pn::RegisterRuntime(env, exports);
  pn::RegisterBridge(env, exports);
  pn::RegisterSafetensors(env, exports);
  pn::RegisterModel(env, exports);
  pn::RegisterGenerate(env, exports);
  pn::RegisterTesting(env, exports);
  pn::RegisterBench(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(peft_native, Init)
