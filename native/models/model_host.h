// What every model architecture shares: its parameters by Hugging Face name (registration order = the HF state
// dict's), loading them from safetensors, moving them between devices, and the host side of PEFT (one method per
// model, base frozen, method parameters registered next to their module, PEFT's target matching, merging
// LinearAdapters). LlamaModel (decoder-only) and T5Model (encoder-decoder) derive from it; trainers, bindings
// and the linear-layer methods (LoRA, DoRA, IA3, BitFit, full finetuning) see only this class.
#pragma once

#include "common/torch_api.h"

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "models/adapter_hooks.h"
#include "models/linear.h"
#include "models/token_batch.h"

namespace pn {

struct ForwardOutput {
  torch::Tensor logits;   // [B, T, V] when requested (T: the decoder's positions)
  torch::Tensor lossSum;  // scalar: sum of token cross-entropies over target tokens (0-dim, may require grad)
  int64_t targetTokens = 0;
};

// The matching rule of PEFT: module names (exact or ".suffix") or one full-match regex.
struct ModuleTargets {
  std::vector<std::string> modules;
  std::string regex;  // used when non-empty
};

// Where a block takes sublayer adapters (adapter_hooks.h): after its self-attention and after its FFN, the
// names its adapters' parameters start with, and the parameter they are registered after.
struct SublayerSite {
  std::string prefix;  // e.g. model.layers.3. or decoder.block.3.
  std::string anchor;
  std::shared_ptr<const SublayerAdapter>* afterAttention;
  std::shared_ptr<const SublayerAdapter>* afterMlp;
};

class ModelHost {
 public:
  virtual ~ModelHost() = default;
  ModelHost(const ModelHost&) = delete;
  ModelHost& operator=(const ModelHost&) = delete;

  // "llama" (the Llama family) or "t5".
  virtual std::string architecture() const = 0;

  // Where the model's tensors live (CPU after construction). To() moves every parameter in place (the
  // tensors keep their identity, so adapter handles stay valid); parameters added later by a PEFT method are
  // initialized on the CPU (same values on every device) and moved here when registered. Batches arrive on
  // the CPU and are moved here by Forward.
  virtual torch::Device device() const = 0;
  void To(const torch::Device& device);

  // Copies every base weight from the safetensors files (name for name, upcast to float32). Missing,
  // unexpected or mis-shaped tensors are an error naming them and `configName` (the config they disagree
  // with); nothing is changed on error.
  void LoadWeights(const std::vector<std::string>& files, const std::string& configName = "the model's config");

  // Loss (when batch.labels is set) and optionally logits for one batch (see TokenBatch; each architecture
  // says how it reads the labels).
  virtual ForwardOutput Forward(const TokenBatch& batch, bool wantLogits, bool training) = 0;
  // How many label positions of `batch` count in the loss, from the host copy (no device work).
  virtual int64_t CountTargets(const TokenBatch& batch) const = 0;

  // Precision of the model's own forwards (evaluation, generation): bf16 runs them under bfloat16 autocast, as
  // training does. With lowPrecisionBase, the frozen matrices of the base (block linears, embeddings, LM head)
  // are stored in bfloat16 as well (half the memory, no cast per step); trainable parameters and vectors
  // (norms, biases) stay float32. Refused for a base in bfloat16 without bf16 compute, and once stored in
  // bfloat16 the base stays so (a cast back would not restore its float32 values). Set after the method: no
  // method can be applied to a bfloat16 base.
  void SetPrecision(bool bf16, bool lowPrecisionBase);
  bool bf16() const { return bf16_; }
  // The dtype the base's frozen matrices are stored in.
  torch::ScalarType baseDtype() const { return baseDtype_; }

  // Recompute each block in backward instead of keeping its activations (training forwards only).
  virtual void SetGradientCheckpointing(bool on) { gradientCheckpointing_ = on; }
  bool gradientCheckpointing() const { return gradientCheckpointing_; }

  // --- the host side of PEFT (methods: native/peft/*.cc) ---
  // Starts a method. The first one, with freezeBase, freezes every base parameter; later ones combine with it
  // (LoRA + bottleneck adapters): the same method twice, or full finetuning (freezeBase false) with any other,
  // is refused. method() reports the labels joined by "+" in the order applied ("" while none is applied).
  // Each method checks what it needs (RequireUnadapted, no virtual tokens yet) before it begins.
  void BeginMethod(const std::string& label, bool freezeBase = true);
  const std::string& method() const { return method_; }
  bool HasMethod(const std::string& label) const;
  // Refuses targets that an earlier method already adapts (a linear layer holds one LinearAdapter).
  void RequireUnadapted(const std::vector<Linear*>& targets, const std::string& what) const;
  // Every linear projection of the blocks, in model order (embeddings and the LM head are not among them).
  virtual std::vector<Linear*> AllLinears() = 0;
  // Every block's sublayer-adapter slots, in model order; and the width of the residual stream they act on.
  virtual std::vector<SublayerSite> SublayerSites() = 0;
  virtual int64_t hiddenSize() const = 0;
  virtual int64_t vocabSize() const = 0;
  // The input embedding's parameter name, and PEFT's num_transformer_submodules (1 for a decoder, 2 for an
  // encoder-decoder: prompt tuning keeps a table for each, of which the encoder's is used).
  virtual std::string InputEmbeddingName() const = 0;
  virtual int64_t TransformerSubmodules() const = 0;
  // The layout of prefix tuning's keys and values (PEFT's num_layers, num_attention_heads and head dim).
  struct PrefixLayout {
    int64_t layers, heads, headDim;
  };
  virtual PrefixLayout PrefixShape() const = 0;
  // Learned virtual tokens in front of every input (prompt and prefix tuning; each architecture says which
  // kinds it takes), or none. Their slots come first in a row.
  void SetVirtualTokens(std::shared_ptr<const VirtualTokens> tokens) { virtualTokens_ = std::move(tokens); }
  const VirtualTokens* virtualTokens() const { return virtualTokens_.get(); }
  int64_t VirtualTokenCount() const { return virtualTokens_ ? virtualTokens_->count() : 0; }
  // The block linears whose names match (PEFT's rule); `what` names the method in errors.
  std::vector<Linear*> MatchLinears(const ModuleTargets& targets, const std::string& what);
  // Registers a method's parameters (trainable), each right after `anchor` ("" = at the end), so names and
  // order read like PEFT's state dict.
  using AdapterEntry = std::tuple<std::string /*anchor*/, std::string /*name*/, torch::Tensor>;
  void RegisterAdapterParameters(const std::vector<AdapterEntry>& entries);
  // Folds every LinearAdapter into its base weights and removes the method; returns the merged modules.
  // Refused when the method has parts that do not live on linear layers, or none that do.
  std::vector<std::string> MergeLinearAdapters();

  // Parameters by HF name (LoRA ones as <module>.lora_A.weight / lora_B.weight), in model order.
  std::vector<std::string> ParameterNames(bool trainableOnly) const;
  // Parameters added by a PEFT method (not part of an HF checkpoint).
  bool IsAdapterParameter(const std::string& name) const { return adapterNames_.count(name) != 0; }
  torch::Tensor Parameter(const std::string& name) const;
  std::vector<torch::Tensor> TrainableParameters() const;
  int64_t CountParameters(bool trainableOnly) const;

  // One model is used by one call at a time; workers hold this while they run.
  std::mutex& mutex() { return mutex_; }

 protected:
  ModelHost() = default;
  void Register(const std::string& name, const torch::Tensor& tensor);
  // Rows of an embedding table as float32 activations: the residual stream stays float32 when the table is
  // stored in bfloat16 (SetPrecision), as it does under autocast with a float32 table.
  static torch::Tensor Embed(const torch::Tensor& table, const torch::Tensor& ids) {
    return torch::embedding(table, ids.to(torch::kInt64)).to(torch::kFloat32);
  }
  void UnregisterAdapterParameters();
  // Checkpoint tensors LoadWeights passes over (recomputed tables, duplicates of tied weights).
  virtual bool IgnoredCheckpointTensor(const std::string& name) const = 0;
  // Module names a target may not name (embeddings, LM head), and the short names of AllLinears for messages.
  virtual std::vector<std::string> UntargetableModules() const = 0;
  virtual std::string TargetableModuleNames() const = 0;
  // Non-parameter tensors (tables) that follow the parameters in To().
  virtual void MoveBuffers(const torch::Device& /*device*/) {}

  std::vector<std::pair<std::string, torch::Tensor>> params_;  // registration order
  std::shared_ptr<const VirtualTokens> virtualTokens_;

 private:
  // The method has parts that are not LinearAdapters (sublayer adapters, virtual tokens): no merge.
  bool HasNonLinearAdapters();
  std::map<std::string, size_t> paramIndex_;
  std::set<std::string> adapterNames_;
  std::vector<std::string> methods_;  // labels in the order applied
  std::string method_;               // methods_ joined by "+"
  std::mutex mutex_;
  bool gradientCheckpointing_ = false;
  bool bf16_ = false;
  torch::ScalarType baseDtype_ = torch::kFloat32;
};

// PEFT's module-name rule: `name` equals `target` or ends with "." + target.
bool ModuleNameMatches(const std::string& name, const std::string& target);

}  // namespace pn
