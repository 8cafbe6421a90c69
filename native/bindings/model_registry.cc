// exports.Model, exports.Trainer and exports.ProcessGroup.
#include "bindings/model_binding.h"
#include "bindings/process_group_binding.h"
#include "bindings/registry.h"
#include "bindings/trainer_binding.h"

namespace pn {

void RegisterModel(Napi::Env env, Napi::Object exports) {
  exports.Set("Model", ModelWrap::Define(env));
  exports.Set("Trainer", TrainerWrap::Define(env));
  exports.Set("ProcessGroup", ProcessGroupWrap::Define(env));
}

}  // namespace pn
