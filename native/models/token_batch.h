// The token tensors of one batch as the model consumes them.
#pragma once

#include "common/torch_api.h"

namespace pn {

// All [B, T] int32; everything but inputIds may be undefined. They arrive on the CPU (views of JS memory)
// and the model moves them to its device (ToDevice).
struct TokenBatch {
  torch::Tensor inputIds;
  torch::Tensor labels;         // aligned with inputIds (shifted inside the model); -100 = no loss
  torch::Tensor attentionMask;  // 1 = real token, 0 = padding
  // Packing (several sequences in one row): RoPE positions, restarting at 0 for each sequence, and the
  // sequence each token belongs to (1, 2, ... within a row; 0 = padding). Tokens attend only to earlier
  // tokens of their own sequence, and no token is a training target of the previous sequence's last one.
  torch::Tensor positionIds;
  torch::Tensor sequenceIds;
};

// The same batch on `device` (the tensors themselves when already there). To CUDA: one pinned staging copy,
// then an asynchronous host-to-device copy, so the JS memory is read once and the upload overlaps queued work.
TokenBatch ToDevice(const TokenBatch& batch, const torch::Device& device);

// The training targets after the one-token shift, flattened to [B * (T - 1)] int64: labels[:, 1:], with
// -100 also where a packed sequence starts (its first token is not predicted from the previous one).
// Needs batch.labels and T > 1.
torch::Tensor ShiftedTargets(const TokenBatch& batch);

// How many positions count in the loss (ShiftedTargets != -100); 0 without labels or for T = 1.
int64_t CountTargets(const TokenBatch& batch);

}  // namespace pn
