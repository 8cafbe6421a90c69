// BitFit (Ben Zaken et al. 2022): only biases train.
#pragma once

#include <string>
#include <vector>

#include "models/model_host.h"

namespace pn {

struct BitfitOptions {
  ModuleTargets targets;       // empty: every block linear
  std::string init = "zeros";  // a new bias: zeros (output unchanged) | normal: normal(0, 1), as the study's code
  uint64_t seed = 0;
};

// Freezes the base and makes the targets' biases trainable (new ones where none exist); returns the targets.
std::vector<std::string> ApplyBitfit(ModelHost& model, const BitfitOptions& options);

}  // namespace pn
