#include "peft/full_finetuning.h"

#include "models/llama.h"

namespace pn {

void EnableFullFinetuning(LlamaModel& model) {
  if (model.method() == "full") return;
  model.BeginMethod("full", /*freezeBase=*/false);
}

}  // namespace pn
