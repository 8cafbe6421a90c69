// Full finetuning, the baseline: every parameter trains. Listed with the PEFT methods so a model reports it
// as its method and refuses to combine it with one.
#pragma once

namespace pn {

class ModelHost;

// Idempotent: a model already in full finetuning stays as it is.
void EnableFullFinetuning(ModelHost& model);

}  // namespace pn
