// Prompt tuning and prefix tuning as HF PEFT's PeftModelForCausalLM runs them, hosted as the model's
// VirtualTokens (models/adapter_hooks.h).
//  - Prompt tuning: N learned virtual-token embeddings are prepended to the input embeddings; labels get
//    N leading -100s and the attention mask N leading ones. Logits of the virtual positions are dropped.
//  - Prefix tuning: per layer, N learned keys and values (already "rotated", as a KV cache holds them)
//    are prepended to the attention keys/values; the real tokens take positions N..N+T-1 (HF's cache
//    positions) and attend to every prefix slot. PEFT's PrefixEncoder: a table [N, layers*2*kvDim], or with
//    reparameterization embedding [N, kvDim] -> Linear(kvDim, hidden) -> tanh -> Linear(hidden, layers*2*kvDim).
#pragma once

#include "common/torch_api.h"

#include <string>
#include <utility>
#include <vector>

#include "models/adapter_hooks.h"

namespace pn {

class ModelHost;

struct PromptTuningOptions {
  int64_t virtualTokens = 20;
  std::string init = "random";  // random: normal(0, 1) (PEFT RANDOM) | vocab: rows of sampled tokens (SAMPLE_VOCAB)
  uint64_t seed = 0;
};

struct PrefixTuningOptions {
  int64_t virtualTokens = 20;
  bool projection = false;    // PEFT prefix_projection: the reparameterization MLP
  int64_t encoderHidden = 0;  // its hidden size (PEFT encoder_hidden_size; 0 = kvDim)
  uint64_t seed = 0;
};

class PromptTuning : public VirtualTokens {
 public:
  // [N x transformer submodules, hidden]: PEFT keeps one table per submodule (encoder, decoder) of an
  // encoder-decoder and feeds only the first N rows (to the encoder); the rest train to nothing, as in PEFT.
  torch::Tensor embedding;
  int64_t used = 0;  // N
  int64_t count() const override { return used; }
  torch::Tensor Embeddings() const override { return embedding.narrow(0, 0, used); }
};

class PrefixTuning : public VirtualTokens {
 public:
  torch::Tensor embedding;                 // [N, layers*2*kvDim], or [N, kvDim] with the MLP
  torch::Tensor mlpInWeight, mlpInBias;    // [hidden, kvDim], [hidden] (reparameterization only)
  torch::Tensor mlpOutWeight, mlpOutBias;  // [layers*2*kvDim, hidden], [layers*2*kvDim]
  int64_t numLayers = 0, kvHeads = 0, headDim = 0;
  int64_t count() const override { return embedding.size(0); }
  bool reparameterized() const { return mlpInWeight.defined(); }
  // The prefix table [N, layers*2*kvDim] (what PEFT saves as prompt_embeddings).
  torch::Tensor Table() const;
  // PEFT's view + permute([2, 0, 3, 1, 4]) + split(2) of the table; the batch dim is a broadcast view.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> KeysValues(int64_t batch) const override;
};

// Each freezes the base and adds the trainable virtual tokens with PEFT's initialization.
void ApplyPromptTuning(ModelHost& model, const PromptTuningOptions& options);
void ApplyPrefixTuning(ModelHost& model, const PrefixTuningOptions& options);
// PEFT's saved prompt_embeddings for prefix tuning: the table [N, layers*2*kvDim] (MLP applied), a copy.
torch::Tensor PrefixTableToSave(const ModelHost& model);

}  // namespace pn
