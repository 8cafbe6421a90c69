#include "common/async_task.h"

namespace pn {

TensorThread& TensorThreadOf(Napi::Env env) {
  auto* thread = env.GetInstanceData<TensorThread>();
  if (thread == nullptr) throw Napi::Error::New(env, "peft-native: the tensor thread is not running (addon not initialized)");
  return *thread;
}

}  // namespace pn
