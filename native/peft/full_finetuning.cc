#include "peft/full_finetuning.h"

#include "models/model_host.h"

namespace pn {

void EnableFullFinetuning(ModelHost& model) {
  if (model.method() == "full") return;
  model.BeginMethod("full", /*freezeBase=*/false);
}

}  // namespace pn
