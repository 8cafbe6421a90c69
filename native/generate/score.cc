#include "generate/score.h"

#include <algorithm>
#include <string>

#include "common/errors.h"
#include "generate/decode_common.h"
#include "models/kv_cache.h"
#include "models/llama.h"
#include "models/t5.h"

namespace pn {
namespace {

void CheckIds(const std::vector<int64_t>& ids, int64_t vocab, const std::string& what) {
  if (ids.empty()) throw UserError(what + " is empty");
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab) throw UserError(what + " holds token id " + std::to_string(id) + ", outside the vocabulary [0, " + std::to_string(vocab) + ")");
  }
}

int64_t Longest(const ScoreRequest& r) {
  size_t longest = 0;
  for (const auto& c : r.candidates) longest = std::max(longest, c.size());
  return static_cast<int64_t>(longest);
}

// Candidates right-padded with `pad` into [K, longest] int64, and which entries are real.
std::pair<torch::Tensor, torch::Tensor> Padded(const ScoreRequest& r, int64_t longest, int64_t pad) {
  const int64_t k = static_cast<int64_t>(r.candidates.size());
  torch::Tensor ids = torch::full({k, longest}, pad, torch::kInt64);
  torch::Tensor real = torch::zeros({k, longest}, torch::kBool);
  for (int64_t i = 0; i < k; ++i) {
    const auto& c = r.candidates[static_cast<size_t>(i)];
    ids[i].narrow(0, 0, static_cast<int64_t>(c.size())).copy_(torch::tensor(c, torch::kInt64));
    real[i].narrow(0, 0, static_cast<int64_t>(c.size())).fill_(true);
  }
  return {ids, real};
}

// Sums of the targets' log-probabilities from log-probabilities [K, L, V] (float32) over the real entries.
std::vector<ContinuationScore> Collect(const torch::Tensor& logProbs, const torch::Tensor& targets, const torch::Tensor& real) {
  const torch::Tensor ids = targets.to(logProbs.device());
  const torch::Tensor mask = real.to(logProbs.device());
  torch::Tensor picked = logProbs.gather(2, ids.unsqueeze(-1)).squeeze(-1).to(torch::kFloat64).masked_fill(~mask, 0);
  torch::Tensor isArgmax = logProbs.argmax(-1).eq(ids).logical_or(~mask);
  torch::Tensor sums = picked.sum(1).cpu(), greedy = isArgmax.all(1).cpu(), counts = mask.sum(1).cpu();
  std::vector<ContinuationScore> out(static_cast<size_t>(targets.size(0)));
  for (int64_t i = 0; i < targets.size(0); ++i) {
    out[static_cast<size_t>(i)] = {sums[i].item<double>(), counts[i].item<int64_t>(), greedy[i].item<bool>()};
  }
  return out;
}

std::vector<ContinuationScore> ScoreDecoderOnly(LlamaModel& model, const ScoreRequest& r) {
  const ModelConfig& config = model.config();
  const int64_t promptLen = static_cast<int64_t>(r.prompt.size());
  const int64_t k = static_cast<int64_t>(r.candidates.size());
  const int64_t longest = Longest(r);
  const int64_t virtual_ = model.VirtualTokenCount();
  // The last candidate token is predicted, never fed.
  const int64_t capacity = virtual_ + promptLen + longest - 1;
  if (capacity > config.maxPositionEmbeddings) {
    throw UserError("a prompt of " + std::to_string(promptLen) + " tokens and a candidate of " + std::to_string(longest) +
                    " do not fit the model's " + std::to_string(config.maxPositionEmbeddings) + " positions");
  }
  const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(model.device());
  // Unpadded rows: a token's cache slot is its position, every key valid.
  torch::Tensor keyValid = torch::ones({1, capacity}, longs.dtype(torch::kBool));
  torch::Tensor keyPos = torch::arange(capacity, longs).unsqueeze(0);
  KvCache cache(config.numHiddenLayers, capacity);
  model.PrefillVirtualTokens(cache, 1);
  const int64_t prefilled = virtual_ + promptLen;
  torch::Tensor positions = keyPos.narrow(1, virtual_, promptLen);
  torch::Tensor prompt = torch::tensor(r.prompt, torch::kInt64).unsqueeze(0).to(model.device());
  torch::Tensor hidden = model.DecodeHidden(prompt, positions, StepMask(keyValid.narrow(1, 0, prefilled), keyPos.narrow(1, 0, prefilled), positions, virtual_, config.slidingWindow), cache);
  // The prompt's last token predicts every candidate's first token.
  torch::Tensor first = torch::log_softmax(model.Logits(hidden.select(1, promptLen - 1)).to(torch::kFloat32), -1);  // [1, V]
  auto [targets, real] = Padded(r, longest, 0);
  torch::Tensor logProbs = first.unsqueeze(1).expand({k, 1, first.size(1)});
  if (longest > 1) {
    // The candidates, all but their last token, as one batch against copies of the prompt's cache.
    cache.KeepRows(torch::zeros({k}, longs));
    torch::Tensor fed = targets.narrow(1, 0, longest - 1).to(model.device());
    torch::Tensor queryPos = keyPos.narrow(1, prefilled, longest - 1).expand({k, longest - 1});
    torch::Tensor mask = StepMask(keyValid.expand({k, capacity}), keyPos.expand({k, capacity}), queryPos, prefilled, config.slidingWindow);
    torch::Tensor rest = torch::log_softmax(model.Logits(model.DecodeHidden(fed, queryPos, mask, cache)).to(torch::kFloat32), -1);
    logProbs = torch::cat({logProbs, rest}, 1);
  }
  return Collect(logProbs, targets, real);
}

std::vector<ContinuationScore> ScoreSeq2Seq(T5Model& model, const ScoreRequest& r) {
  const int64_t k = static_cast<int64_t>(r.candidates.size());
  const int64_t longest = Longest(r);
  auto [targets, real] = Padded(r, longest, 0);
  TokenBatch batch;
  batch.inputIds = torch::tensor(r.prompt, torch::kInt64).to(torch::kInt32).unsqueeze(0).expand({k, -1}).contiguous();
  batch.labels = targets.masked_fill(~real, -100).to(torch::kInt32);
  torch::Tensor logits = model.Forward(batch, /*wantLogits=*/true, /*training=*/false).logits;  // [K, longest, V]
  return Collect(torch::log_softmax(logits.to(torch::kFloat32), -1), targets, real);
}

}  // namespace

std::vector<std::vector<ContinuationScore>> ScoreContinuations(ModelHost& model, const std::vector<ScoreRequest>& requests) {
  c10::InferenceMode inference;
  auto* llama = dynamic_cast<LlamaModel*>(&model);
  auto* t5 = dynamic_cast<T5Model*>(&model);
  if (!llama && !t5) throw UserError("log-likelihood scoring supports Llama-family and T5 models, not " + model.architecture());
  const int64_t vocab = llama ? llama->config().vocabSize : t5->config().vocabSize;
  for (size_t i = 0; i < requests.size(); ++i) {
    const std::string where = "request " + std::to_string(i);
    CheckIds(requests[i].prompt, vocab, where + ": the prompt");
    if (requests[i].candidates.empty()) throw UserError(where + " has no candidates");
    for (size_t c = 0; c < requests[i].candidates.size(); ++c) CheckIds(requests[i].candidates[c], vocab, where + ": candidate " + std::to_string(c));
  }
  std::vector<std::vector<ContinuationScore>> out;
  out.reserve(requests.size());
  for (const auto& r : requests) out.push_back(llama ? ScoreDecoderOnly(*llama, r) : ScoreSeq2Seq(*t5, r));
  return out;
}

}  // namespace pn
