#include "generate/decode_common.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/errors.h"

namespace pn {

void ValidateOptions(const GenerateOptions& o, int64_t vocabSize) {
  if (o.maxNewTokens <= 0) throw UserError("maxNewTokens must be a positive integer");
  auto inVocab = [&](int64_t id) { return id >= 0 && id < vocabSize; };
  for (int64_t id : o.eosIds) {
    if (!inVocab(id)) throw UserError("EOS token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocabSize) + ")");
  }
  if (!inVocab(o.padId)) throw UserError("pad token id " + std::to_string(o.padId) + " is outside the vocabulary [0, " + std::to_string(vocabSize) + ")");
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature)) throw UserError("temperature must be a finite number >= 0 (0 = greedy)");
  if (!(o.topP > 0 && o.topP <= 1)) throw UserError("topP must be in (0, 1]");
}

torch::Tensor PromptMask(const torch::Tensor& inputIds, const torch::Tensor& attentionMask) {
  if (inputIds.dim() != 2 || inputIds.size(0) == 0 || inputIds.size(1) == 0) {
    throw UserError("prompt ids must be a non-empty [batch, seq] tensor");
  }
  torch::Tensor mask = attentionMask.defined() ? attentionMask.to(torch::kInt64) : torch::ones_like(inputIds, torch::kInt64);
  if (((mask != 0).logical_and(mask != 1)).any().item<bool>()) throw UserError("attention mask values must be 0 or 1");
  torch::Tensor realTokens = mask.sum(1);
  if ((realTokens == 0).any().item<bool>()) {
    throw UserError("prompt row " + std::to_string((realTokens == 0).nonzero()[0][0].item<int64_t>()) +
                    " has no real token (its attention mask is all 0)");
  }
  return mask;
}

torch::Tensor StepMask(const torch::Tensor& keyValid, const torch::Tensor& keyPos, const torch::Tensor& queryPos,
                       int64_t firstQuery, int64_t window) {
  const int64_t keys = keyValid.size(1), queries = queryPos.size(1);
  const bool windowBites = window > 0 && (queryPos.max() - keyPos.masked_fill(keyValid.logical_not(), std::numeric_limits<int64_t>::max() / 2).min()).item<int64_t>() >= window;
  if (!windowBites && keyValid.all().item<bool>()) {
    if (queries == 1) return torch::Tensor();                              // one query sees every key
    if (firstQuery == 0 && queries == keys) return torch::Tensor();         // plain causal prefill
  }
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(keyValid.device());
  torch::Tensor keyIndex = torch::arange(keys, opts);
  torch::Tensor queryIndex = torch::arange(firstQuery, firstQuery + queries, opts);
  torch::Tensor allowed = keyValid.unsqueeze(1).logical_and(keyIndex.view({1, 1, keys}) <= queryIndex.view({1, queries, 1}));
  if (window > 0) allowed = allowed.logical_and((queryPos.unsqueeze(2) - keyPos.unsqueeze(1)) < window);
  allowed = allowed.logical_or(allowed.logical_not().all(-1, /*keepdim=*/true));
  return allowed.unsqueeze(1);
}

torch::Tensor ChooseTokens(const torch::Tensor& logits, const GenerateOptions& o, at::Generator& generator) {
  if (o.temperature == 0) return logits.argmax(-1);
  torch::Tensor scores = logits.to(torch::kCPU, torch::kFloat32) / o.temperature;
  if (o.topP < 1) {
    // HF TopPLogitsWarper: drop the least likely tokens whose cumulative probability is <= 1 - topP,
    // always keeping the most likely one.
    auto [sorted, order] = scores.sort(-1, /*descending=*/false);
    torch::Tensor cumulative = sorted.softmax(-1).cumsum(-1);
    torch::Tensor remove = cumulative <= (1 - o.topP);
    remove.select(-1, remove.size(-1) - 1).fill_(false);
    scores = scores.scatter(-1, order, sorted.masked_fill(remove, -std::numeric_limits<float>::infinity()));
  }
  torch::Tensor probs = scores.softmax(-1);
  return at::multinomial(probs, 1, /*replacement=*/false, generator).squeeze(1).to(logits.device());
}

void CheckPositions(int64_t longest, int64_t virtual_, const GenerateOptions& o, int64_t maxPositions) {
  if (virtual_ + longest + o.maxNewTokens - 1 > maxPositions) {
    throw UserError("prompt of " + std::to_string(longest) + " tokens + " + std::to_string(o.maxNewTokens) + " new tokens" +
                    (virtual_ > 0 ? " + " + std::to_string(virtual_) + " virtual tokens" : std::string()) +
                    " exceeds max_position_embeddings " + std::to_string(maxPositions));
  }
}

}  // namespace pn
