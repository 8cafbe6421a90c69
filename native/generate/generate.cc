#include "generate/generate.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "common/errors.h"
#include "generate/decode_common.h"

namespace pn {
namespace {

// The decoding loop of every architecture: a token per active row from `logits` [A, V], recorded; rows that
// produced an EOS leave the batch (keepRows gets the indices of those that stay, on the logits' device); `step`
// feeds the chosen tokens [A] of the remaining rows and returns their next logits.
GenerateResult DecodeLoop(int64_t batch, torch::Tensor logits, const GenerateOptions& o,
                          const std::function<torch::Tensor(const torch::Tensor&)>& step,
                          const std::function<void(const torch::Tensor&)>& keepRows) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  GenerateResult result;
  result.tokens = torch::full({batch, o.maxNewTokens}, o.padId, torch::TensorOptions().dtype(torch::kInt32));
  result.lengths = torch::zeros({batch}, torch::TensorOptions().dtype(torch::kInt32));
  auto tokensOut = result.tokens.accessor<int32_t, 2>();
  auto lengthsOut = result.lengths.accessor<int32_t, 1>();
  std::vector<int64_t> active(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) active[static_cast<size_t>(i)] = i;

  for (int64_t index = 0; index < o.maxNewTokens; ++index) {
    torch::Tensor next = ChooseTokens(logits, o, generator);
    torch::Tensor nextCpu = next.to(torch::kCPU);
    auto nextIds = nextCpu.accessor<int64_t, 1>();
    std::vector<int64_t> keep;
    for (size_t i = 0; i < active.size(); ++i) {
      const int64_t row = active[i], id = nextIds[static_cast<int64_t>(i)];
      tokensOut[row][index] = static_cast<int32_t>(id);
      lengthsOut[row] = static_cast<int32_t>(index + 1);
      bool eos = false;
      for (int64_t e : o.eosIds) eos = eos || id == e;
      if (!eos) keep.push_back(static_cast<int64_t>(i));
    }
    result.steps = index + 1;
    if (index + 1 == o.maxNewTokens || keep.empty()) break;
    if (keep.size() < active.size()) {
      // Finished rows leave the batch: later steps compute only the rows still generating.
      torch::Tensor rows = torch::tensor(keep, torch::kInt64).to(logits.device());
      std::vector<int64_t> stillActive;
      for (int64_t i : keep) stillActive.push_back(active[static_cast<size_t>(i)]);
      active = std::move(stillActive);
      keepRows(rows);
      next = next.index_select(0, rows);
    }
    logits = step(next);
  }
  return result;
}

}  // namespace

GenerateResult Generate(LlamaModel& model, const torch::Tensor& inputIdsArg, const torch::Tensor& attentionMask,
                        const GenerateOptions& o) {
  c10::InferenceMode inference;
  const ModelConfig& config = model.config();
  ValidateOptions(o, config.vocabSize);
  torch::Tensor mask = PromptMask(inputIdsArg, attentionMask);
  const int64_t batch = inputIdsArg.size(0), promptLen = inputIdsArg.size(1);
  torch::Tensor inputIds = inputIdsArg.to(torch::kInt64);
  const int64_t longest = mask.sum(1).max().item<int64_t>();
  // Prompt/prefix tuning: every row's cache starts with the same `virtual` slots, and its tokens follow them.
  const int64_t virtual_ = model.VirtualTokenCount();
  CheckPositions(longest, virtual_, o, config.maxPositionEmbeddings);

  // Prompts were checked on the host; everything from here on runs where the model is.
  inputIds = inputIds.to(model.device());
  mask = mask.to(model.device());
  // HF generate: positions count real tokens (after the virtual ones); padding gets position 0. Unlike HF PEFT's
  // generate, which drops these positions for prompt/prefix tuning and so counts left padding, a row's
  // positions do not depend on its batch: a padded row generates what it would alone.
  torch::Tensor positions = (mask.cumsum(1) - 1 + virtual_).masked_fill(mask == 0, 0);
  const int64_t capacity = virtual_ + promptLen + o.maxNewTokens - 1;  // the last new token is never fed back
  auto longOpts = torch::TensorOptions().dtype(torch::kInt64).device(inputIds.device());
  torch::Tensor keyValid = torch::zeros({batch, capacity}, longOpts.dtype(torch::kBool));
  torch::Tensor keyPos = torch::zeros({batch, capacity}, longOpts);
  keyValid.narrow(1, 0, virtual_).fill_(true);
  keyPos.narrow(1, 0, virtual_).copy_(torch::arange(virtual_, longOpts).unsqueeze(0).expand({batch, virtual_}));
  keyValid.narrow(1, virtual_, promptLen).copy_(mask != 0);
  keyPos.narrow(1, virtual_, promptLen).copy_(positions);

  KvCache cache(config.numHiddenLayers, capacity);
  model.PrefillVirtualTokens(cache, batch);
  const int64_t prefilled = virtual_ + promptLen;
  torch::Tensor hidden = model.DecodeHidden(inputIds, positions, StepMask(keyValid.narrow(1, 0, prefilled), keyPos.narrow(1, 0, prefilled), positions, virtual_, config.slidingWindow), cache);
  // The last real token of each row predicts its first new token.
  torch::Tensor lastIndex = (torch::arange(promptLen, longOpts).unsqueeze(0) * mask).argmax(1);
  torch::Tensor rowIndex = torch::arange(batch, longOpts);
  torch::Tensor logits = model.Logits(hidden.index({rowIndex, lastIndex}));
  torch::Tensor lastPos = positions.gather(1, lastIndex.unsqueeze(1)).squeeze(1);

  int64_t index = prefilled;  // cache slot of the next token fed
  auto step = [&](const torch::Tensor& next) {
    lastPos = lastPos + 1;
    keyValid.select(1, index).fill_(true);
    keyPos.select(1, index).copy_(lastPos);
    torch::Tensor queryPos = lastPos.unsqueeze(1);
    torch::Tensor stepMask = StepMask(keyValid.narrow(1, 0, index + 1), keyPos.narrow(1, 0, index + 1), queryPos, index, config.slidingWindow);
    ++index;
    return model.Logits(model.DecodeHidden(next.unsqueeze(1), queryPos, stepMask, cache).select(1, 0));
  };
  auto keepRows = [&](const torch::Tensor& rows) {
    cache.KeepRows(rows);
    keyValid = keyValid.index_select(0, rows);
    keyPos = keyPos.index_select(0, rows);
    lastPos = lastPos.index_select(0, rows);
  };
  return DecodeLoop(batch, logits, o, step, keepRows);
}

GenerateResult GenerateSeq2Seq(T5Model& model, const torch::Tensor& inputIds, const torch::Tensor& attentionMask,
                               const GenerateOptions& o) {
  c10::InferenceMode inference;
  const T5Config& config = model.config();
  ValidateOptions(o, config.vocabSize);
  const torch::Tensor mask = PromptMask(inputIds, attentionMask);
  const int64_t batch = inputIds.size(0);
  // One decoder slot per step: the start token, then every new token but the last.
  std::unique_ptr<T5DecodeState> state = model.StartDecoding(inputIds.to(torch::kInt64), mask, o.maxNewTokens);
  const auto longs = torch::TensorOptions().dtype(torch::kInt64).device(model.device());
  torch::Tensor logits = model.DecodeStep(*state, torch::full({batch}, config.decoderStartTokenId, longs));
  auto step = [&](const torch::Tensor& next) { return model.DecodeStep(*state, next); };
  auto keepRows = [&](const torch::Tensor& rows) { model.KeepRows(*state, rows); };
  return DecodeLoop(batch, logits, o, step, keepRows);
}

}  // namespace pn
