// What the fixed-batch (generate.cc) and continuous-batching (continuous.cc) generators share: option and
// prompt checks, the attention mask of a decoding pass, and the choice of the next token.
#pragma once

#include "common/torch_api.h"

#include <cstdint>

#include "generate/generate.h"

namespace pn {

void ValidateOptions(const GenerateOptions& o, int64_t vocabSize);

// The prompts' attention mask as int64 (all 1 when undefined), checked: 0/1 values, a real token in every row.
torch::Tensor PromptMask(const torch::Tensor& inputIds, const torch::Tensor& attentionMask);

// Throws the UserError of a prompt that does not fit the model's positions with its new and virtual tokens.
void CheckPositions(int64_t longestPrompt, int64_t virtualTokens, const GenerateOptions& o, int64_t maxPositions);

// Boolean [B, 1, Tq, K] attention mask for queries at cache indices firstQuery.. (positions queryPos [B, Tq])
// over keys 0..K-1 (valid keyValid [B, K], positions keyPos [B, K]): causal in cache order, padding keys
// hidden, and with a sliding window W only keys whose position is within W - 1 of the query's (HF's rule
// q - k < W; with left padding cache order and positions differ by a constant). Undefined when plain causal
// attention is the same (one query that sees every key, or an unpadded prompt without a biting window). A
// query that may see nothing (a padding position) attends uniformly, as HF's additive min-value masking
// does; its output is never used.
torch::Tensor StepMask(const torch::Tensor& keyValid, const torch::Tensor& keyPos, const torch::Tensor& queryPos,
                       int64_t firstQuery, int64_t window);

// Next token per row from logits [A, V]: argmax (temperature 0) or a sample drawn with `generator`.
torch::Tensor ChooseTokens(const torch::Tensor& logits, const GenerateOptions& o, at::Generator& generator);

}  // namespace pn
