// Batched autoregressive generation with a KV cache: greedy or sampled (temperature, top-p, seeded),
// prompts padded on either side (the attention mask says which tokens are real), per-row stop at EOS.
#pragma once

#include "common/torch_api.h"

#include <cstdint>
#include <vector>

#include "models/llama.h"
#include "models/t5.h"

namespace pn {

struct GenerateOptions {
  int64_t maxNewTokens = 128;
  // A row stops after producing any of these (the EOS is kept in its output). Empty: never stops early.
  std::vector<int64_t> eosIds;
  // Fills each row's output after its end.
  int64_t padId = 0;
  // 0 = greedy (argmax, ties to the lowest id as torch.argmax); > 0 samples from softmax(logits / temperature).
  double temperature = 0;
  // Nucleus sampling: the smallest set of most likely tokens whose probability reaches topP (HF TopPLogitsWarper).
  double topP = 1;
  uint64_t seed = 0;
};

struct GenerateResult {
  torch::Tensor tokens;   // [B, maxNewTokens] int32: new tokens, padId after each row's end
  torch::Tensor lengths;  // [B] int32: new tokens per row, a final EOS included
  int64_t steps = 0;      // decoding steps run (<= maxNewTokens)
  // Continuous batching: prompt tokens whose keys/values were copied from a shared prefix computed once.
  int64_t reusedPromptTokens = 0;
};

// inputIds [B, T] int32/int64; attentionMask [B, T] of 0/1 (undefined: all real). Positions follow HF
// generate: cumsum(mask) - 1 on real tokens, so left and right padding give the same result. Runs under
// inference mode; the caller holds the model's mutex.
GenerateResult Generate(LlamaModel& model, const torch::Tensor& inputIds, const torch::Tensor& attentionMask,
                        const GenerateOptions& options);

// Encoder-decoder generation: inputIds [B, S] (any padding side) is the source; the encoder runs once and the
// decoder starts from decoder_start_token_id (HF generate with do_sample=False for temperature 0). The new
// tokens do not include the start token. Same options, result and locking as Generate.
GenerateResult GenerateSeq2Seq(T5Model& model, const torch::Tensor& inputIds, const torch::Tensor& attentionMask,
                               const GenerateOptions& options);

}  // namespace pn
