// T5ForConditionalGeneration with HF parameter names, so loading a checkpoint is a name-for-name copy.
// A batch's inputIds/attentionMask are the encoder's source; its labels [B, target length] are the decoder's
// targets, and the decoder reads them shifted right (decoder_start_token_id first, -100 read as pad_token_id),
// as transformers' _shift_right does. The loss is over the label positions themselves (no further shift).
#pragma once

#include "common/torch_api.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/adapter_hooks.h"
#include "models/kv_cache.h"
#include "models/linear.h"
#include "models/model_host.h"
#include "models/t5_config.h"
#include "models/token_batch.h"

namespace pn {

struct T5Attention {
  Linear q, k, v, o;
};

// One encoder block (self-attention, FFN) or decoder block (self-attention, cross-attention, FFN); each
// sublayer is pre-norm with a residual add.
struct T5Block {
  T5Attention selfAttention;
  torch::Tensor selfAttentionNorm;  // layer.0.layer_norm.weight
  T5Attention crossAttention;       // decoder blocks only (EncDecAttention)
  torch::Tensor crossAttentionNorm;  // layer.1.layer_norm.weight (decoder)
  Linear wi, wi0, wi1, wo;           // wi (plain) or wi_0 / wi_1 (gated)
  torch::Tensor ffNorm;              // layer.{1|2}.layer_norm.weight
  std::shared_ptr<const SublayerAdapter> afterAttention;  // on the self-attention output, or null
  std::shared_ptr<const SublayerAdapter> afterMlp;        // on the FFN output, or null
};

// Incremental decoding (generation) of a batch: the encoder ran once; the cross-attention keys/values of every
// decoder block are computed from its output once; the decoder's self-attention keys/values grow in a cache.
struct T5DecodeState {
  T5DecodeState(int64_t layers, int64_t capacity) : selfCache(layers, capacity) {}
  torch::Tensor sourceBias;                                  // [B, 1, 1, S] additive source padding mask, or undefined
  std::vector<std::pair<torch::Tensor, torch::Tensor>> crossKv;  // per decoder block, [B, heads, S, d_kv]
  KvCache selfCache;
};

class T5Model : public ModelHost {
 public:
  // Allocates all weights with HF's T5 init (scaled by initializer_factor) from `seed`; initialize=false
  // leaves them uninitialized for a LoadWeights that follows at once.
  T5Model(const T5Config& config, uint64_t seed, bool initialize = true);

  const T5Config& config() const { return config_; }
  std::string architecture() const override { return "t5"; }
  torch::Device device() const override { return shared_.device(); }

  ForwardOutput Forward(const TokenBatch& batch, bool wantLogits, bool training) override;
  int64_t CountTargets(const TokenBatch& batch) const override;
  void SetGradientCheckpointing(bool on) override;

  std::vector<T5Block>& encoderBlocks() { return encoder_; }
  std::vector<T5Block>& decoderBlocks() { return decoder_; }
  std::vector<Linear*> AllLinears() override;
  // Encoder then decoder blocks; a decoder block's cross-attention takes no adapter.
  std::vector<SublayerSite> SublayerSites() override;
  int64_t hiddenSize() const override { return config_.dModel; }
  int64_t vocabSize() const override { return config_.vocabSize; }
  std::string InputEmbeddingName() const override { return "shared.weight"; }
  int64_t TransformerSubmodules() const override { return 2; }
  // PEFT's table for T5 is sized by num_layers (the encoder's); block i of the decoder takes layer i.
  PrefixLayout PrefixShape() const override { return {config_.numLayers, config_.numHeads, config_.dKv}; }

  // The encoder's final hidden states [B, N + S, d_model] for source ids [B, S] and mask (undefined: nothing
  // padded), on the model's device; prompt tuning's N virtual embeddings come first. `mask` is set to the
  // mask of what was encoded (virtual slots 1), or left undefined.
  torch::Tensor Encode(const torch::Tensor& inputIds, torch::Tensor& mask, bool training);
  // transformers' _shift_right: [start, labels[:, :-1]] with -100 read as pad_token_id (int64, same device).
  torch::Tensor ShiftRight(const torch::Tensor& labels) const;

  // Generation: encodes the source ([B, S] ids and 0/1 mask, any device) for up to `maxSteps` decoder steps.
  std::unique_ptr<T5DecodeState> StartDecoding(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, int64_t maxSteps);
  // Feeds one decoder token per row (ids [A] int64 on the model's device) and returns the next-token logits [A, vocab].
  torch::Tensor DecodeStep(T5DecodeState& state, const torch::Tensor& ids);
  // Keeps only these rows (int64 indices on the model's device), in this order.
  void KeepRows(T5DecodeState& state, const torch::Tensor& rows) const;

 protected:
  bool IgnoredCheckpointTensor(const std::string& name) const override;
  std::vector<std::string> UntargetableModules() const override {
    return {"shared", "encoder.embed_tokens", "decoder.embed_tokens", "lm_head"};
  }
  std::string TargetableModuleNames() const override {
    return config_.gatedActivation ? "q, k, v, o, wi_0, wi_1, wo" : "q, k, v, o, wi, wo";
  }

 private:
  void ValidateSource(const torch::Tensor& inputIds, const torch::Tensor& attentionMask) const;
  void ValidateTokens(const TokenBatch& batch) const;
  // [1, heads, queries, keys] learned bias of the relative positions (key - query), bucketed as T5 does;
  // the queries sit at positions firstQuery.. (the keys at 0..).
  torch::Tensor RelativePositionBias(const torch::Tensor& table, int64_t queries, int64_t keys, bool bidirectional,
                                     int64_t firstQuery = 0) const;
  // Keys and values [B, heads, S, d_kv] of `source` for this attention.
  std::pair<torch::Tensor, torch::Tensor> KeysValues(const T5Attention& attention, const torch::Tensor& source, bool training) const;
  // softmax(q kᵀ + bias) v through the output projection; T5 does not scale the scores.
  torch::Tensor Attend(const T5Attention& attention, const torch::Tensor& x, const std::pair<torch::Tensor, torch::Tensor>& kv,
                       const torch::Tensor& bias, bool training) const;
  // The source padding as an additive [B, 1, 1, S] mask (undefined when nothing is padded).
  torch::Tensor SourceBias(const torch::Tensor& attentionMask) const;
  // Prefix tuning as PEFT runs it on T5: keys and values [B, heads, N, d_kv] before the decoder's own in the
  // self-attention of each decoder block (one entry per block), or none. The encoder and cross-attention see none.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> DecoderPrefix(int64_t batch) const;
  torch::Tensor FeedForward(const T5Block& block, const torch::Tensor& x, bool training) const;
  torch::Tensor Dropout(const torch::Tensor& x, bool training) const;
  // Decoder hidden states after the final norm (and rescale) for decoder input ids against `encoded`.
  torch::Tensor Decode(const torch::Tensor& decoderIds, const torch::Tensor& encoded, const torch::Tensor& sourceBias,
                       bool training);

  T5Config config_;
  torch::Tensor shared_;            // shared.weight (input embedding of both stacks)
  torch::Tensor encoderRelBias_;    // encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight
  torch::Tensor decoderRelBias_;    // decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight
  torch::Tensor encoderFinalNorm_;  // encoder.final_layer_norm.weight
  torch::Tensor decoderFinalNorm_;  // decoder.final_layer_norm.weight
  torch::Tensor lmHead_;            // lm_head.weight (shared.weight itself when tied)
  std::vector<T5Block> encoder_;
  std::vector<T5Block> decoder_;
};

}  // namespace pn
