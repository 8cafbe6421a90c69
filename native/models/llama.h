// The Llama-family decoder (Llama 2/3, Mistral, Qwen2, Qwen3) with HF parameter names, so loading a
// checkpoint is a name-for-name copy. All tensors live here; JS sees names and numbers only.
#pragma once

#include "common/torch_api.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/adapter_hooks.h"
#include "models/config.h"
#include "models/kv_cache.h"
#include "models/linear.h"
#include "models/model_host.h"
#include "models/token_batch.h"

namespace pn {

struct DecoderLayer {
  torch::Tensor inputNorm;     // input_layernorm.weight
  torch::Tensor postAttnNorm;  // post_attention_layernorm.weight
  torch::Tensor qNorm, kNorm;  // self_attn.{q,k}_norm.weight (Qwen3) or undefined
  Linear q, k, v, o, gate, up, down;
  std::shared_ptr<const SublayerAdapter> afterAttention;  // on the attention output, or null
  std::shared_ptr<const SublayerAdapter> afterMlp;        // on the MLP output, or null
};

class LlamaModel : public ModelHost {
 public:
  // Allocates all weights with HF's init (normal(0, initializer_range), norms 1, biases 0) from `seed`.
  // initialize=false leaves them uninitialized, for a LoadWeights that follows at once (saves a full
  // pass of random init on large checkpoints).
  LlamaModel(const ModelConfig& config, uint64_t seed, bool initialize = true);

  const ModelConfig& config() const { return config_; }
  std::string architecture() const override { return "llama"; }
  torch::Device device() const override { return embedTokens_.device(); }

  // Causal-LM loss (when batch.labels is set: aligned with inputIds, shifted here) and optionally logits.
  ForwardOutput Forward(const TokenBatch& batch, bool wantLogits, bool training) override;
  int64_t CountTargets(const TokenBatch& batch) const override { return pn::CountTargets(batch); }

  // One decoder layer: h + attn(norm(h)), then + mlp(norm(.)). cos/sin: RoPE tables; mask: undefined = causal.
  // With a cache (generation) the layer's keys/values are appended to it and all cached ones are attended.
  // prefixKv: virtual keys/values of this layer (VirtualTokens::KeysValues), or null. Sublayer adapters wrap both sublayers.
  torch::Tensor DecoderLayerForward(size_t index, const torch::Tensor& hidden, const torch::Tensor& cos,
                                    const torch::Tensor& sin, const torch::Tensor& mask, bool training,
                                    KvStore* cache = nullptr,
                                    const std::pair<torch::Tensor, torch::Tensor>* prefixKv = nullptr);

  // Incremental decoding (generation): runs inputIds [B, T] at positionIds [B, T] (int64) against the keys and
  // values in `cache` plus its own, and appends its own to the cache. `mask` is boolean [B, 1, T, cached + T]
  // (true = may attend), or undefined for plain causal attention (T == 1: every cached key is visible).
  // Returns the final-norm hidden states [B, T, hidden]; Logits() projects the ones needed. No dropout.
  torch::Tensor DecodeHidden(const torch::Tensor& inputIds, const torch::Tensor& positionIds, const torch::Tensor& mask,
                             KvStore& cache);
  // Cache slots every row starts with before its tokens: prompt tuning's virtual tokens or prefix tuning's
  // prefix (N), else 0. PrefillVirtualTokens writes them into an empty cache for `batch` rows: the virtual
  // tokens run through the decoder at positions 0..N-1 (they come first and see only each other); the prefix
  // keys and values are stored as they are. The tokens that follow take positions from N on.
  void PrefillVirtualTokens(KvCache& cache, int64_t batch);
  // hidden [..., hidden] -> logits [..., vocab].
  torch::Tensor Logits(const torch::Tensor& hidden) const;

  // The host side of PEFT beyond linear layers (ModelHost has the rest): the decoder layers that carry
  // sublayer adapters, and the virtual tokens of prompt and prefix tuning (adapter_hooks.h).
  std::vector<DecoderLayer>& layers() { return layers_; }
  std::vector<Linear*> AllLinears() override;
  std::vector<SublayerSite> SublayerSites() override;
  int64_t hiddenSize() const override { return config_.hiddenSize; }
  int64_t vocabSize() const override { return config_.vocabSize; }
  std::string InputEmbeddingName() const override { return "model.embed_tokens.weight"; }
  int64_t TransformerSubmodules() const override { return 1; }
  PrefixLayout PrefixShape() const override { return {config_.numHiddenLayers, config_.numKeyValueHeads, config_.headDim}; }
  std::vector<torch::Tensor> LayerTrainableParameters(size_t index) const;

 protected:
  bool IgnoredCheckpointTensor(const std::string& name) const override;
  std::vector<std::string> UntargetableModules() const override { return {"model.embed_tokens", "lm_head"}; }
  std::string TargetableModuleNames() const override {
    return "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj";
  }
  void MoveBuffers(const torch::Device& device) override { invFreq_ = invFreq_.to(device); }

 private:
  void ValidateTokens(const TokenBatch& batch) const;
  // `padded`: the mask has a 0 (decided on the host copy, so a CUDA forward does not wait for the device).
  torch::Tensor AttentionMask(const TokenBatch& batch, bool padded) const;
  // With a cache, this layer's keys/values are appended to it (layer index `layerIndex`) and all are attended.
  // `prefixKv`: virtual keys/values for this layer, or null.
  torch::Tensor Attention(DecoderLayer& layer, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask, bool training, KvStore* cache = nullptr, size_t layerIndex = 0,
                          const std::pair<torch::Tensor, torch::Tensor>* prefixKv = nullptr);

  ModelConfig config_;
  torch::Tensor embedTokens_;  // model.embed_tokens.weight
  torch::Tensor finalNorm_;    // model.norm.weight
  torch::Tensor lmHead_;       // lm_head.weight (the embedding itself when tied)
  std::vector<DecoderLayer> layers_;
  torch::Tensor invFreq_;
};

}  // namespace pn
