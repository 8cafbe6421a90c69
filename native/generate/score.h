// Log-likelihood scoring of continuations (multiple-choice benchmarks: MMLU, TruthfulQA MC): for a prompt and
// several candidate continuations, the sum of the candidates' token log-probabilities given the prompt.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <vector>

#include "models/model_host.h"

namespace pn {

struct ScoreRequest {
  std::vector<int64_t> prompt;                   // >= 1 token
  std::vector<std::vector<int64_t>> candidates;  // >= 1 candidate of >= 1 token each
};

struct ContinuationScore {
  double logProb = 0;    // sum over the candidate's tokens of log p(token | prompt, earlier candidate tokens)
  int64_t tokens = 0;
  bool greedy = false;   // every candidate token is the argmax of its distribution
};

// One score per candidate of each request, in order. Decoder-only models run each prompt once and the
// candidates as one batch against copies of its KV cache; encoder-decoders (T5) run the candidates as decoder
// targets of a batch of the (identical) sources. Log-softmax in float32 whatever the model's precision.
// Runs under inference mode; the caller holds the model's mutex (and sets its autocast).
std::vector<std::vector<ContinuationScore>> ScoreContinuations(ModelHost& model, const std::vector<ScoreRequest>& requests);

}  // namespace pn
