// The Llama-family decoder (Llama 2/3, Mistral, Qwen2, Qwen3) with HF parameter names, so loading a
// checkpoint is a name-for-name copy. All tensors live here; JS sees names and numbers only.
#pragma once

#include "common/torch_api.h"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "models/adapter_hooks.h"
#include "models/config.h"
#include "models/kv_cache.h"
#include "models/linear.h"
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

struct ForwardOutput {
  torch::Tensor logits;   // [B, T, V] when requested
  torch::Tensor lossSum;  // scalar: sum of token cross-entropies over target tokens (0-dim, may require grad)
  int64_t targetTokens = 0;
};

// The matching rule of PEFT: module names (exact or ".suffix") or one full-match regex.
struct ModuleTargets {
  std::vector<std::string> modules;
  std::string regex;  // used when non-empty
};

class LlamaModel {
 public:
  // Allocates all weights with HF's init (normal(0, initializer_range), norms 1, biases 0) from `seed`.
  // initialize=false leaves them uninitialized, for a LoadWeights that follows at once (saves a full
  // pass of random init on large checkpoints).
  LlamaModel(const ModelConfig& config, uint64_t seed, bool initialize = true);

  const ModelConfig& config() const { return config_; }

  // Where the model's tensors live (CPU after construction). To() moves every parameter in place (the
  // tensors keep their identity, so LoRA/adapter handles stay valid); parameters added later by a PEFT
  // method are initialized on the CPU (same values on every device) and moved here when registered.
  // Batches and prompts arrive on the CPU and are moved here by Forward / Generate.
  torch::Device device() const { return embedTokens_.device(); }
  void To(const torch::Device& device);

  // Copies every weight from the safetensors files (name for name, upcast to float32). Missing,
  // unexpected or mis-shaped tensors are an error naming them; nothing is changed on error.
  void LoadWeights(const std::vector<std::string>& files);

  // Loss (when batch.labels is set) and optionally logits for one batch (see TokenBatch).
  ForwardOutput Forward(const TokenBatch& batch, bool wantLogits, bool training);

  // One decoder layer: h + attn(norm(h)), then + mlp(norm(.)). cos/sin: RoPE tables; mask: undefined = causal.
  // With a cache (generation) the layer's keys/values are appended to it and all cached ones are attended.
  // prefixKv: virtual keys/values of this layer (VirtualTokens::KeysValues), or null. Sublayer adapters wrap both sublayers.
  torch::Tensor DecoderLayerForward(size_t index, const torch::Tensor& hidden, const torch::Tensor& cos,
                                    const torch::Tensor& sin, const torch::Tensor& mask, bool training,
                                    KvCache* cache = nullptr,
                                    const std::pair<torch::Tensor, torch::Tensor>* prefixKv = nullptr);

  // Incremental decoding (generation): runs inputIds [B, T] at positionIds [B, T] (int64) against the keys and
  // values in `cache` plus its own, and appends its own to the cache. `mask` is boolean [B, 1, T, cached + T]
  // (true = may attend), or undefined for plain causal attention (T == 1: every cached key is visible).
  // Returns the final-norm hidden states [B, T, hidden]; Logits() projects the ones needed. No dropout.
  torch::Tensor DecodeHidden(const torch::Tensor& inputIds, const torch::Tensor& positionIds, const torch::Tensor& mask,
                             KvCache& cache);
  // Cache slots every row starts with before its tokens: prompt tuning's virtual tokens or prefix tuning's
  // prefix (N), else 0. PrefillVirtualTokens writes them into an empty cache for `batch` rows: the virtual
  // tokens run through the decoder at positions 0..N-1 (they come first and see only each other); the prefix
  // keys and values are stored as they are. The tokens that follow take positions from N on.
  int64_t VirtualTokenCount() const { return virtualTokens_ ? virtualTokens_->count() : 0; }
  void PrefillVirtualTokens(KvCache& cache, int64_t batch);
  // hidden [..., hidden] -> logits [..., vocab].
  torch::Tensor Logits(const torch::Tensor& hidden) const;

  // The host side of PEFT (methods: native/peft/*.cc, through the hooks of adapter_hooks.h).
  // Starts a method: refuses a second one and, with freezeBase, freezes every base parameter. `label` is
  // what method() reports ("" while none is applied).
  void BeginMethod(const std::string& label, bool freezeBase = true);
  const std::string& method() const { return method_; }
  std::vector<DecoderLayer>& layers() { return layers_; }
  std::vector<Linear*> AllLinears();
  // The block linears whose names match (PEFT's rule); `what` names the method in errors.
  std::vector<Linear*> MatchLinears(const ModuleTargets& targets, const std::string& what);
  // Registers a method's parameters (trainable), each right after `anchor` ("" = at the end), so names and
  // order read like PEFT's state dict.
  using AdapterEntry = std::tuple<std::string /*anchor*/, std::string /*name*/, torch::Tensor>;
  void RegisterAdapterParameters(const std::vector<AdapterEntry>& entries);
  void SetVirtualTokens(std::shared_ptr<const VirtualTokens> tokens) { virtualTokens_ = std::move(tokens); }
  const VirtualTokens* virtualTokens() const { return virtualTokens_.get(); }
  // Folds every LinearAdapter into its base weights and removes the method; returns the merged modules.
  // Refused when the method has parts that do not live on linear layers, or none that do.
  std::vector<std::string> MergeLinearAdapters();

  // Parameters by HF name (LoRA ones as <module>.lora_A.weight / lora_B.weight), in model order.
  std::vector<std::string> ParameterNames(bool trainableOnly) const;
  // Parameters added by a PEFT method (not part of an HF checkpoint).
  bool IsAdapterParameter(const std::string& name) const { return adapterNames_.count(name) != 0; }
  torch::Tensor Parameter(const std::string& name) const;
  std::vector<torch::Tensor> TrainableParameters() const;
  std::vector<torch::Tensor> LayerTrainableParameters(size_t index) const;

  // Recompute each decoder layer in backward instead of keeping its activations (training forwards only).
  void SetGradientCheckpointing(bool on) { gradientCheckpointing_ = on; }
  bool gradientCheckpointing() const { return gradientCheckpointing_; }
  int64_t CountParameters(bool trainableOnly) const;

  // One model is used by one call at a time; workers hold this while they run.
  std::mutex& mutex() { return mutex_; }

 private:
  void Register(const std::string& name, const torch::Tensor& tensor);
  void UnregisterAdapterParameters();
  void ValidateTokens(const TokenBatch& batch) const;
  // `padded`: the mask has a 0 (decided on the host copy, so a CUDA forward does not wait for the device).
  torch::Tensor AttentionMask(const TokenBatch& batch, bool padded) const;
  // With a cache, this layer's keys/values are appended to it (layer index `layerIndex`) and all are attended.
  // `prefixKv`: virtual keys/values for this layer, or null.
  torch::Tensor Attention(DecoderLayer& layer, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask, bool training, KvCache* cache = nullptr, size_t layerIndex = 0,
                          const std::pair<torch::Tensor, torch::Tensor>* prefixKv = nullptr);

  ModelConfig config_;
  torch::Tensor embedTokens_;  // model.embed_tokens.weight
  torch::Tensor finalNorm_;    // model.norm.weight
  torch::Tensor lmHead_;       // lm_head.weight (the embedding itself when tied)
  std::vector<DecoderLayer> layers_;
  torch::Tensor invFreq_;
  std::vector<std::pair<std::string, torch::Tensor>> params_;  // registration order
  std::map<std::string, size_t> paramIndex_;
  std::set<std::string> adapterNames_;
  std::string method_;
  std::shared_ptr<const VirtualTokens> virtualTokens_;
  std::mutex mutex_;
  bool gradientCheckpointing_ = false;
};

}  // namespace pn
