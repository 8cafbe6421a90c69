// T5ForConditionalGeneration with HF parameter names, so loading a checkpoint is a name-for-name copy.
// A batch's inputIds/attentionMask are the encoder's source; its labels [B, target length] are the decoder's
// targets, and the decoder reads them shifted right (decoder_start_token_id first, -100 read as pad_token_id),
// as transformers' _shift_right does. The loss is over the label positions themselves (no further shift).
#pragma once

#include "common/torch_api.h"

#include <memory>
#include <string>
#include <vector>

#include "models/adapter_hooks.h"
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

  // The encoder's final hidden states [B, S, d_model] for source ids and mask ([B, S] int32 on the CPU).
  torch::Tensor Encode(const torch::Tensor& inputIds, const torch::Tensor& attentionMask, bool training);
  // transformers' _shift_right: [start, labels[:, :-1]] with -100 read as pad_token_id (int64, same device).
  torch::Tensor ShiftRight(const torch::Tensor& labels) const;

 protected:
  bool IgnoredCheckpointTensor(const std::string& name) const override;
  std::vector<std::string> UntargetableModules() const override {
    return {"shared", "encoder.embed_tokens", "decoder.embed_tokens", "lm_head"};
  }
  std::string TargetableModuleNames() const override {
    return config_.gatedActivation ? "q, k, v, o, wi_0, wi_1, wo" : "q, k, v, o, wi, wo";
  }
  bool HasNonLinearAdapters() const override;

 private:
  void ValidateTokens(const TokenBatch& batch) const;
  // [1, heads, queries, keys] learned bias of the relative positions (key - query), bucketed as T5 does.
  torch::Tensor RelativePositionBias(const torch::Tensor& table, int64_t queries, int64_t keys, bool bidirectional) const;
  // softmax(q kᵀ + bias) v through the output projection; T5 does not scale the scores. kv: the keys' source.
  torch::Tensor Attend(const T5Attention& attention, const torch::Tensor& x, const torch::Tensor& kv, const torch::Tensor& bias,
                       bool training) const;
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
