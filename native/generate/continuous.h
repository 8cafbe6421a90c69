// Continuous batching for decoder-only models: `slots` rows decode together, each in its own slot of a KV
// cache preallocated per slot (slot_cache.h). Prompts wait in a queue, longest first; when a row ends (EOS or
// maxNewTokens) its slot is refilled from the queue at once, so a batch never waits for its longest answer.
// Prompts that begin alike are prefilled on top of their shared beginning's keys/values, computed once.
// A row's positions and attended keys are those it would have alone (positions cumsum(mask) - 1 + virtual
// tokens, as Generate), so greedy ids are those of Generate on the same prompt.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <functional>
#include <vector>

#include "generate/generate.h"
#include "models/llama.h"

namespace pn {

struct ContinuousOptions {
  // Rows decoded together (the batch size); more than the prompts is fine.
  int64_t slots = 16;
  // Sampling (temperature > 0): row r draws from its own generator, seeded from (seed, rowIds[r]) (rowIds
  // empty: r). So a prompt's sample depends on the seed, its row id and the model, not on the other prompts,
  // the slots or the order of admission.
  std::vector<int64_t> rowIds;
  // Prompts beginning with at least this many equal tokens share their keys/values (shared_prefixes.h):
  // computed once per group, copied into each member's slot; <= 0 computes every prompt whole.
  int64_t minSharedPrefix = 32;
  // Called on the generating thread with the number of rows finished so far, after each row's end.
  std::function<void(int64_t)> onRowDone;
};

// inputIds [N, T] int32/int64, attentionMask [N, T] 0/1 (undefined: all real; padding on either side).
// Result as Generate's (rows in input order); `steps` counts batched decoding passes (one token per slot).
// Runs under inference mode; the caller holds the model's mutex.
GenerateResult GenerateContinuous(LlamaModel& model, const torch::Tensor& inputIds, const torch::Tensor& attentionMask,
                                  const GenerateOptions& options, const ContinuousOptions& continuous);

}  // namespace pn
