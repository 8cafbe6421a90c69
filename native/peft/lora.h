// LoRA and DoRA on the model's linear layers, as HF PEFT initializes and computes them (LoraLinear,
// DoraLinear), hosted as LinearAdapters.
#pragma once

#include <string>
#include <vector>

#include "common/torch_api.h"

namespace pn {

class ModelHost;

struct LoraOptions {
  int64_t r = 8;
  double alpha = 8;
  double dropout = 0;
  std::vector<std::string> targetModules;  // exact name or ".name" suffix (HF PEFT list form)
  std::string targetRegex;                 // full-match regex (HF PEFT string form), used when non-empty
  bool useRslora = false;
  bool useDora = false;          // DoRA: a trainable magnitude per output row (PEFT use_dora)
  std::string init = "kaiming";  // kaiming | gaussian
  uint64_t seed = 0;
};

// Freezes the base and attaches LoRA (or DoRA) to the target linears; returns their names.
std::vector<std::string> ApplyLora(ModelHost& model, const LoraOptions& options);

}  // namespace pn
